//! The audit log: every request and security event recorded, the admin-only
//! listing (filters, pagination, CSV), append-only tables, `audit verify`
//! against modified, inserted and deleted events, and the retention purge
//! with its signed checkpoint.

use std::process::Command;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};

use mismatch_core::security::audit::Tamper;
use mismatch_core::security::fernet::Keyring;
use mismatch_server::AppState;
use mismatch_server::config::Settings;
use mismatch_server::services::audit::{self, Verification};
use mismatch_server::state::now_ms;
use mismatch_server::storage::encryption::FieldCrypto;

use crate::both_backends;
use crate::support::{DbGuard, TestApp, fresh_storage};

const BIN: &str = env!("CARGO_BIN_EXE_mismatch-server");

async fn events(app: &TestApp, query: &str) -> Vec<Value> {
    let r = app
        .get(&format!("/v1/audit-events?limit=100&{query}"))
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.bytes)
    );
    r.json()["items"].as_array().unwrap().clone()
}

async fn create_candidate(app: &TestApp, text: &str) -> String {
    let r = app.post("/v1/candidates", json!({ "text": text })).await;
    assert_eq!(r.status, StatusCode::CREATED);
    r.json()["id"].as_str().unwrap().to_owned()
}

fn actor_of(list: &[Value]) -> String {
    list[0]["actor_user_id"].as_str().unwrap().to_owned()
}

both_backends!(every_request_is_recorded, |app: TestApp| async move {
    let id = create_candidate(&app, "Ada Lovelace\nPython, 6 years of experience").await;
    let mut request = Request::builder()
        .method(Method::GET)
        .uri(format!("/v1/candidates/{id}"))
        .header("authorization", format!("Bearer {}", app.admin_key))
        .header("user-agent", format!("probe/1.0 {}", "x".repeat(400)))
        .header("x-request-id", "req_audit_test")
        .header("x-forwarded-for", "203.0.113.9")
        .body(Body::empty())
        .unwrap();
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            [127, 0, 0, 1],
            40000,
        ))));
    assert_eq!(app.send(request).await.status, StatusCode::OK);
    let missing = app
        .get("/v1/candidates/cand_01JZZZZZZZZZZZZZZZZZZZZZZZ")
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    let created = events(&app, "action=candidates.create").await;
    assert_eq!(created.len(), 1, "{created:?}");
    let e = &created[0];
    assert_eq!(e["resource_type"], "candidates");
    // A create's path names no id: the service notes the new one.
    assert_eq!(e["resource_id"], id.as_str());
    assert_eq!(e["status"], 201);
    assert_eq!(e["outcome"], "success");
    assert!(e["actor_user_id"].as_str().unwrap().starts_with("usr_"));
    assert!(e["actor_key_id"].as_str().unwrap().starts_with("key_"));
    assert_eq!(e["details"]["method"], "POST");
    assert_eq!(e["details"]["route"], "/v1/candidates");
    // The request body (a resume) is never in the log.
    assert!(!e.to_string().contains("Lovelace"));

    let read = events(&app, &format!("action=candidates.get&resource_id={id}")).await;
    assert_eq!(read.len(), 1, "{read:?}");
    let e = &read[0];
    assert_eq!(e["request_id"], "req_audit_test");
    assert_eq!(e["user_agent"].as_str().unwrap().chars().count(), 256);
    // X-Forwarded-For from an untrusted peer is ignored.
    assert_eq!(e["client_ip"], "127.0.0.1");
    let failed = events(&app, "action=candidates.get&outcome=failure").await;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["status"], 404);

    // An Idempotency-Key (every SDK POST carries one) authenticates in the
    // idempotency layer, before any extractor: the actor is still named.
    let keyed = Request::builder()
        .method(Method::POST)
        .uri("/v1/jobs")
        .header("authorization", format!("Bearer {}", app.admin_key))
        .header("content-type", "application/json")
        .header("idempotency-key", "audit-actor-probe-0001")
        .body(Body::from(
            json!({ "title": "Data engineer", "description": "Spark and SQL" }).to_string(),
        ))
        .unwrap();
    let r = app.send(keyed).await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&r.bytes)
    );
    let job_id = r.json()["id"].as_str().unwrap().to_owned();
    let jobs = events(&app, "action=jobs.create").await;
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(jobs[0]["actor_user_id"], e["actor_user_id"]);
    assert_eq!(jobs[0]["resource_id"], job_id.as_str());

    // Unauthenticated requests are recorded as denied, with no actor.
    let r = app.call(Method::GET, "/v1/jobs", None, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let denied = events(&app, "action=jobs.list&outcome=denied").await;
    assert_eq!(denied.len(), 1);
    assert!(denied[0]["actor_user_id"].is_null());
});

