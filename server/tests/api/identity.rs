//! Users who log in: login, lockout, sessions and refresh-token rotation,
//! TOTP second factor with backup codes, the 2FA policy, disabled users and
//! password changes — each tried the way an attacker would.

use axum::http::{Method, StatusCode};
use base64::Engine as _;
use mismatch_core::security::totp;
use mismatch_server::config::Settings;
use mismatch_server::identity::TwoFactorPolicy;
use serde_json::{Value, json};

use crate::support::{TestApp, TestResponse};

const PASSWORD: &str = "correct horse battery";

async fn create_user(app: &TestApp, email: &str, role: &str) -> Value {
    let r = app
        .post(
            "/v1/users",
            json!({"email": email, "name": "Ana Recruiter", "role": role, "password": PASSWORD}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&r.bytes)
    );
    r.json()
}

async fn login(app: &TestApp, email: &str, password: &str) -> TestResponse {
    app.call(
        Method::POST,
        "/v1/auth/login",
        None,
        Some(json!({"email": email, "password": password})),
    )
    .await
}

/// Logs in without a second factor; returns the session.
async fn session(app: &TestApp, email: &str) -> Value {
    let r = login(app, email, PASSWORD).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.bytes)
    );
    let body = r.json();
    assert_eq!(body["two_factor_required"], false);
    body["session"].clone()
}

fn access(session: &Value) -> String {
    session["access_token"].as_str().unwrap().to_owned()
}

fn code_now(secret: &str, offset_steps: i64) -> String {
    let secret = totp::Secret::from_base32(secret).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    totp::code_at(&secret, (now + offset_steps * 30) as u64, 6)
}

#[tokio::test]
async fn login_gives_a_one_hour_token_that_acts_as_the_user() {
    let app = TestApp::new(false).await.unwrap();
    let user = create_user(&app, "Ana@Example.com", "recruiter").await;
    assert_eq!(user["email"], "ana@example.com");
    assert_eq!(user["password_set"], true);
    assert!(user.get("password_hash").is_none());

    let s = session(&app, "  ANA@example.com ").await;
    assert_eq!(s["token_type"], "Bearer");
    let expires_in = s["expires_in"].as_i64().unwrap();
    assert!((3590..=3600).contains(&expires_in), "{expires_in}");
    let token = access(&s);

    // The token is a JWT signed by a key the JWKS publishes.
    let header: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "EdDSA");
    let jwks = app
        .call(Method::GET, "/.well-known/jwks.json", None, None)
        .await;
    assert_eq!(jwks.status, StatusCode::OK);
    assert!(
        jwks.json()["keys"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["kid"] == header["kid"])
    );

    let me = app
        .call(Method::GET, "/v1/users/me", Some(&token), None)
        .await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["id"], user["id"]);
    let r = app.call(Method::GET, "/v1/jobs", Some(&token), None).await;
    assert_eq!(r.status, StatusCode::OK);
    // A recruiter's session is a recruiter: no user management.
    app.call(Method::GET, "/v1/users", Some(&token), None)
        .await
        .assert_problem(403, "forbidden");
    // A tampered token is refused.
    let mut forged = token.clone();
    forged.pop();
    forged.push(if token.ends_with('A') { 'B' } else { 'A' });
    app.call(Method::GET, "/v1/jobs", Some(&forged), None)
        .await
        .assert_problem(401, "unauthorized");
}

#[tokio::test]
async fn login_does_not_tell_unknown_emails_from_wrong_passwords_and_locks_after_five_failures() {
    let app = TestApp::new(false).await.unwrap();
    create_user(&app, "lock@example.com", "viewer").await;
    let unknown = login(&app, "nobody@example.com", PASSWORD).await;
    let wrong = login(&app, "lock@example.com", "wrong password!").await;
    let a = unknown.assert_problem(401, "invalid_credentials");
    let b = wrong.assert_problem(401, "invalid_credentials");
    assert_eq!(a["detail"], b["detail"]);
    for _ in 0..4 {
        login(&app, "lock@example.com", "wrong password!").await;
    }
    // Five failures in a row: even the right password is refused for a while.
    let locked = login(&app, "lock@example.com", PASSWORD).await;
    locked.assert_problem(429, "login_locked");
    let wait: u64 = locked.header("retry-after").unwrap().parse().unwrap();
    assert!(wait > 800 && wait <= 900, "{wait}");
    // Another account is not locked by it.
    create_user(&app, "other@example.com", "viewer").await;
    session(&app, "other@example.com").await;
}

