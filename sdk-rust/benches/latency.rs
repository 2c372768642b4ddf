//! Sequential latency of `getLiveness` through the SDK versus a bare reqwest
//! client, against the same server in the same run.
//!
//! `MISMATCH_BASE_URL=http://127.0.0.1:8080 cargo bench -p mismatch-recruiter --bench latency`
//! Optional: `MISMATCH_BENCH_ITERATIONS` (default 2000), `MISMATCH_BENCH_WARMUP` (200).
//! Without `MISMATCH_BASE_URL` it prints why and exits successfully, so that
//! `cargo bench`/`cargo test --benches` stay usable without a server.

use std::time::{Duration, Instant};

use mismatch_recruiter::{CallOptions, Client, ClientOptions};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Stats {
    name: &'static str,
    samples: Vec<Duration>,
}

impl Stats {
    fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.samples.clone();
        sorted.sort();
        let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted[index]
    }

    fn mean(&self) -> Duration {
        self.samples.iter().sum::<Duration>() / self.samples.len() as u32
    }

    fn print(&self) {
        println!(
            "{:<24} n={:<6} mean={:>9.1?} p50={:>9.1?} p90={:>9.1?} p99={:>9.1?}",
            self.name,
            self.samples.len(),
            self.mean(),
            self.percentile(0.50),
            self.percentile(0.90),
            self.percentile(0.99),
        );
    }
}

async fn measure<F, Fut>(name: &'static str, warmup: usize, n: usize, mut f: F) -> Stats
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for _ in 0..warmup {
        f().await;
    }
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let start = Instant::now();
        f().await;
        samples.push(start.elapsed());
    }
    Stats { name, samples }
}

fn main() {
    // `cargo test --benches` passes `--bench`-less flags; only run for real
    // when a server is given.
    let Ok(base_url) = std::env::var("MISMATCH_BASE_URL") else {
        println!("skipped: MISMATCH_BASE_URL not set");
        return;
    };
    let n = env_usize("MISMATCH_BENCH_ITERATIONS", 2000);
    let warmup = env_usize("MISMATCH_BENCH_WARMUP", 200);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async move {
        let sdk = Client::new(ClientOptions::new(&base_url)).expect("SDK client");
        let raw = reqwest::Client::new();
        let live_url = format!("{}/health/live", base_url.trim_end_matches('/'));

        // Interleaving the three in rounds would mix their connection reuse;
        // each runs its own warm-up instead.
        let raw_stats = measure("raw reqwest", warmup, n, || {
            let raw = raw.clone();
            let url = live_url.clone();
            async move {
                let response = raw.get(&url).send().await.expect("raw request");
                assert!(response.status().is_success());
                let _: serde_json::Value = response.json().await.expect("raw body");
            }
        })
        .await;
        let typed_stats = measure("sdk typed (api())", warmup, n, || {
            let sdk = sdk.clone();
            async move {
                sdk.api().get_liveness().await.expect("typed call");
            }
        })
        .await;
        let call_stats = measure("sdk call(\"getLiveness\")", warmup, n, || {
            let sdk = sdk.clone();
            async move {
                let r = sdk
                    .call(
                        "getLiveness",
                        serde_json::Value::Null,
                        CallOptions::default(),
                    )
                    .await
                    .expect("dynamic call");
                assert_eq!(r.attempts, 1);
            }
        })
        .await;
        println!(
            "getLiveness against {base_url}, sequential, {n} iterations after {warmup} warm-up"
        );
        raw_stats.print();
        typed_stats.print();
        call_stats.print();
        let overhead = |s: &Stats| {
            s.percentile(0.5).as_secs_f64() * 1e6 - raw_stats.percentile(0.5).as_secs_f64() * 1e6
        };
        println!(
            "median overhead vs raw: typed {:+.1} µs, call {:+.1} µs",
            overhead(&typed_stats),
            overhead(&call_stats)
        );
    });
}
