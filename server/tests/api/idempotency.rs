//! Idempotency-Key: replay, reuse with another body, per-principal scope,
//! no storing of failures, expiry.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};

use mismatch_core::security::sealed;

use crate::both_backends;
use crate::support::{TestApp, TestResponse};

async fn post_with_key(
    app: &TestApp,
    api_key: &str,
    path: &str,
    idem: &str,
    body: &Value,
) -> TestResponse {
    app.send(
        Request::post(path)
            .header("authorization", format!("Bearer {api_key}"))
            .header("content-type", "application/json")
            .header("idempotency-key", idem)
            .body(Body::from(serde_json::to_vec(body).unwrap()))
            .unwrap(),
    )
    .await
}

both_backends!(
    replay_returns_the_first_response,
    |app: TestApp| async move {
        let key = app.admin_key.clone();
        let body = json!({"text": "Ada Lovelace\nPython and PostgreSQL, 5 years of experience"});
        let first = post_with_key(&app, &key, "/v1/candidates", "idem-1", &body).await;
        assert_eq!(first.status, StatusCode::CREATED);
        assert_eq!(first.header("idempotent-replayed"), None);
        let second = post_with_key(&app, &key, "/v1/candidates", "idem-1", &body).await;
        assert_eq!(second.status, StatusCode::CREATED);
        assert_eq!(second.header("idempotent-replayed"), Some("true"));
        assert_eq!(second.header("content-type"), Some("application/json"));
        assert_eq!(second.json()["id"], first.json()["id"]);
        assert_eq!(second.bytes, first.bytes);
        assert_eq!(app.state.storage().count_candidates().await.unwrap(), 1);

        // Same key, different body.
        let other = json!({"text": "Someone else"});
        post_with_key(&app, &key, "/v1/candidates", "idem-1", &other)
            .await
            .assert_problem(422, "idempotency_key_reused");
        // Same key on another path is also a different request.
        post_with_key(&app, &key, "/v1/jobs", "idem-1", &json!({"title": "x"}))
            .await
            .assert_problem(422, "idempotency_key_reused");
        assert_eq!(app.state.storage().count_candidates().await.unwrap(), 1);

        // Keys are per principal: another user may use the same key string.
        let recruiter = app.key_with_role("recruiter").await;
        let theirs = post_with_key(&app, &recruiter, "/v1/candidates", "idem-1", &body).await;
        assert_eq!(theirs.status, StatusCode::CREATED);
        assert_eq!(theirs.header("idempotent-replayed"), None);
        assert_ne!(theirs.json()["id"], first.json()["id"]);
        assert_eq!(app.state.storage().count_candidates().await.unwrap(), 2);
    }
);

#[tokio::test]
async fn client_errors_are_replayed_and_auth_failures_are_not_stored() {
    let app = TestApp::new(false).await.unwrap();
    let key = app.admin_key.clone();
    let bad = json!({"title": ""});
    let first = post_with_key(&app, &key, "/v1/jobs", "bad-job", &bad).await;
    first.assert_problem(422, "validation_failed");
    let again = post_with_key(&app, &key, "/v1/jobs", "bad-job", &bad).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));

    // Without a valid key nothing is stored and the answer is 401.
    let stranger = mismatch_core::security::api_key::generate().unwrap().secret;
    post_with_key(&app, &stranger, "/v1/jobs", "k", &json!({"title": "x"}))
        .await
        .assert_problem(401, "unauthorized");

    // Invalid keys are rejected.
    let long = "k".repeat(256);
    let r = post_with_key(&app, &key, "/v1/jobs", &long, &json!({"title": "x"})).await;
    assert_eq!(
        r.assert_problem(422, "validation_failed")["errors"][0]["field"],
        "Idempotency-Key"
    );
}

