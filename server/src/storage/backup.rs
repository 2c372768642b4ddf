//! The database side of backups: a consistent snapshot of the live database
//! into a file, checks of a snapshot before it replaces anything, and putting
//! a checked snapshot in place. The archive around the snapshot (manifest,
//! checksum, encryption) is `crate::backup`'s business.
//!
//! SQLite is copied through its online backup API (`sqlite3_backup_*`),
//! which sqlx does not wrap: a raw handle of a dedicated connection is
//! borrowed through `lock_handle` and the copy advances a few pages per step
//! with a pause between steps. In WAL mode a step's read transaction does not
//! block writers; a write by another connection between steps makes SQLite
//! restart the copy, so after a few restarts the rest is copied in one step,
//! which still does not block writers and ends. PostgreSQL is copied by
//! `pg_dump --format=custom` (one snapshot transaction) and put back by
//! `pg_restore --single-transaction`, so a failing restore leaves the
//! database as it was.

use std::ffi::CStr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteLockingMode};
use sqlx::{ConnectOptions, Connection, Row};

use super::Backend;

/// Why a snapshot could not be taken, checked or put in place. Each message
/// is meant for the operator running the command.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("{0}")]
    Unavailable(String),
    /// The snapshot (or the archive's payload) is not a sound database.
    #[error("{0}")]
    Corrupt(String),
    /// Something else uses the database, so it must not be replaced now.
    #[error("{0}")]
    InUse(String),
    /// The target holds a schema the restore would not replace cleanly.
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Tool(String),
}

type Result<T> = std::result::Result<T, SnapshotError>;

/// The newest migration this build knows for `backend`: an archive of a
/// newer schema cannot be restored by it.
pub fn latest_schema(backend: Backend) -> i64 {
    match backend {
        Backend::Sqlite => super::sqlite::latest_migration(),
        Backend::Postgres => super::postgres::latest_migration(),
    }
}

/// How the SQLite copy advances: pages per step and the pause between steps.
#[derive(Debug, Clone, Copy)]
pub struct Pacing {
    pub pages_per_step: u32,
    pub pause: Duration,
}

impl Default for Pacing {
    fn default() -> Self {
        // 256 pages of 4 KiB is 1 MiB per step: a short read transaction,
        // and a 1 GiB database in about 1,000 steps.
        Self {
            pages_per_step: 256,
            pause: Duration::from_millis(5),
        }
    }
}

/// After this many restarts (another connection wrote between two steps)
/// the rest is copied in one step, so a busy server cannot starve a backup.
const RESTARTS_BEFORE_ONE_STEP: u32 = 3;

/// What a SQLite copy took.
#[derive(Debug, Clone, Copy)]
pub struct CopyStats {
    pub pages: u32,
    pub steps: u32,
    pub restarts: u32,
}

/// Copies the live SQLite database `db` into the new file `dest` through the
/// online backup API, while other connections keep reading and writing.
pub async fn copy_sqlite(db: &Path, dest: &Path, pacing: Pacing) -> Result<CopyStats> {
    if !db.is_file() {
        return Err(SnapshotError::Unavailable(format!(
            "there is no database at {}",
            db.display()
        )));
    }
    // `mode=rw`: a backup must never create an empty database where the
    // configuration points at a missing one.
    let mut source = SqliteConnectOptions::new()
        .filename(db)
        .create_if_missing(false)
        .busy_timeout(Duration::from_secs(10))
        .connect()
        .await
        .map_err(|e| SnapshotError::Unavailable(format!("cannot open {}: {e}", db.display())))?;
    let mut target = SqliteConnectOptions::new()
        .filename(dest)
        .create_if_missing(true)
        .connect()
        .await
        .map_err(|e| {
            SnapshotError::Unavailable(format!("cannot create {}: {e}", dest.display()))
        })?;
    let stats = {
        let mut source_handle = source
            .lock_handle()
            .await
            .map_err(|e| SnapshotError::Unavailable(e.to_string()))?;
        let mut target_handle = target
            .lock_handle()
            .await
            .map_err(|e| SnapshotError::Unavailable(e.to_string()))?;
        let mut copy = OnlineBackup::start(
            target_handle.as_raw_handle().as_ptr(),
            source_handle.as_raw_handle().as_ptr(),
        )?;
        let mut stats = CopyStats {
            pages: 0,
            steps: 0,
            restarts: 0,
        };
        let mut last_remaining = None;
        loop {
            let pages = if stats.restarts >= RESTARTS_BEFORE_ONE_STEP {
                -1
            } else {
                i32::try_from(pacing.pages_per_step.max(1)).unwrap_or(i32::MAX)
            };
            let step = copy.step(pages)?;
            stats.steps += 1;
            stats.pages = u32::try_from(step.pagecount).unwrap_or(0);
            if step.done {
                break;
            }
            // A restart starts over from page 1: more pages remain than
            // before this step.
            if last_remaining.is_some_and(|last| step.remaining > last) {
                stats.restarts += 1;
            }
            last_remaining = Some(step.remaining);
            tokio::time::sleep(pacing.pause).await;
        }
        copy.finish()?;
        stats
    };
    target
        .close()
        .await
        .map_err(|e| SnapshotError::Unavailable(e.to_string()))?;
    source
        .close()
        .await
        .map_err(|e| SnapshotError::Unavailable(e.to_string()))?;
    Ok(stats)
}

