//! API-key hygiene: a maximum age (a warning near it, refusal past it) and
//! the sweep revoking keys left unused; both visible when listing keys.

use axum::http::{Method, StatusCode};
use mismatch_server::config::Settings;
use mismatch_server::services::accounts;
use serde_json::{Value, json};

use crate::support::TestApp;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

fn now_ms() -> i64 {
    mismatch_server::state::now_ms()
}

async fn new_key(app: &TestApp, name: &str) -> (String, String) {
    let r = app
        .post("/v1/api-keys", json!({"name": name, "role": "recruiter"}))
        .await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&r.bytes)
    );
    let body = r.json();
    (
        body["id"].as_str().unwrap().to_owned(),
        body["key"].as_str().unwrap().to_owned(),
    )
}

async fn listed(app: &TestApp, id: &str) -> Value {
    let page = app.get("/v1/api-keys?limit=100").await.json();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == id)
        .unwrap()
        .clone()
}

#[tokio::test]
async fn keys_near_their_maximum_age_are_warned_and_past_it_refused() {
    let mut settings = Settings::default();
    settings.identity.api_key_max_age_days = Some(30);
    let app = TestApp::with_settings(false, settings).await.unwrap();
    let (id, key) = new_key(&app, "ageing").await;

    let r = app.call(Method::GET, "/v1/jobs", Some(&key), None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.header("x-api-key-warning").is_none(),
        "a new key is not warned"
    );
    assert_eq!(listed(&app, &id).await["status"], "active");

    // 20 days old: within 14 days of the 30-day limit.
    app.execute_raw(&format!(
        "UPDATE api_keys SET created_at = {} WHERE id = '{id}'",
        now_ms() - 20 * DAY_MS
    ))
    .await;
    let r = app.call(Method::GET, "/v1/jobs", Some(&key), None).await;
    assert_eq!(r.status, StatusCode::OK);
    let warning = r.header("x-api-key-warning").expect("a warning header");
    assert!(warning.contains("maximum age 30 days"), "{warning}");
    let shown = listed(&app, &id).await;
    assert_eq!(shown["status"], "expiring_soon");
    assert!(shown["max_age_ends_at"].is_string());

    // 31 days old: refused with its own code.
    app.execute_raw(&format!(
        "UPDATE api_keys SET created_at = {} WHERE id = '{id}'",
        now_ms() - 31 * DAY_MS
    ))
    .await;
    let body = app
        .call(Method::GET, "/v1/jobs", Some(&key), None)
        .await
        .assert_problem(401, "api_key_too_old");
    assert!(body["detail"].as_str().unwrap().contains("rotate"));
    assert_eq!(listed(&app, &id).await["status"], "too_old");
}

#[tokio::test]
async fn the_sweep_revokes_keys_unused_for_the_configured_days() {
    let mut settings = Settings::default();
    settings.identity.api_key_idle_revoke_days = Some(30);
    let app = TestApp::with_settings(false, settings).await.unwrap();
    let (idle_id, idle_key) = new_key(&app, "forgotten").await;
    let (used_id, used_key) = new_key(&app, "busy").await;
    let (fresh_id, _) = new_key(&app, "new but unused").await;
    let long_ago = now_ms() - 40 * DAY_MS;
    app.execute_raw(&format!(
        "UPDATE api_keys SET created_at = {long_ago}, last_used_at = NULL WHERE id IN ('{idle_id}', '{used_id}')"
    ))
    .await;
    // Created long ago but used yesterday: not idle.
    app.execute_raw(&format!(
        "UPDATE api_keys SET last_used_at = {} WHERE id = '{used_id}'",
        now_ms() - DAY_MS
    ))
    .await;

    let revoked = accounts::revoke_idle_keys(&app.state, now_ms())
        .await
        .unwrap();
    assert_eq!(revoked, 1);
    let idle = listed(&app, &idle_id).await;
    assert_eq!(idle["status"], "revoked");
    assert_eq!(idle["revoked_reason"], "idle");
    assert_eq!(listed(&app, &used_id).await["status"], "active");
    assert_eq!(listed(&app, &fresh_id).await["status"], "active");
    app.call(Method::GET, "/v1/jobs", Some(&idle_key), None)
        .await
        .assert_problem(401, "unauthorized");
    assert_eq!(
        app.call(Method::GET, "/v1/jobs", Some(&used_key), None)
            .await
            .status,
        StatusCode::OK
    );
    // A second sweep finds nothing more; a manual revocation says so.
    assert_eq!(
        accounts::revoke_idle_keys(&app.state, now_ms())
            .await
            .unwrap(),
        0
    );
    let r = app
        .post(&format!("/v1/api-keys/{fresh_id}/revoke"), json!({}))
        .await;
    assert_eq!(r.json()["revoked_reason"], "manual");
}

#[tokio::test]
async fn without_settings_nothing_ages_or_idles() {
    let app = TestApp::new(false).await.unwrap();
    let (id, key) = new_key(&app, "old").await;
    app.execute_raw(&format!(
        "UPDATE api_keys SET created_at = {} WHERE id = '{id}'",
        now_ms() - 3650 * DAY_MS
    ))
    .await;
    assert_eq!(
        accounts::revoke_idle_keys(&app.state, now_ms())
            .await
            .unwrap(),
        0
    );
    let r = app.call(Method::GET, "/v1/jobs", Some(&key), None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("x-api-key-warning").is_none());
    let shown = listed(&app, &id).await;
    assert_eq!(shown["status"], "active");
    assert!(shown["max_age_ends_at"].is_null());
}
