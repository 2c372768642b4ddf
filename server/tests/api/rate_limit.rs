//! Rate limits per client address and per principal: the 429 and its
//! headers, the budget coming back with time (a manual clock, no sleeping),
//! `X-Forwarded-For` only from trusted proxies, 0 = off, and the Redis
//! backend shared by two servers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode};
use mismatch_core::security::Role;
use mismatch_server::app_with_rate_limits;
use mismatch_server::config::Settings;
use mismatch_server::rate_limit::{ManualClock, RateLimits};
use mismatch_server::services::accounts::{self, KeySpec};

use crate::support::{TestApp, TestResponse};

fn settings(per_ip: u32, per_principal: u32) -> Settings {
    let mut settings = Settings::default();
    settings.rate_limit.per_ip_per_minute = per_ip;
    settings.rate_limit.per_principal_per_minute = per_principal;
    settings
}

/// A test app whose limiters run on `clock`.
async fn app_on(settings: Settings, clock: &ManualClock) -> TestApp {
    let mut app = TestApp::with_settings(false, settings.clone())
        .await
        .unwrap();
    app.router = limited_router(&app, &settings, clock);
    app
}

/// Another server (own limiters) over the same state, like a second replica.
fn limited_router(app: &TestApp, settings: &Settings, clock: &ManualClock) -> axum::Router {
    let limits = RateLimits::with_clock(settings, Arc::new(clock.clone()));
    app_with_rate_limits(app.state.clone(), limits)
}

/// `GET path` from `peer`, with an optional key and `X-Forwarded-For`.
async fn get_from(
    router: &axum::Router,
    peer: &str,
    path: &str,
    key: Option<&str>,
    forwarded_for: Option<&str>,
) -> TestResponse {
    let mut builder = Request::builder().method(Method::GET).uri(path);
    if let Some(key) = key {
        builder = builder.header("authorization", format!("Bearer {key}"));
    }
    if let Some(xff) = forwarded_for {
        builder = builder.header("x-forwarded-for", xff);
    }
    let mut request = builder.body(Body::empty()).unwrap();
    let peer: SocketAddr = format!("{peer}:40000").parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(peer));
    send(router, request).await
}

async fn send(router: &axum::Router, request: Request<Body>) -> TestResponse {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    TestResponse {
        status,
        headers,
        bytes: bytes.to_vec(),
    }
}

/// (Limit, Remaining, Reset) as sent.
fn budget(r: &TestResponse) -> (Option<&str>, Option<&str>, Option<&str>) {
    (
        r.header("ratelimit-limit"),
        r.header("ratelimit-remaining"),
        r.header("ratelimit-reset"),
    )
}

/// A user of its own with an admin key; returns the key.
async fn other_principal(app: &TestApp) -> String {
    let spec = KeySpec {
        name: "other",
        role: Role::Admin,
        scopes: &[],
        ttl_seconds: None,
        expires_at: None,
    };
    let (_, issued) = accounts::create_user_with_key(app.state.storage(), &spec, None)
        .await
        .unwrap();
    issued.secret
}

#[tokio::test]
async fn the_address_limit_answers_429_with_its_headers_and_refills_with_time() {
    let clock = ManualClock::starting_now();
    let app = app_on(settings(3, 0), &clock).await;
    let key = app.admin_key.clone();
    let r = &app.router;
    for remaining in ["2", "1", "0"] {
        let ok = get_from(r, "198.51.100.1", "/v1/jobs", Some(&key), None).await;
        assert_eq!(ok.status, StatusCode::OK);
        // 3 a minute: one request every 20 s refills the budget.
        let reset = match remaining {
            "2" => "20",
            "1" => "40",
            _ => "60",
        };
        assert_eq!(budget(&ok), (Some("3"), Some(remaining), Some(reset)));
    }
    // Requests without a key count too: the limit is per address.
    let over = get_from(r, "198.51.100.1", "/v1/jobs", None, None).await;
    let body = over.assert_problem(429, "rate_limited");
    assert!(
        body["detail"].as_str().unwrap().contains("this address"),
        "{body}"
    );
    assert_eq!(over.header("retry-after"), Some("20"));
    assert_eq!(budget(&over), (Some("3"), Some("0"), Some("60")));
    // Another address has its own budget; health probes are exempt.
    let other = get_from(r, "198.51.100.2", "/v1/jobs", Some(&key), None).await;
    assert_eq!(other.status, StatusCode::OK);
    let probe = get_from(r, "198.51.100.1", "/health/live", None, None).await;
    assert_eq!(probe.status, StatusCode::OK);
    assert_eq!(budget(&probe), (None, None, None));

    clock.advance(Duration::from_secs(19));
    let still = get_from(r, "198.51.100.1", "/v1/jobs", Some(&key), None).await;
    still.assert_problem(429, "rate_limited");
    assert_eq!(still.header("retry-after"), Some("1"));
    clock.advance(Duration::from_secs(1));
    let again = get_from(r, "198.51.100.1", "/v1/jobs", Some(&key), None).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(budget(&again).1, Some("0"));
    // A whole window later the budget is full again.
    clock.advance(Duration::from_secs(60));
    let full = get_from(r, "198.51.100.1", "/v1/jobs", Some(&key), None).await;
    assert_eq!(budget(&full), (Some("3"), Some("2"), Some("20")));
}

