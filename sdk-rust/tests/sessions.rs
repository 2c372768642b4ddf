//! Sessions: login (with a second factor), the access token replacing the
//! API key, renewal ahead of expiry and after a 401, single-flight refresh,
//! resume and logout.
//!
//! Most tests run against `FakeAuth`, a local server that plays the
//! session protocol like the real one (single-use rotating refresh tokens,
//! reuse detection) with lifetimes and failures the test chooses.
//! `live_session_against_the_server` runs against a live server (the
//! project's test runner sets `MISMATCH_BASE_URL` and
//! `MISMATCH_ADMIN_API_KEY`); without one it is skipped, except under CI,
//! where that fails. It makes no failed login: the server counts those per
//! address, and every suite of the test run shares 127.0.0.1.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Request};
use axum::response::Response;
use mismatch_recruiter::{CallOptions, Client, ClientOptions, ErrorKind, LoginOutcome};
use serde_json::{Value, json};

const API_KEY: &str = "mm_test_key";
const USER: &str = r#"{"id": "usr_01M8T6GBN33NM5NT6Y4H3XR37Q", "email": "ada@example.com",
    "name": "Ada", "role": "recruiter", "password_set": true, "two_factor_enabled": false,
    "disabled": false, "created_at": "2026-01-01T00:00:00Z"}"#;

/// One request the fake saw.
#[derive(Clone, Debug)]
struct Seen {
    method: Method,
    path: String,
    authorization: Option<String>,
    idempotency_key: Option<String>,
    body: Value,
}

/// What the fake server knows and how it behaves.
struct State {
    /// Number of the current access and refresh tokens (`eyJ.access.N`,
    /// `mmr_N`); 0 before any login.
    generation: u32,
    /// Set by reuse detection or logout: every token of the login is dead.
    revoked: bool,
    /// `expires_in` of the next sessions issued; 3600 once empty.
    lifetimes: VecDeque<i64>,
    /// Statuses the next refreshes answer instead of working.
    refresh_failures: VecDeque<u16>,
    refresh_delay: Duration,
    /// Refuse the next request carrying a valid access token.
    refuse_next_access: bool,
    seen: Vec<Seen>,
}

#[derive(Clone)]
struct FakeAuth {
    url: String,
    state: Arc<Mutex<State>>,
}

