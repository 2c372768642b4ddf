//! Field encryption at rest and the re-encryption pass of a key rotation.
//!
//! The row mappers of `candidates` and `users` encrypt on write and decrypt
//! on read with the [`FieldCrypto`] attached to the [`Storage`]
//! (`Storage::with_crypto`); without one, those queries fail rather than
//! store plaintext. A candidate's fields are Fernet tokens under its own
//! data key, wrapped under the keyring's primary (`data_key`, `key_id`);
//! a TOTP secret is a token under the keyring itself (`totp_key_id`).
//!
//! What a rotation has left to do is every row whose key id is not the
//! primary's (NULL: written before encryption, plaintext or sealed the old
//! way). Each batch rewrites such rows with compare-and-swap updates on the
//! old ciphertext, so a concurrent write or erasure is never overwritten and
//! a second rotation running on another replica only wastes work. The pass
//! is therefore resumable at any point and idempotent.

use std::sync::Arc;

use mismatch_core::security::fernet::{DataKey, KeyId, Keyring};
use mismatch_core::security::sealed;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Result, Storage, StorageError};
use crate::identity::SecretKey;

/// Blind-index purpose of a candidate's email.
pub const CANDIDATE_EMAIL: &str = "candidate.email";

/// The keys the storage encrypts and decrypts with. `Debug` shows key ids
/// only.
#[derive(Debug)]
pub struct FieldCrypto {
    keyring: Keyring,
    /// The pre-keyring secret key (`MISMATCH_SECRET_KEY` or
    /// `<data dir>/secret.key`), kept only to open TOTP secrets sealed
    /// before the keyring until a rotation converts them.
    legacy: Option<SecretKey>,
}

impl FieldCrypto {
    pub fn new(keyring: Keyring, legacy: Option<SecretKey>) -> Self {
        Self { keyring, legacy }
    }

    /// A keyring of one random key, for tests and tools that keep nothing.
    pub fn ephemeral() -> Self {
        Self::new(Keyring::ephemeral(), None)
    }

    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }
}

/// Normalises an email for its blind index: trimmed, lower-cased.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A stored value no key of the ring opens.
fn unreadable(what: &str) -> StorageError {
    StorageError::Undecryptable(format!(
        "{what} opens under no key of MISMATCH_ENCRYPTION_KEYS"
    ))
}

impl Storage {
    /// This storage with `crypto` for its encrypted columns (clones share
    /// the pool).
    pub fn with_crypto(&self, crypto: Arc<FieldCrypto>) -> Storage {
        let mut storage = self.clone();
        storage.crypto = Some(crypto);
        storage
    }

    /// The keys attached by `with_crypto`, if any.
    pub fn crypto(&self) -> Option<&Arc<FieldCrypto>> {
        self.crypto.as_ref()
    }

    pub(crate) fn require_crypto(&self) -> Result<&FieldCrypto> {
        self.crypto.as_deref().ok_or_else(|| {
            StorageError::Setup("no encryption keyring attached to the storage".into())
        })
    }
}

/// A candidate's encrypted columns as stored.
#[derive(Debug, Clone, Default)]
pub(crate) struct SealedFields {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub location: Option<String>,
    /// `None` when not selected.
    pub text: Option<String>,
    pub filename: Option<String>,
    pub file: Option<String>,
    pub data_key: Option<String>,
    pub key_id: Option<String>,
    pub email_index: Option<String>,
}

/// The same columns in clear.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct OpenFields {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub location: Option<String>,
    pub text: String,
    pub filename: Option<String>,
    pub file: Option<Vec<u8>>,
}

impl FieldCrypto {
    /// Encrypts a candidate's fields under a fresh data key wrapped under
    /// the primary, with the email's blind index.
    pub(crate) fn seal_candidate(&self, open: &OpenFields) -> SealedFields {
        let dk = DataKey::generate();
        let enc = |v: &Option<String>| v.as_deref().map(|s| dk.encrypt_str(s));
        SealedFields {
            name: enc(&open.name),
            email: enc(&open.email),
            phone: enc(&open.phone),
            location: enc(&open.location),
            text: Some(dk.encrypt_str(&open.text)),
            filename: enc(&open.filename),
            file: open.file.as_deref().map(|b| dk.encrypt(b)),
            data_key: Some(self.keyring.wrap(&dk)),
            key_id: Some(self.keyring.primary_id().to_string()),
            email_index: open.email.as_deref().map(|e| {
                self.keyring
                    .blind_index(CANDIDATE_EMAIL, &normalise_email(e))
            }),
        }
    }

