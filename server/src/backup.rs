//! Backup archives: `mismatch-server backup` and `restore`.
//!
//! An archive is a tar file of two entries, read and written as streams so
//! memory stays flat whatever the database's size:
//! 1. `manifest.json` — what the archive is ([`Manifest`]): format and its
//!    version, backend, creation time, schema (migration) version, and the
//!    payload's name, size, SHA-256 and whether it is encrypted;
//! 2. the payload — a SQLite database file or a `pg_dump --format=custom`
//!    file (`storage::backup` makes both), optionally encrypted with age
//!    under a passphrase (scrypt; age authenticates every 64 KiB chunk);
//! 3. `SHA256SUMS` — the manifest's and the payload's SHA-256.
//!
//! Restore checks everything it can before it changes anything: the
//! manifest, the backend, the schema version, the payload's size and hash,
//! the passphrase and age's authentication, then the payload itself
//! (`PRAGMA integrity_check`, `pg_restore --list`). Only then is the SQLite
//! file renamed into place or the dump restored in one transaction. The
//! field encryption keys are not in the archive: they are backed up apart
//! (see docs/runbooks/backup-and-restore.md).

use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

use age::secrecy::SecretString;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::storage::backup::{self as snapshot, CopyStats, Pacing, SnapshotError};
use crate::storage::{Backend, StorageTarget, sqlite};

/// The environment variable holding the archive passphrase.
pub const PASSPHRASE_VAR: &str = "MISMATCH_BACKUP_PASSPHRASE";
/// A shorter passphrase is refused when encrypting: scrypt slows guessing,
/// it does not make a short secret long.
pub const MIN_PASSPHRASE_CHARS: usize = 12;

const FORMAT: &str = "mismatch-backup";
const FORMAT_VERSION: u32 = 1;
const MANIFEST_NAME: &str = "manifest.json";
/// The last entry: `sha256sum` lines for the manifest and the payload, so a
/// damaged manifest is caught too (and `sha256sum -c SHA256SUMS` checks an
/// unpacked archive by hand).
const SUMS_NAME: &str = "SHA256SUMS";
const MAX_SUMS_BYTES: u64 = 4096;
const MAX_MANIFEST_BYTES: u64 = 64 * 1024;
const ENCRYPTION: &str = "age-scrypt";

/// The first entry of every archive.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// Always `mismatch-backup`.
    pub format: String,
    /// Bumped when a reader of an older version could not restore it.
    pub format_version: u32,
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// The newest migration applied in the backed-up database.
    pub schema_version: i64,
    /// The `mismatch-server` version that wrote the archive.
    pub server_version: String,
    pub payload: Payload,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Payload {
    /// The tar entry's name.
    pub name: String,
    /// `sqlite-database` or `pg-dump-custom`.
    pub content: String,
    /// Size of the entry as stored (after encryption, if any).
    pub bytes: u64,
    /// SHA-256 of the entry as stored, hex.
    pub sha256: String,
    pub encrypted: bool,
    /// `age-scrypt` when encrypted.
    pub encryption: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// Bad options or environment: nothing was read or written.
    #[error("{0}")]
    Usage(String),
    #[error("the archive is corrupt or truncated: {0}")]
    Corrupt(String),
    #[error("wrong passphrase: {PASSPHRASE_VAR} does not open this archive")]
    WrongPassphrase,
    /// A sound archive this server must not restore (other backend, newer
    /// schema or format).
    #[error("{0}")]
    Incompatible(String),
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    #[error("{0}")]
    Io(String),
    /// The last step, putting the checked database in place, failed: the
    /// old database may be gone (its WAL was removed first).
    #[error("{0}")]
    Install(String),
}

impl BackupError {
    /// Whether the failure came before anything was changed.
    pub fn changed_nothing(&self) -> bool {
        !matches!(self, BackupError::Install(_))
    }
}

type Result<T> = std::result::Result<T, BackupError>;