#[tokio::test]
async fn forwarded_addresses_count_only_from_trusted_proxies() {
    let mut settings = Settings::default();
    settings.rate_limit.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    let app = TestApp::with_settings(false, settings).await.unwrap();
    let mut request = Request::builder()
        .uri("/v1/jobs")
        .header("authorization", format!("Bearer {}", app.admin_key))
        .header("x-forwarded-for", "198.51.100.4, 203.0.113.9")
        .body(Body::empty())
        .unwrap();
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            [127, 0, 0, 1],
            40000,
        ))));
    assert_eq!(app.send(request).await.status, StatusCode::OK);
    let listed = events(&app, "action=jobs.list").await;
    assert_eq!(listed[0]["client_ip"], "203.0.113.9");
}

both_backends!(security_events_are_recorded, |app: TestApp| async move {
    // A user who logs in.
    let r = app
        .post(
            "/v1/users",
            json!({"email": "grace@example.com", "name": "Grace", "role": "recruiter", "password": "correct horse battery staple"}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&r.bytes)
    );
    let user_id = r.json()["id"].as_str().unwrap().to_owned();
    let login = |email: &'static str, password: &'static str| {
        app.call(
            Method::POST,
            "/v1/auth/login",
            None,
            Some(json!({"email": email, "password": password})),
        )
    };
    assert_eq!(
        login("grace@example.com", "wrong password!!").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login("nobody@example.com", "whatever it is").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login("grace@example.com", "correct horse battery staple")
            .await
            .status,
        StatusCode::OK
    );

    let logins = events(&app, "action=auth.login").await;
    assert_eq!(logins.len(), 3, "{logins:?}");
    // Newest first.
    assert_eq!(logins[0]["outcome"], "success");
    assert_eq!(logins[0]["actor_user_id"], user_id.as_str());
    assert_eq!(logins[1]["outcome"], "failure");
    assert_eq!(logins[1]["details"]["reason"], "unknown_user");
    assert!(logins[1]["actor_user_id"].is_null());
    assert_eq!(logins[2]["details"]["reason"], "wrong_password");
    assert_eq!(logins[2]["actor_user_id"], user_id.as_str());
    // Neither the unknown email nor any password is stored.
    let all = app.get("/v1/audit-events?format=csv").await;
    let text = String::from_utf8_lossy(&all.bytes);
    for secret in [
        "nobody@example.com",
        "grace@example.com",
        "correct horse",
        "wrong password",
    ] {
        assert!(!text.contains(secret), "{secret} in the audit log");
    }

    // Role change and disabling.
    let r = app
        .call(
            Method::PATCH,
            &format!("/v1/users/{user_id}"),
            Some(&app.admin_key.clone()),
            Some(json!({"role": "viewer", "disabled": true})),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.bytes)
    );
    let change = events(&app, "action=user.role_change").await;
    assert_eq!(change[0]["resource_id"], user_id.as_str());
    assert_eq!(
        change[0]["details"],
        json!({"from": "recruiter", "to": "viewer"})
    );
    assert_eq!(events(&app, "action=user.disable").await.len(), 1);

    // API keys: created, rotated, revoked, then used after revocation.
    let r = app
        .post("/v1/api-keys", json!({"name": "ci", "role": "viewer"}))
        .await;
    let key_id = r.json()["id"].as_str().unwrap().to_owned();
    let created = events(&app, "action=api_key.create").await;
    assert!(created.iter().any(|e| e["resource_id"] == key_id.as_str()));
    let r = app
        .post(&format!("/v1/api-keys/{key_id}/rotate"), json!({}))
        .await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&r.bytes)
    );
    let new_key = r.json()["key"].as_str().unwrap().to_owned();
    let new_id = r.json()["id"].as_str().unwrap().to_owned();
    let rotated = events(&app, "action=api_key.rotate").await;
    assert_eq!(rotated[0]["resource_id"], key_id.as_str());
    assert_eq!(rotated[0]["details"]["new_key_id"], new_id.as_str());
    let r = app
        .post(&format!("/v1/api-keys/{new_id}/revoke"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let revoked = events(&app, "action=api_key.revoke").await;
    assert_eq!(revoked[0]["resource_id"], new_id.as_str());
    let r = app
        .call(Method::GET, "/v1/jobs", Some(&new_key), None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let used = events(&app, "action=api_key.use_revoked").await;
    assert_eq!(used.len(), 1);
    assert_eq!(used[0]["outcome"], "denied");
    assert_eq!(used[0]["resource_id"], new_id.as_str());
    // The secret itself is nowhere in the log.
    let all = app.get("/v1/audit-events?format=csv").await;
    assert!(!String::from_utf8_lossy(&all.bytes).contains(&new_key));
});

both_backends!(only_admins_read_the_log, |app: TestApp| async move {
    for role in ["recruiter", "viewer"] {
        let key = app.key_with_role(role).await;
        let r = app
            .call(Method::GET, "/v1/audit-events", Some(&key), None)
            .await;
        r.assert_problem(403, "forbidden");
    }
    // No operation changes or deletes an event.
    for method in [Method::DELETE, Method::PATCH, Method::PUT, Method::POST] {
        let r = app
            .call(
                method.clone(),
                "/v1/audit-events",
                Some(&app.admin_key.clone()),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
    }
});

both_backends!(filters_pagination_and_csv, |app: TestApp| async move {
    for i in 0..5 {
        create_candidate(&app, &format!("Candidate {i}\nRust")).await;
    }
    let all = events(&app, "action=candidates.create").await;
    assert_eq!(all.len(), 5);
    let actor = actor_of(&all);
    // Pages of two, newest first, disjoint, covering everything.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let r = app
            .get(&format!(
                "/v1/audit-events?action=candidates.create&limit=2&cursor={cursor}"
            ))
            .await;
        let body = r.json();
        for e in body["items"].as_array().unwrap() {
            seen.push(e["seq"].as_i64().unwrap());
        }
        match body["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => break,
        }
    }
    let want: Vec<i64> = all.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seen, want);
    assert!(want.windows(2).all(|w| w[0] > w[1]));

    assert_eq!(
        events(&app, &format!("actor={actor}&action=candidates.create"))
            .await
            .len(),
        5
    );
    assert!(
        events(&app, "actor=usr_01JZZZZZZZZZZZZZZZZZZZZZZZ")
            .await
            .is_empty()
    );
    // Time range: nothing in the future, everything since a minute ago.
    let future = mismatch_server::state::rfc3339(now_ms() + 60_000).replace('+', "%2B");
    let past = mismatch_server::state::rfc3339(now_ms() - 60_000);
    assert!(events(&app, &format!("from={future}")).await.is_empty());
    assert_eq!(
        events(
            &app,
            &format!("action=candidates.create&from={past}&to={future}")
        )
        .await
        .len(),
        5
    );
    let r = app.get("/v1/audit-events?from=yesterday").await;
    r.assert_problem(422, "validation_failed");
    let r = app.get("/v1/audit-events?outcome=maybe").await;
    assert_eq!(r.status.as_u16(), 422);

    // CSV through Accept and through format=csv: a header and every event.
    for (query, accept) in [
        ("action=candidates.create", "text/csv"),
        ("action=candidates.create&format=csv", "*/*"),
    ] {
        let mut request = Request::builder()
            .uri(format!("/v1/audit-events?{query}&limit=2"))
            .header("authorization", format!("Bearer {}", app.admin_key))
            .header("accept", accept)
            .body(Body::empty())
            .unwrap();
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                [127, 0, 0, 1],
                40000,
            ))));
        let r = app.send(request).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.header("content-type").unwrap().starts_with("text/csv"));
        let mut reader = csv::Reader::from_reader(&r.bytes[..]);
        assert_eq!(&reader.headers().unwrap()[4], "action");
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(
            rows.len(),
            5,
            "CSV holds every matching event, not one page"
        );
        assert!(rows.iter().all(|row| &row[4] == "candidates.create"));
    }
});