    /// The data key of a sealed row; `None` for a legacy (plaintext) row.
    fn data_key(&self, key_id: Option<&str>, wrapped: Option<&str>) -> Result<Option<DataKey>> {
        match (key_id, wrapped) {
            (None, _) => Ok(None),
            (Some(id), Some(wrapped)) => self
                .keyring
                .unwrap_key(Some(&KeyId::from_stored(id)), wrapped)
                .map(Some)
                .map_err(|_| unreadable("a candidate's data key")),
            (Some(_), None) => Err(StorageError::Corrupt(
                "candidate has a key id but no data key".into(),
            )),
        }
    }

    /// Opens one column of a row whose data key is `dk` (`None`: plaintext).
    pub(crate) fn open_text(
        &self,
        dk: Option<&DataKey>,
        v: Option<String>,
    ) -> Result<Option<String>> {
        match (dk, v) {
            (Some(dk), Some(token)) => dk
                .decrypt_string(&token)
                .map(Some)
                .map_err(|_| unreadable("a candidate's field")),
            (_, v) => Ok(v),
        }
    }

    /// Opens every sealed column read; `file` is opened only if selected.
    pub(crate) fn open_candidate(&self, s: SealedFields) -> Result<OpenFields> {
        let dk = self.data_key(s.key_id.as_deref(), s.data_key.as_deref())?;
        let dk = dk.as_ref();
        Ok(OpenFields {
            name: self.open_text(dk, s.name)?,
            email: self.open_text(dk, s.email)?,
            phone: self.open_text(dk, s.phone)?,
            location: self.open_text(dk, s.location)?,
            text: self.open_text(dk, s.text)?.unwrap_or_default(),
            filename: self.open_text(dk, s.filename)?,
            file: match (dk, s.file) {
                (Some(dk), Some(token)) => Some(
                    dk.decrypt(&token)
                        .map_err(|_| unreadable("a candidate's file"))?,
                ),
                // Files are stored only since encryption: never in clear.
                (None, Some(_)) => {
                    return Err(StorageError::Corrupt(
                        "a candidate's file without a data key".into(),
                    ));
                }
                (_, None) => None,
            },
        })
    }

    /// A TOTP secret as stored: a Fernet token under the primary and its
    /// key id.
    pub(crate) fn seal_totp(&self, secret: &[u8]) -> (String, String) {
        (
            self.keyring.encrypt(secret),
            self.keyring.primary_id().to_string(),
        )
    }

    /// Opens a stored TOTP secret: a keyring token, or (key id NULL) one
    /// sealed under the pre-keyring secret key.
    pub(crate) fn open_totp(
        &self,
        user_id: &str,
        stored: &str,
        key_id: Option<&str>,
    ) -> Result<Vec<u8>> {
        match key_id {
            Some(id) => self
                .keyring
                .decrypt_hinted(Some(&KeyId::from_stored(id)), stored)
                .map_err(|_| unreadable("a TOTP secret")),
            None => {
                let key = self.legacy.as_ref().ok_or_else(|| {
                    StorageError::Undecryptable(
                        "a TOTP secret sealed before the encryption keyring needs the old secret key (MISMATCH_SECRET_KEY or <data dir>/secret.key)".into(),
                    )
                })?;
                sealed::open(&[&key.as_part(), "totp", user_id], stored)
                    .map_err(|_| unreadable("a TOTP secret sealed under the old secret key"))
            }
        }
    }
}

/// Rows under the primary key out of all rows with encrypted values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EncryptionStatus {
    pub total: u64,
    /// Rows not yet under the primary key.
    pub pending: u64,
}

impl EncryptionStatus {
    pub fn done(&self) -> u64 {
        self.total.saturating_sub(self.pending)
    }
}

/// What one re-encryption batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BatchOutcome {
    /// Pending rows looked at.
    pub examined: u64,
    /// Rows rewritten under the primary key.
    pub rewritten: u64,
    /// Rows another writer changed first (left for a later batch).
    pub skipped: u64,
}

