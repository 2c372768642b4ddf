//! Test harness: an [`TestApp`] is the real router over a fresh database
//! (SQLite in a temporary directory, or a uniquely named PostgreSQL
//! database that is dropped afterwards), with an admin key.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use mismatch_core::security::Role;
use mismatch_server::config::Settings;
use mismatch_server::services::accounts::{self, KeySpec};
use mismatch_server::storage::encryption::FieldCrypto;
use mismatch_server::storage::{Storage, StorageTarget};
use mismatch_server::{AppState, app};
use serde_json::Value;
use sqlx::{AssertSqlSafe, Executor};
use tower::ServiceExt;

pub const DEFAULT_PG_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

pub enum DbGuard {
    Sqlite(tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl DbGuard {
    /// A URL for a second, raw connection to the test database, to change
    /// rows behind the server's back or read them as stored.
    pub fn url(&self) -> String {
        match self {
            DbGuard::Sqlite(dir) => format!(
                "sqlite://{}",
                dir.path().join("data").join("mismatch.db").display()
            ),
            DbGuard::Postgres { admin_url, name } => {
                let (base, _) = admin_url.rsplit_once('/').unwrap();
                format!("{base}/{name}")
            }
        }
    }

    /// The SQLite data directory (None on PostgreSQL).
    pub fn sqlite_dir(&self) -> Option<std::path::PathBuf> {
        match self {
            DbGuard::Sqlite(dir) => Some(dir.path().join("data")),
            DbGuard::Postgres { .. } => None,
        }
    }
}

impl Drop for DbGuard {
    fn drop(&mut self) {
        if let DbGuard::Postgres { admin_url, name } = self {
            let admin_url = admin_url.clone();
            let name = name.clone();
            // Drop runs outside any runtime guarantees (maybe during a panic),
            // so the database is dropped from a thread with its own runtime.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async move {
                    if let Ok(mut conn) = connect_admin(&admin_url).await {
                        let _ = conn
                            .execute(AssertSqlSafe(format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            )))
                            .await;
                    }
                });
            })
            .join();
        }
    }
}

async fn connect_admin(url: &str) -> Result<sqlx::AnyConnection, sqlx::Error> {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    sqlx::AnyConnection::connect(url).await
}

/// Whether PostgreSQL tests are skipped (`MISMATCH_SKIP_POSTGRES=1`), which
/// CI refuses: there every test must run on both engines.
pub fn skip_postgres() -> bool {
    let skip = std::env::var("MISMATCH_SKIP_POSTGRES").is_ok_and(|v| v == "1");
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    assert!(
        !(skip && ci),
        "MISMATCH_SKIP_POSTGRES=1 is refused under CI=true: the suite must run on PostgreSQL too"
    );
    skip
}

/// Whether tests written for the default engine run on PostgreSQL
/// instead (`MISMATCH_TEST_BACKEND=postgres`): the test command runs the
/// whole suite once per engine.
pub fn default_is_postgres() -> bool {
    std::env::var("MISMATCH_TEST_BACKEND").is_ok_and(|v| v == "postgres")
}

/// A fresh database of the given kind; PostgreSQL problems fail the test
/// unless `MISMATCH_SKIP_POSTGRES=1` (callers then return early).
pub async fn fresh_storage(postgres: bool) -> (Storage, DbGuard) {
    if !postgres {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::open(&StorageTarget::SqliteDir(dir.path().join("data")))
            .await
            .unwrap()
            .with_crypto(Arc::new(FieldCrypto::ephemeral()));
        return (storage, DbGuard::Sqlite(dir));
    }
    let admin_url = std::env::var("MISMATCH_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| DEFAULT_PG_ADMIN_URL.to_owned());
    let mut conn = connect_admin(&admin_url).await.unwrap_or_else(|e| {
        panic!(
            "PostgreSQL is not reachable at {admin_url}: {e}. Start it (tests/support/services.sh) or set MISMATCH_SKIP_POSTGRES=1"
        )
    });
    let mut suffix = [0u8; 8];
    getrandom::fill(&mut suffix).unwrap();
    let name = format!("mismatch_test_{}", hex::encode(suffix));
    conn.execute(AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .unwrap();
    let guard = DbGuard::Postgres {
        admin_url: admin_url.clone(),
        name: name.clone(),
    };
    let (base, _) = admin_url.rsplit_once('/').unwrap();
    let url = format!("{base}/{name}");
    let storage = Storage::open(&StorageTarget::Postgres(url))
        .await
        .unwrap()
        .with_crypto(Arc::new(FieldCrypto::ephemeral()));
    (storage, guard)
}

pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    pub admin_key: String,
    // Dropped last: the database must outlive the pool.
    pub db: DbGuard,
}

pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
}

