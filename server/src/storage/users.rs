//! Users: who keys and sessions belong to, their login credentials and their
//! second factor.
//!
//! The password is an argon2id PHC string and the TOTP secret a Fernet
//! token under the encryption keyring (see [`super::encryption`]); neither
//! is ever stored in clear. Counters
//! that guard against guessing (failed logins, failed codes) and the last
//! accepted TOTP step change through conditional `UPDATE`s, so two requests
//! racing cannot both pass.

use mismatch_core::security::Role;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::api_keys::{ApiKeyRecord, insert_api_key_tx};
use super::{Listed, Page, Result, Storage, decode};
use crate::ids::UserId;

#[derive(Debug, Clone, PartialEq)]
pub struct UserRecord {
    pub id: UserId,
    pub name: String,
    pub role: Role,
    pub created_at: i64,
    /// Lower-cased; `None` for users that only use API keys.
    pub email: Option<String>,
    /// argon2id PHC string; `None` until a password is set.
    pub password_hash: Option<String>,
    pub password_changed_at: Option<i64>,
    pub disabled_at: Option<i64>,
    /// The TOTP secret as stored (encrypted); present from enrolment on
    /// (confirmed or not). Open it with [`Storage::open_totp_secret`].
    pub totp_secret_sealed: Option<String>,
    /// The keyring key it is encrypted under; `None`: sealed before the
    /// keyring, under the old secret key.
    pub totp_key_id: Option<String>,
    /// When the second factor was confirmed: from then on login needs it.
    pub totp_enabled_at: Option<i64>,
    pub totp_last_step: Option<i64>,
    pub totp_failures: i64,
    pub failed_logins: i64,
    pub locked_until: Option<i64>,
}

impl UserRecord {
    /// A user with a name and a role and nothing else (the shape `keys
    /// create` makes).
    pub fn new(id: UserId, name: String, role: Role, created_at: i64) -> Self {
        Self {
            id,
            name,
            role,
            created_at,
            email: None,
            password_hash: None,
            password_changed_at: None,
            disabled_at: None,
            totp_secret_sealed: None,
            totp_key_id: None,
            totp_enabled_at: None,
            totp_last_step: None,
            totp_failures: 0,
            failed_logins: 0,
            locked_until: None,
        }
    }
}

const COLUMNS: &str = "id, name, role, created_at, email, password_hash, password_changed_at, \
disabled_at, totp_secret_sealed, totp_key_id, totp_enabled_at, totp_last_step, totp_failures, \
failed_logins, locked_until";

fn user_from_row(r: &AnyRow) -> Result<UserRecord> {
    Ok(UserRecord {
        id: decode(r, "id")?,
        name: r.try_get("name")?,
        role: decode(r, "role")?,
        created_at: r.try_get("created_at")?,
        email: r.try_get("email")?,
        password_hash: r.try_get("password_hash")?,
        password_changed_at: r.try_get("password_changed_at")?,
        disabled_at: r.try_get("disabled_at")?,
        totp_secret_sealed: r.try_get("totp_secret_sealed")?,
        totp_key_id: r.try_get("totp_key_id")?,
        totp_enabled_at: r.try_get("totp_enabled_at")?,
        totp_last_step: r.try_get("totp_last_step")?,
        totp_failures: r.try_get("totp_failures")?,
        failed_logins: r.try_get("failed_logins")?,
        locked_until: r.try_get("locked_until")?,
    })
}

impl Listed for UserRecord {
    const TABLE: &'static str = "users";
    const COLUMNS: &'static str = COLUMNS;
    fn from_row(row: &AnyRow) -> Result<Self> {
        user_from_row(row)
    }
    fn cursor(&self) -> &str {
        self.id.as_str()
    }
}

/// A stored refresh token (its hash) and the family it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct RefreshTokenRecord {
    pub token_hash: String,
    pub family_id: String,
    pub user_id: UserId,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

fn refresh_from_row(r: &AnyRow) -> Result<RefreshTokenRecord> {
    Ok(RefreshTokenRecord {
        token_hash: r.try_get("token_hash")?,
        family_id: r.try_get("family_id")?,
        user_id: decode(r, "user_id")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        used_at: r.try_get("used_at")?,
        revoked_at: r.try_get("revoked_at")?,
    })
}

