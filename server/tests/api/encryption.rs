//! Field encryption at rest and online key rotation, on both backends: no
//! plaintext of a known candidate in the SQLite file (WAL included) or a
//! PostgreSQL dump; rotation with the old key removed afterwards; a rotation
//! stopped midway and resumed; writes during a rotation; a missing key
//! refused without changes; rows from before encryption converted.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use mismatch_core::security::fernet::Keyring;
use mismatch_server::config::Settings;
use mismatch_server::ids::{CandidateId, UserId};
use mismatch_server::services::encryption::{RotationOptions, preflight, rotate};
use mismatch_server::storage::users::UserRecord;
use mismatch_server::storage::{Storage, StorageTarget};
use mismatch_server::{AppState, app};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::support::{DbGuard, TestApp};

const NAME: &str = "Quentin Zyxwvutson";
const EMAIL: &str = "Quentin.Zyxwvutson@Example.org";
const PHONE: &str = "+44 20 7946 0958";
const PLACE: &str = "Reykjavik, Iceland";
const FILENAME: &str = "zyxwvutson-cv.txt";

fn resume(n: usize) -> String {
    format!(
        "{NAME}\nBackend Engineer\n{EMAIL} | {PHONE} | {PLACE}\n\nSUMMARY\nCandidate {n}: \
         7 years of Rust, PostgreSQL and Kubernetes.\n\nSKILLS\nRust, PostgreSQL, Kubernetes\n"
    )
}

/// The strings that must not be stored in clear, as given and lower-cased.
fn secrets() -> Vec<String> {
    let mut all = Vec::new();
    for s in [
        NAME,
        EMAIL,
        PHONE,
        PLACE,
        FILENAME,
        "Zyxwvutson",
        "7946 0958",
    ] {
        all.push(s.to_owned());
        all.push(s.to_lowercase());
    }
    all
}

fn settings_with_keys(keys: &str) -> Settings {
    let mut settings = Settings::default();
    settings.identity.encryption_keys = Some(Arc::new(Keyring::parse(keys).unwrap()));
    settings
}

/// A new process over the same database: its own pool and these keys.
async fn restart(db: &DbGuard, keys: &str) -> AppState {
    let target = match db.sqlite_dir() {
        Some(dir) => StorageTarget::SqliteDir(dir),
        None => StorageTarget::Postgres(db.url()),
    };
    let storage = Storage::open(&target).await.unwrap();
    AppState::new(storage, settings_with_keys(keys))
}

async fn call(
    state: &AppState,
    key: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {key}"));
    let body = match body {
        Some(v) => {
            builder = builder.header("content-type", "application/json");
            Body::from(v.to_string())
        }
        None => Body::empty(),
    };
    let response = app(state.clone())
        .oneshot(builder.body(body).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, value)
}

