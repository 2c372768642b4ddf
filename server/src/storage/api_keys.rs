//! API keys: only their SHA-256 is stored, never the secret.

use mismatch_core::security::{Role, Scope};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::{
    Listed, Page, Result, Storage, StorageError, audited, decode, decode_opt, parse_column,
};
use crate::ids::{ApiKeyId, UserId};

#[derive(Debug, Clone, PartialEq)]
pub struct ApiKeyRecord {
    pub id: ApiKeyId,
    pub user_id: UserId,
    pub name: String,
    pub prefix: String,
    pub key_hash: String,
    /// The role the key acts with (narrowed by the user's at use).
    pub role: Role,
    /// Scopes stored with the key; empty means every scope of the role.
    pub scopes: Vec<Scope>,
    pub ttl_seconds: Option<i64>,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    /// `manual`, `rotation` or `idle` (see the migration).
    pub revoked_reason: Option<String>,
    pub replaced_by: Option<ApiKeyId>,
    pub last_used_at: Option<i64>,
    pub last_used_ip: Option<String>,
}

const COLUMNS: &str = "id, user_id, name, prefix, key_hash, role, scopes, ttl_seconds, \
     created_at, expires_at, revoked_at, revoked_reason, replaced_by, last_used_at, last_used_ip";

fn scopes_text(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn api_key_from_row(r: &AnyRow) -> Result<ApiKeyRecord> {
    let scopes: String = r.try_get("scopes")?;
    Ok(ApiKeyRecord {
        id: decode(r, "id")?,
        user_id: decode(r, "user_id")?,
        name: r.try_get("name")?,
        prefix: r.try_get("prefix")?,
        key_hash: r.try_get("key_hash")?,
        role: decode(r, "role")?,
        scopes: scopes
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| parse_column(s, "scopes"))
            .collect::<Result<_>>()?,
        ttl_seconds: r.try_get("ttl_seconds")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        revoked_at: r.try_get("revoked_at")?,
        revoked_reason: r.try_get("revoked_reason")?,
        replaced_by: decode_opt(r, "replaced_by")?,
        last_used_at: r.try_get("last_used_at")?,
        last_used_ip: r.try_get("last_used_ip")?,
    })
}

impl Listed for ApiKeyRecord {
    const TABLE: &'static str = "api_keys";
    const COLUMNS: &'static str = COLUMNS;
    fn from_row(row: &AnyRow) -> Result<Self> {
        api_key_from_row(row)
    }
    fn cursor(&self) -> &str {
        self.id.as_str()
    }
}

pub(super) async fn insert_api_key_tx(
    tx: &mut Transaction<'_, Any>,
    key: &ApiKeyRecord,
) -> Result<()> {
    let sql = format!(
        "INSERT INTO api_keys ({COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
    );
    sqlx::query(audited(sql))
        .bind(key.id.as_str())
        .bind(key.user_id.as_str())
        .bind(&key.name)
        .bind(&key.prefix)
        .bind(&key.key_hash)
        .bind(key.role.as_str())
        .bind(scopes_text(&key.scopes))
        .bind(key.ttl_seconds)
        .bind(key.created_at)
        .bind(key.expires_at)
        .bind(key.revoked_at)
        .bind(key.revoked_reason.as_deref())
        .bind(key.replaced_by.as_ref().map(ApiKeyId::as_str))
        .bind(key.last_used_at)
        .bind(&key.last_used_ip)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// What a rotation did to the old key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotated {
    Done,
    /// Revoked, or already rotated: nothing changed.
    NotActive,
}

impl Storage {
    pub async fn insert_api_key(&self, key: &ApiKeyRecord) -> Result<()> {
        let mut tx = self.begin_write().await?;
        insert_api_key_tx(&mut tx, key).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn find_api_key_by_hash(&self, key_hash: &str) -> Result<Option<ApiKeyRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM api_keys WHERE key_hash = $1");
        let row = sqlx::query(audited(sql))
            .bind(key_hash)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(api_key_from_row).transpose()
    }

    pub async fn get_api_key(&self, id: &ApiKeyId) -> Result<Option<ApiKeyRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM api_keys WHERE id = $1");
        let row = sqlx::query(audited(sql))
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(api_key_from_row).transpose()
    }

    /// Keys of one user, or of everyone when `user_id` is `None`.
    pub async fn list_api_keys(
        &self,
        user_id: Option<&UserId>,
        cursor: Option<&ApiKeyId>,
        limit: u32,
    ) -> Result<Page<ApiKeyRecord>> {
        let filters: Vec<_> = user_id
            .map(|u| ("user_id", u.as_str()))
            .into_iter()
            .collect();
        self.page(&filters, cursor.map(ApiKeyId::as_str), limit)
            .await
    }

    /// Marks a key revoked; returns false if it was already revoked or absent.
    pub async fn revoke_api_key(&self, id: &ApiKeyId, now: i64) -> Result<bool> {
        let done =
            sqlx::query("UPDATE api_keys SET revoked_at = $1, revoked_reason = 'manual' WHERE id = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(id.as_str())
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Inserts `new_key` and marks `old_id` replaced by it, atomically. The
    /// old key keeps working until `old_expires_at` (the overlap that lets
    /// running clients switch); `revoke_now` ends it at once instead. Changes
    /// nothing unless the old key is still active and not yet rotated.
    pub async fn rotate_api_key(
        &self,
        old_id: &ApiKeyId,
        new_key: &ApiKeyRecord,
        old_expires_at: Option<i64>,
        revoke_now: Option<i64>,
    ) -> Result<Rotated> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE api_keys SET replaced_by = $1, expires_at = $2, revoked_at = $3, \
             revoked_reason = CASE WHEN $3 IS NULL THEN NULL ELSE 'rotation' END \
             WHERE id = $4 AND revoked_at IS NULL AND replaced_by IS NULL",
        )
        .bind(new_key.id.as_str())
        .bind(old_expires_at)
        .bind(revoke_now)
        .bind(old_id.as_str())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(Rotated::NotActive);
        }
        insert_api_key_tx(&mut tx, new_key).await?;
        tx.commit().await?;
        Ok(Rotated::Done)
    }

    /// Revokes every active key whose last use (or creation, if never used)
    /// is older than `idle_before`; returns how many.
    pub async fn revoke_idle_api_keys(&self, idle_before: i64, now: i64) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE api_keys SET revoked_at = $1, revoked_reason = 'idle' \
             WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $1) \
             AND COALESCE(last_used_at, created_at) < $2",
        )
        .bind(now)
        .bind(idle_before)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Records a use of the key unless one was recorded after `not_after`
    /// (the throttle that also holds across server replicas). Returns whether
    /// the row was written.
    pub async fn touch_api_key(
        &self,
        id: &ApiKeyId,
        now: i64,
        ip: Option<&str>,
        not_after: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE api_keys SET last_used_at = $1, last_used_ip = $2 \
             WHERE id = $3 AND (last_used_at IS NULL OR last_used_at <= $4)",
        )
        .bind(now)
        .bind(ip)
        .bind(id.as_str())
        .bind(not_after)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

impl From<crate::ids::InvalidId> for StorageError {
    fn from(err: crate::ids::InvalidId) -> Self {
        StorageError::Corrupt(err.to_string())
    }
}