#[tokio::test]
async fn refresh_tokens_rotate_and_a_reused_one_ends_the_whole_login() {
    let app = TestApp::new(false).await.unwrap();
    create_user(&app, "rot@example.com", "viewer").await;
    let first = session(&app, "rot@example.com").await;
    let refresh = |token: &str| {
        app.call(
            Method::POST,
            "/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": token})),
        )
    };
    let r = refresh(first["refresh_token"].as_str().unwrap()).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.bytes)
    );
    let second = r.json();
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_eq!(second["refresh_expires_at"], first["refresh_expires_at"]);
    // The spent token again (a stolen copy): refused, and the family ends.
    refresh(first["refresh_token"].as_str().unwrap())
        .await
        .assert_problem(401, "unauthorized");
    refresh(second["refresh_token"].as_str().unwrap())
        .await
        .assert_problem(401, "unauthorized");
    // Garbage is refused without a lookup.
    refresh("mmr_short")
        .await
        .assert_problem(401, "unauthorized");

    // Logout ends a login; other logins go on.
    let a = session(&app, "rot@example.com").await;
    let b = session(&app, "rot@example.com").await;
    let r = app
        .call(
            Method::POST,
            "/v1/auth/logout",
            None,
            Some(json!({"refresh_token": a["refresh_token"]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    refresh(a["refresh_token"].as_str().unwrap())
        .await
        .assert_problem(401, "unauthorized");
    assert_eq!(
        refresh(b["refresh_token"].as_str().unwrap()).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn totp_enrolment_login_backup_codes_and_replay() {
    let app = TestApp::new(false).await.unwrap();
    create_user(&app, "two@example.com", "recruiter").await;
    let token = access(&session(&app, "two@example.com").await);

    let r = app
        .call(Method::POST, "/v1/users/me/2fa", Some(&token), None)
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.bytes)
    );
    let enrol = r.json();
    let secret = enrol["secret"].as_str().unwrap().to_owned();
    let uri = enrol["otpauth_uri"].as_str().unwrap();
    assert!(
        uri.starts_with("otpauth://totp/mismatch-recruiter:two%40example.com?")
            || uri.starts_with("otpauth://totp/mismatch-recruiter:two@example.com?"),
        "{uri}"
    );
    assert!(uri.contains(&format!("secret={secret}")));
    let png = base64::engine::general_purpose::STANDARD
        .decode(enrol["qr_png_base64"].as_str().unwrap())
        .unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert!(enrol["qr_svg"].as_str().unwrap().contains("<svg"));
    // The secret is not stored in clear.
    let stored = app
        .state
        .storage()
        .find_user_by_email("two@example.com")
        .await
        .unwrap()
        .unwrap();
    assert!(
        !stored
            .totp_secret_sealed
            .as_deref()
            .unwrap()
            .contains(&secret)
    );

    // A wrong code does not enable it.
    app.call(
        Method::POST,
        "/v1/users/me/2fa/confirm",
        Some(&token),
        Some(json!({"code": "000000"})),
    )
    .await
    .assert_problem(401, "invalid_two_factor_code");
    let code = code_now(&secret, 0);
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
    let backup: Vec<String> = serde_json::from_value(r.json()["backup_codes"].clone()).unwrap();
    assert_eq!(backup.len(), 10);

    // Login now takes two steps; the challenge is no access token.
    let first = login(&app, "two@example.com", PASSWORD).await.json();
    assert_eq!(first["two_factor_required"], true);
    assert!(first["session"].is_null());
    let challenge = first["challenge_token"].as_str().unwrap().to_owned();
    app.call(Method::GET, "/v1/jobs", Some(&challenge), None)
        .await
        .assert_problem(401, "unauthorized");
    let second = |code: String| {
        app.call(
            Method::POST,
            "/v1/auth/login/2fa",
            None,
            Some(json!({"challenge_token": challenge, "code": code})),
        )
    };
    // The code already accepted at enrolment is never accepted again.
    second(code.clone())
        .await
        .assert_problem(401, "invalid_two_factor_code");
    // The next step's code is within the allowed drift and new: accepted once.
    let next = code_now(&secret, 1);
    let r = second(next.clone()).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.bytes)
    );
    assert!(r.json()["access_token"].is_string());
    second(next)
        .await
        .assert_problem(401, "invalid_two_factor_code");
    // A backup code works once.
    assert_eq!(second(backup[0].clone()).await.status, StatusCode::OK);
    second(backup[0].clone())
        .await
        .assert_problem(401, "invalid_two_factor_code");

    // Disabling needs the password and a code.
    app.call(
        Method::POST,
        "/v1/users/me/2fa/disable",
        Some(&token),
        Some(json!({"password": "wrong password!", "code": backup[1]})),
    )
    .await
    .assert_problem(422, "validation_failed");
    let r = app
        .call(
            Method::POST,
            "/v1/users/me/2fa/disable",
            Some(&token),
            Some(json!({"password": PASSWORD, "code": backup[1]})),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::NO_CONTENT,
        "{}",
        String::from_utf8_lossy(&r.bytes)
    );
    assert_eq!(
        login(&app, "two@example.com", PASSWORD).await.json()["two_factor_required"],
        false
    );
}

#[tokio::test]
async fn the_2fa_policy_holds_admins_until_they_enrol() {
    let mut settings = Settings::default();
    settings.identity.two_factor = TwoFactorPolicy::Admins;
    let app = TestApp::with_settings(false, settings).await.unwrap();
    create_user(&app, "boss@example.com", "admin").await;
    create_user(&app, "rec@example.com", "recruiter").await;
    let boss = access(&session(&app, "boss@example.com").await);
    app.call(Method::GET, "/v1/jobs", Some(&boss), None)
        .await
        .assert_problem(403, "two_factor_enrollment_required");
    app.call(Method::GET, "/v1/users/me", Some(&boss), None)
        .await
        .assert_problem(403, "two_factor_enrollment_required");
    // A recruiter is not concerned; API-key-only admins (service accounts) neither.
    let rec = access(&session(&app, "rec@example.com").await);
    assert_eq!(
        app.call(Method::GET, "/v1/jobs", Some(&rec), None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(app.get("/v1/jobs").await.status, StatusCode::OK);
    // Enrolment is allowed, and lifts the hold.
    let enrol = app
        .call(Method::POST, "/v1/users/me/2fa", Some(&boss), None)
        .await
        .json();
    let code = code_now(enrol["secret"].as_str().unwrap(), 0);
    let r = app
        .call(
            Method::POST,
            "/v1/users/me/2fa/confirm",
            Some(&boss),
            Some(json!({"code": code})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        app.call(Method::GET, "/v1/jobs", Some(&boss), None)
            .await
            .status,
        StatusCode::OK
    );
    // The policy forbids turning it off again.
    let backup = r.json()["backup_codes"][0].clone();
    app.call(
        Method::POST,
        "/v1/users/me/2fa/disable",
        Some(&boss),
        Some(json!({"password": PASSWORD, "code": backup})),
    )
    .await
    .assert_problem(409, "conflict");
}

#[tokio::test]
async fn disabling_a_user_or_changing_its_password_ends_its_access() {
    let app = TestApp::new(false).await.unwrap();
    let user = create_user(&app, "gone@example.com", "recruiter").await;
    let id = user["id"].as_str().unwrap();
    let s = session(&app, "gone@example.com").await;
    let token = access(&s);

    // Its own password change: the old token and refresh token stop working.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    app.call(
        Method::POST,
        "/v1/users/me/password",
        Some(&token),
        Some(json!({"current_password": "wrong password!", "new_password": "another long secret"})),
    )
    .await
    .assert_problem(422, "validation_failed");
    app.call(
        Method::POST,
        "/v1/users/me/password",
        Some(&token),
        Some(json!({"current_password": PASSWORD, "new_password": "short"})),
    )
    .await
    .assert_problem(422, "validation_failed");
    let r = app
        .call(
            Method::POST,
            "/v1/users/me/password",
            Some(&token),
            Some(json!({"current_password": PASSWORD, "new_password": "another long secret"})),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::NO_CONTENT,
        "{}",
        String::from_utf8_lossy(&r.bytes)
    );
    app.call(Method::GET, "/v1/jobs", Some(&token), None)
        .await
        .assert_problem(401, "unauthorized");
    app.call(
        Method::POST,
        "/v1/auth/refresh",
        None,
        Some(json!({"refresh_token": s["refresh_token"]})),
    )
    .await
    .assert_problem(401, "unauthorized");
    login(&app, "gone@example.com", PASSWORD)
        .await
        .assert_problem(401, "invalid_credentials");
    let r = login(&app, "gone@example.com", "another long secret").await;
    assert_eq!(r.status, StatusCode::OK);
    let token = access(&r.json()["session"]);

    // An admin disables it: login and the live token are refused.
    let r = app
        .call(
            Method::PATCH,
            &format!("/v1/users/{id}"),
            Some(&app.admin_key.clone()),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["disabled"], true);
    app.call(Method::GET, "/v1/jobs", Some(&token), None)
        .await
        .assert_problem(403, "account_disabled");
    login(&app, "gone@example.com", "another long secret")
        .await
        .assert_problem(403, "account_disabled");
    // A disabled user's wrong password still says nothing about the account.
    login(&app, "gone@example.com", "not the password")
        .await
        .assert_problem(401, "invalid_credentials");
}

#[tokio::test]
async fn admins_manage_users_but_not_themselves_out_of_office() {
    let app = TestApp::new(false).await.unwrap();
    let admin = create_user(&app, "root@example.com", "admin").await;
    let token = access(&session(&app, "root@example.com").await);
    // Bad input names the fields and creates nothing.
    let r = app
        .call(
            Method::POST,
            "/v1/users",
            Some(&token),
            Some(
                json!({"email": "not-an-email", "name": "", "role": "viewer", "password": "short"}),
            ),
        )
        .await;
    let body = r.assert_problem(422, "validation_failed");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["email", "name", "password"]);
    // The same email twice is a conflict, whatever its case.
    create_user(&app, "dup@example.com", "viewer").await;
    app.call(
        Method::POST,
        "/v1/users",
        Some(&token),
        Some(json!({"email": "DUP@example.com", "name": "Dup", "role": "viewer", "password": PASSWORD})),
    )
    .await
    .assert_problem(409, "conflict");
    // An admin cannot lock itself out.
    let id = admin["id"].as_str().unwrap();
    for change in [json!({"disabled": true}), json!({"role": "viewer"})] {
        app.call(
            Method::PATCH,
            &format!("/v1/users/{id}"),
            Some(&token),
            Some(change),
        )
        .await
        .assert_problem(409, "conflict");
    }
    let listed = app
        .call(Method::GET, "/v1/users?limit=100", Some(&token), None)
        .await
        .json();
    assert!(
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["email"] == "dup@example.com")
    );
    assert!(
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u.get("password_hash").is_none())
    );
}

