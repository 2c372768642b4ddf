//! Remembered responses to requests that carried an `Idempotency-Key`.
//! Rows hold a hash of (user, key) and the response sealed under the key
//! (see `mismatch_core::security::sealed`), never either in clear.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Result, Storage, decode};
use crate::ids::UserId;

/// `status` is `None` while the first request is still being handled.
#[derive(Debug, Clone, PartialEq)]
pub struct IdempotencyRecord {
    pub key_hash: String,
    pub user_id: UserId,
    pub method: String,
    /// The request path, without its query string.
    pub path: String,
    /// Digest of the query string and body, keyed by the Idempotency-Key.
    pub body_sha256: String,
    pub status: Option<i64>,
    pub response_sealed: Option<String>,
    /// The id of the resource the response describes, if any.
    pub resource_id: Option<String>,
    pub created_at: i64,
}

fn from_row(r: &AnyRow) -> Result<IdempotencyRecord> {
    Ok(IdempotencyRecord {
        key_hash: r.try_get("key_hash")?,
        user_id: decode(r, "user_id")?,
        method: r.try_get("method")?,
        path: r.try_get("path")?,
        body_sha256: r.try_get("body_sha256")?,
        status: r.try_get("status")?,
        response_sealed: r.try_get("response_sealed")?,
        resource_id: r.try_get("resource_id")?,
        created_at: r.try_get("created_at")?,
    })
}

impl Storage {
    /// Claims `rec.key_hash` for a new request. Returns false when another
    /// request already holds it (then [`Self::get_idempotency`] tells which).
    pub async fn begin_idempotency(&self, rec: &IdempotencyRecord) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO idempotency_keys (key_hash, user_id, method, path, body_sha256, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (key_hash) DO NOTHING",
        )
        .bind(&rec.key_hash)
        .bind(rec.user_id.as_str())
        .bind(&rec.method)
        .bind(&rec.path)
        .bind(&rec.body_sha256)
        .bind(rec.created_at)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn get_idempotency(&self, key_hash: &str) -> Result<Option<IdempotencyRecord>> {
        let row = sqlx::query(
            "SELECT key_hash, user_id, method, path, body_sha256, status, response_sealed, \
             resource_id, created_at FROM idempotency_keys WHERE key_hash = $1",
        )
        .bind(key_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(from_row).transpose()
    }

    pub async fn complete_idempotency(
        &self,
        key_hash: &str,
        status: i64,
        sealed: &str,
        resource_id: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE idempotency_keys SET status = $1, response_sealed = $2, resource_id = $3 \
             WHERE key_hash = $4",
        )
        .bind(status)
        .bind(sealed)
        .bind(resource_id)
        .bind(key_hash)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn delete_idempotency(&self, key_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM idempotency_keys WHERE key_hash = $1")
            .bind(key_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Forgets every stored response that describes `resource_id` (the
    /// resource was deleted or revoked: its replays must go with it).
    pub async fn forget_replays_of(&self, resource_id: &str) -> Result<u64> {
        let done = sqlx::query("DELETE FROM idempotency_keys WHERE resource_id = $1")
            .bind(resource_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// Deletes entries created before `before`; returns how many.
    pub async fn prune_idempotency(&self, before: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
            .bind(before)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}
