//! Persistence: the only module that speaks SQL.
//!
//! One [`Storage`] type serves both backends through sqlx's `Any` driver:
//! the queries below are written in the common subset of SQLite and
//! PostgreSQL (`$n` placeholders, `BIGINT` millisecond timestamps, JSON kept
//! as text), so each query exists once and both backends run the same code
//! and the same tests. What differs per backend — how to connect, where the
//! file lives, which migrations to run — is in [`sqlite`] and [`postgres`],
//! chosen by [`Backend`] from the configuration.
//!
//! One file per concern ([`users`], [`api_keys`], [`candidates`], [`jobs`],
//! [`idempotency`], [`ranking`], [`salary_models`], [`privacy`]), each adding its records
//! and queries to [`Storage`]. Records are typed: ids, roles, scopes and the
//! domain enums are decoded in the row mappers, and a value the code does not
//! know is [`StorageError::Corrupt`], never a silent default.

pub mod api_keys;
pub mod audit;
pub mod backup;
pub mod candidates;
pub mod encryption;
pub mod idempotency;
pub mod jobs;
pub mod postgres;
pub mod privacy;
pub mod ranking;
pub mod salary_models;
pub mod sqlite;
pub mod users;

use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{Any, AssertSqlSafe, Pool, Row};

type AnyPool = Pool<Any>;

/// Which database the storage runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Where to store data, decided by the configuration.
#[derive(Debug, Clone)]
pub enum StorageTarget {
    /// A SQLite file `mismatch.db` inside this directory (created if needed).
    SqliteDir(std::path::PathBuf),
    /// A PostgreSQL URL (`postgres://` or `postgresql://`).
    Postgres(String),
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database unavailable: {0}")]
    Unavailable(sqlx::Error),
    #[error("database error: {0}")]
    Database(sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// An encrypted value that no key of the keyring opens.
    #[error("encrypted data cannot be read: {0}")]
    Undecryptable(String),
    #[error("cannot prepare storage: {0}")]
    Setup(String),
    /// The database answers but lacks the schema this build migrated to.
    #[error("the database schema is missing or older than this server")]
    SchemaMissing,
}

impl From<sqlx::Error> for StorageError {
    fn from(err: sqlx::Error) -> Self {
        if is_unavailable(&err) {
            StorageError::Unavailable(err)
        } else {
            StorageError::Database(err)
        }
    }
}

/// Whether `err` says the database cannot serve now (gone, unreachable,
/// shutting down, out of resources, or its schema missing) rather than that
/// this query is wrong: the client gets 503 with `Retry-After` instead of a
/// 500.
fn is_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            let message = db.message();
            // PostgreSQL SQLSTATEs: 08 connection exceptions, 57P operator
            // intervention (database dropped or server shutting down), 53
            // insufficient resources, 3D000 no such database, 42P01 no such
            // table (a database recreated without its schema).
            code.starts_with("08")
                || code.starts_with("57P")
                || code.starts_with("53")
                || code == "3D000"
                || code == "42P01"
                // SQLite: the file cannot be opened or read, or the schema is
                // gone (primary result codes CANTOPEN 14, IOERR 10, CORRUPT
                // 11, NOTADB 26; extended codes share the low byte).
                || code
                    .parse::<i32>()
                    .is_ok_and(|c| matches!(c & 0xff, 10 | 11 | 14 | 26))
                || message.starts_with("no such table")
        }
        _ => false,
    }
}

pub type Result<T> = std::result::Result<T, StorageError>;

/// A page of a listing, newest first.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// Handle to the database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Storage {
    pool: AnyPool,
    backend: Backend,
    /// The keys of the encrypted columns (see [`encryption`]).
    crypto: Option<std::sync::Arc<encryption::FieldCrypto>>,
}

impl Storage {
    /// Connects to the target, creating the SQLite directory or file when
    /// needed, and runs pending migrations.
    pub async fn open(target: &StorageTarget) -> Result<Self> {
        sqlx::any::install_default_drivers();
        match target {
            StorageTarget::SqliteDir(dir) => sqlite::open(dir).await,
            StorageTarget::Postgres(url) => postgres::open(url).await,
        }
    }