both_backends!(csv_streams_every_page, |app: TestApp| async move {
    // More events than one page (MAX_PAGE_SIZE, 100) of the stream holds.
    for i in 0..230 {
        audit::record(
            &app.state,
            audit::AuditEvent::new("test.bulk").resource("tests", format!("t{i}")),
        )
        .await
        .unwrap();
    }
    let request = Request::builder()
        .uri("/v1/audit-events?action=test.bulk&format=csv")
        .header("authorization", format!("Bearer {}", app.admin_key))
        .body(Body::empty())
        .unwrap();
    let r = app.send(request).await;
    assert_eq!(r.status, StatusCode::OK);
    let mut reader = csv::Reader::from_reader(&r.bytes[..]);
    assert_eq!(reader.headers().unwrap().len(), 15);
    let seqs: Vec<i64> = reader
        .records()
        .map(|row| row.unwrap()[0].parse().unwrap())
        .collect();
    assert_eq!(seqs.len(), 230, "every event, across three pages");
    assert!(
        seqs.windows(2).all(|w| w[0] > w[1]),
        "newest first, no event twice"
    );
});

/// Raw SQL on the test database, answering the error if any.
async fn try_raw(db: &DbGuard, sql: &str) -> Result<(), String> {
    use sqlx::{Connection, Executor};
    let mut conn = sqlx::AnyConnection::connect(&db.url()).await.unwrap();
    let result = conn
        .execute(sqlx::AssertSqlSafe(sql.to_owned()))
        .await
        .map(|_| ())
        .map_err(|e| e.to_string());
    conn.close().await.unwrap();
    result
}

