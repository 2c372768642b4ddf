//! What the rate limiter costs per request: the whole router (`app()`, via
//! `oneshot`, no sockets) with the limits off, in memory, and in Redis (when
//! one answers at `MISMATCH_TEST_REDIS_URL`, default 127.0.0.1:6379).
//!
//! Two requests: an unauthenticated `GET /v1/jobs` (401 at once, no database:
//! the address limit only) and the same with an admin key (a SQLite lookup,
//! then both limits). Limits are high enough never to refuse; clients come
//! from 1,000 addresses in turn. Variants run interleaved, in rounds, and the
//! median round is reported.
//!
//!   cargo bench -p mismatch-server --bench rate_limit [-- REQUESTS ROUNDS]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use mismatch_core::security::Role;
use mismatch_server::config::Settings;
use mismatch_server::services::accounts::{self, KeySpec};
use mismatch_server::storage::{Storage, StorageTarget};
use mismatch_server::{AppState, app};
use tower::ServiceExt;

struct Variant {
    name: &'static str,
    router: Router,
    anonymous: Vec<Duration>,
    keyed: Vec<Duration>,
}

fn settings(per_minute: u32, redis: Option<(&str, &str)>) -> Settings {
    let mut settings = Settings::default();
    settings.rate_limit.per_ip_per_minute = per_minute;
    settings.rate_limit.per_principal_per_minute = per_minute;
    if let Some((url, prefix)) = redis {
        settings.redis_url = Some(url.to_owned());
        settings.rate_limit.redis_prefix = prefix.to_owned();
    }
    settings
}

async fn redis_answers(url: &str) -> bool {
    let ping = async {
        let client = redis::Client::open(url)?;
        let mut conn = client.get_multiplexed_async_connection().await?;
        redis::cmd("PING").query_async::<String>(&mut conn).await
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(2), ping).await,
        Ok(Ok(_))
    )
}

async fn run(router: &Router, n: usize, key: Option<&str>) -> Duration {
    let started = Instant::now();
    for i in 0..n {
        let mut builder = Request::get("/v1/jobs?limit=1");
        if let Some(key) = key {
            builder = builder.header("authorization", format!("Bearer {key}"));
        }
        let mut request = builder.body(Body::empty()).unwrap();
        let peer = SocketAddr::from(([10, 1, (i % 1000 / 250) as u8, (i % 250) as u8], 40000));
        request.extensions_mut().insert(ConnectInfo(peer));
        let response = router.clone().oneshot(request).await.unwrap();
        assert!(
            response.status().as_u16() != 429,
            "the bench must not be limited"
        );
        let _ = axum::body::to_bytes(response.into_body(), usize::MAX).await;
    }
    started.elapsed() / n as u32
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let n: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(5_000);
    let rounds: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(7);

    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::open(&StorageTarget::SqliteDir(dir.path().join("data")))
        .await
        .unwrap();
    let spec = KeySpec {
        name: "bench",
        role: Role::Admin,
        scopes: &[],
        ttl_seconds: None,
        expires_at: None,
    };
    let (_, issued) = accounts::create_user_with_key(&storage, &spec, None)
        .await
        .unwrap();
    let key = issued.secret;

    let high = 1_000_000;
    let redis_url = std::env::var("MISMATCH_TEST_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let prefix = format!("mismatch:bench:{}:", ulid::Ulid::generate());
    let mut configs = vec![("off", settings(0, None)), ("memory", settings(high, None))];
    if redis_answers(&redis_url).await {
        configs.push(("redis", settings(high, Some((&redis_url, &prefix)))));
    } else {
        eprintln!("Redis does not answer at {redis_url}: its variant is left out");
    }
    let mut variants: Vec<Variant> = configs
        .into_iter()
        .map(|(name, settings)| Variant {
            name,
            router: app(AppState::new(storage.clone(), settings)),
            anonymous: Vec::new(),
            keyed: Vec::new(),
        })
        .collect();

    // Warm-up: connections, the script cache, the allocator.
    for v in &variants {
        run(&v.router, n / 10, None).await;
        run(&v.router, n / 10, Some(&key)).await;
    }
    for _ in 0..rounds {
        for v in &mut variants {
            v.anonymous.push(run(&v.router, n, None).await);
            v.keyed.push(run(&v.router, n, Some(&key)).await);
        }
    }
    println!("{n} requests per variant and round, {rounds} rounds, median round; µs per request");
    println!("| limits | 401 without key (address limit) | 200 with key (both limits) |");
    println!("|---|---:|---:|");
    let base = (
        median(&mut variants[0].anonymous.clone()),
        median(&mut variants[0].keyed.clone()),
    );
    for v in &mut variants {
        let (a, k) = (median(&mut v.anonymous), median(&mut v.keyed));
        let delta = |t: Duration, b: Duration| t.as_secs_f64() * 1e6 - b.as_secs_f64() * 1e6;
        println!(
            "| {} | {:.1} ({:+.1}) | {:.1} ({:+.1}) |",
            v.name,
            a.as_secs_f64() * 1e6,
            delta(a, base.0),
            k.as_secs_f64() * 1e6,
            delta(k, base.1),
        );
    }
    // The in-memory check alone, without the router around it.
    let limiter = mismatch_server::rate_limit::MemoryLimiter::new(
        std::num::NonZeroU32::new(high).unwrap(),
        std::sync::Arc::new(mismatch_server::rate_limit::SystemClock),
    );
    let addresses: Vec<std::net::IpAddr> = (0..1000u32)
        .map(|i| std::net::Ipv4Addr::from(0x0a01_0000 + i).into())
        .collect();
    let checks = 1_000_000;
    let started = Instant::now();
    for i in 0..checks {
        std::hint::black_box(limiter.check(&addresses[i % addresses.len()]));
    }
    println!(
        "\nMemoryLimiter::check alone: {:.0} ns per check ({checks} checks over 1,000 addresses)",
        started.elapsed().as_secs_f64() * 1e9 / checks as f64
    );
    if variants.iter().any(|v| v.name == "redis") {
        let client = redis::Client::open(redis_url.as_str()).unwrap();
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        // For scale: one bare round trip through the same client library.
        let pings = 20_000;
        let started = Instant::now();
        for _ in 0..pings {
            let _: String = redis::cmd("PING").query_async(&mut conn).await.unwrap();
        }
        println!(
            "Redis PING through redis-rs, same runtime: {:.1} µs per round trip",
            started.elapsed().as_secs_f64() * 1e6 / pings as f64
        );
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
}