#[tokio::test]
async fn server_errors_are_not_stored_and_old_entries_expire() {
    let app = TestApp::new(false).await.unwrap();
    let key = app.admin_key.clone();
    let body = json!({"title": "Data engineer"});
    let first = post_with_key(&app, &key, "/v1/jobs", "job-1", &body).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let user_id = app
        .state
        .storage()
        .list_api_keys(None, None, 10)
        .await
        .unwrap()
        .items[0]
        .user_id
        .clone();
    let hash = |k: &str| sealed::lookup_hash(&[user_id.as_str(), k]);
    let stored = app
        .state
        .storage()
        .get_idempotency(&hash("job-1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, Some(201));
    assert_eq!(stored.method, "POST");
    assert_eq!(stored.path, "/v1/jobs");
    assert_eq!(stored.body_sha256.len(), 64);

    // Age the entry past 24 hours: it is ignored and the request runs again.
    let aged = mismatch_server::state::now_ms() - 25 * 3600 * 1000;
    app.state
        .storage()
        .delete_idempotency(&hash("job-1"))
        .await
        .unwrap();
    let mut old = stored.clone();
    old.created_at = aged;
    old.status = None;
    assert!(app.state.storage().begin_idempotency(&old).await.unwrap());
    app.state
        .storage()
        .complete_idempotency(
            &hash("job-1"),
            201,
            stored.response_sealed.as_deref().unwrap(),
            None,
        )
        .await
        .unwrap();
    let again = post_with_key(&app, &key, "/v1/jobs", "job-1", &body).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.header("idempotent-replayed"), None);
    assert_ne!(again.json()["id"], first.json()["id"]);

    // Pruning removes expired entries only.
    let mut expired = stored.clone();
    expired.key_hash = hash("expired");
    expired.created_at = aged;
    app.state
        .storage()
        .begin_idempotency(&expired)
        .await
        .unwrap();
    mismatch_server::idempotency::prune(&app.state).await;
    assert!(
        app.state
            .storage()
            .get_idempotency(&hash("expired"))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        app.state
            .storage()
            .get_idempotency(&hash("job-1"))
            .await
            .unwrap()
            .is_some()
    );

    // A request whose key is held by one still running gets 409 + Retry-After.
    let mut pending = stored.clone();
    pending.key_hash = hash("in-flight");
    pending.body_sha256 = mismatch_server::idempotency::request_digest(
        user_id.as_str(),
        "in-flight",
        "",
        &serde_json::to_vec(&body).unwrap(),
    );
    pending.created_at = mismatch_server::state::now_ms();
    app.state
        .storage()
        .begin_idempotency(&pending)
        .await
        .unwrap();
    let r = post_with_key(&app, &key, "/v1/jobs", "in-flight", &body).await;
    r.assert_problem(409, "idempotency_key_in_use");
    assert_eq!(r.header("retry-after"), Some("1"));
}

both_backends!(
    concurrent_duplicates_create_one_resource,
    |app: TestApp| async move {
        let key = app.admin_key.clone();
        let body = json!({"title": "Concurrent"});
        let attempts = (0..6).map(|_| post_with_key(&app, &key, "/v1/jobs", "same-key", &body));
        let responses = futures_util::future::join_all(attempts).await;
        let mut ids = Vec::new();
        for r in &responses {
            match r.status.as_u16() {
                201 => ids.push(r.json()["id"].as_str().unwrap().to_owned()),
                409 => assert_eq!(r.header("retry-after"), Some("1")),
                other => panic!(
                    "unexpected status {other}: {}",
                    String::from_utf8_lossy(&r.bytes)
                ),
            }
        }
        assert!(!ids.is_empty());
        ids.dedup();
        assert_eq!(ids.len(), 1, "every success carries the one created job");
        let page = app.get("/v1/jobs").await.json();
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
    }
);

both_backends!(server_errors_are_not_stored, |app: TestApp| async move {
    let key = app.admin_key.clone();
    let cand = app
        .post(
            "/v1/candidates",
            json!({"text": "Grace Hopper\nCOBOL, 30 years"}),
        )
        .await
        .json();
    let job = app
        .post("/v1/jobs", json!({"title": "Compiler engineer"}))
        .await
        .json();
    let body = json!({"candidate_id": cand["id"], "job_id": job["id"]});
    // A value this build does not know makes reading the candidate fail.
    app.execute_raw("UPDATE candidates SET seniority = 'wizard'")
        .await;
    let failed = post_with_key(&app, &key, "/v1/matches", "match-1", &body).await;
    failed.assert_problem(500, "internal");
    let user_id = app
        .state
        .storage()
        .list_api_keys(None, None, 1)
        .await
        .unwrap()
        .items[0]
        .user_id
        .clone();
    let hash = sealed::lookup_hash(&[user_id.as_str(), "match-1"]);
    assert!(
        app.state
            .storage()
            .get_idempotency(&hash)
            .await
            .unwrap()
            .is_none(),
        "a 5xx must not be stored"
    );
    // Once the data is fixed, the same key runs the request again.
    app.execute_raw("UPDATE candidates SET seniority = 'senior'")
        .await;
    let retried = post_with_key(&app, &key, "/v1/matches", "match-1", &body).await;
    assert_eq!(retried.status, StatusCode::OK);
    assert_eq!(retried.header("idempotent-replayed"), None);
});

both_backends!(
    a_replay_passes_the_same_access_check_as_a_first_request,
    |app: TestApp| async move {
        // The admin creates a candidate with an Idempotency-Key...
        let body = json!({"text": "Ada Lovelace\nPython"});
        let admin = app.admin_key.clone();
        let first = post_with_key(&app, &admin, "/v1/candidates", "shared", &body).await;
        assert_eq!(first.status, StatusCode::CREATED);
        // ...then a read-only key of the same user (same idempotency scope)
        // replays it: it lacks candidates:write, so 403, not the stored
        // candidate.
        let own_viewer = app
            .post(
                "/v1/api-keys",
                json!({"name": "own read-only", "scopes": ["candidates:read"]}),
            )
            .await
            .json()["key"]
            .as_str()
            .unwrap()
            .to_owned();
        let replay = post_with_key(&app, &own_viewer, "/v1/candidates", "shared", &body).await;
        replay.assert_problem(403, "forbidden");
        assert_eq!(replay.header("idempotent-replayed"), None);
        // The owner's full key still gets the replay.
        let again = post_with_key(&app, &admin, "/v1/candidates", "shared", &body).await;
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
        assert_eq!(again.json()["id"], first.json()["id"]);
    }
);

both_backends!(
    patch_and_delete_honour_idempotency_keys,
    |app: TestApp| async move {
        let key = app.admin_key.clone();
        let job = app
            .post("/v1/jobs", json!({"title": "Data engineer"}))
            .await
            .json();
        let path = format!("/v1/jobs/{}", job["id"].as_str().unwrap());
        let send = |method: &'static str, idem: &'static str, body: Option<Value>| {
            let mut b = Request::builder()
                .method(method)
                .uri(path.clone())
                .header("authorization", format!("Bearer {key}"))
                .header("idempotency-key", idem);
            let body = match body {
                Some(v) => {
                    b = b.header("content-type", "application/json");
                    Body::from(serde_json::to_vec(&v).unwrap())
                }
                None => Body::empty(),
            };
            app.send(b.body(body).unwrap())
        };
        let first = send("PATCH", "p1", Some(json!({"title": "Data engineer II"}))).await;
        assert_eq!(first.status, StatusCode::OK);
        assert_eq!(first.json()["version"], 2);
        let second = send("PATCH", "p1", Some(json!({"title": "Data engineer II"}))).await;
        assert_eq!(second.header("idempotent-replayed"), Some("true"));
        assert_eq!(second.header("etag"), Some("\"2\""));
        // Replayed, not applied again: the version did not move.
        assert_eq!(app.get(&path).await.json()["version"], 2);
        let deleted = send("DELETE", "d1", None).await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT);
        let again = send("DELETE", "d1", None).await;
        assert_eq!(again.status, StatusCode::NO_CONTENT);
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
    }
);