fn io_error(what: &str) -> impl Fn(std::io::Error) -> BackupError + '_ {
    move |e| BackupError::Io(format!("{what}: {e}"))
}

/// Reads the passphrase from [`PASSPHRASE_VAR`]; `None` when unset or empty.
pub fn passphrase_from_env() -> Option<SecretString> {
    std::env::var(PASSPHRASE_VAR)
        .ok()
        .filter(|p| !p.is_empty())
        .map(SecretString::from)
}

/// What `backup` wrote.
#[derive(Debug)]
pub struct BackupSummary {
    pub manifest: Manifest,
    pub archive_bytes: u64,
    /// SQLite only: how the online copy went.
    pub copy: Option<CopyStats>,
}

/// Writes an archive of the database at `target` to `output`, which must not
/// exist yet (a half-written archive never bears the name: it is written
/// beside it and renamed at the end).
pub async fn backup(
    target: &StorageTarget,
    output: &Path,
    passphrase: Option<SecretString>,
    pacing: Pacing,
) -> Result<BackupSummary> {
    if let Some(p) = &passphrase {
        use age::secrecy::ExposeSecret;
        if p.expose_secret().chars().count() < MIN_PASSPHRASE_CHARS {
            return Err(BackupError::Usage(format!(
                "{PASSPHRASE_VAR} must be at least {MIN_PASSPHRASE_CHARS} characters"
            )));
        }
    }
    if output.exists() {
        return Err(BackupError::Usage(format!(
            "{} already exists; choose a new file name",
            output.display()
        )));
    }
    let dir = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let work = tempfile::Builder::new()
        .prefix(".mismatch-backup-")
        .tempdir_in(&dir)
        .map_err(io_error(&format!("cannot write in {}", dir.display())))?;

    let (backend, content, snapshot_file, schema_version, copy) = match target {
        StorageTarget::SqliteDir(data) => {
            let file = work.path().join("database.sqlite3");
            let stats = snapshot::copy_sqlite(&data.join(sqlite::DB_FILE), &file, pacing).await?;
            // The copy is checked like a restore would check it, so a
            // damaged live database is noticed now, not on the day of need.
            let version = snapshot::check_sqlite(&file).await?;
            (
                Backend::Sqlite,
                "sqlite-database",
                file,
                version,
                Some(stats),
            )
        }
        StorageTarget::Postgres(url) => {
            let file = work.path().join("database.pgdump");
            let version = snapshot::dump_postgres(url, &file).await?;
            (Backend::Postgres, "pg-dump-custom", file, version, None)
        }
    };
    let encrypted = passphrase.is_some();
    let base_name = snapshot_file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let payload_name = if encrypted {
        format!("{base_name}.age")
    } else {
        base_name
    };
    let work_path = work.path().to_path_buf();
    let output = output.to_path_buf();
    let content = content.to_owned();
    let (manifest, archive_bytes) = tokio::task::spawn_blocking(move || {
        let (payload_file, bytes, sha256) = match passphrase {
            Some(passphrase) => {
                let path = work_path.join(&payload_name);
                let (bytes, sha256) = encrypt_file(&snapshot_file, &path, passphrase)?;
                std::fs::remove_file(&snapshot_file)
                    .map_err(io_error("cannot remove the plain snapshot"))?;
                (path, bytes, sha256)
            }
            None => {
                let (bytes, sha256) = hash_file(&snapshot_file)?;
                (snapshot_file, bytes, sha256)
            }
        };
        let manifest = Manifest {
            format: FORMAT.to_owned(),
            format_version: FORMAT_VERSION,
            backend: backend.as_str().to_owned(),
            created_at: now_rfc3339(),
            schema_version,
            server_version: env!("CARGO_PKG_VERSION").to_owned(),
            payload: Payload {
                name: payload_name,
                content,
                bytes,
                sha256,
                encrypted,
                encryption: encrypted.then(|| ENCRYPTION.to_owned()),
            },
        };
        let archive_bytes = write_archive(&manifest, &payload_file, &output)?;
        Ok::<_, BackupError>((manifest, archive_bytes))
    })
    .await
    .map_err(|e| BackupError::Io(format!("the archive writer stopped: {e}")))??;
    drop(work);
    Ok(BackupSummary {
        manifest,
        archive_bytes,
        copy,
    })
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A writer that hashes and counts what passes through it.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl<W> Hashing<W> {
    fn new(inner: W) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    fn finish(self) -> (W, u64, String) {
        (self.inner, self.bytes, hex::encode(self.hasher.finalize()))
    }
}

fn hash_file(path: &Path) -> Result<(u64, String)> {
    let mut file = File::open(path).map_err(io_error("cannot read the snapshot"))?;
    let mut sink = Hashing::new(std::io::sink());
    std::io::copy(&mut file, &mut sink).map_err(io_error("cannot read the snapshot"))?;
    let (_, bytes, sha) = sink.finish();
    Ok((bytes, sha))
}

fn encrypt_file(plain: &Path, dest: &Path, passphrase: SecretString) -> Result<(u64, String)> {
    let mut input = File::open(plain).map_err(io_error("cannot read the snapshot"))?;
    let out = File::create(dest).map_err(io_error("cannot write the encrypted payload"))?;
    let encryptor = age::Encryptor::with_user_passphrase(passphrase);
    let mut writer = encryptor
        .wrap_output(Hashing::new(std::io::BufWriter::new(out)))
        .map_err(io_error("cannot encrypt"))?;
    std::io::copy(&mut input, &mut writer).map_err(io_error("cannot encrypt"))?;
    let hashing = writer.finish().map_err(io_error("cannot encrypt"))?;
    let (buffered, bytes, sha) = hashing.finish();
    let file = buffered
        .into_inner()
        .map_err(|e| BackupError::Io(format!("cannot write the encrypted payload: {e}")))?;
    file.sync_all()
        .map_err(io_error("cannot write the encrypted payload"))?;
    Ok((bytes, sha))
}

fn write_archive(manifest: &Manifest, payload: &Path, output: &Path) -> Result<u64> {
    let dir = output.parent().filter(|p| !p.as_os_str().is_empty());
    let partial = tempfile::Builder::new()
        .prefix(".mismatch-backup-")
        .suffix(".partial")
        .tempfile_in(dir.unwrap_or(Path::new(".")))
        .map_err(io_error("cannot create the archive"))?;
    let write_error = io_error("cannot write the archive");
    let mtime = time::OffsetDateTime::now_utc().unix_timestamp().max(0) as u64;
    let mut builder = tar::Builder::new(std::io::BufWriter::new(partial.as_file()));
    let manifest_json = serde_json::to_vec_pretty(manifest)
        .map_err(|e| BackupError::Io(format!("cannot encode the manifest: {e}")))?;
    let mut header = tar::Header::new_gnu();
    header.set_size(manifest_json.len() as u64);
    header.set_mode(0o600);
    header.set_mtime(mtime);
    builder
        .append_data(&mut header, MANIFEST_NAME, manifest_json.as_slice())
        .map_err(&write_error)?;
    let file = File::open(payload).map_err(&write_error)?;
    let mut header = tar::Header::new_gnu();
    header.set_size(manifest.payload.bytes);
    header.set_mode(0o600);
    header.set_mtime(mtime);
    builder
        .append_data(&mut header, &manifest.payload.name, file)
        .map_err(&write_error)?;
    let sums = format!(
        "{}  {MANIFEST_NAME}\n{}  {}\n",
        hex::encode(Sha256::digest(&manifest_json)),
        manifest.payload.sha256,
        manifest.payload.name
    );
    let mut header = tar::Header::new_gnu();
    header.set_size(sums.len() as u64);
    header.set_mode(0o600);
    header.set_mtime(mtime);
    builder
        .append_data(&mut header, SUMS_NAME, sums.as_bytes())
        .map_err(&write_error)?;
    let buffered = builder.into_inner().map_err(&write_error)?;
    buffered
        .into_inner()
        .map_err(|e| BackupError::Io(format!("cannot write the archive: {e}")))?
        .sync_all()
        .map_err(&write_error)?;
    let bytes = partial.as_file().metadata().map_err(&write_error)?.len();
    // No-clobber: an archive that appeared meanwhile is not overwritten.
    partial.persist_noclobber(output).map_err(|e| {
        BackupError::Io(format!(
            "cannot name the archive {}: {}",
            output.display(),
            e.error
        ))
    })?;
    if let Some(dir) = dir {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(&write_error)?;
    }
    Ok(bytes)
}

/// What `restore` put back.
#[derive(Debug)]
pub struct RestoreSummary {
    pub manifest: Manifest,
}

/// Restores the archive `input` into the database at `target`. Nothing is
/// changed unless every check passes.
pub async fn restore(
    target: &StorageTarget,
    input: &Path,
    passphrase: Option<SecretString>,
) -> Result<RestoreSummary> {
    // A data directory made for the restore goes again if it is refused.
    let made_dir = match target {
        StorageTarget::SqliteDir(data) if !data.exists() => Some(data.clone()),
        _ => None,
    };
    let outcome = restore_into(target, input, passphrase).await;
    if let (Err(_), Some(dir)) = (&outcome, made_dir) {
        // Only when empty: anything else in it is not ours to delete.
        let _ = std::fs::remove_dir(dir);
    }
    outcome
}

async fn restore_into(
    target: &StorageTarget,
    input: &Path,
    passphrase: Option<SecretString>,
) -> Result<RestoreSummary> {
    let backend = match target {
        StorageTarget::SqliteDir(_) => Backend::Sqlite,
        StorageTarget::Postgres(_) => Backend::Postgres,
    };
    let archive = File::open(input)
        .map_err(|e| BackupError::Usage(format!("cannot open {}: {e}", input.display())))?;
    // The SQLite payload is unpacked in the data directory so that the final
    // rename stays on one file system; a dump can go anywhere.
    let work = match target {
        StorageTarget::SqliteDir(data) => {
            std::fs::create_dir_all(data)
                .map_err(io_error(&format!("cannot create {}", data.display())))?;
            tempfile::Builder::new()
                .prefix(".mismatch-restore-")
                .tempdir_in(data)
        }
        StorageTarget::Postgres(_) => tempfile::Builder::new()
            .prefix("mismatch-restore-")
            .tempdir(),
    }
    .map_err(io_error("cannot create a work directory"))?;
    let work_path = work.path().to_path_buf();
    let (manifest, plain) =
        tokio::task::spawn_blocking(move || unpack(archive, &work_path, backend, passphrase))
            .await
            .map_err(|e| BackupError::Io(format!("the archive reader stopped: {e}")))??;

    match target {
        StorageTarget::SqliteDir(data) => {
            let version = snapshot::check_sqlite(&plain).await?;
            if version != manifest.schema_version {
                return Err(BackupError::Corrupt(format!(
                    "the manifest says schema {} but the database holds {version}",
                    manifest.schema_version
                )));
            }
            let db = data.join(sqlite::DB_FILE);
            snapshot::ensure_sqlite_unused(&db).await?;
            // A named temporary file in the data directory: removed if
            // anything below fails, renamed over the database otherwise.
            let staged = tempfile::Builder::new()
                .prefix(".mismatch-restore-")
                .tempfile_in(data)
                .map_err(io_error("cannot stage the restored database"))?;
            std::fs::rename(&plain, staged.path())
                .map_err(io_error("cannot stage the restored database"))?;
            snapshot::install_sqlite(staged, &db).map_err(|e| {
                BackupError::Install(format!("cannot put {} in place: {e}", db.display()))
            })?;
        }
        StorageTarget::Postgres(url) => {
            snapshot::check_postgres_dump(&plain).await?;
            snapshot::restore_postgres(url, &plain, manifest.schema_version).await?;
        }
    }
    drop(work);
    Ok(RestoreSummary { manifest })
}

/// Reads the manifest, checks it against this server, and unpacks the
/// payload (checked against the manifest, decrypted) into `work`.
fn unpack(
    archive: File,
    work: &Path,
    backend: Backend,
    passphrase: Option<SecretString>,
) -> Result<(Manifest, PathBuf)> {
    let corrupt = |what: &str| {
        let what = what.to_owned();
        move |e: std::io::Error| BackupError::Corrupt(format!("{what}: {e}"))
    };
    let mut archive = tar::Archive::new(BufReader::new(archive));
    let mut entries = archive
        .entries()
        .map_err(corrupt("cannot read the archive"))?;

    let mut first = entries
        .next()
        .ok_or_else(|| BackupError::Corrupt("the archive is empty".into()))?
        .map_err(corrupt("cannot read the manifest"))?;
    let name = first.path().map_err(corrupt("cannot read the manifest"))?;
    if name.as_os_str() != MANIFEST_NAME {
        return Err(BackupError::Corrupt(format!(
            "the first entry is {}, not {MANIFEST_NAME}: this is not a mismatch backup",
            name.display()
        )));
    }
    if first.size() > MAX_MANIFEST_BYTES {
        return Err(BackupError::Corrupt("the manifest is too large".into()));
    }
    let mut text = Vec::new();
    (&mut first)
        .take(MAX_MANIFEST_BYTES)
        .read_to_end(&mut text)
        .map_err(corrupt("cannot read the manifest"))?;
    let manifest_sha256 = hex::encode(Sha256::digest(&text));
    let manifest: Manifest = serde_json::from_slice(&text)
        .map_err(|e| BackupError::Corrupt(format!("the manifest is not valid: {e}")))?;
    drop(first);
    check_manifest(&manifest, backend, passphrase.is_some())?;

    let mut entry = entries
        .next()
        .ok_or_else(|| BackupError::Corrupt("the payload is missing".into()))?
        .map_err(corrupt("cannot read the payload"))?;
    let name = entry.path().map_err(corrupt("cannot read the payload"))?;
    if name.as_os_str() != manifest.payload.name.as_str() {
        return Err(BackupError::Corrupt(format!(
            "the payload is {}, the manifest names {}",
            name.display(),
            manifest.payload.name
        )));
    }
    if entry.size() != manifest.payload.bytes {
        return Err(BackupError::Corrupt(format!(
            "the payload entry holds {} bytes, the manifest says {}",
            entry.size(),
            manifest.payload.bytes
        )));
    }
    let stored = work.join("payload");
    let file = File::create(&stored).map_err(io_error("cannot unpack the payload"))?;
    let mut sink = Hashing::new(std::io::BufWriter::new(file));
    std::io::copy(&mut entry, &mut sink).map_err(corrupt("cannot read the payload"))?;
    let (buffered, bytes, sha256) = sink.finish();
    buffered
        .into_inner()
        .map_err(|e| BackupError::Io(format!("cannot unpack the payload: {e}")))?;
    if bytes != manifest.payload.bytes {
        return Err(BackupError::Corrupt(format!(
            "the payload ends after {bytes} of {} bytes",
            manifest.payload.bytes
        )));
    }
    if sha256 != manifest.payload.sha256.to_ascii_lowercase() {
        return Err(BackupError::Corrupt(
            "the payload's SHA-256 differs from the manifest's".into(),
        ));
    }
    drop(entry);

    let mut sums = entries
        .next()
        .ok_or_else(|| BackupError::Corrupt(format!("{SUMS_NAME} is missing")))?
        .map_err(corrupt(&format!("cannot read {SUMS_NAME}")))?;
    let name = sums
        .path()
        .map_err(corrupt(&format!("cannot read {SUMS_NAME}")))?;
    if name.as_os_str() != SUMS_NAME || sums.size() > MAX_SUMS_BYTES {
        return Err(BackupError::Corrupt(format!(
            "expected {SUMS_NAME} after the payload, found {}",
            name.display()
        )));
    }
    let mut text = String::new();
    (&mut sums)
        .take(MAX_SUMS_BYTES)
        .read_to_string(&mut text)
        .map_err(corrupt(&format!("cannot read {SUMS_NAME}")))?;
    let expected = format!(
        "{manifest_sha256}  {MANIFEST_NAME}\n{sha256}  {}\n",
        manifest.payload.name
    );
    if text != expected {
        return Err(BackupError::Corrupt(format!(
            "{SUMS_NAME} does not match the manifest and payload read"
        )));
    }
    drop(sums);
    if let Some(extra) = entries.next() {
        let what = extra
            .ok()
            .and_then(|e| e.path().ok().map(|p| p.display().to_string()))
            .unwrap_or_else(|| "unreadable data".into());
        return Err(BackupError::Corrupt(format!(
            "unexpected entry after {SUMS_NAME}: {what}"
        )));
    }

    if !manifest.payload.encrypted {
        return Ok((manifest, stored));
    }
    let passphrase = passphrase.ok_or_else(missing_passphrase)?;
    let plain = work.join("payload.plain");
    decrypt_file(&stored, &plain, passphrase)?;
    std::fs::remove_file(&stored).map_err(io_error("cannot remove the encrypted payload"))?;
    Ok((manifest, plain))
}

fn missing_passphrase() -> BackupError {
    BackupError::Usage(format!(
        "the archive is encrypted; set {PASSPHRASE_VAR} to its passphrase"
    ))
}

fn check_manifest(manifest: &Manifest, backend: Backend, have_passphrase: bool) -> Result<()> {
    if manifest.format != FORMAT {
        return Err(BackupError::Corrupt(format!(
            "the manifest's format is {:?}, not {FORMAT}",
            manifest.format
        )));
    }
    if manifest.format_version > FORMAT_VERSION {
        return Err(BackupError::Incompatible(format!(
            "the archive has format version {}, this server reads up to {FORMAT_VERSION}; \
             restore with the newer mismatch-server that wrote it ({})",
            manifest.format_version, manifest.server_version
        )));
    }
    if manifest.backend != backend.as_str() {
        return Err(BackupError::Incompatible(format!(
            "the archive holds a {} database but this server is configured for {}; \
             check DATABASE_URL",
            manifest.backend,
            backend.as_str()
        )));
    }
    let latest = snapshot::latest_schema(backend);
    if manifest.schema_version > latest {
        return Err(BackupError::Incompatible(format!(
            "the archive holds schema {}, newer than this server's {latest}; \
             restore with mismatch-server {} or newer",
            manifest.schema_version, manifest.server_version
        )));
    }
    if manifest.payload.encrypted {
        if manifest.payload.encryption.as_deref() != Some(ENCRYPTION) {
            return Err(BackupError::Incompatible(format!(
                "the payload is encrypted with {:?}, which this server does not read",
                manifest.payload.encryption
            )));
        }
        if !have_passphrase {
            return Err(missing_passphrase());
        }
    }
    Ok(())
}

fn decrypt_file(stored: &Path, plain: &Path, passphrase: SecretString) -> Result<()> {
    let input = File::open(stored).map_err(io_error("cannot read the payload"))?;
    let decryptor = age::Decryptor::new_buffered(BufReader::new(input))
        .map_err(|e| BackupError::Corrupt(format!("the encrypted payload is invalid: {e}")))?;
    let identity = age::scrypt::Identity::new(passphrase);
    let mut reader = decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .map_err(|e| match e {
            // The stored bytes matched the manifest's hash, so a key that
            // does not open is the passphrase's fault.
            age::DecryptError::DecryptionFailed
            | age::DecryptError::KeyDecryptionFailed
            | age::DecryptError::NoMatchingKeys => BackupError::WrongPassphrase,
            other => BackupError::Corrupt(format!("the encrypted payload is invalid: {other}")),
        })?;
    let out = File::create(plain).map_err(io_error("cannot write the decrypted payload"))?;
    let mut out = std::io::BufWriter::new(out);
    std::io::copy(&mut reader, &mut out).map_err(|e| {
        if e.kind() == std::io::ErrorKind::InvalidData {
            BackupError::Corrupt(format!("the encrypted payload fails authentication: {e}"))
        } else {
            BackupError::Io(format!("cannot decrypt: {e}"))
        }
    })?;
    out.into_inner()
        .map_err(|e| BackupError::Io(format!("cannot write the decrypted payload: {e}")))?
        .sync_all()
        .map_err(io_error("cannot write the decrypted payload"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(backend: &str, schema: i64, encrypted: bool) -> Manifest {
        Manifest {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            backend: backend.into(),
            created_at: now_rfc3339(),
            schema_version: schema,
            server_version: "0.0.0".into(),
            payload: Payload {
                name: "database.sqlite3".into(),
                content: "sqlite-database".into(),
                bytes: 0,
                sha256: String::new(),
                encrypted,
                encryption: encrypted.then(|| ENCRYPTION.into()),
            },
        }
    }

    #[test]
    fn the_manifest_is_checked_against_this_server() {
        let latest = snapshot::latest_schema(Backend::Sqlite);
        check_manifest(&manifest("sqlite", latest, false), Backend::Sqlite, false).unwrap();
        assert!(matches!(
            check_manifest(&manifest("postgres", 1, false), Backend::Sqlite, false),
            Err(BackupError::Incompatible(m)) if m.contains("postgres database")
        ));
        assert!(matches!(
            check_manifest(&manifest("sqlite", latest + 1, false), Backend::Sqlite, false),
            Err(BackupError::Incompatible(m)) if m.contains("newer than this server")
        ));
        assert!(matches!(
            check_manifest(&manifest("sqlite", latest, true), Backend::Sqlite, false),
            Err(BackupError::Usage(m)) if m.contains(PASSPHRASE_VAR)
        ));
        let mut newer = manifest("sqlite", latest, false);
        newer.format_version = FORMAT_VERSION + 1;
        assert!(matches!(
            check_manifest(&newer, Backend::Sqlite, false),
            Err(BackupError::Incompatible(_))
        ));
    }

    #[test]
    fn encryption_round_trips_and_refuses_a_wrong_passphrase_or_a_flipped_byte() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain");
        let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::write(&plain, &data).unwrap();
        let sealed = dir.path().join("sealed");
        let (bytes, sha) =
            encrypt_file(&plain, &sealed, SecretString::from("correct horse battery")).unwrap();
        assert_eq!(std::fs::metadata(&sealed).unwrap().len(), bytes);
        assert_eq!(hash_file(&sealed).unwrap(), (bytes, sha));

        let out = dir.path().join("out");
        decrypt_file(&sealed, &out, SecretString::from("correct horse battery")).unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), data);
        assert!(matches!(
            decrypt_file(&sealed, &out, SecretString::from("wrong horse battery")),
            Err(BackupError::WrongPassphrase)
        ));
        let mut flipped = std::fs::read(&sealed).unwrap();
        let at = flipped.len() - 1000;
        flipped[at] ^= 1;
        std::fs::write(&sealed, flipped).unwrap();
        assert!(matches!(
            decrypt_file(&sealed, &out, SecretString::from("correct horse battery")),
            Err(BackupError::Corrupt(_))
        ));
    }
}