/// Two logins racing with the same fresh code: the conditional update of the
/// last accepted step lets exactly one through.
#[tokio::test]
async fn a_code_raced_by_two_requests_is_accepted_once() {
    let app = TestApp::new(false).await.unwrap();
    create_user(&app, "race@example.com", "viewer").await;
    let token = access(&session(&app, "race@example.com").await);
    let enrol = app
        .call(Method::POST, "/v1/users/me/2fa", Some(&token), None)
        .await
        .json();
    let secret = enrol["secret"].as_str().unwrap().to_owned();
    let r = app
        .call(
            Method::POST,
            "/v1/users/me/2fa/confirm",
            Some(&token),
            Some(json!({"code": code_now(&secret, -1)})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let c1 = login(&app, "race@example.com", PASSWORD).await.json()["challenge_token"].clone();
    let c2 = login(&app, "race@example.com", PASSWORD).await.json()["challenge_token"].clone();
    let code = code_now(&secret, 0);
    let call = |c: Value| {
        let body = json!({"challenge_token": c, "code": code});
        app.call(Method::POST, "/v1/auth/login/2fa", None, Some(body))
    };
    let (a, b) = tokio::join!(call(c1), call(c2));
    let ok = [a.status, b.status]
        .iter()
        .filter(|s| **s == StatusCode::OK)
        .count();
    assert_eq!(ok, 1, "{} and {}", a.status, b.status);
}

/// The storage guards behind single use, checked directly: whatever the
/// interleaving of requests, a step, a backup code and a refresh token are
/// each accepted once.
#[tokio::test]
async fn storage_accepts_each_step_backup_code_and_refresh_token_once() {
    let app = TestApp::new(false).await.unwrap();
    let user = create_user(&app, "once@example.com", "viewer").await;
    let id: mismatch_server::ids::UserId = user["id"].as_str().unwrap().parse().unwrap();
    let storage = app.state.storage();
    assert!(storage.accept_totp_step(&id, 100).await.unwrap());
    assert!(!storage.accept_totp_step(&id, 100).await.unwrap());
    assert!(!storage.accept_totp_step(&id, 99).await.unwrap());
    assert!(storage.accept_totp_step(&id, 101).await.unwrap());

    storage
        .replace_backup_codes(&id, 1, &["h1".into(), "h2".into()])
        .await
        .unwrap();
    assert!(storage.use_backup_code(&id, "h1", 2).await.unwrap());
    assert!(!storage.use_backup_code(&id, "h1", 3).await.unwrap());
    assert_eq!(storage.unused_backup_codes(&id).await.unwrap(), ["h2"]);

    let record = |hash: &str| mismatch_server::storage::users::RefreshTokenRecord {
        token_hash: hash.into(),
        family_id: "rtf_test".into(),
        user_id: id.clone(),
        created_at: 1,
        expires_at: i64::MAX,
        used_at: None,
        revoked_at: None,
    };
    storage.insert_refresh_token(&record("t1")).await.unwrap();
    assert!(
        storage
            .rotate_refresh_token("t1", 2, &record("t2"))
            .await
            .unwrap()
    );
    assert!(
        !storage
            .rotate_refresh_token("t1", 3, &record("t3"))
            .await
            .unwrap()
    );
    assert!(
        storage.find_refresh_token("t3").await.unwrap().is_none(),
        "nothing added on reuse"
    );
    assert_eq!(
        storage.revoke_refresh_family("rtf_test", 4).await.unwrap(),
        2
    );
    assert!(
        !storage
            .rotate_refresh_token("t2", 5, &record("t4"))
            .await
            .unwrap()
    );
}

/// Guessing across many accounts from one address is bounded too.
#[tokio::test]
async fn an_address_guessing_many_accounts_is_blocked() {
    let app = TestApp::new(false).await.unwrap();
    create_user(&app, "victim@example.com", "viewer").await;
    for i in 0..20 {
        login(&app, &format!("guess{i}@example.com"), "whatever password")
            .await
            .assert_problem(401, "invalid_credentials");
    }
    let r = login(&app, "victim@example.com", PASSWORD).await;
    r.assert_problem(429, "login_locked");
    assert!(r.header("retry-after").is_some());
}

#[tokio::test]
async fn the_address_threshold_is_configurable() {
    let mut settings = Settings::default();
    settings.identity.login_address_max_failures = 3;
    let app = TestApp::with_settings(false, settings).await.unwrap();
    create_user(&app, "nat@example.com", "viewer").await;
    for i in 0..3 {
        login(&app, &format!("guess{i}@example.com"), "whatever password")
            .await
            .assert_problem(401, "invalid_credentials");
    }
    login(&app, "nat@example.com", PASSWORD)
        .await
        .assert_problem(429, "login_locked");
}

/// The SDKs send an Idempotency-Key on every POST: the session endpoints
/// take one without credentials, and never store their token-bearing answers.
#[tokio::test]
async fn session_endpoints_ignore_idempotency_keys() {
    let app = TestApp::new(false).await.unwrap();
    create_user(&app, "idem@example.com", "viewer").await;
    let login_with_key = || {
        let request = axum::http::Request::builder()
            .method(Method::POST)
            .uri("/v1/auth/login")
            .header("content-type", "application/json")
            .header("idempotency-key", "same-key-twice")
            // An expired or stale bearer must not get in the way either.
            .header("authorization", "Bearer eyJhbGciOiJFZERTQSJ9.e30.c2ln")
            .body(axum::body::Body::from(
                serde_json::to_vec(&json!({"email": "idem@example.com", "password": PASSWORD}))
                    .unwrap(),
            ))
            .unwrap();
        app.send(request)
    };
    let first = login_with_key().await;
    assert_eq!(
        first.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&first.bytes)
    );
    let second = login_with_key().await;
    assert_eq!(second.status, StatusCode::OK);
    assert!(second.header("idempotent-replayed").is_none());
    assert_ne!(
        first.json()["session"]["refresh_token"],
        second.json()["session"]["refresh_token"]
    );
}