impl Storage {
    pub async fn count_users(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM users")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<i64, _>("n")?)
    }

    pub async fn get_user(&self, id: &UserId) -> Result<Option<UserRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1");
        let row = sqlx::query(super::audited(sql))
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// The user with this (lower-cased) email.
    pub async fn find_user_by_email(&self, email: &str) -> Result<Option<UserRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM users WHERE email = $1");
        let row = sqlx::query(super::audited(sql))
            .bind(email)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    pub async fn list_users(
        &self,
        cursor: Option<&UserId>,
        limit: u32,
    ) -> Result<Page<UserRecord>> {
        self.page(&[], cursor.map(UserId::as_str), limit).await
    }

    /// Inserts a user; false when the email is taken.
    pub async fn insert_user(&self, user: &UserRecord) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO users (id, name, role, created_at, email, password_hash, password_changed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        )
        .bind(user.id.as_str())
        .bind(&user.name)
        .bind(user.role.as_str())
        .bind(user.created_at)
        .bind(user.email.as_deref())
        .bind(user.password_hash.as_deref())
        .bind(user.password_changed_at)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Creates a user and its first key in one transaction.
    pub async fn insert_user_with_key(&self, user: &UserRecord, key: &ApiKeyRecord) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO users (id, name, role, created_at) VALUES ($1, $2, $3, $4)")
            .bind(user.id.as_str())
            .bind(&user.name)
            .bind(user.role.as_str())
            .bind(user.created_at)
            .execute(&mut *tx)
            .await?;
        insert_api_key_tx(&mut tx, key).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Changes name, role and the disabled mark.
    pub async fn update_user_profile(
        &self,
        id: &UserId,
        name: &str,
        role: Role,
        disabled_at: Option<i64>,
    ) -> Result<bool> {
        let done =
            sqlx::query("UPDATE users SET name = $2, role = $3, disabled_at = $4 WHERE id = $1")
                .bind(id.as_str())
                .bind(name)
                .bind(role.as_str())
                .bind(disabled_at)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Sets a new password hash, clears the lockout and ends every session
    /// of the user (its refresh tokens), in one transaction.
    pub async fn set_password(&self, id: &UserId, hash: &str, now: i64) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE users SET password_hash = $2, password_changed_at = $3, failed_logins = 0, \
             locked_until = NULL WHERE id = $1",
        )
        .bind(id.as_str())
        .bind(hash)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
        )
        .bind(id.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Counts a failed login; from the `threshold`-th in a row the account
    /// is locked until `lock_until`. Returns the new count.
    pub async fn record_login_failure(
        &self,
        id: &UserId,
        threshold: i64,
        lock_until: i64,
    ) -> Result<i64> {
        let row = sqlx::query(
            "UPDATE users SET failed_logins = failed_logins + 1, \
             locked_until = CASE WHEN failed_logins + 1 >= $2 THEN $3 ELSE locked_until END \
             WHERE id = $1 RETURNING failed_logins",
        )
        .bind(id.as_str())
        .bind(threshold)
        .bind(lock_until)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row
            .map(|r| r.try_get::<i64, _>("failed_logins"))
            .transpose()?
            .unwrap_or(0))
    }

    /// A successful login: the failure count starts again.
    pub async fn reset_login_failures(&self, id: &UserId) -> Result<()> {
        sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
            .bind(id.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The user's TOTP secret in clear; `None` if none is enrolled.
    pub fn open_totp_secret(&self, user: &UserRecord) -> Result<Option<Vec<u8>>> {
        let Some(stored) = user.totp_secret_sealed.as_deref() else {
            return Ok(None);
        };
        self.require_crypto()?
            .open_totp(user.id.as_str(), stored, user.totp_key_id.as_deref())
            .map(Some)
    }

    /// Starts (or restarts) enrolment: a new secret (stored encrypted), not
    /// yet enabled.
    pub async fn set_pending_totp(&self, id: &UserId, secret: &[u8]) -> Result<bool> {
        let (token, key_id) = self.require_crypto()?.seal_totp(secret);
        let done = sqlx::query(
            "UPDATE users SET totp_secret_sealed = $2, totp_key_id = $3, totp_last_step = NULL, \
             totp_failures = 0 WHERE id = $1 AND totp_enabled_at IS NULL",
        )
        .bind(id.as_str())
        .bind(&token)
        .bind(&key_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records `step` as the last accepted TOTP step, only if it is later
    /// than the one stored: true when this call accepted it (a replayed or
    /// concurrently used code gets false).
    pub async fn accept_totp_step(&self, id: &UserId, step: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE users SET totp_last_step = $2, totp_failures = 0 \
             WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)",
        )
        .bind(id.as_str())
        .bind(step)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Counts a wrong code; returns the new count.
    pub async fn record_totp_failure(&self, id: &UserId) -> Result<i64> {
        let row = sqlx::query(
            "UPDATE users SET totp_failures = totp_failures + 1 WHERE id = $1 RETURNING totp_failures",
        )
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row
            .map(|r| r.try_get::<i64, _>("totp_failures"))
            .transpose()?
            .unwrap_or(0))
    }

    /// Confirms enrolment and stores the backup codes' hashes, atomically.
    pub async fn enable_totp(
        &self,
        id: &UserId,
        now: i64,
        backup_hashes: &[String],
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE users SET totp_enabled_at = $2 WHERE id = $1 AND totp_enabled_at IS NULL \
             AND totp_secret_sealed IS NOT NULL",
        )
        .bind(id.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        replace_backup_codes_tx(&mut tx, id, now, backup_hashes).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Replaces every backup code of the user.
    pub async fn replace_backup_codes(
        &self,
        id: &UserId,
        now: i64,
        hashes: &[String],
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        replace_backup_codes_tx(&mut tx, id, now, hashes).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Spends a backup code; true if it existed and was unused.
    pub async fn use_backup_code(&self, id: &UserId, hash: &str, now: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE backup_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
        )
        .bind(id.as_str())
        .bind(hash)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Unused backup codes of the user.
    pub async fn unused_backup_codes(&self, id: &UserId) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT code_hash FROM backup_codes WHERE user_id = $1 AND used_at IS NULL",
        )
        .bind(id.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<String, _>("code_hash")?))
            .collect()
    }

    /// Turns the second factor off: secret, step and backup codes go.
    pub async fn disable_totp(&self, id: &UserId) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE users SET totp_secret_sealed = NULL, totp_enabled_at = NULL, totp_last_step = NULL, \
             totp_failures = 0 WHERE id = $1",
        )
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM backup_codes WHERE user_id = $1")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn insert_refresh_token(&self, record: &RefreshTokenRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, family_id, user_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&record.token_hash)
        .bind(&record.family_id)
        .bind(record.user_id.as_str())
        .bind(record.created_at)
        .bind(record.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn find_refresh_token(&self, hash: &str) -> Result<Option<RefreshTokenRecord>> {
        let row = sqlx::query(
            "SELECT token_hash, family_id, user_id, created_at, expires_at, used_at, revoked_at \
             FROM refresh_tokens WHERE token_hash = $1",
        )
        .bind(hash)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(refresh_from_row).transpose()
    }

    /// Spends a refresh token and adds its successor to the family, in one
    /// transaction; false (and nothing added) when the token was already
    /// spent or revoked, which a concurrent refresh with the same token
    /// would have done.
    pub async fn rotate_refresh_token(
        &self,
        spent_hash: &str,
        now: i64,
        next: &RefreshTokenRecord,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE refresh_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL \
             AND revoked_at IS NULL",
        )
        .bind(spent_hash)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, family_id, user_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&next.token_hash)
        .bind(&next.family_id)
        .bind(next.user_id.as_str())
        .bind(next.created_at)
        .bind(next.expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Revokes every token of a family (logout, or a spent token reused).
    pub async fn revoke_refresh_family(&self, family_id: &str, now: i64) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL",
        )
        .bind(family_id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }
}

async fn replace_backup_codes_tx(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: &UserId,
    now: i64,
    hashes: &[String],
) -> Result<()> {
    sqlx::query("DELETE FROM backup_codes WHERE user_id = $1")
        .bind(id.as_str())
        .execute(&mut **tx)
        .await?;
    for hash in hashes {
        sqlx::query(
            "INSERT INTO backup_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)",
        )
        .bind(id.as_str())
        .bind(hash)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
