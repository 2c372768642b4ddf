//! Persistence: the only module that speaks SQL.
//!
//! One [`Storage`] type serves both backends through sqlx's `Any` driver:
//! the queries below are written in the common subset of SQLite and
//! PostgreSQL (`$n` placeholders, `BIGINT` millisecond timestamps, JSON kept
//! as text), so each query exists once and both backends run the same code
//! and the same tests. What differs per backend — how to connect, where the
//! file lives, which migrations to run — is in [`sqlite`] and [`postgres`],
//! chosen by [`Backend`] from the configuration.

pub mod postgres;
pub mod salary_models;
pub mod sqlite;

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{Any, AssertSqlSafe, Pool, Row, Transaction};

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
    #[error("cannot prepare storage: {0}")]
    Setup(String),
}

impl From<sqlx::Error> for StorageError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                StorageError::Unavailable(err)
            }
            other => StorageError::Database(other),
        }
    }
}

pub type Result<T> = std::result::Result<T, StorageError>;

/// A page of a listing, newest first.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UserRecord {
    pub id: String,
    pub name: String,
    pub role: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApiKeyRecord {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub prefix: String,
    pub key_hash: String,
    pub role: String,
    pub scopes: Vec<String>,
    pub ttl_seconds: Option<i64>,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub replaced_by: Option<String>,
    pub last_used_at: Option<i64>,
    pub last_used_ip: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkillRecord {
    pub name: String,
    pub years: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SourceRecord {
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub format: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CandidateRecord {
    pub id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub location: Option<String>,
    pub skills: Vec<SkillRecord>,
    pub years_experience: Option<f64>,
    pub seniority: String,
    pub education: Option<String>,
    pub languages: Vec<String>,
    pub salary_expectation: Option<i64>,
    pub source: Option<SourceRecord>,
    pub text: String,
    pub created_at: i64,
}

/// See [`Storage::ranking_marker`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankingMarker {
    pub candidates: i64,
    pub last_candidate: Option<String>,
    pub jobs: i64,
    pub last_job_update: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct JobRecord {
    pub id: String,
    pub title: String,
    pub company: Option<String>,
    pub description: String,
    pub required_skills: Vec<String>,
    pub nice_to_have_skills: Vec<String>,
    pub seniority: Option<String>,
    pub min_years: f64,
    pub location: Option<String>,
    pub remote: String,
    pub salary_min: Option<i64>,
    pub salary_max: Option<i64>,
    pub currency: String,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A remembered response to a request that carried an `Idempotency-Key`.
/// `status` is `None` while the first request is still being handled.
#[derive(Debug, Clone, PartialEq)]
pub struct IdempotencyRecord {
    pub user_id: String,
    pub key: String,
    pub method: String,
    pub path: String,
    pub body_sha256: String,
    pub status: Option<i64>,
    pub response_body: Option<String>,
    pub content_type: Option<String>,
    pub created_at: i64,
}

/// Handle to the database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Storage {
    pool: AnyPool,
    backend: Backend,
}

const API_KEY_COLUMNS: &str = "id, user_id, name, prefix, key_hash, role, scopes, ttl_seconds, \
     created_at, expires_at, revoked_at, replaced_by, last_used_at, last_used_ip";
const CANDIDATE_COLUMNS: &str = "id, name, email, phone, location, skills, years_experience, \
     seniority, education, languages, salary_expectation, source_filename, source_content_type, \
     source_format, resume_text, created_at";
const JOB_COLUMNS: &str = "id, title, company, description, required_skills, nice_to_have_skills, \
     seniority, min_years, location, remote, salary_min, salary_max, currency, status, created_at, \
     updated_at";

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
        Self { pool, backend }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes every connection (used on shutdown and by tests before dropping
    /// a database).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// A trivial round trip, for the readiness probe.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    // --- users ---------------------------------------------------------------

    pub async fn count_users(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM users")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<i64, _>("n")?)
    }

    pub async fn insert_user(&self, user: &UserRecord) -> Result<()> {
        sqlx::query("INSERT INTO users (id, name, role, created_at) VALUES ($1, $2, $3, $4)")
            .bind(&user.id)
            .bind(&user.name)
            .bind(&user.role)
            .bind(user.created_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn get_user(&self, id: &str) -> Result<Option<UserRecord>> {
        let row = sqlx::query("SELECT id, name, role, created_at FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(UserRecord {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                role: r.try_get("role")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .transpose()
    }

    /// Creates a user and its first key in one transaction.
    pub async fn insert_user_with_key(&self, user: &UserRecord, key: &ApiKeyRecord) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO users (id, name, role, created_at) VALUES ($1, $2, $3, $4)")
            .bind(&user.id)
            .bind(&user.name)
            .bind(&user.role)
            .bind(user.created_at)
            .execute(&mut *tx)
            .await?;
        insert_api_key_tx(&mut tx, key).await?;
        tx.commit().await?;
        Ok(())
    }

    // --- API keys ------------------------------------------------------------

    pub async fn insert_api_key(&self, key: &ApiKeyRecord) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        insert_api_key_tx(&mut tx, key).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn find_api_key_by_hash(&self, key_hash: &str) -> Result<Option<ApiKeyRecord>> {
        let sql = format!("SELECT {API_KEY_COLUMNS} FROM api_keys WHERE key_hash = $1");
        let row = sqlx::query(audited(sql))
            .bind(key_hash)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(api_key_from_row).transpose()
    }

    pub async fn get_api_key(&self, id: &str) -> Result<Option<ApiKeyRecord>> {
        let sql = format!("SELECT {API_KEY_COLUMNS} FROM api_keys WHERE id = $1");
        let row = sqlx::query(audited(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(api_key_from_row).transpose()
    }

    /// Keys of one user, or of everyone when `user_id` is `None`.
    pub async fn list_api_keys(
        &self,
        user_id: Option<&str>,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<ApiKeyRecord>> {
        let filters: Vec<_> = user_id.map(|u| ("user_id", u)).into_iter().collect();
        self.page(&filters, cursor, limit).await
    }

    /// Marks a key revoked; returns false if it was already revoked or absent.
    pub async fn revoke_api_key(&self, id: &str, now: i64) -> Result<bool> {
        let done =
            sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(id)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Revokes `old_id` and inserts `new_key` atomically; returns false (and
    /// changes nothing) if the old key was already revoked.
    pub async fn rotate_api_key(
        &self,
        old_id: &str,
        new_key: &ApiKeyRecord,
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE api_keys SET revoked_at = $1, replaced_by = $2 WHERE id = $3 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(&new_key.id)
        .bind(old_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        insert_api_key_tx(&mut tx, new_key).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Records a use of the key unless one was recorded after `not_after`
    /// (the throttle that also holds across server replicas). Returns whether
    /// the row was written.
    pub async fn touch_api_key(
        &self,
        id: &str,
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
        .bind(id)
        .bind(not_after)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    // --- candidates ----------------------------------------------------------

    pub async fn insert_candidate(&self, c: &CandidateRecord) -> Result<()> {
        let sql = format!(
            "INSERT INTO candidates ({CANDIDATE_COLUMNS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
        );
        let (filename, content_type, format) = match &c.source {
            Some(s) => (
                s.filename.clone(),
                s.content_type.clone(),
                Some(s.format.clone()),
            ),
            None => (None, None, None),
        };
        sqlx::query(audited(sql))
            .bind(&c.id)
            .bind(&c.name)
            .bind(&c.email)
            .bind(&c.phone)
            .bind(&c.location)
            .bind(to_json(&c.skills)?)
            .bind(c.years_experience)
            .bind(&c.seniority)
            .bind(&c.education)
            .bind(to_json(&c.languages)?)
            .bind(c.salary_expectation)
            .bind(filename)
            .bind(content_type)
            .bind(format)
            .bind(&c.text)
            .bind(c.created_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn get_candidate(&self, id: &str) -> Result<Option<CandidateRecord>> {
        let sql = format!("SELECT {CANDIDATE_COLUMNS} FROM candidates WHERE id = $1");
        let row = sqlx::query(audited(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(candidate_from_row).transpose()
    }

    pub async fn list_candidates(
        &self,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<CandidateRecord>> {
        self.page(&[], cursor, limit).await
    }

    /// Every candidate, oldest first (for ranking).
    pub async fn all_candidates(&self) -> Result<Vec<CandidateRecord>> {
        let sql = format!("SELECT {CANDIDATE_COLUMNS} FROM candidates ORDER BY id");
        let rows = sqlx::query(audited(sql)).fetch_all(&self.pool).await?;
        rows.iter().map(candidate_from_row).collect()
    }

    pub async fn delete_candidate(&self, id: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM candidates WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// A cheap fingerprint of what the rankings read: it changes when any
    /// process creates or deletes a candidate, or creates, updates or
    /// deletes a job (ids and `updated_at` only grow).
    pub async fn ranking_marker(&self) -> Result<RankingMarker> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM candidates) AS candidates, \
                    (SELECT MAX(id) FROM candidates) AS last_candidate, \
                    (SELECT COUNT(*) FROM jobs) AS jobs, \
                    (SELECT MAX(updated_at) FROM jobs) AS last_job_update",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(RankingMarker {
            candidates: row.try_get("candidates")?,
            last_candidate: row.try_get("last_candidate")?,
            jobs: row.try_get("jobs")?,
            last_job_update: row.try_get("last_job_update")?,
        })
    }

    pub async fn count_candidates(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM candidates")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<i64, _>("n")?)
    }

    // --- jobs ----------------------------------------------------------------

    pub async fn insert_job(&self, j: &JobRecord) -> Result<()> {
        let sql = format!(
            "INSERT INTO jobs ({JOB_COLUMNS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
        );
        sqlx::query(audited(sql))
            .bind(&j.id)
            .bind(&j.title)
            .bind(&j.company)
            .bind(&j.description)
            .bind(to_json(&j.required_skills)?)
            .bind(to_json(&j.nice_to_have_skills)?)
            .bind(&j.seniority)
            .bind(j.min_years)
            .bind(&j.location)
            .bind(&j.remote)
            .bind(j.salary_min)
            .bind(j.salary_max)
            .bind(&j.currency)
            .bind(&j.status)
            .bind(j.created_at)
            .bind(j.updated_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Replaces every mutable column of an existing job; false if absent.
    pub async fn update_job(&self, j: &JobRecord) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE jobs SET title = $1, company = $2, description = $3, required_skills = $4, \
             nice_to_have_skills = $5, seniority = $6, min_years = $7, location = $8, remote = $9, \
             salary_min = $10, salary_max = $11, currency = $12, status = $13, updated_at = $14 \
             WHERE id = $15",
        )
        .bind(&j.title)
        .bind(&j.company)
        .bind(&j.description)
        .bind(to_json(&j.required_skills)?)
        .bind(to_json(&j.nice_to_have_skills)?)
        .bind(&j.seniority)
        .bind(j.min_years)
        .bind(&j.location)
        .bind(&j.remote)
        .bind(j.salary_min)
        .bind(j.salary_max)
        .bind(&j.currency)
        .bind(&j.status)
        .bind(j.updated_at)
        .bind(&j.id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn get_job(&self, id: &str) -> Result<Option<JobRecord>> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1");
        let row = sqlx::query(audited(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(job_from_row).transpose()
    }

    pub async fn list_jobs(
        &self,
        status: Option<&str>,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<JobRecord>> {
        let filters: Vec<_> = status.map(|st| ("status", st)).into_iter().collect();
        self.page(&filters, cursor, limit).await
    }

    /// Every open job, oldest first (for ranking).
    pub async fn open_jobs(&self) -> Result<Vec<JobRecord>> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE status = 'open' ORDER BY id");
        let rows = sqlx::query(audited(sql)).fetch_all(&self.pool).await?;
        rows.iter().map(job_from_row).collect()
    }

    pub async fn delete_job(&self, id: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM jobs WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    // --- idempotency -----------------------------------------------------------

    /// Claims `(user_id, key)` for a new request. Returns false when another
    /// request already holds it (then [`Self::get_idempotency`] tells which).
    pub async fn begin_idempotency(&self, rec: &IdempotencyRecord) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO idempotency_keys (user_id, idem_key, method, path, body_sha256, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id, idem_key) DO NOTHING",
        )
        .bind(&rec.user_id)
        .bind(&rec.key)
        .bind(&rec.method)
        .bind(&rec.path)
        .bind(&rec.body_sha256)
        .bind(rec.created_at)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn get_idempotency(
        &self,
        user_id: &str,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>> {
        let row = sqlx::query(
            "SELECT user_id, idem_key, method, path, body_sha256, status, response_body, content_type, created_at \
             FROM idempotency_keys WHERE user_id = $1 AND idem_key = $2",
        )
        .bind(user_id)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(IdempotencyRecord {
                user_id: r.try_get("user_id")?,
                key: r.try_get("idem_key")?,
                method: r.try_get("method")?,
                path: r.try_get("path")?,
                body_sha256: r.try_get("body_sha256")?,
                status: r.try_get("status")?,
                response_body: r.try_get("response_body")?,
                content_type: r.try_get("content_type")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .transpose()
    }

    pub async fn complete_idempotency(
        &self,
        user_id: &str,
        key: &str,
        status: i64,
        body: &str,
        content_type: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE idempotency_keys SET status = $1, response_body = $2, content_type = $3 \
             WHERE user_id = $4 AND idem_key = $5",
        )
        .bind(status)
        .bind(body)
        .bind(content_type)
        .bind(user_id)
        .bind(key)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn delete_idempotency(&self, user_id: &str, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM idempotency_keys WHERE user_id = $1 AND idem_key = $2")
            .bind(user_id)
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
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

async fn insert_api_key_tx(tx: &mut Transaction<'_, Any>, key: &ApiKeyRecord) -> Result<()> {
    let sql = format!(
        "INSERT INTO api_keys ({API_KEY_COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    );
    sqlx::query(audited(sql))
        .bind(&key.id)
        .bind(&key.user_id)
        .bind(&key.name)
        .bind(&key.prefix)
        .bind(&key.key_hash)
        .bind(&key.role)
        .bind(key.scopes.join(","))
        .bind(key.ttl_seconds)
        .bind(key.created_at)
        .bind(key.expires_at)
        .bind(key.revoked_at)
        .bind(&key.replaced_by)
        .bind(key.last_used_at)
        .bind(&key.last_used_ip)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A record type listed page by page, newest first (ids are ULID-based, so
/// they sort by creation time).
trait Listed: Sized {
    const TABLE: &'static str;
    const COLUMNS: &'static str;
    fn from_row(row: &AnyRow) -> Result<Self>;
    fn id(&self) -> &str;
}

impl Listed for ApiKeyRecord {
    const TABLE: &'static str = "api_keys";
    const COLUMNS: &'static str = API_KEY_COLUMNS;
    fn from_row(row: &AnyRow) -> Result<Self> {
        api_key_from_row(row)
    }
    fn id(&self) -> &str {
        &self.id
    }
}

impl Listed for CandidateRecord {
    const TABLE: &'static str = "candidates";
    const COLUMNS: &'static str = CANDIDATE_COLUMNS;
    fn from_row(row: &AnyRow) -> Result<Self> {
        candidate_from_row(row)
    }
    fn id(&self) -> &str {
        &self.id
    }
}

impl Listed for JobRecord {
    const TABLE: &'static str = "jobs";
    const COLUMNS: &'static str = JOB_COLUMNS;
    fn from_row(row: &AnyRow) -> Result<Self> {
        job_from_row(row)
    }
    fn id(&self) -> &str {
        &self.id
    }
}

impl Storage {
    /// One keyset-paginated page of `T`, newest first: the rows matching every
    /// `(column, value)` filter whose id sorts below `cursor`. Filter columns
    /// are constants of this module; values are bound.
    async fn page<T: Listed>(
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
        Ok(paginate(items, limit, |item| item.id().to_owned()))
    }
}

/// Marks a query text built at run time as reviewed: every dynamic query in
/// this module is assembled only from constant fragments and `$n`
/// placeholders; values always go through `bind`.
fn audited(sql: String) -> AssertSqlSafe<String> {
    AssertSqlSafe(sql)
}

fn where_clause(conditions: &[String]) -> String {
    if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    }
}

/// Rows were fetched with `limit + 1`: the extra row only says another page exists.
fn paginate<T>(mut items: Vec<T>, limit: u32, id: impl Fn(&T) -> String) -> Page<T> {
    let limit = limit as usize;
    let next_cursor = if items.len() > limit {
        items.truncate(limit);
        items.last().map(id)
    } else {
        None
    };
    Page { items, next_cursor }
}

fn to_json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StorageError::Corrupt(e.to_string()))
}

fn from_json<T: for<'de> Deserialize<'de>>(text: &str, column: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StorageError::Corrupt(format!("{column}: {e}")))
}

fn api_key_from_row(r: &AnyRow) -> Result<ApiKeyRecord> {
    let scopes: String = r.try_get("scopes")?;
    Ok(ApiKeyRecord {
        id: r.try_get("id")?,
        user_id: r.try_get("user_id")?,
        name: r.try_get("name")?,
        prefix: r.try_get("prefix")?,
        key_hash: r.try_get("key_hash")?,
        role: r.try_get("role")?,
        scopes: scopes
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        ttl_seconds: r.try_get("ttl_seconds")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        revoked_at: r.try_get("revoked_at")?,
        replaced_by: r.try_get("replaced_by")?,
        last_used_at: r.try_get("last_used_at")?,
        last_used_ip: r.try_get("last_used_ip")?,
    })
}

fn candidate_from_row(r: &AnyRow) -> Result<CandidateRecord> {
    let skills: String = r.try_get("skills")?;
    let languages: String = r.try_get("languages")?;
    let format: Option<String> = r.try_get("source_format")?;
    Ok(CandidateRecord {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        email: r.try_get("email")?,
        phone: r.try_get("phone")?,
        location: r.try_get("location")?,
        skills: from_json(&skills, "skills")?,
        years_experience: r.try_get("years_experience")?,
        seniority: r.try_get("seniority")?,
        education: r.try_get("education")?,
        languages: from_json(&languages, "languages")?,
        salary_expectation: r.try_get("salary_expectation")?,
        source: match format {
            Some(format) => Some(SourceRecord {
                filename: r.try_get("source_filename")?,
                content_type: r.try_get("source_content_type")?,
                format,
            }),
            None => None,
        },
        text: r.try_get("resume_text")?,
        created_at: r.try_get("created_at")?,
    })
}

fn job_from_row(r: &AnyRow) -> Result<JobRecord> {
    let required: String = r.try_get("required_skills")?;
    let nice: String = r.try_get("nice_to_have_skills")?;
    Ok(JobRecord {
        id: r.try_get("id")?,
        title: r.try_get("title")?,
        company: r.try_get("company")?,
        description: r.try_get("description")?,
        required_skills: from_json(&required, "required_skills")?,
        nice_to_have_skills: from_json(&nice, "nice_to_have_skills")?,
        seniority: r.try_get("seniority")?,
        min_years: r.try_get("min_years")?,
        location: r.try_get("location")?,
        remote: r.try_get("remote")?,
        salary_min: r.try_get("salary_min")?,
        salary_max: r.try_get("salary_max")?,
        currency: r.try_get("currency")?,
        status: r.try_get("status")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}