const PENDING_CANDIDATES: &str = "(key_id IS NULL OR key_id <> $1)";
const PENDING_TOTP: &str =
    "totp_secret_sealed IS NOT NULL AND (totp_key_id IS NULL OR totp_key_id <> $1)";

fn count(row: &AnyRow) -> Result<u64> {
    Ok(u64::try_from(row.try_get::<i64, _>("n")?).unwrap_or(0))
}

fn sealed_from_row(r: &AnyRow) -> Result<SealedFields> {
    Ok(SealedFields {
        name: r.try_get("name")?,
        email: r.try_get("email")?,
        phone: r.try_get("phone")?,
        location: r.try_get("location")?,
        text: Some(r.try_get("resume_text")?),
        filename: r.try_get("source_filename")?,
        file: None,
        data_key: r.try_get("data_key")?,
        key_id: r.try_get("key_id")?,
        email_index: None,
    })
}

// The uploaded file is read row by row (`source_file` below), so a batch
// holds at most one file in memory whatever the batch size.
const ROTATE_COLUMNS: &str = "id, name, email, phone, location, resume_text, source_filename, \
     data_key, key_id, CAST(CASE WHEN source_file IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_file";

impl Storage {
    /// How many rows hold encrypted values, and how many are not yet under
    /// the primary key.
    pub async fn encryption_status(&self) -> Result<EncryptionStatus> {
        let crypto = self.require_crypto()?;
        let primary = crypto.keyring.primary_id().as_str();
        let mut status = EncryptionStatus::default();
        for (total_sql, pending_sql) in [
            (
                "SELECT COUNT(*) AS n FROM candidates".to_owned(),
                format!("SELECT COUNT(*) AS n FROM candidates WHERE {PENDING_CANDIDATES}"),
            ),
            (
                "SELECT COUNT(*) AS n FROM users WHERE totp_secret_sealed IS NOT NULL".to_owned(),
                format!("SELECT COUNT(*) AS n FROM users WHERE {PENDING_TOTP}"),
            ),
        ] {
            let total = sqlx::query(super::audited(total_sql))
                .fetch_one(&self.pool)
                .await?;
            let pending = sqlx::query(super::audited(pending_sql))
                .bind(primary)
                .fetch_one(&self.pool)
                .await?;
            status.total += count(&total)?;
            status.pending += count(&pending)?;
        }
        Ok(status)
    }

    /// Checks that every row still to rotate opens under the ring (without
    /// changing anything): the number of rows that do not. A rotation runs
    /// only when this is zero, so a missing old key never leaves a rotation
    /// half done.
    pub async fn count_unreadable(&self) -> Result<u64> {
        let crypto = self.require_crypto()?;
        let primary = crypto.keyring.primary_id().as_str();
        let mut bad = 0u64;
        let mut after = String::new();
        loop {
            let rows = sqlx::query(super::audited(format!(
                "SELECT id, data_key, key_id FROM candidates \
                 WHERE {PENDING_CANDIDATES} AND key_id IS NOT NULL AND id > $2 \
                 ORDER BY id LIMIT 500"
            )))
            .bind(primary)
            .bind(&after)
            .fetch_all(&self.pool)
            .await?;
            let Some(last) = rows.last() else { break };
            after = last.try_get("id")?;
            for r in &rows {
                let key_id: Option<String> = r.try_get("key_id")?;
                let wrapped: Option<String> = r.try_get("data_key")?;
                if crypto
                    .data_key(key_id.as_deref(), wrapped.as_deref())
                    .is_err()
                {
                    bad += 1;
                }
            }
        }
        let mut after = String::new();
        loop {
            let rows = sqlx::query(super::audited(format!(
                "SELECT id, totp_secret_sealed, totp_key_id FROM users \
                 WHERE {PENDING_TOTP} AND id > $2 ORDER BY id LIMIT 500"
            )))
            .bind(primary)
            .bind(&after)
            .fetch_all(&self.pool)
            .await?;
            let Some(last) = rows.last() else { break };
            after = last.try_get("id")?;
            for r in &rows {
                let id: String = r.try_get("id")?;
                let stored: String = r.try_get("totp_secret_sealed")?;
                let key_id: Option<String> = r.try_get("totp_key_id")?;
                if crypto.open_totp(&id, &stored, key_id.as_deref()).is_err() {
                    bad += 1;
                }
            }
        }
        Ok(bad)
    }