impl FakeAuth {
    async fn start() -> Self {
        let state = Arc::new(Mutex::new(State {
            generation: 0,
            revoked: false,
            lifetimes: VecDeque::new(),
            refresh_failures: VecDeque::new(),
            refresh_delay: Duration::ZERO,
            refuse_next_access: false,
            seen: Vec::new(),
        }));
        let shared = state.clone();
        let app = axum::Router::new().fallback(move |request: Request<Body>| {
            let state = shared.clone();
            async move { answer(state, request).await }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { url, state }
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap())
    }

    fn seen(&self) -> Vec<Seen> {
        self.with(|s| s.seen.clone())
    }

    fn paths(&self) -> Vec<String> {
        self.seen().into_iter().map(|s| s.path).collect()
    }

    fn refreshes(&self) -> usize {
        self.paths()
            .iter()
            .filter(|p| *p == "/v1/auth/refresh")
            .count()
    }

    fn client(&self) -> Client {
        let mut options = ClientOptions::new(&self.url).with_api_key(API_KEY);
        options.initial_retry_delay = Duration::from_millis(1);
        Client::new(options).unwrap()
    }
}

fn json_response(status: u16, body: Value) -> Response {
    let content_type = if status >= 400 {
        "application/problem+json"
    } else {
        "application/json"
    };
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("retry-after", "0")
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn problem(status: u16, code: &str, detail: &str) -> Response {
    json_response(
        status,
        json!({"type": format!("https://docs.mismatch.dev/errors/{code}"), "title": code,
               "status": status, "code": code, "detail": detail, "request_id": "req-1",
               "errors": []}),
    )
}

fn issue(state: &mut State) -> Value {
    state.generation += 1;
    state.revoked = false;
    let n = state.generation;
    json!({"access_token": format!("eyJ.access.{n}"), "token_type": "Bearer",
           "expires_in": state.lifetimes.pop_front().unwrap_or(3600),
           "expires_at": "2026-01-01T01:00:00.000Z", "refresh_token": format!("mmr_{n}"),
           "refresh_expires_at": "2026-01-31T00:00:00.000Z"})
}

async fn answer(state: Arc<Mutex<State>>, request: Request<Body>) -> Response {
    let (parts, body) = request.into_parts();
    let body: Bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let header =
        |headers: &HeaderMap, name: &str| headers.get(name).map(|v| v.to_str().unwrap().to_owned());
    let seen = Seen {
        method: parts.method.clone(),
        path: parts.uri.path().to_owned(),
        authorization: header(&parts.headers, "authorization"),
        idempotency_key: header(&parts.headers, "idempotency-key"),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    };
    let delay = {
        let mut s = state.lock().unwrap();
        s.seen.push(seen.clone());
        if seen.path == "/v1/auth/refresh" {
            s.refresh_delay
        } else {
            Duration::ZERO
        }
    };
    tokio::time::sleep(delay).await;
    let mut s = state.lock().unwrap();
    let field = |name: &str| seen.body[name].as_str().unwrap_or_default().to_owned();
    match (seen.method.as_str(), seen.path.as_str()) {
        ("POST", "/v1/auth/login") => match (field("email").as_str(), field("password").as_str()) {
            (_, "wrong") => problem(401, "invalid_credentials", "wrong email or password"),
            ("2fa@example.com", _) => json_response(
                200,
                json!({"two_factor_required": true, "challenge_token": "eyJ.challenge.1",
                       "challenge_expires_at": "2026-01-01T00:05:00Z"}),
            ),
            _ => json_response(
                200,
                json!({"two_factor_required": false, "session": issue(&mut s)}),
            ),
        },
        ("POST", "/v1/auth/login/2fa") => {
            if field("challenge_token") == "eyJ.challenge.1" && field("code") == "123456" {
                json_response(200, issue(&mut s))
            } else {
                problem(401, "invalid_two_factor_code", "the code is wrong")
            }
        }
        ("POST", "/v1/auth/refresh") => {
            if let Some(status) = s.refresh_failures.pop_front() {
                return problem(status, "unavailable", "scripted failure");
            }
            let current = format!("mmr_{}", s.generation);
            if !s.revoked && s.generation > 0 && field("refresh_token") == current {
                json_response(200, issue(&mut s))
            } else {
                // Reuse detection: a spent token ends the login.
                s.revoked = true;
                problem(
                    401,
                    "unauthorized",
                    "unknown, spent or revoked refresh token",
                )
            }
        }
        ("POST", "/v1/auth/logout") => {
            s.revoked = true;
            Response::builder().status(204).body(Body::empty()).unwrap()
        }
        (_, path) if path.starts_with("/v1/users/me") => {
            let access = format!("Bearer eyJ.access.{}", s.generation);
            let authorised = match seen.authorization.as_deref() {
                Some(key) if key == format!("Bearer {API_KEY}") => true,
                Some(token) if token == access && !s.revoked => {
                    !std::mem::take(&mut s.refuse_next_access)
                }
                _ => false,
            };
            if !authorised {
                return problem(401, "unauthorized", "the access token is not valid");
            }
            match path {
                "/v1/users/me" => json_response(200, serde_json::from_str(USER).unwrap()),
                "/v1/users/me/2fa/confirm" if field("code") == "123456" => {
                    json_response(200, json!({"backup_codes": ["a", "b"]}))
                }
                "/v1/users/me/2fa/confirm" => {
                    problem(401, "invalid_two_factor_code", "the code is wrong")
                }
                _ => problem(404, "not_found", "no such route"),
            }
        }
        _ => problem(404, "not_found", "no such route"),
    }
}

async fn me(client: &Client) -> Result<u32, mismatch_recruiter::Error> {
    client
        .call("getCurrentUser", Value::Null, CallOptions::default())
        .await
        .map(|response| response.attempts)
}

fn logged_in(outcome: LoginOutcome) -> mismatch_recruiter::SessionInfo {
    match outcome {
        LoginOutcome::LoggedIn(info) => info,
        other => panic!("expected a session, got {other:?}"),
    }
}

#[tokio::test]
async fn after_login_the_access_token_replaces_the_api_key_until_logout() {
    let server = FakeAuth::start().await;
    let client = server.client();
    me(&client).await.unwrap();
    assert!(client.session().is_none());

    let info = logged_in(client.login("ada@example.com", "secret").await.unwrap());
    assert!(info.renewable);
    assert_eq!(
        info.access_token_expires_at.to_rfc3339(),
        "2026-01-01T01:00:00+00:00"
    );
    assert_eq!(client.session(), Some(info));
    assert_eq!(client.session_refresh_token().as_deref(), Some("mmr_1"));
    me(&client).await.unwrap();
    // Clones share the session, and typed calls use it too.
    client.clone().api().get_current_user().await.unwrap();

    client.logout().await.unwrap();
    assert!(client.session().is_none());
    assert!(client.session_refresh_token().is_none());
    me(&client).await.unwrap();
    // A second logout has nothing to end.
    client.logout().await.unwrap();

    let seen = server.seen();
    let auth: Vec<_> = seen.iter().map(|s| s.authorization.as_deref()).collect();
    let key = Some("Bearer mm_test_key");
    let token = Some("Bearer eyJ.access.1");
    assert_eq!(
        server.paths(),
        [
            "/v1/users/me",
            "/v1/auth/login",
            "/v1/users/me",
            "/v1/users/me",
            "/v1/auth/logout",
            "/v1/users/me"
        ]
    );
    assert_eq!(auth, [key, None, token, token, None, key]);
    // The session requests carry their credentials in the body only.
    assert_eq!(seen[1].idempotency_key, None);
    assert_eq!(seen[4].idempotency_key, None);
    assert_eq!(seen[4].body, json!({"refresh_token": "mmr_1"}));
}

#[tokio::test]
async fn a_token_near_expiry_is_renewed_before_the_call() {
    let server = FakeAuth::start().await;
    // 30 s left is inside the renewal margin (60 s).
    server.with(|s| s.lifetimes.push_back(30));
    let client = server.client();
    client.login("ada@example.com", "secret").await.unwrap();
    assert_eq!(me(&client).await.unwrap(), 1);
    me(&client).await.unwrap();

    let seen = server.seen();
    assert_eq!(
        server.paths(),
        [
            "/v1/auth/login",
            "/v1/auth/refresh",
            "/v1/users/me",
            "/v1/users/me"
        ]
    );
    assert_eq!(seen[1].body, json!({"refresh_token": "mmr_1"}));
    assert_eq!(
        (
            seen[1].authorization.as_deref(),
            seen[1].idempotency_key.as_deref()
        ),
        (None, None)
    );
    assert_eq!(
        seen[2].authorization.as_deref(),
        Some("Bearer eyJ.access.2")
    );
    assert_eq!(
        seen[3].authorization.as_deref(),
        Some("Bearer eyJ.access.2")
    );
    assert_eq!(client.session_refresh_token().as_deref(), Some("mmr_2"));
}

#[tokio::test]
async fn concurrent_calls_share_one_refresh() {
    let server = FakeAuth::start().await;
    server.with(|s| {
        s.lifetimes.push_back(0);
        s.refresh_delay = Duration::from_millis(200);
    });
    let client = server.client();
    client.login("ada@example.com", "secret").await.unwrap();
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { me(&client).await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    // Two refreshes would have presented mmr_1 twice and ended the login.
    assert_eq!(server.refreshes(), 1);
    let calls: Vec<_> = server
        .seen()
        .into_iter()
        .filter(|s| s.path == "/v1/users/me")
        .collect();
    assert_eq!(calls.len(), 8);
    assert!(
        calls
            .iter()
            .all(|s| s.authorization.as_deref() == Some("Bearer eyJ.access.2"))
    );
    assert!(client.session().unwrap().renewable);
}

#[tokio::test]
async fn a_refused_access_token_is_renewed_once_and_the_call_sent_again() {
    let server = FakeAuth::start().await;
    let client = server.client();
    client.login("ada@example.com", "secret").await.unwrap();
    server.with(|s| s.refuse_next_access = true);
    assert_eq!(me(&client).await.unwrap(), 2);
    let seen = server.seen();
    assert_eq!(
        server.paths(),
        [
            "/v1/auth/login",
            "/v1/users/me",
            "/v1/auth/refresh",
            "/v1/users/me"
        ]
    );
    assert_eq!(
        seen[1].authorization.as_deref(),
        Some("Bearer eyJ.access.1")
    );
    assert_eq!(
        seen[3].authorization.as_deref(),
        Some("Bearer eyJ.access.2")
    );

    // A POST is sent again with the same body.
    server.with(|s| s.refuse_next_access = true);
    let confirmed = client
        .call(
            "confirmTwoFactor",
            json!({"body": {"code": "123456"}}),
            CallOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(confirmed.body, json!({"backup_codes": ["a", "b"]}));
    let posts: Vec<_> = server
        .seen()
        .into_iter()
        .filter(|s| s.path == "/v1/users/me/2fa/confirm")
        .collect();
    assert_eq!(posts.len(), 2);
    assert_eq!(posts[0].body, posts[1].body);
    assert_eq!(server.refreshes(), 2);

    // Other 401s (a wrong code) are answers, not a reason to renew.
    let err = client
        .call(
            "confirmTwoFactor",
            json!({"body": {"code": "000000"}}),
            CallOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("invalid_two_factor_code"));
    assert_eq!(err.attempts(), Some(1));
    assert_eq!(server.refreshes(), 2);
}

#[tokio::test]
async fn a_refused_refresh_is_the_answer_and_ends_renewal() {
    let server = FakeAuth::start().await;
    server.with(|s| s.lifetimes.push_back(0));
    let client = server.client();
    client.login("ada@example.com", "secret").await.unwrap();
    // The login ended elsewhere: its refresh token is refused.
    server.with(|s| s.revoked = true);
    let err = me(&client).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
    assert_eq!(err.message(), "unknown, spent or revoked refresh token");
    let info = client.session().unwrap();
    assert!(!info.renewable);
    assert_eq!(client.session_refresh_token(), None);

    // No second refresh: the expired token goes out and is refused.
    let err = me(&client).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
    assert_eq!(err.message(), "the access token is not valid");
    assert_eq!(server.refreshes(), 1);
    // Logging out of a dead session ends nothing on the server.
    client.logout().await.unwrap();
    assert!(!server.paths().contains(&"/v1/auth/logout".to_owned()));
}

#[tokio::test]
async fn a_failed_renewal_follows_the_retry_policy() {
    // Expired token: the renewal's 503 is retried, then the call goes out.
    let server = FakeAuth::start().await;
    server.with(|s| {
        s.lifetimes.push_back(0);
        s.refresh_failures.push_back(503);
    });
    let client = server.client();
    client.login("ada@example.com", "secret").await.unwrap();
    assert_eq!(me(&client).await.unwrap(), 2);
    assert_eq!(server.refreshes(), 2);

    // Still valid for 30 s: a failed renewal leaves the call to the old token,
    // and the next call tries again.
    let server = FakeAuth::start().await;
    server.with(|s| {
        s.lifetimes.push_back(30);
        s.refresh_failures.extend([503, 503]);
    });
    let client = server.client();
    client.login("ada@example.com", "secret").await.unwrap();
    assert_eq!(me(&client).await.unwrap(), 1);
    let seen = server.seen();
    assert_eq!(
        seen[2].authorization.as_deref(),
        Some("Bearer eyJ.access.1")
    );
    assert!(client.session().unwrap().renewable);
    me(&client).await.unwrap();
    me(&client).await.unwrap();
    assert_eq!(server.refreshes(), 3);
    assert_eq!(client.session_refresh_token().as_deref(), Some("mmr_2"));
}

#[tokio::test]
async fn a_dropped_call_does_not_lose_the_rotated_refresh_token() {
    let server = FakeAuth::start().await;
    server.with(|s| {
        s.lifetimes.push_back(0);
        s.refresh_delay = Duration::from_millis(300);
    });
    let client = server.client();
    client.login("ada@example.com", "secret").await.unwrap();
    let gave_up = tokio::time::timeout(Duration::from_millis(50), me(&client)).await;
    assert!(gave_up.is_err(), "the call was still renewing");
    tokio::time::sleep(Duration::from_millis(500)).await;
    // The renewal finished without its caller and kept the new token.
    assert_eq!(client.session_refresh_token().as_deref(), Some("mmr_2"));
    me(&client).await.unwrap();
    assert_eq!(server.refreshes(), 1);
}

#[tokio::test]
async fn a_second_factor_finishes_the_login() {
    let server = FakeAuth::start().await;
    let client = server.client();
    let challenge = match client.login("2fa@example.com", "secret").await.unwrap() {
        LoginOutcome::SecondFactorRequired(challenge) => challenge,
        other => panic!("expected a challenge, got {other:?}"),
    };
    assert_eq!(challenge.challenge_token, "eyJ.challenge.1");
    assert!(!format!("{challenge:?}").contains("challenge.1"));
    assert!(
        client.session().is_none(),
        "not logged in before the second step"
    );

    let err = client
        .login_second_factor(&challenge.challenge_token, "000000")
        .await
        .unwrap_err();
    assert_eq!(
        (err.kind(), err.code()),
        (ErrorKind::Authentication, Some("invalid_two_factor_code"))
    );
    assert!(client.session().is_none());
    let info = client
        .login_second_factor(&challenge.challenge_token, "123456")
        .await
        .unwrap();
    assert_eq!(client.session(), Some(info));
    me(&client).await.unwrap();
    let seen = server.seen();
    assert_eq!(
        seen.last().unwrap().authorization.as_deref(),
        Some("Bearer eyJ.access.1")
    );
    assert_eq!(
        seen[1].body,
        json!({"challenge_token": "eyJ.challenge.1", "code": "000000"})
    );
}

#[tokio::test]
async fn wrong_credentials_are_authentication_errors() {
    let server = FakeAuth::start().await;
    let client = server.client();
    let err = client.login("ada@example.com", "wrong").await.unwrap_err();
    assert_eq!(
        (err.kind(), err.code(), err.status()),
        (
            ErrorKind::Authentication,
            Some("invalid_credentials"),
            Some(401)
        )
    );
    assert!(client.session().is_none());
    // Not resent: a login is not idempotent.
    assert_eq!(err.attempts(), Some(1));
}

#[tokio::test]
async fn a_kept_refresh_token_resumes_the_login() {
    let server = FakeAuth::start().await;
    let first = server.client();
    first.login("ada@example.com", "secret").await.unwrap();
    let kept = first.session_refresh_token().unwrap();

    let later = server.client();
    let info = later.resume_session(&kept).await.unwrap();
    assert!(info.renewable);
    assert_eq!(later.session_refresh_token().as_deref(), Some("mmr_2"));
    me(&later).await.unwrap();
    assert_eq!(
        server.seen().last().unwrap().authorization.as_deref(),
        Some("Bearer eyJ.access.2")
    );

    // A spent token is refused (and, by reuse detection, ends the login).
    let again = server.client();
    let err = again.resume_session(&kept).await.unwrap_err();
    assert_eq!(
        (err.kind(), err.code()),
        (ErrorKind::Authentication, Some("unauthorized"))
    );
    assert!(again.session().is_none());
    let err = again.resume_session("").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
}

// --- against a live server -------------------------------------------------------

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

#[tokio::test]
async fn live_session_against_the_server() {
    let Some(base_url) = std::env::var("MISMATCH_BASE_URL")
        .ok()
        .filter(|v| !v.is_empty())
    else {
        assert!(
            !in_ci(),
            "MISMATCH_BASE_URL is not set but CI is: the live session test must run in CI"
        );
        println!("skipped: MISMATCH_BASE_URL not set (set it to a live server to run this test)");
        return;
    };
    let admin_key = std::env::var("MISMATCH_ADMIN_API_KEY")
        .expect("MISMATCH_ADMIN_API_KEY must be set with MISMATCH_BASE_URL");
    let admin = Client::new(ClientOptions::new(&base_url).with_api_key(&admin_key)).unwrap();
    let nonce = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let email = format!("sessions-{nonce}@example.com");
    let password = "correct horse battery staple";
    admin
        .call(
            "createUser",
            json!({"body": {"email": email, "name": "Session Test", "role": "recruiter",
                            "password": password}}),
            CallOptions::default(),
        )
        .await
        .unwrap();
    let whoami = |client: Client| async move {
        let user = client.api().get_current_user().await.unwrap().into_inner();
        user.email.unwrap_or_default()
    };

    // The client holds the admin key, and logs in as the recruiter.
    let client = Client::new(ClientOptions::new(&base_url).with_api_key(&admin_key)).unwrap();
    let info = logged_in(client.login(&email, password).await.unwrap());
    let left =
        info.access_token_expires_at - chrono::DateTime::<chrono::Utc>::from(SystemTime::now());
    assert!(
        left > chrono::TimeDelta::minutes(55) && left <= chrono::TimeDelta::minutes(61),
        "an access token lives an hour, {left} left"
    );
    assert!(info.refresh_token_expires_at > info.access_token_expires_at);
    assert_eq!(whoami(client.clone()).await, email);

    // Another client continues the login from its refresh token.
    let kept = client.session_refresh_token().unwrap();
    let resumed = Client::new(ClientOptions::new(&base_url).with_api_key(&admin_key)).unwrap();
    resumed.resume_session(&kept).await.unwrap();
    assert_eq!(whoami(resumed.clone()).await, email);
    assert_ne!(resumed.session_refresh_token().unwrap(), kept);

    // Logging out ends the login: the key is used again, the tokens are dead.
    resumed.logout().await.unwrap();
    assert!(resumed.session().is_none());
    assert_ne!(whoami(resumed.clone()).await, email);
    let err = resumed.resume_session(&kept).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
}
