//! The access matrix, tried: every operation of the OpenAPI document is
//! called as each role, with keys narrowed to each scope, with an expired, a
//! revoked and a malformed key, and without credentials. The outcome must be
//! what `server/src/access.rs` says (which also writes the matrix of
//! `docs/api.md`), so a handler whose extractor disagrees with the table, or
//! a new operation without a rule, fails here.
//!
//! Allowed means "not 401 and not 403": path ids are well-formed but unknown
//! (so nothing is changed, and the answer is 404), JSON bodies are `{}` (so
//! creations fail validation), raw bodies are one byte.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use mismatch_core::security::{Role, Scope, totp};
use mismatch_server::access::{self, Rule};
use serde_json::json;

use crate::support::{TestApp, TestResponse};

/// One operation of the document, as the test calls it.
struct Operation {
    id: String,
    method: Method,
    uri: String,
    body: Option<(String, Vec<u8>)>,
}

fn unknown_id(param: &str) -> String {
    let prefix = match param {
        "key_id" => "key",
        "candidate_id" => "cand",
        "job_id" => "job",
        "user_id" => "usr",
        other => panic!("path parameter {other} needs a well-formed unknown id in this test"),
    };
    format!("{prefix}_01JD0000000000000000000000")
}

fn operations() -> Vec<Operation> {
    let doc = serde_json::to_value(mismatch_server::openapi::spec()).unwrap();
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Ok(method) = method.to_uppercase().parse::<Method>() else {
                continue;
            };
            let mut uri = path.clone();
            let mut query = Vec::new();
            for param in op["parameters"].as_array().into_iter().flatten() {
                let name = param["name"].as_str().unwrap();
                match param["in"].as_str().unwrap() {
                    "path" => uri = uri.replace(&format!("{{{name}}}"), &unknown_id(name)),
                    "query" if param["required"] == true => {
                        query.push(format!("{name}=access-test"))
                    }
                    _ => {}
                }
            }
            if !query.is_empty() {
                uri = format!("{uri}?{}", query.join("&"));
            }
            let body = op["requestBody"]["content"].as_object().map(|content| {
                let content_type = content.keys().next().unwrap().clone();
                let bytes = if content_type == "application/json" {
                    b"{}".to_vec()
                } else {
                    b"x".to_vec()
                };
                (content_type, bytes)
            });
            out.push(Operation {
                id: op["operationId"].as_str().unwrap().to_owned(),
                method,
                uri,
                body,
            });
        }
    }
    assert!(
        out.len() >= 20,
        "the document lists {} operations",
        out.len()
    );
    out
}

async fn call(app: &TestApp, op: &Operation, key: Option<&str>) -> TestResponse {
    let mut builder = Request::builder().method(op.method.clone()).uri(&op.uri);
    if let Some(key) = key {
        builder = builder.header("authorization", format!("Bearer {key}"));
    }
    let body = match &op.body {
        Some((content_type, bytes)) => {
            builder = builder.header("content-type", content_type);
            Body::from(bytes.clone())
        }
        None => Body::empty(),
    };
    let mut request = builder.body(body).unwrap();
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            [127, 0, 0, 1],
            40001,
        ))));
    app.send(request).await
}

/// Creates a key as the admin and returns its secret.
async fn key(app: &TestApp, body: serde_json::Value) -> String {
    let r = app.post("/v1/api-keys", body).await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&r.bytes)
    );
    r.json()["key"].as_str().unwrap().to_owned()
}

#[track_caller]
fn expect(op: &Operation, who: &str, allowed: bool, r: &TestResponse) {
    let status = r.status.as_u16();
    let detail = || {
        format!(
            "{} {} as {who}: {status} {}",
            op.method,
            op.uri,
            String::from_utf8_lossy(&r.bytes)
        )
    };
    if allowed {
        assert!(
            status != 401 && status != 403,
            "{} must be allowed: {}",
            op.id,
            detail()
        );
    } else {
        assert_eq!(status, 403, "{} must be forbidden: {}", op.id, detail());
        assert_eq!(r.json()["code"], "forbidden", "{}", detail());
    }
}

#[track_caller]
fn expect_unauthenticated(op: &Operation, who: &str, rule: Rule, r: &TestResponse) {
    let status = r.status.as_u16();
    let detail = || {
        format!(
            "{} {} as {who}: {status} {}",
            op.method,
            op.uri,
            String::from_utf8_lossy(&r.bytes)
        )
    };
    match rule {
        Rule::Public => assert!(
            status != 401 && status != 403,
            "{} is public: {}",
            op.id,
            detail()
        ),
        Rule::Authenticated | Rule::Scope(_) => {
            assert_eq!(status, 401, "{} needs credentials: {}", op.id, detail());
            assert_eq!(r.json()["code"], "unauthorized", "{}", detail());
        }
    }
}