/// One `sqlite3_backup` object between two open handles; finished on drop
/// if the copy stops early.
struct OnlineBackup {
    backup: *mut libsqlite3_sys::sqlite3_backup,
    target: *mut libsqlite3_sys::sqlite3,
}

struct Step {
    done: bool,
    remaining: i32,
    pagecount: i32,
}

impl OnlineBackup {
    #[allow(
        unsafe_code,
        reason = "sqlx does not wrap SQLite's online backup API; both handles are \
                  borrowed from locked sqlx connections that outlive the backup"
    )]
    fn start(
        target: *mut libsqlite3_sys::sqlite3,
        source: *mut libsqlite3_sys::sqlite3,
    ) -> Result<Self> {
        // SAFETY: both pointers are open handles whose connections are
        // locked by the caller for the whole life of this object.
        let backup = unsafe {
            libsqlite3_sys::sqlite3_backup_init(target, c"main".as_ptr(), source, c"main".as_ptr())
        };
        if backup.is_null() {
            return Err(SnapshotError::Unavailable(format!(
                "cannot start the online backup: {}",
                error_message(target)
            )));
        }
        Ok(Self { backup, target })
    }

    #[allow(unsafe_code, reason = "see OnlineBackup::start")]
    fn step(&mut self, pages: i32) -> Result<Step> {
        // SAFETY: `self.backup` is live until `finish` or drop.
        let (rc, remaining, pagecount) = unsafe {
            let rc = libsqlite3_sys::sqlite3_backup_step(self.backup, pages);
            (
                rc,
                libsqlite3_sys::sqlite3_backup_remaining(self.backup),
                libsqlite3_sys::sqlite3_backup_pagecount(self.backup),
            )
        };
        match rc {
            libsqlite3_sys::SQLITE_DONE => Ok(Step {
                done: true,
                remaining,
                pagecount,
            }),
            // BUSY/LOCKED: a writer holds the file for a moment; the next
            // step tries again.
            libsqlite3_sys::SQLITE_OK
            | libsqlite3_sys::SQLITE_BUSY
            | libsqlite3_sys::SQLITE_LOCKED => Ok(Step {
                done: false,
                remaining,
                pagecount,
            }),
            other => Err(SnapshotError::Unavailable(format!(
                "the online backup failed: {} ({})",
                error_string(other),
                error_message(self.target)
            ))),
        }
    }

    #[allow(unsafe_code, reason = "see OnlineBackup::start")]
    fn finish(mut self) -> Result<()> {
        let backup = std::mem::replace(&mut self.backup, std::ptr::null_mut());
        // SAFETY: `backup` is live and is not used again.
        let rc = unsafe { libsqlite3_sys::sqlite3_backup_finish(backup) };
        if rc == libsqlite3_sys::SQLITE_OK {
            Ok(())
        } else {
            Err(SnapshotError::Unavailable(format!(
                "the online backup failed: {}",
                error_message(self.target)
            )))
        }
    }
}

impl Drop for OnlineBackup {
    #[allow(unsafe_code, reason = "see OnlineBackup::start")]
    fn drop(&mut self) {
        if !self.backup.is_null() {
            // SAFETY: still live; finishing releases its locks and memory.
            unsafe { libsqlite3_sys::sqlite3_backup_finish(self.backup) };
        }
    }
}