async fn create(state: &AppState, key: &str, n: usize) -> String {
    let (status, body) = call(
        state,
        key,
        Method::POST,
        "/v1/candidates",
        Some(json!({"text": resume(n)})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

async fn upload(state: &AppState, key: &str, n: usize) -> String {
    let request = Request::builder()
        .method(Method::POST)
        .uri(format!("/v1/candidates/upload?filename={FILENAME}"))
        .header("authorization", format!("Bearer {key}"))
        .header("content-type", "text/plain")
        .body(Body::from(resume(n)))
        .unwrap();
    let response = app(state.clone()).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let bytes = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    body["id"].as_str().unwrap().to_owned()
}

/// The phases and outcomes of the `encryption.rotate` audit events,
/// oldest first.
async fn rotation_events(state: &AppState, key: &str) -> Vec<(String, String)> {
    let (status, page) = call(
        state,
        key,
        Method::GET,
        "/v1/audit-events?action=encryption.rotate&limit=100",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let mut events: Vec<(i64, String, String)> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["seq"].as_i64().unwrap(),
                e["details"]["phase"].as_str().unwrap().to_owned(),
                e["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    events.sort();
    events.into_iter().map(|(_, p, o)| (p, o)).collect()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

/// Every candidate reads back in clear through the API.
async fn assert_readable(state: &AppState, key: &str, ids: &[String]) {
    for id in ids {
        let (status, c) = call(
            state,
            key,
            Method::GET,
            &format!("/v1/candidates/{id}"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{id}: {c}");
        assert_eq!(c["name"], NAME, "{c}");
        assert!(c["text"].as_str().unwrap().contains(PHONE));
    }
    let (status, list) = call(state, key, Method::GET, "/v1/candidates?limit=100", None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    for item in list["items"].as_array().unwrap() {
        assert_eq!(item["name"], NAME);
    }
}

/// The bytes the database keeps: the SQLite file and its WAL, or a
/// `pg_dump` of the PostgreSQL database.
fn stored_bytes(db: &DbGuard) -> Vec<u8> {
    match db.sqlite_dir() {
        Some(dir) => {
            let mut bytes = std::fs::read(dir.join("mismatch.db")).unwrap();
            let wal = dir.join("mismatch.db-wal");
            assert!(wal.exists(), "the WAL is part of what is checked");
            bytes.extend(std::fs::read(wal).unwrap());
            bytes
        }
        None => {
            let out = std::process::Command::new("pg_dump")
                .arg("--no-owner")
                .arg(db.url())
                .output()
                .expect("pg_dump runs");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            out.stdout
        }
    }
}

fn find(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn no_plaintext_of_a_candidate_is_stored() {
    for postgres in [false, true] {
        let Some(app) = TestApp::new(postgres).await else {
            continue;
        };
        let key = app.admin_key.clone();
        let a = create(&app.state, &key, 1).await;
        let b = upload(&app.state, &key, 2).await;
        assert_readable(&app.state, &key, &[a.clone(), b.clone()]).await;
        // The original document is kept, encrypted, and opens again.
        let file = app
            .state
            .storage()
            .candidate_file(&CandidateId::parse(&b).unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(file, resume(2).as_bytes());
        let stored = stored_bytes(&app.db);
        // The check can fail: the database does hold the candidates.
        assert!(find(&stored, &a) && find(&stored, &b));
        for s in secrets() {
            assert!(
                !find(&stored, &s),
                "{s:?} is stored in clear (postgres={postgres})"
            );
        }
    }
}

#[tokio::test]
async fn the_check_finds_plaintext_when_it_is_there() {
    // The same search over a legacy (pre-encryption) row finds it: the test
    // above is not blind.
    let app = TestApp::new(false).await.unwrap();
    insert_legacy(&app, "cand_01JLEGACY00000000000000000").await;
    let stored = stored_bytes(&app.db);
    assert!(find(&stored, NAME) && find(&stored, &EMAIL.to_lowercase()));
}

/// A candidate row as written before field encryption (key_id NULL,
/// plaintext), and a user with a TOTP secret sealed the old way.
async fn insert_legacy(app: &TestApp, id: &str) {
    let email = EMAIL.to_lowercase();
    app.execute_raw(&format!(
        "INSERT INTO candidates (id, name, email, phone, location, skills, years_experience, \
         seniority, education, languages, salary_expectation, source_filename, \
         source_content_type, source_format, resume_text, created_at) VALUES \
         ('{id}', '{NAME}', '{email}', '{PHONE}', '{PLACE}', '[]', 7.0, 'senior', NULL, '[]', \
         NULL, NULL, NULL, NULL, 'legacy {NAME} {email} {PHONE}', 1700000000000)"
    ))
    .await;
}

async fn enrol_totp(state: &AppState, n: u32, secret: &[u8]) -> UserId {
    let id = UserId::parse(&format!("usr_{n:026}")).unwrap();
    let user = UserRecord::new(
        id.clone(),
        format!("u{n}"),
        mismatch_core::security::Role::Viewer,
        1,
    );
    state.storage().insert_user(&user).await.unwrap();
    assert!(state.storage().set_pending_totp(&id, secret).await.unwrap());
    id
}

async fn totp_of(state: &AppState, id: &UserId) -> Vec<u8> {
    let user = state.storage().get_user(id).await.unwrap().unwrap();
    state.storage().open_totp_secret(&user).unwrap().unwrap()
}

async fn wait_for_rotation(state: &AppState, key: &str) -> Value {
    for _ in 0..600 {
        let (status, body) = call(
            state,
            key,
            Method::GET,
            "/v1/admin/encryption/rotation",
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        // On SQLite a pooled connection may still read the snapshot from
        // before the run's last commits for a moment (seen once in ~10
        // runs: `completed` with a few rows still counted as pending, and 0
        // on the next read), so a finished run is read until its counts
        // settle.
        let settled = body["state"] != "completed" || body["rows_pending"] == 0;
        if body["state"] != "running" && settled {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the rotation did not finish");
}

#[tokio::test]
async fn rotate_then_remove_the_old_key() {
    for postgres in [false, true] {
        let old = Keyring::generate_key_text();
        let new = Keyring::generate_key_text();
        let Some(app) = TestApp::with_settings(postgres, settings_with_keys(&old)).await else {
            continue;
        };
        let key = app.admin_key.clone();
        let mut ids = Vec::new();
        for n in 0..5 {
            ids.push(create(&app.state, &key, n).await);
        }
        ids.push(upload(&app.state, &key, 5).await);
        let user = enrol_totp(&app.state, 1, b"twenty bytes secret!").await;

        // A server holding only the new key cannot read, and refuses to
        // rotate without changing anything.
        let only_new = restart(&app.db, &new).await;
        let before = only_new.storage().encryption_status().await.unwrap();
        assert_eq!((before.total, before.pending), (7, 7));
        let (status, problem) = call(
            &only_new,
            &key,
            Method::POST,
            "/v1/admin/encryption/rotation",
            None,
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT, "{problem}");
        assert_eq!(problem["code"], "encryption_key_missing");
        assert!(problem["detail"].as_str().unwrap().contains("7 stored row"));
        assert_eq!(
            only_new.storage().encryption_status().await.unwrap(),
            before
        );
        let (status, _) = call(
            &only_new,
            &key,
            Method::GET,
            &format!("/v1/candidates/{}", ids[0]),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);

        // New key first, old key second: reads work, the rotation runs.
        let both = restart(&app.db, &format!("{new},{old}")).await;
        assert_readable(&both, &key, &ids).await;
        let by_email = both
            .storage()
            .find_candidates_by_email(&EMAIL.to_uppercase())
            .await
            .unwrap();
        assert_eq!(by_email.len(), 6, "rows under the old key are found too");
        let (status, started) = call(
            &both,
            &key,
            Method::POST,
            "/v1/admin/encryption/rotation",
            None,
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{started}");
        assert_eq!(started["rows_total"], 7);
        let done = wait_for_rotation(&both, &key).await;
        assert_eq!(done["state"], "completed", "{done}");
        assert_eq!(done["rows_pending"], 0, "{done}");
        assert_eq!(done["rows_done"], 7);
        assert_eq!(done["rows_rewritten"], 7);
        assert_eq!(
            done["primary_key_id"],
            Keyring::parse(&new).unwrap().primary_id().as_str()
        );
        // One audit log for every replica: the refused start, then the run.
        assert_eq!(
            rotation_events(&both, &key).await,
            pairs(&[
                ("refused", "failure"),
                ("started", "success"),
                ("completed", "success")
            ])
        );
        // Idempotent: a second run has nothing to do.
        let report = rotate(both.storage(), RotationOptions::default(), |_| {})
            .await
            .unwrap();
        assert_eq!(report.rewritten, 0);

        // Restart with the old key removed: everything reads.
        let after = restart(&app.db, &new).await;
        assert_readable(&after, &key, &ids).await;
        assert_eq!(totp_of(&after, &user).await, b"twenty bytes secret!");
        let file = after
            .storage()
            .candidate_file(&CandidateId::parse(&ids[5]).unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(file, resume(5).as_bytes());
        let by_email = after
            .storage()
            .find_candidates_by_email(EMAIL)
            .await
            .unwrap();
        assert_eq!(by_email.len(), 6, "blind indexes were recomputed");
        for s in secrets() {
            assert!(
                !find(&stored_bytes(&app.db), &s),
                "{s:?} in clear after rotation"
            );
        }
    }
}

#[tokio::test]
async fn an_interrupted_rotation_resumes() {
    for postgres in [false, true] {
        let old = Keyring::generate_key_text();
        let new = Keyring::generate_key_text();
        let Some(app) = TestApp::with_settings(postgres, settings_with_keys(&old)).await else {
            continue;
        };
        let key = app.admin_key.clone();
        let mut ids = Vec::new();
        for n in 0..10 {
            ids.push(create(&app.state, &key, n).await);
        }
        let both = restart(&app.db, &format!("{new},{old}")).await;
        let stopped = rotate(
            both.storage(),
            RotationOptions {
                batch_size: 2,
                max_rows: Some(3),
            },
            |_| {},
        )
        .await
        .unwrap();
        assert_eq!(stopped.rewritten, 3);
        assert_eq!((stopped.status.total, stopped.status.pending), (10, 7));
        // Half-rotated data reads under both keys.
        assert_readable(&both, &key, &ids).await;
        // Another process resumes it.
        let resumed_by = restart(&app.db, &format!("{new},{old}")).await;
        let mut seen = Vec::new();
        let finished = rotate(
            resumed_by.storage(),
            RotationOptions {
                batch_size: 3,
                max_rows: None,
            },
            |s| seen.push(s.pending),
        )
        .await
        .unwrap();
        assert_eq!(finished.rewritten, 7);
        assert_eq!(finished.status.pending, 0);
        assert_eq!(seen, [7, 4, 1, 0], "progress after each batch");
        assert_readable(&restart(&app.db, &new).await, &key, &ids).await;
    }
}

#[tokio::test]
async fn writes_during_a_rotation_are_kept() {
    for postgres in [false, true] {
        let old = Keyring::generate_key_text();
        let new = Keyring::generate_key_text();
        let Some(app) = TestApp::with_settings(postgres, settings_with_keys(&old)).await else {
            continue;
        };
        let key = app.admin_key.clone();
        let mut ids = Vec::new();
        for n in 0..30 {
            ids.push(create(&app.state, &key, n).await);
        }
        let users: Vec<UserId> = {
            let mut v = Vec::new();
            for n in 0..5 {
                v.push(enrol_totp(&app.state, n + 10, b"old secret of twenty").await);
            }
            v
        };
        let both = restart(&app.db, &format!("{new},{old}")).await;
        let rotation = {
            let storage = both.storage().clone();
            tokio::spawn(async move {
                rotate(
                    &storage,
                    RotationOptions {
                        batch_size: 1,
                        max_rows: None,
                    },
                    |_| {},
                )
                .await
            })
        };
        // Meanwhile: new candidates, erasures, TOTP re-enrolments.
        let mut added = Vec::new();
        for n in 0..10 {
            added.push(create(&both, &key, 100 + n).await);
        }
        let erased: Vec<String> = ids.drain(..5).collect();
        for id in &erased {
            let (status, _) = call(
                &both,
                &key,
                Method::DELETE,
                &format!("/v1/candidates/{id}"),
                None,
            )
            .await;
            assert_eq!(status, StatusCode::NO_CONTENT);
        }
        for user in &users {
            assert!(
                both.storage()
                    .set_pending_totp(user, b"new secret of twenty")
                    .await
                    .unwrap()
            );
        }
        let report = rotation.await.unwrap().unwrap();
        // Rows changed under the rotation's feet are left to a later batch
        // or were written under the new key already; either way a rerun
        // finishes with nothing pending.
        let report = if report.status.pending > 0 {
            rotate(both.storage(), RotationOptions::default(), |_| {})
                .await
                .unwrap()
        } else {
            report
        };
        assert_eq!(report.status.pending, 0);
        let after = restart(&app.db, &new).await;
        ids.extend(added);
        assert_readable(&after, &key, &ids).await;
        for id in &erased {
            let (status, _) = call(
                &after,
                &key,
                Method::GET,
                &format!("/v1/candidates/{id}"),
                None,
            )
            .await;
            assert_eq!(
                status,
                StatusCode::NOT_FOUND,
                "an erased candidate came back"
            );
        }
        let count = after.storage().count_candidates().await.unwrap();
        assert_eq!(count, i64::try_from(ids.len()).unwrap());
        for user in &users {
            assert_eq!(
                totp_of(&after, user).await,
                b"new secret of twenty",
                "a re-enrolment was lost"
            );
        }
    }
}

#[tokio::test]
async fn rows_from_before_encryption_are_converted_by_the_rotation() {
    for postgres in [false, true] {
        let Some(app) = TestApp::new(postgres).await else {
            continue;
        };
        let key = app.admin_key.clone();
        let id = "cand_01JLEGACY00000000000000000";
        insert_legacy(&app, id).await;
        assert_readable(&app.state, &key, &[id.to_owned()]).await;
        assert_eq!(
            app.state
                .storage()
                .find_candidates_by_email(EMAIL)
                .await
                .unwrap(),
            [CandidateId::parse(id).unwrap()]
        );
        let status = preflight(app.state.storage()).await.unwrap();
        assert_eq!((status.total, status.pending), (1, 1));
        let report = rotate(app.state.storage(), RotationOptions::default(), |_| {})
            .await
            .unwrap();
        assert_eq!((report.rewritten, report.status.pending), (1, 0));
        assert_readable(&app.state, &key, &[id.to_owned()]).await;
        assert_eq!(
            app.state
                .storage()
                .find_candidates_by_email(EMAIL)
                .await
                .unwrap(),
            [CandidateId::parse(id).unwrap()]
        );
        app.state.storage().flush_erased_pages().await.unwrap();
        if postgres {
            // Dead tuples of the old row version stay until vacuumed.
            app.execute_raw("VACUUM FULL candidates").await;
        }
        let stored = stored_bytes(&app.db);
        for s in secrets() {
            assert!(
                !find(&stored, &s),
                "{s:?} still in clear (postgres={postgres})"
            );
        }
    }
}

#[tokio::test]
async fn a_legacy_totp_secret_needs_the_old_key_and_is_converted() {
    for postgres in [false, true] {
        let Some(app) = TestApp::new(postgres).await else {
            continue;
        };
        let legacy = [7u8; 32];
        let user = enrol_totp(&app.state, 1, b"placeholder-secret!!").await;
        let sealed = mismatch_core::security::sealed::seal(
            &[&hex::encode(legacy), "totp", user.as_str()],
            b"legacy secret twenty",
        )
        .unwrap();
        app.execute_raw(&format!(
            "UPDATE users SET totp_secret_sealed = '{sealed}', totp_key_id = NULL WHERE id = '{user}'"
        ))
        .await;
        // Without the old key: a clear refusal, nothing changed.
        let err = preflight(app.state.storage()).await.unwrap_err();
        assert_eq!(err.code.as_str(), "encryption_key_missing");
        // With it (MISMATCH_SECRET_KEY): converted.
        let mut settings = Settings::default();
        settings.identity.secret_key = Some(
            mismatch_server::identity::SecretKey::from_base64(
                &base64::Engine::encode(&base64::engine::general_purpose::STANDARD, legacy),
                "MISMATCH_SECRET_KEY",
            )
            .unwrap(),
        );
        let ring = app.state.secrets().encryption().clone();
        let crypto = Arc::new(mismatch_server::storage::encryption::FieldCrypto::new(
            ring,
            settings.identity.secret_key.clone(),
        ));
        let state = AppState::new(app.state.storage().with_crypto(crypto), settings);
        assert_eq!(totp_of(&state, &user).await, b"legacy secret twenty");
        let report = rotate(state.storage(), RotationOptions::default(), |_| {})
            .await
            .unwrap();
        assert_eq!(report.status.pending, 0);
        // Now the keyring alone opens it.
        assert_eq!(totp_of(&app.state, &user).await, b"legacy secret twenty");
    }
}

#[tokio::test]
async fn rotation_endpoints_are_for_admins() {
    let app = TestApp::new(false).await.unwrap();
    let recruiter = app.key_with_role("recruiter").await;
    let (status, body) = call(
        &app.state,
        &recruiter,
        Method::POST,
        "/v1/admin/encryption/rotation",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = call(
        &app.state,
        &app.admin_key,
        Method::GET,
        "/v1/admin/encryption/rotation",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "idle");
}

const BIN: &str = env!("CARGO_BIN_EXE_mismatch-server");

/// The binary on the test database; on PostgreSQL its data dir (JWT key)
/// is `scratch`, not the working directory. A tokio command: waiting for it
/// must not block this runtime, whose audit writer may hold the SQLite
/// write lock until it runs again.
fn server_command(
    db: &DbGuard,
    keys: Option<&str>,
    scratch: &std::path::Path,
) -> tokio::process::Command {
    let mut cmd = std::process::Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("MISMATCH_LOG", "warn");
    if let Some(keys) = keys {
        cmd.env("MISMATCH_ENCRYPTION_KEYS", keys);
    }
    match db.sqlite_dir() {
        Some(dir) => cmd.env("MISMATCH_DATA_DIR", dir),
        None => cmd
            .env("DATABASE_URL", db.url())
            .env("MISMATCH_DATA_DIR", scratch),
    };
    tokio::process::Command::from(cmd)
}

#[tokio::test]
async fn rotate_keys_command() {
    for postgres in [false, true] {
        let old = Keyring::generate_key_text();
        let new = Keyring::generate_key_text();
        let Some(app) = TestApp::with_settings(postgres, settings_with_keys(&old)).await else {
            continue;
        };
        let key = app.admin_key.clone();
        let scratch = tempfile::tempdir().unwrap();
        let mut ids = Vec::new();
        for n in 0..3 {
            ids.push(create(&app.state, &key, n).await);
        }
        // Only the new key: refused, non-zero, the row count named, nothing changed.
        let out = server_command(&app.db, Some(&new), scratch.path())
            .arg("rotate-keys")
            .output()
            .await
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{stderr}");
        assert!(
            stderr.contains("3 stored row(s) open under no key"),
            "{stderr}"
        );
        let status = app.state.storage().encryption_status().await.unwrap();
        assert_eq!(
            (status.total, status.pending),
            (3, 0),
            "still under the old key"
        );
        // Stopped after 2 rows, then resumed.
        let both = format!("{new},{old}");
        let out = server_command(&app.db, Some(&both), scratch.path())
            .args(["rotate-keys", "--batch-size", "1", "--max-rows", "2"])
            .output()
            .await
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains("re-encrypted 2 row(s)") && stdout.contains("1 of 3"),
            "{stdout}"
        );
        let out = server_command(&app.db, Some(&both), scratch.path())
            .arg("rotate-keys")
            .output()
            .await
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains("re-encrypted 1 row(s); all 3 row(s)"),
            "{stdout}"
        );
        assert_eq!(
            rotation_events(&app.state, &key).await,
            pairs(&[
                ("refused", "failure"),
                ("started", "success"),
                ("stopped", "failure"),
                ("started", "success"),
                ("completed", "success"),
            ])
        );
        assert_readable(&restart(&app.db, &new).await, &key, &ids).await;
    }
}

#[tokio::test]
async fn bad_or_missing_keys_stop_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let db = DbGuard::Sqlite(dir);
    let good = Keyring::generate_key_text();
    let scratch = tempfile::tempdir().unwrap();
    let out = server_command(&db, Some(&format!("{good},not-a-key")), scratch.path())
        .arg("serve")
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("MISMATCH_ENCRYPTION_KEYS: encryption key #2 is not a Fernet key"),
        "{stderr}"
    );
    assert!(!stderr.contains(&good[..16]), "the good key was printed");
    // PostgreSQL without keys: refused before the database is touched (this
    // URL does not even answer).
    let out = std::process::Command::new(BIN)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .env("MISMATCH_DATA_DIR", db.sqlite_dir().unwrap())
        .arg("serve")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("MISMATCH_ENCRYPTION_KEYS is required with PostgreSQL"),
        "{stderr}"
    );
    assert!(!db.sqlite_dir().unwrap().join("encryption.keys").exists());
}