#[tokio::test]
async fn every_operation_follows_the_access_table() {
    // About 900 calls from one address within a minute: a budget above the
    // default 1,000 a minute keeps this a test of access rules, not of the
    // rate limiter (tests/api/rate_limit.rs tests that).
    let mut settings = mismatch_server::config::Settings::default();
    settings.rate_limit.per_ip_per_minute = 100_000;
    let app = TestApp::with_settings(false, settings).await.unwrap();
    let ops = operations();
    for op in &ops {
        assert!(
            access::rule(&op.id).is_some(),
            "{} has no rule in server/src/access.rs",
            op.id
        );
    }

    let mut by_role = vec![(
        "an admin key".to_owned(),
        Role::Admin,
        app.admin_key.clone(),
    )];
    for role in [Role::Recruiter, Role::Viewer] {
        by_role.push((
            format!("a {} key", role.as_str()),
            role,
            app.key_with_role(role.as_str()).await,
        ));
    }
    // The same roles through login sessions (access tokens).
    for role in Role::ALL {
        let token = session_token(&app, &format!("{}@example.com", role.as_str()), *role).await;
        by_role.push((format!("a {} session", role.as_str()), *role, token));
    }
    let pending = pending_second_factor(&app).await;
    // Admin keys narrowed to one scope each: only that scope's operations.
    let mut narrowed = Vec::new();
    for scope in Scope::ALL {
        let secret = key(&app, json!({"name": format!("only {}", scope.as_str()), "role": "admin", "scopes": [scope.as_str()]})).await;
        narrowed.push((*scope, secret));
    }
    let revoked = {
        let r = app.post("/v1/api-keys", json!({"name": "revoked"})).await;
        let created = r.json();
        let id = created["id"].as_str().unwrap();
        let r = app
            .post(&format!("/v1/api-keys/{id}/revoke"), json!({}))
            .await;
        assert!(
            r.status.is_success(),
            "{}",
            String::from_utf8_lossy(&r.bytes)
        );
        created["key"].as_str().unwrap().to_owned()
    };
    let expired = key(&app, json!({"name": "expired", "ttl_seconds": 1})).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let malformed = "mm_not-a-key";

    let mut calls = 0;
    for op in &ops {
        let rule = access::rule(&op.id).unwrap();
        for (who, role, secret) in &by_role {
            let r = call(&app, op, Some(secret)).await;
            expect(op, who, access::role_may(*role, rule), &r);
            calls += 1;
        }
        for (scope, secret) in &narrowed {
            let r = call(&app, op, Some(secret)).await;
            let allowed = match rule {
                Rule::Public | Rule::Authenticated => true,
                Rule::Scope(needed) => needed == *scope,
            };
            expect(
                op,
                &format!("a key narrowed to {}", scope.as_str()),
                allowed,
                &r,
            );
            calls += 1;
        }
        for (who, secret) in [
            ("no credentials", None),
            ("a revoked key", Some(revoked.as_str())),
            ("an expired key", Some(expired.as_str())),
            ("a malformed key", Some(malformed)),
            (
                "a login whose second factor is pending",
                Some(pending.as_str()),
            ),
        ] {
            let r = call(&app, op, secret).await;
            expect_unauthenticated(op, who, rule, &r);
            calls += 1;
        }
    }
    assert_eq!(calls, ops.len() * (6 + Scope::ALL.len() + 5));
}

const PASSWORD: &str = "access test password";

/// Creates a login user with `role` and returns an access token of its.
async fn session_token(app: &TestApp, email: &str, role: Role) -> String {
    let r = app
        .post(
            "/v1/users",
            json!({"email": email, "name": email, "role": role.as_str(), "password": PASSWORD}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&r.bytes)
    );
    let r = app
        .call(
            Method::POST,
            "/v1/auth/login",
            None,
            Some(json!({"email": email, "password": PASSWORD})),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.bytes)
    );
    r.json()["session"]["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The challenge token of a login whose second step is still to come: it
/// must open nothing.
async fn pending_second_factor(app: &TestApp) -> String {
    let token = session_token(app, "pending@example.com", Role::Admin).await;
    let enrol = app
        .call(Method::POST, "/v1/users/me/2fa", Some(&token), None)
        .await
        .json();
    let secret = totp::Secret::from_base32(enrol["secret"].as_str().unwrap()).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let code = totp::code_at(&secret, now, 6);
    let r = app
        .call(
            Method::POST,
            "/v1/users/me/2fa/confirm",
            Some(&token),
            Some(json!({"code": code})),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.bytes)
    );
    let r = app
        .call(
            Method::POST,
            "/v1/auth/login",
            None,
            Some(json!({"email": "pending@example.com", "password": PASSWORD})),
        )
        .await;
    assert_eq!(r.json()["two_factor_required"], true);
    r.json()["challenge_token"].as_str().unwrap().to_owned()
}

#[test]
fn docs_api_md_holds_the_generated_matrix() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/api.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let start = text
        .find(access::MATRIX_BEGIN)
        .expect("docs/api.md has the matrix markers");
    let end = text
        .find(access::MATRIX_END)
        .expect("docs/api.md has the matrix end marker")
        + access::MATRIX_END.len()
        + 1;
    assert_eq!(
        &text[start..end],
        mismatch_server::openapi::access_matrix(),
        "the access matrix of docs/api.md is stale: replace its block with `cargo run -q -p mismatch-server -- access-matrix`"
    );
}