both_backends!(
    deleting_a_resource_deletes_its_replays,
    |app: TestApp| async move {
        let key = app.admin_key.clone();
        let body = json!({"text": "Jane Roe\njane@example.org\nRust"});
        let first = post_with_key(&app, &key, "/v1/candidates", "c-1", &body).await;
        let id = first.json()["id"].as_str().unwrap().to_owned();
        let deleted = app
            .call(
                axum::http::Method::DELETE,
                &format!("/v1/candidates/{id}"),
                Some(&key),
                None,
            )
            .await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT);
        // The same key now runs again: nothing of Jane's is replayed.
        let again = post_with_key(&app, &key, "/v1/candidates", "c-1", &body).await;
        assert_eq!(again.status, StatusCode::CREATED);
        assert_eq!(again.header("idempotent-replayed"), None);
        assert_ne!(again.json()["id"], first.json()["id"]);
    }
);

#[tokio::test]
async fn the_query_string_counts_but_is_not_stored_in_clear() {
    let app = TestApp::new(false).await.unwrap();
    let key = app.admin_key.clone();
    let upload = |query: &'static str| {
        app.send(
            Request::post(format!("/v1/candidates/upload?filename={query}"))
                .header("authorization", format!("Bearer {key}"))
                .header("content-type", "text/plain")
                .header("idempotency-key", "upload-1")
                .body(Body::from("Jane Doe\njane@example.org\nPython, 5 years"))
                .unwrap(),
        )
    };
    let first = upload("Jane_Doe_CV.txt").await;
    assert_eq!(first.status, StatusCode::CREATED);
    let user_id = app
        .state
        .storage()
        .list_api_keys(None, None, 1)
        .await
        .unwrap()
        .items[0]
        .user_id
        .clone();
    let stored = app
        .state
        .storage()
        .get_idempotency(&sealed::lookup_hash(&[user_id.as_str(), "upload-1"]))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.path, "/v1/candidates/upload");
    assert!(!stored.body_sha256.contains("Jane"));
    // Another file name with the same key and body is another request.
    upload("Someone_Else.txt")
        .await
        .assert_problem(422, "idempotency_key_reused");
    assert_eq!(
        upload("Jane_Doe_CV.txt")
            .await
            .header("idempotent-replayed"),
        Some("true")
    );
}