impl TestResponse {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.bytes)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a problem+json error with this status and code; returns the body.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: &str) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "body: {}",
            String::from_utf8_lossy(&self.bytes)
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json")
        );
        let body = self.json();
        assert_eq!(body["code"], code, "body: {body}");
        assert_eq!(body["status"], status);
        assert!(body["type"].as_str().unwrap().ends_with(code));
        assert!(!body["request_id"].as_str().unwrap().is_empty());
        assert_eq!(
            Some(body["request_id"].as_str().unwrap()),
            self.header("x-request-id")
        );
        body
    }
}

impl TestApp {
    pub async fn new(postgres: bool) -> Option<TestApp> {
        Self::with_settings(postgres, Settings::default()).await
    }

    pub async fn with_settings(postgres: bool, settings: Settings) -> Option<TestApp> {
        let postgres = postgres || default_is_postgres();
        if postgres && skip_postgres() {
            eprintln!("skipping PostgreSQL test: MISMATCH_SKIP_POSTGRES=1");
            return None;
        }
        let (storage, guard) = fresh_storage(postgres).await;
        let spec = KeySpec {
            name: "test-admin",
            role: Role::Admin,
            scopes: &[],
            ttl_seconds: None,
            expires_at: None,
        };
        let (_, issued) = accounts::create_user_with_key(&storage, &spec, None)
            .await
            .unwrap();
        let state = AppState::new(storage, settings);
        Some(TestApp {
            router: app(state.clone()),
            state,
            admin_key: issued.secret,
            db: guard,
        })
    }

    /// Runs `sql` on the test database over a connection of its own.
    pub async fn execute_raw(&self, sql: &str) {
        use sqlx::Connection;
        let mut conn = sqlx::AnyConnection::connect(&self.db.url()).await.unwrap();
        conn.execute(AssertSqlSafe(sql.to_owned())).await.unwrap();
        conn.close().await.unwrap();
    }

    pub async fn send(&self, request: Request<Body>) -> TestResponse {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec();
        TestResponse {
            status,
            headers,
            bytes,
        }
    }

    /// A JSON request (or none) with an optional API key.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> TestResponse {
        let mut builder = Request::builder().method(method).uri(path);
        if let Some(key) = key {
            builder = builder.header("authorization", format!("Bearer {key}"));
        }
        let body = match body {
            Some(json) => {
                builder = builder.header("content-type", "application/json");
                Body::from(serde_json::to_vec(&json).unwrap())
            }
            None => Body::empty(),
        };
        let mut request = builder.body(body).unwrap();
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
        self.send(request).await
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.call(Method::GET, path, Some(&self.admin_key.clone()), None)
            .await
    }

    pub async fn post(&self, path: &str, body: Value) -> TestResponse {
        self.call(
            Method::POST,
            path,
            Some(&self.admin_key.clone()),
            Some(body),
        )
        .await
    }

    /// Creates a key with `role` as the admin; returns its secret.
    pub async fn key_with_role(&self, role: &str) -> String {
        let r = self
            .post(
                "/v1/api-keys",
                serde_json::json!({"name": format!("{role}-key"), "role": role}),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "{}",
            String::from_utf8_lossy(&r.bytes)
        );
        r.json()["key"].as_str().unwrap().to_owned()
    }
}

pub fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Runs an async test body against SQLite and against PostgreSQL.
#[macro_export]
macro_rules! both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;

            #[tokio::test]
            async fn sqlite() {
                let app = $crate::support::TestApp::new(false).await.unwrap();
                ($body)(app).await;
            }

            #[tokio::test]
            async fn postgres() {
                if let Some(app) = $crate::support::TestApp::new(true).await {
                    ($body)(app).await;
                }
            }
        }
    };
}