fn is_postgres(db: &DbGuard) -> bool {
    matches!(db, DbGuard::Postgres { .. })
}

/// What an attacker with database access does first: switch the guard off.
async fn disable_guard(db: &DbGuard) {
    let sql = if is_postgres(db) {
        "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"
    } else {
        "DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete"
    };
    try_raw(db, sql).await.unwrap();
}

both_backends!(
    the_tables_refuse_update_and_delete,
    |app: TestApp| async move {
        create_candidate(&app, "Someone\nRust").await;
        audit::flush(&app.state).await;
        for sql in [
            "UPDATE audit_events SET outcome = 'success' WHERE seq = 1",
            "DELETE FROM audit_events WHERE seq = 1",
            "DELETE FROM audit_events",
        ] {
            let err = try_raw(&app.db, sql).await.unwrap_err();
            assert!(err.contains("append-only"), "{sql}: {err}");
        }
        if is_postgres(&app.db) {
            let err = try_raw(&app.db, "TRUNCATE audit_events").await.unwrap_err();
            assert!(err.contains("append-only"), "{err}");
        }
        let verified = audit::verify(app.state.storage(), keyring(&app))
            .await
            .unwrap();
        assert!(matches!(verified, Verification::Intact { events, .. } if events >= 1));
    }
);

fn keyring(app: &TestApp) -> Option<&Keyring> {
    app.state.storage().crypto().map(|c| c.keyring())
}