#[tokio::test]
async fn the_principal_limit_follows_the_user_across_addresses() {
    let clock = ManualClock::starting_now();
    let app = app_on(settings(100, 2), &clock).await;
    let other = other_principal(&app).await;
    let key = app.admin_key.clone();
    let r = &app.router;
    let first = get_from(r, "198.51.100.1", "/v1/jobs", Some(&key), None).await;
    assert_eq!(first.status, StatusCode::OK);
    // The tighter budget is shown: the principal's (2), not the address's (100).
    assert_eq!(budget(&first), (Some("2"), Some("1"), Some("30")));
    let second = get_from(r, "198.51.100.2", "/v1/jobs", Some(&key), None).await;
    assert_eq!(second.status, StatusCode::OK);
    let third = get_from(r, "198.51.100.3", "/v1/jobs", Some(&key), None).await;
    let body = third.assert_problem(429, "rate_limited");
    assert!(
        body["detail"].as_str().unwrap().contains("this account"),
        "{body}"
    );
    assert_eq!(third.header("retry-after"), Some("30"));
    assert_eq!(budget(&third), (Some("2"), Some("0"), Some("60")));
    // Another principal, from the same address, is not affected.
    let theirs = get_from(r, "198.51.100.3", "/v1/jobs", Some(&other), None).await;
    assert_eq!(theirs.status, StatusCode::OK);
    // A POST is limited before the idempotency layer records anything.
    let mut post = Request::builder()
        .method(Method::POST)
        .uri("/v1/jobs")
        .header("authorization", format!("Bearer {key}"))
        .header("content-type", "application/json")
        .header("idempotency-key", "rl-1")
        .body(Body::from(r#"{"title":"t","description":"d"}"#))
        .unwrap();
    post.extensions_mut()
        .insert(ConnectInfo("198.51.100.4:1".parse::<SocketAddr>().unwrap()));
    send(r, post).await.assert_problem(429, "rate_limited");
    clock.advance(Duration::from_secs(30));
    let jobs = get_from(r, "198.51.100.4", "/v1/jobs", Some(&key), None).await;
    assert_eq!(jobs.status, StatusCode::OK);
    assert_eq!(
        jobs.json()["items"],
        serde_json::json!([]),
        "the POST made nothing"
    );
}

#[tokio::test]
async fn x_forwarded_for_counts_only_from_trusted_proxies() {
    let clock = ManualClock::starting_now();
    let mut settings = settings(1, 0);
    settings.rate_limit.trusted_proxies = vec!["10.0.0.0/8".parse().unwrap()];
    let app = app_on(settings, &clock).await;
    let r = &app.router;
    // An untrusted peer is limited by its own address whatever it forwards.
    let spoof = |xff| get_from(r, "198.51.100.7", "/v1/jobs", None, Some(xff));
    assert_eq!(spoof("203.0.113.1").await.status, StatusCode::UNAUTHORIZED);
    spoof("203.0.113.2")
        .await
        .assert_problem(429, "rate_limited");
    // Behind a trusted proxy each client has its own budget...
    let via_proxy = |xff| get_from(r, "10.0.0.2", "/v1/jobs", None, Some(xff));
    assert_eq!(
        via_proxy("203.0.113.50").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        via_proxy("203.0.113.51").await.status,
        StatusCode::UNAUTHORIZED
    );
    // ...the rightmost untrusted hop, whatever the client wrote before it.
    via_proxy("1.2.3.4, 203.0.113.50")
        .await
        .assert_problem(429, "rate_limited");
    via_proxy("203.0.113.50, 10.9.9.9")
        .await
        .assert_problem(429, "rate_limited");
}

#[tokio::test]
async fn zero_turns_both_limits_off() {
    let clock = ManualClock::starting_now();
    let app = app_on(settings(0, 0), &clock).await;
    let key = app.admin_key.clone();
    for _ in 0..20 {
        let r = get_from(&app.router, "198.51.100.1", "/v1/jobs", Some(&key), None).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(budget(&r), (None, None, None));
    }
}

#[tokio::test]
async fn an_unreachable_redis_leaves_the_limits_in_memory() {
    // Port 1 on loopback: nothing listens, the connection is refused.
    let clock = ManualClock::starting_now();
    let mut settings = settings(2, 0);
    settings.redis_url = Some("redis://127.0.0.1:1".into());
    let app = app_on(settings, &clock).await;
    let r = &app.router;
    for _ in 0..2 {
        let counted = get_from(r, "198.51.100.1", "/v1/jobs", None, None).await;
        assert_eq!(counted.status, StatusCode::UNAUTHORIZED);
    }
    get_from(r, "198.51.100.1", "/v1/jobs", None, None)
        .await
        .assert_problem(429, "rate_limited");
}

/// The Redis of the tests, or `None` (with the reason printed) when none
/// answers outside CI. Under `CI=true` a missing Redis fails the test.
async fn test_redis() -> Option<String> {
    let url = std::env::var("MISMATCH_TEST_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let ping = async {
        let client = redis::Client::open(url.as_str())?;
        let mut conn = client.get_multiplexed_async_connection().await?;
        redis::cmd("PING").query_async::<String>(&mut conn).await
    };
    match tokio::time::timeout(Duration::from_secs(2), ping).await {
        Ok(Ok(_)) => Some(url),
        outcome => {
            let reason = match outcome {
                Ok(Err(e)) => e.to_string(),
                _ => "no answer within 2 s".to_owned(),
            };
            let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
            assert!(
                !ci,
                "Redis is not reachable at {url} ({reason}); tests/support/services.sh starts it"
            );
            eprintln!("skipping the Redis test: {url} does not answer ({reason})");
            None
        }
    }
}

/// Removes the keys under `prefix`.
async fn delete_keys(url: &str, prefix: &str) {
    let client = redis::Client::open(url).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut conn)
        .await
        .unwrap();
    if !keys.is_empty() {
        let _: () = redis::cmd("DEL")
            .arg(&keys)
            .query_async(&mut conn)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn redis_shares_the_budgets_between_servers() {
    let Some(url) = test_redis().await else {
        return;
    };
    let prefix = format!("mismatch:test:{}:", ulid::Ulid::generate());
    let clock = ManualClock::starting_now();
    let mut shared = settings(4, 3);
    shared.redis_url = Some(url.clone());
    shared.rate_limit.redis_prefix = prefix.clone();
    let a = app_on(shared.clone(), &clock).await;
    let b = app_on(shared.clone(), &clock).await;

    // The address budget (4) is spent across two servers with their own
    // databases: two requests each.
    for app in [&a, &b, &a] {
        let r = get_from(&app.router, "198.51.100.1", "/v1/jobs", None, None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let last = get_from(&b.router, "198.51.100.1", "/v1/jobs", None, None).await;
    assert_eq!(budget(&last), (Some("4"), Some("0"), Some("60")));
    let over = get_from(&a.router, "198.51.100.1", "/v1/jobs", None, None).await;
    over.assert_problem(429, "rate_limited");
    assert_eq!(over.header("retry-after"), Some("15"));

    // The principal budget (3) across two replicas of one server.
    let replica = limited_router(&a, &shared, &clock);
    let key = a.admin_key.clone();
    for (router, peer) in [(&a.router, "198.51.100.2"), (&replica, "198.51.100.3")] {
        let r = get_from(router, peer, "/v1/jobs", Some(&key), None).await;
        assert_eq!(r.status, StatusCode::OK);
    }
    let third = get_from(&replica, "198.51.100.4", "/v1/jobs", Some(&key), None).await;
    assert_eq!(budget(&third), (Some("3"), Some("0"), Some("60")));
    get_from(&a.router, "198.51.100.5", "/v1/jobs", Some(&key), None)
        .await
        .assert_problem(429, "rate_limited");

    // Time refills the shared budget too.
    clock.advance(Duration::from_secs(15));
    let again = get_from(&b.router, "198.51.100.1", "/v1/jobs", None, None).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);

    // Without Redis the same two servers would not share: each allows 4.
    let mut apart = settings(4, 0);
    apart.rate_limit.redis_prefix = prefix.clone();
    let lone_a = limited_router(&a, &apart, &clock);
    let lone_b = limited_router(&b, &apart, &clock);
    for router in [&lone_a, &lone_b, &lone_a, &lone_b, &lone_a] {
        let r = get_from(router, "198.51.100.9", "/v1/jobs", None, None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    delete_keys(&url, &prefix).await;
}
