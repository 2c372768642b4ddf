//! Users: who keys belong to.

use mismatch_core::security::Role;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::api_keys::{ApiKeyRecord, insert_api_key_tx};
use super::{Result, Storage, decode};
use crate::ids::UserId;

#[derive(Debug, Clone, PartialEq)]
pub struct UserRecord {
    pub id: UserId,
    pub name: String,
    pub role: Role,
    pub created_at: i64,
}

fn user_from_row(r: &AnyRow) -> Result<UserRecord> {
    Ok(UserRecord {
        id: decode(r, "id")?,
        name: r.try_get("name")?,
        role: decode(r, "role")?,
        created_at: r.try_get("created_at")?,
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
        let row = sqlx::query("SELECT id, name, role, created_at FROM users WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// Creates a user and its first key in one transaction.
    pub async fn insert_user_with_key(&self, user: &UserRecord, key: &ApiKeyRecord) -> Result<()> {
        let mut tx = self.pool.begin().await?;
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
}