/// An app with `n` request events (n candidates created), flushed.
async fn with_events(app: &TestApp, n: usize) {
    for i in 0..n {
        create_candidate(app, &format!("Candidate {i}\nGo")).await;
    }
    audit::flush(&app.state).await;
}

async fn verdict(app: &TestApp) -> Verification {
    audit::verify(app.state.storage(), keyring(app))
        .await
        .unwrap()
}

both_backends!(verify_finds_a_modified_event, |app: TestApp| async move {
    with_events(&app, 4).await;
    assert!(matches!(
        verdict(&app).await,
        Verification::Intact { events: 4, .. }
    ));
    disable_guard(&app.db).await;
    try_raw(
        &app.db,
        "UPDATE audit_events SET outcome = 'failure' WHERE seq = 3",
    )
    .await
    .unwrap();
    assert_eq!(
        verdict(&app).await,
        Verification::Tampered(Tamper::Modified { seq: 3 })
    );
});

both_backends!(verify_finds_an_inserted_event, |app: TestApp| async move {
    with_events(&app, 4).await;
    disable_guard(&app.db).await;
    // Slip a copy of event 2 in after it: renumber 3.. up by one (from the
    // top, so the primary key never collides), insert it as 3.
    for seq in (3..=4).rev() {
        try_raw(
            &app.db,
            &format!(
                "UPDATE audit_events SET seq = {} WHERE seq = {seq}",
                seq + 1
            ),
        )
        .await
        .unwrap();
    }
    try_raw(
        &app.db,
        "INSERT INTO audit_events SELECT 3, occurred_at, actor_user_id, actor_key_id, action, \
         resource_type, resource_id, details, client_ip, user_agent, request_id, outcome, status, \
         hash, hash FROM audit_events WHERE seq = 2",
    )
    .await
    .unwrap();
    // The forged event's own hash must hold, as an attacker would compute
    // it: fix it through the library.
    let forged = app
        .state
        .storage()
        .audit_events_after(2, 1)
        .await
        .unwrap()
        .remove(0);
    let hash = forged.content.chain_hash(&forged.prev_hash);
    try_raw(
        &app.db,
        &format!("UPDATE audit_events SET hash = '{hash}' WHERE seq = 3"),
    )
    .await
    .unwrap();
    try_raw(&app.db, "UPDATE audit_head SET seq = seq + 1")
        .await
        .unwrap();
    assert_eq!(
        verdict(&app).await,
        Verification::Tampered(Tamper::Inserted { seq: 3 })
    );
});

both_backends!(verify_finds_deleted_events, |app: TestApp| async move {
    with_events(&app, 5).await;
    disable_guard(&app.db).await;
    try_raw(&app.db, "DELETE FROM audit_events WHERE seq = 3")
        .await
        .unwrap();
    assert_eq!(
        verdict(&app).await,
        Verification::Tampered(Tamper::Deleted { first: 3, last: 3 })
    );
    try_raw(&app.db, "DELETE FROM audit_events WHERE seq = 1")
        .await
        .unwrap();
    assert_eq!(
        verdict(&app).await,
        Verification::Tampered(Tamper::Deleted { first: 1, last: 1 })
    );
});

both_backends!(verify_finds_a_deleted_tail, |app: TestApp| async move {
    with_events(&app, 3).await;
    disable_guard(&app.db).await;
    try_raw(&app.db, "DELETE FROM audit_events WHERE seq = 3")
        .await
        .unwrap();
    assert_eq!(
        verdict(&app).await,
        Verification::Tampered(Tamper::Truncated { first: 3, last: 3 })
    );
});