#[allow(unsafe_code, reason = "see OnlineBackup::start")]
fn error_message(db: *mut libsqlite3_sys::sqlite3) -> String {
    // SAFETY: `db` is an open handle; the message is copied before any
    // other call on it.
    unsafe {
        let text = libsqlite3_sys::sqlite3_errmsg(db);
        if text.is_null() {
            return String::new();
        }
        CStr::from_ptr(text).to_string_lossy().into_owned()
    }
}

#[allow(unsafe_code, reason = "see OnlineBackup::start")]
fn error_string(rc: i32) -> String {
    // SAFETY: sqlite3_errstr returns a static string for any code.
    unsafe {
        let text = libsqlite3_sys::sqlite3_errstr(rc);
        if text.is_null() {
            return format!("code {rc}");
        }
        CStr::from_ptr(text).to_string_lossy().into_owned()
    }
}

/// Checks a SQLite snapshot: `PRAGMA integrity_check` must answer `ok`, and
/// it must hold this application's migrations. Returns its schema version.
pub async fn check_sqlite(file: &Path) -> Result<i64> {
    let mut conn = SqliteConnectOptions::new()
        .filename(file)
        .create_if_missing(false)
        .connect()
        .await
        .map_err(|e| {
            SnapshotError::Corrupt(format!("the payload is not a SQLite database: {e}"))
        })?;
    let outcome = async {
        let rows = sqlx::query("PRAGMA integrity_check")
            .fetch_all(&mut conn)
            .await
            .map_err(|e| {
                SnapshotError::Corrupt(format!("the payload is not a sound SQLite database: {e}"))
            })?;
        let problems: Vec<String> = rows
            .iter()
            .filter_map(|r| r.try_get::<String, _>(0).ok())
            .filter(|line| line != "ok")
            .take(5)
            .collect();
        if !problems.is_empty() || rows.is_empty() {
            return Err(SnapshotError::Corrupt(format!(
                "PRAGMA integrity_check failed: {}",
                problems.join("; ")
            )));
        }
        schema_version(&mut conn).await
    }
    .await;
    let _ = conn.close().await;
    outcome
}

async fn schema_version(conn: &mut SqliteConnection) -> Result<i64> {
    let row = sqlx::query("SELECT MAX(version) FROM _sqlx_migrations WHERE success = TRUE")
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| {
            SnapshotError::Corrupt(format!("the database holds no migrations table: {e}"))
        })?;
    row.try_get::<Option<i64>, _>(0)
        .ok()
        .flatten()
        .ok_or_else(|| SnapshotError::Corrupt("the database has no applied migration".into()))
}

/// Refuses while another connection has the SQLite database open (a running
/// server keeps at least one): an exclusive-mode connection cannot lock a
/// WAL database another connection uses. A missing file is not in use.
pub async fn ensure_sqlite_unused(db: &Path) -> Result<()> {
    if !db.exists() {
        return Ok(());
    }
    let busy = || {
        SnapshotError::InUse(format!(
            "{} is in use (is the server running?); stop every server on this data \
             directory, then restore",
            db.display()
        ))
    };
    let mut conn = SqliteConnectOptions::new()
        .filename(db)
        .create_if_missing(false)
        .locking_mode(SqliteLockingMode::Exclusive)
        .busy_timeout(Duration::ZERO)
        .connect()
        .await
        .map_err(|e| {
            if is_busy(&e) {
                busy()
            } else {
                SnapshotError::Unavailable(format!("cannot open {}: {e}", db.display()))
            }
        })?;
    let locked = sqlx::query("BEGIN EXCLUSIVE").execute(&mut conn).await;
    let outcome = match locked {
        Ok(_) => sqlx::query("COMMIT")
            .execute(&mut conn)
            .await
            .map(|_| ())
            .map_err(|e| SnapshotError::Unavailable(e.to_string())),
        Err(e) if is_busy(&e) => Err(busy()),
        // A file that is not a database (being replaced is the point).
        Err(_) => Ok(()),
    };
    // Closing the last connection checkpoints the WAL into the old file and
    // removes it, so nothing of the old database is replayed into the new.
    let _ = conn.close().await;
    outcome
}

fn is_busy(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db)
        if db.code().and_then(|c| c.parse::<i32>().ok()).is_some_and(|c| c & 0xff == 5 || c & 0xff == 6))
}