    pub(crate) fn from_pool(pool: AnyPool, backend: Backend) -> Self {
        Self {
            pool,
            backend,
            crypto: None,
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes every connection (used on shutdown and by tests before dropping
    /// a database).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// A trivial round trip.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// For the readiness probe: the database answers and holds the schema
    /// this build migrated to (a database recreated empty is not ready).
    pub async fn check_schema(&self) -> Result<()> {
        let expected = match self.backend {
            Backend::Sqlite => sqlite::latest_migration(),
            Backend::Postgres => postgres::latest_migration(),
        };
        let row =
            sqlx::query("SELECT MAX(version) AS v FROM _sqlx_migrations WHERE success = TRUE")
                .fetch_one(&self.pool)
                .await?;
        let applied: Option<i64> = row.try_get("v")?;
        if applied.is_some_and(|v| v >= expected) {
            Ok(())
        } else {
            Err(StorageError::SchemaMissing)
        }
    }
}

impl Storage {
    /// Begins a transaction that will write. On SQLite it takes the write
    /// lock at once (`BEGIN IMMEDIATE`): a deferred transaction that reads
    /// and then writes fails at once with SQLITE_BUSY, without waiting, when
    /// another connection committed in between — which the audit log's
    /// writer, appending beside every request, makes an everyday event.
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// Deletes row `id` of `table` and, in the same transaction, the stored
    /// idempotent responses that describe it; false if there was no row.
    /// `table` is a constant of this module.
    pub(crate) async fn delete_with_replays(&self, table: &'static str, id: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(audited(format!("DELETE FROM {table} WHERE id = $1")))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM idempotency_keys WHERE resource_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }
}

/// A record type listed page by page, newest first (ids are ULID-based, so
/// they sort by creation time).
pub(crate) trait Listed: Sized {
    const TABLE: &'static str;
    const COLUMNS: &'static str;
    fn from_row(row: &AnyRow) -> Result<Self>;
    fn cursor(&self) -> &str;
}

impl Storage {
    /// One keyset-paginated page of `T`, newest first: the rows matching every
    /// `(column, value)` filter whose id sorts below `cursor`. Filter columns
    /// are constants of this module; values are bound.
    pub(crate) async fn page<T: Listed>(
        &self,
        filters: &[(&'static str, &str)],
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<T>> {
        let mut conditions = Vec::new();
        let mut binds: Vec<&str> = Vec::new();
        for (column, value) in filters {
            binds.push(value);
            conditions.push(format!("{column} = ${}", binds.len()));
        }
        if let Some(cursor) = cursor {
            binds.push(cursor);
            conditions.push(format!("id < ${}", binds.len()));
        }
        let sql = format!(
            "SELECT {} FROM {} {} ORDER BY id DESC LIMIT {}",
            T::COLUMNS,
            T::TABLE,
            where_clause(&conditions),
            i64::from(limit) + 1
        );
        let mut query = sqlx::query(audited(sql));
        for b in binds {
            query = query.bind(b);
        }
        let rows = query.fetch_all(&self.pool).await?;
        let items = rows.iter().map(T::from_row).collect::<Result<Vec<_>>>()?;
        Ok(paginate(items, limit, |item| item.cursor().to_owned()))
    }
}

/// Marks a query text built at run time as reviewed: every dynamic query in
/// this module is assembled only from constant fragments and `$n`
/// placeholders; values always go through `bind`.
pub(crate) fn audited(sql: String) -> AssertSqlSafe<String> {
    AssertSqlSafe(sql)
}

pub(crate) fn where_clause(conditions: &[String]) -> String {
    if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    }
}

/// Rows were fetched with `limit + 1`: the extra row only says another page exists.
pub(crate) fn paginate<T>(mut items: Vec<T>, limit: u32, id: impl Fn(&T) -> String) -> Page<T> {
    let limit = limit as usize;
    let next_cursor = if items.len() > limit {
        items.truncate(limit);
        items.last().map(id)
    } else {
        None
    };
    Page { items, next_cursor }
}

pub(crate) fn to_json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StorageError::Corrupt(e.to_string()))
}

pub(crate) fn from_json<T: for<'de> Deserialize<'de>>(text: &str, column: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StorageError::Corrupt(format!("{column}: {e}")))
}

/// A text column decoded into `T` (an id, a role, a domain enum…); a value
/// this build does not know is corrupt data, not a default.
pub(crate) fn decode<T>(row: &AnyRow, column: &str) -> Result<T>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    let text: String = row.try_get(column)?;
    parse_column(&text, column)
}

/// Like [`decode`] for a nullable column.
pub(crate) fn decode_opt<T>(row: &AnyRow, column: &str) -> Result<Option<T>>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    let text: Option<String> = row.try_get(column)?;
    text.map(|t| parse_column(&t, column)).transpose()
}

pub(crate) fn parse_column<T>(text: &str, column: &str) -> Result<T>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|e| StorageError::Corrupt(format!("{column}: {e}")))
}

/// A bound `i64` read back as `u32` (salaries): out of range is corrupt.
pub(crate) fn to_u32(value: Option<i64>, column: &str) -> Result<Option<u32>> {
    value
        .map(|v| {
            u32::try_from(v)
                .map_err(|_| StorageError::Corrupt(format!("{column}: {v} out of range")))
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_values_are_corrupt_not_defaults() {
        let err = parse_column::<mismatch_core::Seniority>("wizard", "seniority").unwrap_err();
        assert!(matches!(err, StorageError::Corrupt(m) if m.contains("wizard")));
        assert!(to_u32(Some(-1), "salary_min").is_err());
        assert_eq!(to_u32(Some(7), "salary_min").unwrap(), Some(7));
    }
}