both_backends!(
    the_purge_leaves_a_verifiable_chain,
    |app: TestApp| async move {
        with_events(&app, 3).await;
        // Make the first two events a year and a day old (the guard is off for
        // the setup only, then back: the purge must work with it on).
        disable_guard(&app.db).await;
        let old = now_ms() - 366 * 86_400_000;
        try_raw(
            &app.db,
            &format!("UPDATE audit_events SET occurred_at = {old} WHERE seq <= 2"),
        )
        .await
        .unwrap();
        // The hashes covered the old times: re-chain as a migration would not
        // (the purge must not care, it deletes them).
        let sql = if is_postgres(&app.db) {
            "ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only".to_owned()
        } else {
            "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events \
         WHEN NOT EXISTS (SELECT 1 FROM audit_purge) \
         BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
                .to_owned()
        };
        try_raw(&app.db, &sql).await.unwrap();
        let deleted = audit::purge(&app.state).await.unwrap();
        assert_eq!(deleted, 2);
        let cp = app
            .state
            .storage()
            .latest_audit_checkpoint()
            .await
            .unwrap()
            .unwrap();
        assert_eq!(cp.checkpoint.seq, 2);
        match verdict(&app).await {
            Verification::Intact { events, checkpoint } => {
                // Event 3 and on; the purge records itself too.
                assert!(events >= 2, "{events}");
                assert_eq!(checkpoint.unwrap().seq, 2);
            }
            other => panic!("{other:?}"),
        }
        let purges = events(&app, "action=audit_events.purge").await;
        assert_eq!(purges[0]["details"]["deleted"], 2);
        // A second purge finds nothing more.
        assert_eq!(audit::purge(&app.state).await.unwrap(), 0);

        // A checkpoint forged to hide more deletions is refused: its MAC does
        // not verify.
        try_raw(&app.db, "UPDATE audit_checkpoints SET seq = 3")
            .await
            .unwrap();
        assert_eq!(
            verdict(&app).await,
            Verification::ForgedCheckpoint { seq: 3 }
        );
        // Nor does the old MAC under another key.
        try_raw(&app.db, "UPDATE audit_checkpoints SET seq = 2")
            .await
            .unwrap();
        assert!(matches!(verdict(&app).await, Verification::Intact { .. }));
        let other = Keyring::parse(&Keyring::generate_key_text()).unwrap();
        assert_eq!(
            audit::verify(app.state.storage(), Some(&other))
                .await
                .unwrap(),
            Verification::ForgedCheckpoint { seq: 2 }
        );
    }
);

async fn remac_after_rotation(postgres: bool) {
    let old_key = Keyring::generate_key_text();
    let Some((state, db)) = app_with_key(postgres, &old_key).await else {
        return;
    };
    for i in 0..2 {
        audit::record_with(
            &state,
            &audit::AuditContext::system("test"),
            audit::AuditEvent::new("tests.write").detail("i", i),
        )
        .await
        .unwrap();
    }
    let old_ring = Keyring::parse(&old_key).unwrap();
    let storage = state.storage();
    storage
        .purge_audit(now_ms() + 1, &old_ring, now_ms())
        .await
        .unwrap()
        .unwrap();
    // A new primary, the old key still in the ring.
    let new_key = Keyring::generate_key_text();
    let rotated = Keyring::parse(&format!("{new_key},{old_key}")).unwrap();
    assert_eq!(storage.remac_audit_checkpoints(&rotated).await.unwrap(), 1);
    assert_eq!(storage.remac_audit_checkpoints(&rotated).await.unwrap(), 0);
    // The old key can go: the new one alone verifies the checkpoint.
    let new_only = Keyring::parse(&new_key).unwrap();
    let verdict = audit::verify(storage, Some(&new_only)).await.unwrap();
    assert!(
        matches!(verdict, Verification::Intact { .. }),
        "{verdict:?}"
    );
    // A forged checkpoint is not laundered by a re-MAC.
    disable_guard(&db).await;
    try_raw(
        &db,
        "UPDATE audit_checkpoints SET mac = 'ab', key_id = 'other'",
    )
    .await
    .unwrap();
    assert!(storage.remac_audit_checkpoints(&rotated).await.is_err());
    storage.close().await;
}

#[tokio::test]
async fn checkpoints_are_remacd_after_a_key_rotation_sqlite() {
    remac_after_rotation(false).await;
}

