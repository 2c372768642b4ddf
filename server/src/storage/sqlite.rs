//! SQLite backend: the embedded default, one file `mismatch.db` in the data
//! directory.

use std::path::Path;
use std::time::Duration;

use sqlx::Any;
use sqlx::pool::PoolOptions;

use super::{Backend, Result, Storage, StorageError};

/// Name of the database file inside the data directory.
pub const DB_FILE: &str = "mismatch.db";

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

pub(super) async fn open(dir: &Path) -> Result<Storage> {
    std::fs::create_dir_all(dir).map_err(|e| {
        StorageError::Setup(format!(
            "cannot create data directory {}: {e}",
            dir.display()
        ))
    })?;
    let file = dir.join(DB_FILE);
    let url = format!("sqlite://{}?mode=rwc", file.display());
    let pool = PoolOptions::<Any>::new()
        // SQLite serialises writers anyway; a few connections let readers
        // proceed while one writes.
        .max_connections(4)
        .acquire_timeout(Duration::from_secs(10))
        .connect(&url)
        .await?;
    MIGRATOR.run(&pool).await?;
    Ok(Storage::from_pool(pool, Backend::Sqlite))
}
