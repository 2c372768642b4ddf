//! Authentication, roles and scopes, and the API-key lifecycle.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use mismatch_core::security::api_key;
use mismatch_server::ids::ApiKeyId;
use serde_json::json;

use crate::both_backends;
use crate::support::TestApp;

#[tokio::test]
async fn missing_malformed_and_unknown_keys_are_401() {
    let app = TestApp::new(false).await.unwrap();
    let r = app.call(Method::GET, "/v1/jobs", None, None).await;
    r.assert_problem(401, "unauthorized");
    assert!(r.header("www-authenticate").unwrap().starts_with("Bearer"));
    app.call(Method::GET, "/v1/jobs", Some("mm_garbage"), None)
        .await
        .assert_problem(401, "unauthorized");
    // Well-formed (valid checksum) but never issued.
    let stranger = api_key::generate().unwrap().secret;
    app.call(Method::GET, "/v1/jobs", Some(&stranger), None)
        .await
        .assert_problem(401, "unauthorized");
    // Both header forms work.
    let r = app
        .send(
            Request::get("/v1/jobs")
                .header("x-api-key", &app.admin_key)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app
        .call(Method::GET, "/v1/jobs", Some(&app.admin_key.clone()), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn viewer_cannot_write_but_can_read() {
    let app = TestApp::new(false).await.unwrap();
    let viewer = app.key_with_role("viewer").await;
    let r = app
        .call(
            Method::POST,
            "/v1/jobs",
            Some(&viewer),
            Some(json!({"title": "Nope"})),
        )
        .await;
    let body = r.assert_problem(403, "forbidden");
    assert!(body["detail"].as_str().unwrap().contains("jobs:write"));
    let r = app.call(Method::GET, "/v1/jobs", Some(&viewer), None).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app
        .call(
            Method::POST,
            "/v1/candidates",
            Some(&viewer),
            Some(json!({"text": "Jane Doe\nPython"})),
        )
        .await;
    r.assert_problem(403, "forbidden");
    let r = app
        .call(
            Method::POST,
            "/v1/salary-predictions",
            Some(&viewer),
            Some(json!({"features": {"years_experience": 3}})),
        )
        .await;
    r.assert_problem(403, "forbidden");

    // A recruiter may write.
    let recruiter = app.key_with_role("recruiter").await;
    let r = app
        .call(
            Method::POST,
            "/v1/jobs",
            Some(&recruiter),
            Some(json!({"title": "Yes"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
}

#[tokio::test]
async fn roles_cannot_be_escalated_and_scopes_narrow() {
    let app = TestApp::new(false).await.unwrap();
    let recruiter = app.key_with_role("recruiter").await;
    // A recruiter cannot mint an admin key…
    let r = app
        .call(
            Method::POST,
            "/v1/api-keys",
            Some(&recruiter),
            Some(json!({"name": "x", "role": "admin"})),
        )
        .await;
    r.assert_problem(403, "forbidden");
    // …but may create a narrower key for itself.
    let r = app
        .call(
            Method::POST,
            "/v1/api-keys",
            Some(&recruiter),
            Some(json!({"name": "read-only", "scopes": ["jobs:read"]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let narrow = r.json();
    assert_eq!(narrow["role"], "recruiter");
    assert_eq!(narrow["scopes"], json!(["jobs:read"]));
    let narrow_key = narrow["key"].as_str().unwrap().to_owned();
    assert_eq!(
        app.call(Method::GET, "/v1/jobs", Some(&narrow_key), None)
            .await
            .status,
        StatusCode::OK
    );
    app.call(Method::GET, "/v1/candidates", Some(&narrow_key), None)
        .await
        .assert_problem(403, "forbidden");
    // A narrowed key cannot manage keys at all (no api_keys:manage).
    app.call(
        Method::POST,
        "/v1/api-keys",
        Some(&narrow_key),
        Some(json!({"name": "wider"})),
    )
    .await
    .assert_problem(403, "forbidden");

    // Scopes outside the role are a validation error naming the entry.
    let viewer = app.key_with_role("viewer").await;
    let r = app
        .call(
            Method::POST,
            "/v1/api-keys",
            Some(&viewer),
            Some(json!({"name": "x", "scopes": ["jobs:write"]})),
        )
        .await;
    assert_eq!(
        r.assert_problem(422, "validation_failed")["errors"][0]["field"],
        "scopes[0]"
    );
    let r = app.post("/v1/api-keys", json!({"name": ""})).await;
    assert_eq!(
        r.assert_problem(422, "validation_failed")["errors"][0]["field"],
        "name"
    );
    let r = app
        .post("/v1/api-keys", json!({"name": "x", "role": "overlord"}))
        .await;
    assert_eq!(
        r.assert_problem(422, "validation_failed")["errors"][0]["field"],
        "role"
    );
}

#[tokio::test]
async fn expired_key_is_401() {
    let app = TestApp::new(false).await.unwrap();
    let r = app
        .post(
            "/v1/api-keys",
            json!({"name": "short-lived", "ttl_seconds": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let created = r.json();
    assert!(created["expires_at"].is_string());
    let key = created["key"].as_str().unwrap().to_owned();
    assert_eq!(
        app.call(Method::GET, "/v1/jobs", Some(&key), None)
            .await
            .status,
        StatusCode::OK
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let body = app
        .call(Method::GET, "/v1/jobs", Some(&key), None)
        .await
        .assert_problem(401, "unauthorized");
    assert!(body["detail"].as_str().unwrap().contains("expired"));
    let r = app
        .post("/v1/api-keys", json!({"name": "bad", "ttl_seconds": 0}))
        .await;
    assert_eq!(
        r.assert_problem(422, "validation_failed")["errors"][0]["field"],
        "ttl_seconds"
    );
}

#[tokio::test]
async fn owners_and_admins_manage_keys() {
    let app = TestApp::new(false).await.unwrap();
    let a = app.key_with_role("recruiter").await;
    let b = app.key_with_role("recruiter").await;
    let a_keys = app
        .call(Method::GET, "/v1/api-keys", Some(&a), None)
        .await
        .json();
    // Each recruiter key belongs to its own service user and sees only its keys.
    assert_eq!(a_keys["items"].as_array().unwrap().len(), 1);
    let a_id = a_keys["items"][0]["id"].as_str().unwrap().to_owned();
    // b may not revoke a's key; the admin may.
    app.call(
        Method::POST,
        &format!("/v1/api-keys/{a_id}/revoke"),
        Some(&b),
        None,
    )
    .await
    .assert_problem(403, "forbidden");
    let all = app.get("/v1/api-keys?limit=100").await.json();
    assert!(all["items"].as_array().unwrap().len() >= 3);
    app.post(
        "/v1/api-keys/key_01ARZ3NDEKTSV4RRFFQ69G5FAV/revoke",
        json!({}),
    )
    .await
    .assert_problem(404, "not_found");
}

both_backends!(revoke_and_rotate, |app: TestApp| async move {
    let r = app
        .post(
            "/v1/api-keys",
            json!({"name": "ci", "scopes": ["jobs:read", "candidates:read"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let created = r.json();
    let key = created["key"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(api_key::is_well_formed(&key));
    assert_eq!(created["prefix"], key[3..11]);
    assert!(id.starts_with("key_"));

    // Listing never shows secrets or hashes.
    let listing = app.get("/v1/api-keys").await;
    let text = String::from_utf8_lossy(&listing.bytes).to_string();
    assert!(!text.contains(&key));
    assert!(!text.contains(&api_key::hash(&key)));
    assert!(
        listing.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k.get("key").is_none())
    );

    // The narrowed key cannot manage keys, not even itself.
    app.call(
        Method::POST,
        &format!("/v1/api-keys/{id}/rotate"),
        Some(&key),
        None,
    )
    .await
    .assert_problem(403, "forbidden");

    // Rotation without overlap: new secret, same name/scopes/role; the old
    // key stops working at once.
    let r = app
        .post(
            &format!("/v1/api-keys/{id}/rotate?overlap_seconds=0"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let rotated = r.json();
    let new_key = rotated["key"].as_str().unwrap().to_owned();
    assert_ne!(new_key, key);
    assert_eq!(rotated["name"], "ci");
    assert_eq!(rotated["scopes"], created["scopes"]);
    assert_eq!(rotated["role"], created["role"]);
    app.call(Method::GET, "/v1/jobs", Some(&key), None)
        .await
        .assert_problem(401, "unauthorized");
    assert_eq!(
        app.call(Method::GET, "/v1/jobs", Some(&new_key), None)
            .await
            .status,
        StatusCode::OK
    );
    let old = app
        .state
        .storage()
        .get_api_key(&ApiKeyId::parse(&id).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        old.replaced_by.as_ref().map(ApiKeyId::as_str),
        rotated["id"].as_str()
    );
    assert_eq!(rotated["previous_key_id"], id.as_str());
    // A revoked key cannot be rotated again.
    app.post(&format!("/v1/api-keys/{id}/rotate"), json!({}))
        .await
        .assert_problem(409, "conflict");

    // Revocation is immediate.
    let new_id = rotated["id"].as_str().unwrap().to_owned();
    let r = app
        .post(&format!("/v1/api-keys/{new_id}/revoke"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.json()["revoked_at"].is_string());
    let body = app
        .call(Method::GET, "/v1/jobs", Some(&new_key), None)
        .await
        .assert_problem(401, "unauthorized");
    assert!(body["detail"].as_str().unwrap().contains("revoked"));
    // Only hashes are stored.
    let stored = app
        .state
        .storage()
        .get_api_key(&ApiKeyId::parse(&new_id).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.key_hash, api_key::hash(&new_key));
    assert_eq!(stored.prefix, new_key[3..11]);
});

both_backends!(
    last_used_is_written_at_most_once_a_minute,
    |app: TestApp| async move {
        let r = app.post("/v1/api-keys", json!({"name": "busy"})).await;
        let created = r.json();
        let key = created["key"].as_str().unwrap().to_owned();
        let id = created["id"].as_str().unwrap().to_owned();
        assert!(created.get("last_used_at").is_none());
        let before = app
            .state
            .storage()
            .get_api_key(&ApiKeyId::parse(&id).unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(before.last_used_at, None);

        app.call(Method::GET, "/v1/jobs", Some(&key), None).await;
        let first = app
            .state
            .storage()
            .get_api_key(&ApiKeyId::parse(&id).unwrap())
            .await
            .unwrap()
            .unwrap();
        let first_used = first.last_used_at.expect("first use recorded");
        assert_eq!(first.last_used_ip.as_deref(), Some("127.0.0.1"));

        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        for _ in 0..3 {
            app.call(Method::GET, "/v1/jobs", Some(&key), None).await;
        }
        let later = app
            .state
            .storage()
            .get_api_key(&ApiKeyId::parse(&id).unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            later.last_used_at,
            Some(first_used),
            "written again within the minute"
        );

        // The conditional UPDATE also holds on its own (another replica without
        // this process's throttle): a write within the minute changes nothing.
        let now = first_used + 1_000;
        assert!(
            !app.state
                .storage()
                .touch_api_key(
                    &ApiKeyId::parse(&id).unwrap(),
                    now,
                    Some("10.0.0.1"),
                    now - 60_000
                )
                .await
                .unwrap()
        );
        let after_minute = first_used + 61_000;
        assert!(
            app.state
                .storage()
                .touch_api_key(
                    &ApiKeyId::parse(&id).unwrap(),
                    after_minute,
                    Some("10.0.0.2"),
                    after_minute - 60_000
                )
                .await
                .unwrap()
        );

        let listed = app.get("/v1/api-keys?limit=100").await.json();
        let entry = listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["id"] == id.as_str())
            .unwrap()
            .clone();
        assert_eq!(entry["last_used_ip"], "10.0.0.2");
        assert!(entry["last_used_at"].is_string());
    }
);

#[tokio::test]
async fn admin_with_role_creates_a_service_user() {
    let app = TestApp::new(false).await.unwrap();
    let r = app
        .post("/v1/api-keys", json!({"name": "etl-bot", "role": "viewer"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let created = r.json();
    let user_id = created["user_id"].as_str().unwrap();
    assert!(user_id.starts_with("usr_"));
    let user = app
        .state
        .storage()
        .get_user(&mismatch_server::ids::UserId::parse(user_id).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.name, "etl-bot");
    assert_eq!(user.role, mismatch_core::security::Role::Viewer);
    assert_eq!(created["role"], "viewer");
    assert_eq!(
        created["scopes"],
        json!([
            "candidates:read",
            "jobs:read",
            "matches:read",
            "api_keys:manage"
        ])
    );
}

/// Creates a key as `as_key` with `body`; returns (secret, id).
async fn create_key_as(app: &TestApp, as_key: &str, body: serde_json::Value) -> (String, String) {
    let r = app
        .call(Method::POST, "/v1/api-keys", Some(as_key), Some(body))
        .await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&r.bytes)
    );
    let v = r.json();
    (
        v["key"].as_str().unwrap().to_owned(),
        v["id"].as_str().unwrap().to_owned(),
    )
}

/// The id of the key `secret`.
async fn id_of(app: &TestApp, secret: &str) -> String {
    app.state
        .storage()
        .find_api_key_by_hash(&api_key::hash(secret))
        .await
        .unwrap()
        .unwrap()
        .id
        .as_str()
        .to_owned()
}

both_backends!(
    narrowed_keys_cannot_rotate_or_revoke_broader_ones,
    |app: TestApp| async move {
        let admin = app.admin_key.clone();
        let admin_id = id_of(&app, &admin).await;
        // Keys of the same (admin) user: a viewer-role key, and an admin key
        // narrowed to api_keys:manage.
        let (viewer, _) = create_key_as(&app, &admin, json!({"name": "v", "role": "viewer"})).await;
        let (manage_only, _) = create_key_as(
            &app,
            &admin,
            json!({"name": "m", "scopes": ["api_keys:manage"]}),
        )
        .await;
        // The viewer key here is a service user's; make one of the admin's own.
        let (own_viewer, _) = create_key_as(
            &app,
            &admin,
            json!({"name": "own-v", "scopes": ["candidates:read", "api_keys:manage"]}),
        )
        .await;
        for attacker in [&manage_only, &own_viewer] {
            for action in ["rotate", "revoke"] {
                let r = app
                    .call(
                        Method::POST,
                        &format!("/v1/api-keys/{admin_id}/{action}"),
                        Some(attacker),
                        None,
                    )
                    .await;
                r.assert_problem(403, "forbidden");
            }
        }
        // The full key still works and was neither rotated nor revoked.
        let stored = app
            .state
            .storage()
            .get_api_key(&ApiKeyId::parse(&admin_id).unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!((stored.revoked_at, stored.replaced_by), (None, None));
        // Another admin's api_keys:manage-only key cannot take this admin's full key.
        let (other_admin, _) =
            create_key_as(&app, &admin, json!({"name": "admin2", "role": "admin"})).await;
        let (other_manage_only, _) = create_key_as(
            &app,
            &other_admin,
            json!({"name": "m2", "scopes": ["api_keys:manage"]}),
        )
        .await;
        app.call(
            Method::POST,
            &format!("/v1/api-keys/{admin_id}/rotate"),
            Some(&other_manage_only),
            None,
        )
        .await
        .assert_problem(403, "forbidden");
        // A narrowed key cannot mint a broader one either.
        app.call(
            Method::POST,
            "/v1/api-keys",
            Some(&manage_only),
            Some(json!({"name": "x", "scopes": ["jobs:write"]})),
        )
        .await
        .assert_problem(403, "forbidden");
        // But it may manage keys it covers, e.g. itself.
        let self_id = id_of(&app, &manage_only).await;
        let r = app
            .call(
                Method::POST,
                &format!("/v1/api-keys/{self_id}/rotate"),
                Some(&manage_only),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
        // A viewer service user's key can manage only its own keys.
        let viewer_id = id_of(&app, &viewer).await;
        app.call(
            Method::POST,
            &format!("/v1/api-keys/{admin_id}/revoke"),
            Some(&viewer),
            None,
        )
        .await
        .assert_problem(403, "forbidden");
        // ...and may revoke its own.
        let own = app
            .call(
                Method::POST,
                &format!("/v1/api-keys/{viewer_id}/revoke"),
                Some(&viewer),
                None,
            )
            .await;
        assert_eq!(own.status, StatusCode::OK);
    }
);

both_backends!(
    a_key_never_outlives_the_key_that_made_it,
    |app: TestApp| async move {
        let admin = app.admin_key.clone();
        let (parent, _) =
            create_key_as(&app, &admin, json!({"name": "p", "ttl_seconds": 3600})).await;
        let parent_id = id_of(&app, &parent).await;
        let parent_exp = app
            .state
            .storage()
            .get_api_key(&ApiKeyId::parse(&parent_id).unwrap())
            .await
            .unwrap()
            .unwrap()
            .expires_at
            .unwrap();
        // Without a TTL, or with a longer one, the child expires with its parent.
        for body in [
            json!({"name": "c1"}),
            json!({"name": "c2", "ttl_seconds": 315_360_000}),
        ] {
            let (child, _) = create_key_as(&app, &parent, body).await;
            let child_id = id_of(&app, &child).await;
            let child_exp = app
                .state
                .storage()
                .get_api_key(&ApiKeyId::parse(&child_id).unwrap())
                .await
                .unwrap()
                .unwrap()
                .expires_at;
            assert_eq!(child_exp, Some(parent_exp));
        }
        // Rotating the TTL key keeps its expiry instead of renewing it.
        let r = app
            .call(
                Method::POST,
                &format!("/v1/api-keys/{parent_id}/rotate"),
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
        let new_id = r.json()["id"].as_str().unwrap().to_owned();
        let renewed = app
            .state
            .storage()
            .get_api_key(&ApiKeyId::parse(&new_id).unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(renewed.expires_at, Some(parent_exp));
    }
);

both_backends!(
    rotation_overlaps_so_running_clients_keep_working,
    |app: TestApp| async move {
        let admin = app.admin_key.clone();
        let (old, old_id) = create_key_as(&app, &admin, json!({"name": "svc"})).await;
        let before = mismatch_server::state::now_ms();
        let r = app
            .call(
                Method::POST,
                &format!("/v1/api-keys/{old_id}/rotate"),
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
        let rotated = r.json();
        let new = rotated["key"].as_str().unwrap().to_owned();
        // Both keys work during the default one-day overlap.
        for k in [&old, &new] {
            assert_eq!(
                app.call(Method::GET, "/v1/jobs", Some(k), None)
                    .await
                    .status,
                StatusCode::OK
            );
        }
        let stored = app
            .state
            .storage()
            .get_api_key(&ApiKeyId::parse(&old_id).unwrap())
            .await
            .unwrap()
            .unwrap();
        let ends = stored.expires_at.unwrap();
        assert!((before + 86_400_000..=before + 86_500_000).contains(&ends));
        assert_eq!(
            rotated["previous_key_expires_at"].as_str().unwrap(),
            mismatch_server::state::rfc3339(ends)
        );
        // A rotated key cannot be rotated again (its successor can).
        app.call(
            Method::POST,
            &format!("/v1/api-keys/{old_id}/rotate"),
            Some(&admin),
            None,
        )
        .await
        .assert_problem(409, "conflict");
        // When the overlap has ended, the old key says so.
        app.execute_raw(&format!(
            "UPDATE api_keys SET expires_at = 1 WHERE id = '{old_id}'"
        ))
        .await;
        let body = app
            .call(Method::GET, "/v1/jobs", Some(&old), None)
            .await
            .assert_problem(401, "unauthorized");
        assert!(body["detail"].as_str().unwrap().contains("rotated"));
        // Out-of-range overlaps are refused.
        let new_id = rotated["id"].as_str().unwrap().to_owned();
        let r = app
            .call(
                Method::POST,
                &format!("/v1/api-keys/{new_id}/rotate?overlap_seconds=-1"),
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(
            r.assert_problem(422, "validation_failed")["errors"][0]["field"],
            "overlap_seconds"
        );
    }
);

/// Every byte the database keeps: the SQLite file with its WAL, or a
/// PostgreSQL dump.
async fn stored_bytes(app: &TestApp) -> Vec<u8> {
    if let Some(dir) = app.db.sqlite_dir() {
        let mut all = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            all.extend(std::fs::read(entry.unwrap().path()).unwrap());
        }
        return all;
    }
    let out = std::process::Command::new("pg_dump")
        .arg("--no-owner")
        .arg(app.db.url())
        .output()
        .expect("pg_dump runs (tests/support/services.sh installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

both_backends!(
    no_secret_or_idempotency_key_is_stored_in_clear,
    |app: TestApp| async move {
        let admin = app.admin_key.clone();
        // As the SDKs do: every POST carries an Idempotency-Key.
        let post = |path: String, idem: &'static str| {
            app.send(
                axum::http::Request::post(path)
                    .header("authorization", format!("Bearer {admin}"))
                    .header("content-type", "application/json")
                    .header("idempotency-key", idem)
                    .body(axum::body::Body::from(
                        serde_json::to_vec(&json!({"name": "sdk key"})).unwrap(),
                    ))
                    .unwrap(),
            )
        };
        let created = post("/v1/api-keys".into(), "0f6c1a52-idem-create").await;
        assert_eq!(created.status, StatusCode::CREATED);
        let created = created.json();
        let id = created["id"].as_str().unwrap().to_owned();
        let rotated = post(format!("/v1/api-keys/{id}/rotate"), "0f6c1a52-idem-rotate").await;
        assert_eq!(rotated.status, StatusCode::CREATED);
        // The replay still hands the secret back to the client that holds
        // the Idempotency-Key...
        let replayed = post(format!("/v1/api-keys/{id}/rotate"), "0f6c1a52-idem-rotate").await;
        assert_eq!(replayed.header("idempotent-replayed"), Some("true"));
        assert_eq!(replayed.json()["key"], rotated.json()["key"]);
        // ...but the database holds neither the secrets nor the keys.
        let raw = stored_bytes(&app).await;
        let contains = |needle: &str| raw.windows(needle.len()).any(|w| w == needle.as_bytes());
        for secret in [
            created["key"].as_str().unwrap(),
            rotated.json()["key"].as_str().unwrap(),
            admin.as_str(),
        ] {
            assert!(!contains(secret), "a key secret is stored in clear");
            // Not even its checksum-free body.
            assert!(!contains(&secret[3..40]));
        }
        for idem in ["0f6c1a52-idem-create", "0f6c1a52-idem-rotate"] {
            assert!(!contains(idem), "an Idempotency-Key is stored in clear");
        }
        // Revoking a key forgets its stored replays.
        let new_id = rotated.json()["id"].as_str().unwrap().to_owned();
        let r = app
            .post(&format!("/v1/api-keys/{new_id}/revoke"), json!({}))
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let again = post(format!("/v1/api-keys/{id}/rotate"), "0f6c1a52-idem-rotate").await;
        assert_eq!(again.header("idempotent-replayed"), None);
        again.assert_problem(409, "conflict");
    }
);