#[tokio::test]
async fn checkpoints_are_remacd_after_a_key_rotation_postgres() {
    remac_after_rotation(true).await;
}

/// An app whose encryption keyring is `key` (so the binary can share it).
async fn app_with_key(postgres: bool, key: &str) -> Option<(AppState, DbGuard)> {
    let postgres = postgres || crate::support::default_is_postgres();
    if postgres && crate::support::skip_postgres() {
        return None;
    }
    let (storage, db) = fresh_storage(postgres).await;
    let storage = storage.with_crypto(Arc::new(FieldCrypto::new(
        Keyring::parse(key).unwrap(),
        None,
    )));
    Some((AppState::new(storage, Settings::default()), db))
}

fn verify_command(db: &DbGuard, key: &str) -> std::process::Output {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("MISMATCH_LOG", "warn")
        .env("MISMATCH_ENCRYPTION_KEYS", key)
        .args(["audit", "verify"]);
    // On PostgreSQL the data dir still holds the generated JWT key: a
    // temporary one, not the working directory.
    let scratch = tempfile::tempdir().unwrap();
    match db.sqlite_dir() {
        Some(dir) => cmd.env("MISMATCH_DATA_DIR", dir),
        None => cmd
            .env("DATABASE_URL", db.url())
            .env("MISMATCH_DATA_DIR", scratch.path()),
    };
    cmd.output().unwrap()
}

async fn binary_verify(postgres: bool) {
    let key = Keyring::generate_key_text();
    let Some((state, db)) = app_with_key(postgres, &key).await else {
        return;
    };
    for i in 0..3 {
        audit::record_with(
            &state,
            &audit::AuditContext::system("test"),
            audit::AuditEvent::new("tests.write").detail("i", i),
        )
        .await
        .unwrap();
    }
    let out = verify_command(&db, &key);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("3 event(s) verified"), "{stdout}");

    disable_guard(&db).await;
    try_raw(
        &db,
        "UPDATE audit_events SET details = '{\"i\":7}' WHERE seq = 2",
    )
    .await
    .unwrap();
    let out = verify_command(&db, &key);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("event 2 was modified"), "{stderr}");
    state.storage().close().await;
}

#[tokio::test]
async fn audit_verify_command_sqlite() {
    binary_verify(false).await;
}

#[tokio::test]
async fn audit_verify_command_postgres() {
    binary_verify(true).await;
}

#[tokio::test]
async fn concurrent_writers_never_fork_the_chain() {
    // Two states over one database (two replicas), writing at once.
    for postgres in [false, true] {
        let key = Keyring::generate_key_text();
        let Some((a, db)) = app_with_key(postgres, &key).await else {
            continue;
        };
        let storage_b = mismatch_server::storage::Storage::open(&match db.sqlite_dir() {
            Some(dir) => mismatch_server::storage::StorageTarget::SqliteDir(dir),
            None => mismatch_server::storage::StorageTarget::Postgres(db.url()),
        })
        .await
        .unwrap();
        let b = AppState::new(storage_b, Settings::default());
        let mut tasks = Vec::new();
        for (n, state) in [a.clone(), b.clone()].into_iter().enumerate() {
            for t in 0..4 {
                let state = state.clone();
                tasks.push(tokio::spawn(async move {
                    for i in 0..25 {
                        audit::record_with(
                            &state,
                            &audit::AuditContext::system("test"),
                            audit::AuditEvent::new("tests.write")
                                .detail("w", format!("{n}-{t}-{i}")),
                        )
                        .await
                        .unwrap();
                    }
                }));
            }
        }
        for t in tasks {
            t.await.unwrap();
        }
        let verdict = audit::verify(a.storage(), a.storage().crypto().map(|c| c.keyring()))
            .await
            .unwrap();
        assert!(
            matches!(verdict, Verification::Intact { events: 200, .. }),
            "{verdict:?}"
        );
        b.storage().close().await;
        a.storage().close().await;
    }
}