/// Puts the checked snapshot `restored` in place of the database file `db`:
/// the old WAL and shared-memory files go first (their frames belong to
/// the old database), then one rename, then the directory is synced.
pub fn install_sqlite(restored: tempfile::NamedTempFile, db: &Path) -> std::io::Result<()> {
    // Owner-only, like the keys beside it: the file holds personal data.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(restored.path(), std::fs::Permissions::from_mode(0o600))?;
    }
    restored.as_file().sync_all()?;
    for suffix in ["-wal", "-shm"] {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        match std::fs::remove_file(PathBuf::from(name)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    restored.persist(db).map_err(|e| e.error)?;
    if let Some(dir) = db.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// A PostgreSQL URL split for the client tools: the password goes through
/// `PGPASSWORD`, never on a command line other users can read, and only the
/// parameters libpq knows are kept.
struct PgTarget {
    url: String,
    password: Option<String>,
}

const LIBPQ_PARAMETERS: &[&str] = &[
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "application_name",
    "options",
    "connect_timeout",
    "host",
    "port",
    "user",
];

impl PgTarget {
    fn parse(url: &str) -> Result<Self> {
        let mut parsed = url::Url::parse(url).map_err(|e| {
            SnapshotError::Unavailable(format!("DATABASE_URL is not a valid URL: {e}"))
        })?;
        let password = parsed.password().map(|p| {
            percent_encoding::percent_decode_str(p)
                .decode_utf8_lossy()
                .into_owned()
        });
        let _ = parsed.set_password(None);
        let kept: Vec<(String, String)> = parsed
            .query_pairs()
            .filter(|(k, _)| LIBPQ_PARAMETERS.contains(&k.as_ref()))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        parsed.set_query(None);
        if !kept.is_empty() {
            parsed.query_pairs_mut().extend_pairs(kept);
        }
        Ok(Self {
            url: parsed.to_string(),
            password,
        })
    }

    fn command(&self, tool: &Path) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(tool);
        if let Some(password) = &self.password {
            cmd.env("PGPASSWORD", password);
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        cmd
    }
}

/// Finds a PostgreSQL client tool on `PATH`.
fn pg_tool(name: &str) -> Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| {
            SnapshotError::Tool(format!(
                "{name} was not found on PATH; install the PostgreSQL client tools \
                 (the same major version as the server or newer)"
            ))
        })
}

async fn run(mut cmd: tokio::process::Command, what: &str) -> Result<()> {
    let output = cmd
        .output()
        .await
        .map_err(|e| SnapshotError::Tool(format!("cannot run {what}: {e}")))?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let detail: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(5)
        .collect();
    Err(SnapshotError::Tool(format!(
        "{what} failed ({}): {}",
        output.status,
        detail.join(" / ")
    )))
}

/// What a PostgreSQL database looks like before a dump or a restore.
#[derive(Debug, Clone, Copy)]
pub struct PgState {
    /// The newest applied migration, None for an empty database.
    pub schema_version: Option<i64>,
    /// Other sessions connected to the same database.
    pub other_sessions: i64,
}

