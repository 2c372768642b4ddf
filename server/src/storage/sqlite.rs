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

/// The newest migration this build knows (readiness compares it with the
/// database's).
pub(super) fn latest_migration() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

pub(super) async fn open(dir: &Path) -> Result<Storage> {
    std::fs::create_dir_all(dir).map_err(|e| {
        StorageError::Setup(format!(
            "cannot create data directory {}: {e}",
            dir.display()
        ))
    })?;
    let file = dir.join(DB_FILE);
    let url = format!("sqlite://{}?mode=rwc", encode_path(&file.to_string_lossy()));
    let pool = PoolOptions::<Any>::new()
        // SQLite serialises writers anyway; a few connections let readers
        // proceed while one writes.
        .max_connections(4)
        // One connection stays open even when idle: `restore` recognises a
        // running server by it (an exclusive lock cannot be taken).
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        // Freed pages are overwritten with zeros, so an erased candidate's
        // row does not linger in the file's free list. The setting belongs
        // to the connection, not the file: every new connection sets it.
        .after_connect(|conn, _| {
            Box::pin(async move {
                sqlx::Executor::execute(conn, "PRAGMA secure_delete = ON").await?;
                Ok(())
            })
        })
        .connect(&url)
        .await?;
    // WAL lets readers proceed while a request writes; the setting is stored
    // in the file, so once is enough.
    sqlx::query("PRAGMA journal_mode = WAL")
        .execute(&pool)
        .await?;
    MIGRATOR.run(&pool).await?;
    Ok(Storage::from_pool(pool, Backend::Sqlite))
}

/// The connection URL is percent-decoded, so characters that would end the
/// path (`?`, `#`) or start an escape (`%`) must be escaped.
fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            '%' => out.push_str("%25"),
            '?' => out.push_str("%3F"),
            '#' => out.push_str("%23"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn odd_directory_names_work_and_use_wal() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("my data?#100%");
        let storage =
            super::super::Storage::open(&super::super::StorageTarget::SqliteDir(data.clone()))
                .await
                .unwrap();
        assert!(data.join(DB_FILE).is_file());
        let row = sqlx::query("PRAGMA journal_mode")
            .fetch_one(&storage.pool)
            .await
            .unwrap();
        let mode: String = sqlx::Row::try_get(&row, 0).unwrap();
        assert_eq!(mode, "wal");
        // Every pooled connection zeroes freed pages, not just the first.
        let mut held = Vec::new();
        for _ in 0..4 {
            let mut conn = storage.pool.acquire().await.unwrap();
            let row = sqlx::query("PRAGMA secure_delete")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            assert_eq!(sqlx::Row::try_get::<i64, _>(&row, 0).unwrap(), 1);
            held.push(conn);
        }
        drop(held);
        storage.close().await;
    }

    #[test]
    fn encodes_only_what_the_url_parser_decodes() {
        assert_eq!(encode_path("/a b/c?d#e%f"), "/a b/c%3Fd%23e%25f");
    }
}