    /// Re-encrypts up to `limit` rows not yet under the primary key: each
    /// candidate under a new data key (blind index recomputed), each TOTP
    /// secret under the primary. A row that no key opens stops the batch
    /// with [`StorageError::Undecryptable`].
    pub async fn reencrypt_batch(&self, limit: u32) -> Result<BatchOutcome> {
        let crypto = self.require_crypto()?;
        let primary = crypto.keyring.primary_id().as_str();
        let mut outcome = BatchOutcome::default();
        let rows = sqlx::query(super::audited(format!(
            "SELECT {ROTATE_COLUMNS} FROM candidates WHERE {PENDING_CANDIDATES} \
             ORDER BY id LIMIT $2"
        )))
        .bind(primary)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        for r in &rows {
            outcome.examined += 1;
            let id: String = r.try_get("id")?;
            let mut old = sealed_from_row(r)?;
            if r.try_get::<i64, _>("has_file")? == 1 {
                old.file = sqlx::query("SELECT source_file FROM candidates WHERE id = $1")
                    .bind(&id)
                    .fetch_optional(&self.pool)
                    .await?
                    .map(|f| f.try_get("source_file"))
                    .transpose()?
                    .flatten();
            }
            let open = crypto.open_candidate(old.clone())?;
            let new = crypto.seal_candidate(&open);
            // Compare-and-swap on what was read: a legacy row must still be
            // legacy, a sealed row must still hold the same wrapped key.
            let guard = if old.key_id.is_some() {
                "key_id = $12 AND data_key = $13"
            } else {
                "key_id IS NULL"
            };
            let sql = format!(
                "UPDATE candidates SET name = $2, email = $3, phone = $4, location = $5, \
                 resume_text = $6, source_filename = $7, source_file = $8, data_key = $9, \
                 key_id = $10, email_index = $11 WHERE id = $1 AND {guard}"
            );
            let mut q = sqlx::query(super::audited(sql))
                .bind(&id)
                .bind(&new.name)
                .bind(&new.email)
                .bind(&new.phone)
                .bind(&new.location)
                .bind(&new.text)
                .bind(&new.filename)
                .bind(&new.file)
                .bind(&new.data_key)
                .bind(&new.key_id)
                .bind(&new.email_index);
            if old.key_id.is_some() {
                q = q.bind(&old.key_id).bind(&old.data_key);
            }
            let done = q.execute(&self.pool).await?;
            if done.rows_affected() == 1 {
                outcome.rewritten += 1;
            } else {
                outcome.skipped += 1;
            }
        }
        let left = limit.saturating_sub(u32::try_from(rows.len()).unwrap_or(u32::MAX));
        if left == 0 {
            return Ok(outcome);
        }
        let rows = sqlx::query(super::audited(format!(
            "SELECT id, totp_secret_sealed, totp_key_id FROM users WHERE {PENDING_TOTP} \
             ORDER BY id LIMIT $2"
        )))
        .bind(primary)
        .bind(i64::from(left))
        .fetch_all(&self.pool)
        .await?;
        for r in &rows {
            outcome.examined += 1;
            let id: String = r.try_get("id")?;
            let stored: String = r.try_get("totp_secret_sealed")?;
            let key_id: Option<String> = r.try_get("totp_key_id")?;
            let secret = crypto.open_totp(&id, &stored, key_id.as_deref())?;
            let (token, new_id) = crypto.seal_totp(&secret);
            let done = sqlx::query(
                "UPDATE users SET totp_secret_sealed = $2, totp_key_id = $3 \
                 WHERE id = $1 AND totp_secret_sealed = $4",
            )
            .bind(&id)
            .bind(&token)
            .bind(&new_id)
            .bind(&stored)
            .execute(&self.pool)
            .await?;
            if done.rows_affected() == 1 {
                outcome.rewritten += 1;
            } else {
                outcome.skipped += 1;
            }
        }
        Ok(outcome)
    }
}
