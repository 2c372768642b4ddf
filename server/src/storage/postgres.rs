//! PostgreSQL backend, chosen when `DATABASE_URL` starts with `postgres://`
//! or `postgresql://`.

use std::time::Duration;

use sqlx::Any;
use sqlx::pool::PoolOptions;

use super::{Backend, Result, Storage};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The newest migration this build knows (readiness compares it with the
/// database's).
pub(super) fn latest_migration() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Whether `url` names a PostgreSQL database.
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

pub(super) async fn open(url: &str) -> Result<Storage> {
    let pool = PoolOptions::<Any>::new()
        .max_connections(10)
        // Fail fast so the readiness probe reports an outage instead of hanging.
        .acquire_timeout(Duration::from_secs(5))
        .connect(url)
        .await?;
    MIGRATOR.run(&pool).await?;
    Ok(Storage::from_pool(pool, Backend::Postgres))
}