/// Reads the schema version and the number of other sessions.
pub async fn postgres_state(url: &str) -> Result<PgState> {
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .map_err(|e| SnapshotError::Unavailable(format!("cannot connect to PostgreSQL: {e}")))?;
    let outcome = async {
        let row = sqlx::query(
            "SELECT to_regclass('_sqlx_migrations') IS NOT NULL, \
             (SELECT count(*) FROM pg_stat_activity \
              WHERE datname = current_database() AND pid <> pg_backend_pid())",
        )
        .fetch_one(&mut conn)
        .await
        .map_err(|e| SnapshotError::Unavailable(e.to_string()))?;
        let has_migrations: bool = row
            .try_get(0)
            .map_err(|e| SnapshotError::Unavailable(e.to_string()))?;
        let other_sessions: i64 = row
            .try_get(1)
            .map_err(|e| SnapshotError::Unavailable(e.to_string()))?;
        let schema_version = if has_migrations {
            let row = sqlx::query("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                .fetch_one(&mut conn)
                .await
                .map_err(|e| SnapshotError::Unavailable(e.to_string()))?;
            row.try_get::<Option<i64>, _>(0)
                .map_err(|e| SnapshotError::Unavailable(e.to_string()))?
        } else {
            None
        };
        Ok(PgState {
            schema_version,
            other_sessions,
        })
    }
    .await;
    let _ = conn.close().await;
    outcome
}

/// Dumps the PostgreSQL database at `url` into `dest` (custom format,
/// compressed, one consistent snapshot; writers are not blocked). Returns
/// the schema version read just before the dump.
pub async fn dump_postgres(url: &str, dest: &Path) -> Result<i64> {
    let state = postgres_state(url).await?;
    let version = state.schema_version.ok_or_else(|| {
        SnapshotError::Unavailable("the database holds no mismatch schema to back up".into())
    })?;
    let target = PgTarget::parse(url)?;
    let mut cmd = target.command(&pg_tool("pg_dump")?);
    cmd.arg("--format=custom")
        .arg("--file")
        .arg(dest)
        .arg("--dbname")
        .arg(&target.url);
    run(cmd, "pg_dump").await?;
    Ok(version)
}

/// Checks that `file` is a dump `pg_restore` can read (its table of
/// contents), before anything is changed.
pub async fn check_postgres_dump(file: &Path) -> Result<()> {
    let mut cmd = tokio::process::Command::new(pg_tool("pg_restore")?);
    cmd.arg("--list")
        .arg(file)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    run(cmd, "pg_restore --list")
        .await
        .map_err(|e| SnapshotError::Corrupt(format!("the payload is not a readable dump: {e}")))
}

/// Restores the dump `file` into the database at `url` in one transaction:
/// the dump's objects are dropped and recreated, and on any error nothing
/// changes. Refuses while other sessions use the database, and when the
/// database holds a newer schema than the dump (objects the dump does not
/// know would survive and clash with later migrations).
pub async fn restore_postgres(url: &str, file: &Path, dump_schema: i64) -> Result<()> {
    let pg_restore = pg_tool("pg_restore")?;
    let state = postgres_state(url).await?;
    if state.other_sessions > 0 {
        return Err(SnapshotError::InUse(format!(
            "{} other session(s) are connected to the database (is a server running?); \
             stop every server using it, then restore",
            state.other_sessions
        )));
    }
    if let Some(current) = state.schema_version.filter(|v| *v > dump_schema) {
        return Err(SnapshotError::Conflict(format!(
            "the database holds schema {current}, newer than the archive's {dump_schema}; \
             restore into an empty database (drop and create it) and let the server \
             migrate it after the restore"
        )));
    }
    let target = PgTarget::parse(url)?;
    let mut cmd = target.command(&pg_restore);
    cmd.args([
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
    ])
    .arg("--dbname")
    .arg(&target.url)
    .arg(file);
    run(cmd, "pg_restore").await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_leaves_the_url_and_unknown_parameters_are_dropped() {
        let t = PgTarget::parse(
            "postgres://app:p%40ss%2Bw@db.example:5433/mm?sslmode=require&statement-cache-capacity=0",
        )
        .unwrap();
        assert_eq!(t.password.as_deref(), Some("p@ss+w"));
        assert_eq!(t.url, "postgres://app@db.example:5433/mm?sslmode=require");
        let t = PgTarget::parse("postgresql://postgres@127.0.0.1/test").unwrap();
        assert_eq!(t.password, None);
        assert_eq!(t.url, "postgresql://postgres@127.0.0.1/test");
    }

    #[tokio::test]
    async fn copies_a_sqlite_database_and_checks_it() {
        let dir = tempfile::tempdir().unwrap();
        let storage = super::super::Storage::open(&super::super::StorageTarget::SqliteDir(
            dir.path().join("data"),
        ))
        .await
        .unwrap();
        let db = dir.path().join("data").join(super::super::sqlite::DB_FILE);
        let copy = dir.path().join("copy.db");
        let stats = copy_sqlite(
            &db,
            &copy,
            Pacing {
                pages_per_step: 1,
                pause: Duration::ZERO,
            },
        )
        .await
        .unwrap();
        assert!(stats.pages > 1 && stats.steps >= stats.pages);
        assert_eq!(
            check_sqlite(&copy).await.unwrap(),
            latest_schema(Backend::Sqlite)
        );
        // The server's own connections keep the file in use.
        assert!(matches!(
            ensure_sqlite_unused(&db).await,
            Err(SnapshotError::InUse(_))
        ));
        storage.close().await;
        ensure_sqlite_unused(&db).await.unwrap();

        // Damaged b-tree page headers (page type, cell count) are found by
        // the integrity check.
        let mut bytes = std::fs::read(&copy).unwrap();
        let page = 4096;
        for p in 1..4 {
            for b in &mut bytes[p * page..p * page + 8] {
                *b ^= 0x5a;
            }
        }
        let broken = dir.path().join("broken.db");
        std::fs::write(&broken, bytes).unwrap();
        assert!(matches!(
            check_sqlite(&broken).await,
            Err(SnapshotError::Corrupt(_))
        ));
    }
}
