//! The shared backend: one Redis key per client holds its GCRA state, so
//! every replica pointed at the same Redis (`REDIS_URL`) and key prefix
//! counts against the same budget.
//!
//! The algorithm is the one governor runs in memory (see `memory.rs`), as
//! one Lua script, so the read, the decision and the write are atomic. The
//! time is the replica's clock, passed to the script: clocks kept in step by
//! NTP differ by milliseconds, which moves a budget by less than one request
//! at 1,000 a minute (one every 60 ms); it also lets tests drive the time.
//!
//! When Redis does not answer (refused, timed out, any error), the caller
//! falls back to its in-memory limiter: the limits still hold per replica
//! rather than being lifted (fail open) or refusing every request (fail
//! closed). The outage is logged once, and so is the recovery; while Redis is
//! down it is tried again at most once per [`RETRY_EVERY`], so requests do not
//! each wait for a timeout.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::{Clock, Decision};

/// Longest wait for Redis per request (connecting or answering).
pub const TIMEOUT: Duration = Duration::from_millis(250);
/// How long Redis is skipped after a failure.
pub const RETRY_EVERY: Duration = Duration::from_secs(1);

/// GCRA on one key. KEYS[1]: the client's key. ARGV: now, the emission
/// interval T and the tolerance tau = T * (limit - 1), all in microseconds
/// since the Unix epoch. The key holds the theoretical arrival time (TAT) of
/// the next request and expires when it passes (a fresh key means the same).
/// Returns {1, new TAT} when the request is allowed, {0, TAT} when not.
const GCRA: &str = r"
local now = tonumber(ARGV[1])
local t = tonumber(ARGV[2])
local tau = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
if now < tat - tau then
  return {0, tat}
end
local next_tat = tat + t
redis.call('SET', KEYS[1], string.format('%d', next_tat), 'PX', math.ceil((next_tat - now) / 1000))
return {1, next_tat}
";

pub struct RedisStore {
    client: redis::Client,
    connection: OnceLock<ConnectionManager>,
    prefix: String,
    script: redis::Script,
    clock: Arc<dyn Clock>,
    /// Whether the last call succeeded (for logging changes once).
    healthy: AtomicBool,
    /// Microseconds since `started` before which Redis is not tried.
    skip_until: AtomicU64,
    started: Instant,
}

impl RedisStore {
    /// A store for `url` (validated with the settings); connects on first use.
    pub fn new(url: &str, prefix: &str, clock: Arc<dyn Clock>) -> Result<Self, redis::RedisError> {
        Ok(Self {
            client: redis::Client::open(url)?,
            connection: OnceLock::new(),
            prefix: prefix.to_owned(),
            script: redis::Script::new(GCRA),
            clock,
            healthy: AtomicBool::new(true),
            skip_until: AtomicU64::new(0),
            started: Instant::now(),
        })
    }

    /// The Redis key of `key` in `scope` (`ip` or `principal`).
    pub fn key(&self, scope: &str, key: &str) -> String {
        format!("{}{scope}:{key}", self.prefix)
    }

    /// Counts one request of `key`; `None` when Redis cannot answer now (the
    /// caller then decides in memory).
    pub async fn check(&self, scope: &str, key: &str, per_minute: NonZeroU32) -> Option<Decision> {
        let since_start = self.elapsed_micros();
        if since_start < self.skip_until.load(Ordering::Relaxed) {
            return None;
        }
        let now = self.clock.now();
        let interval = super::interval(per_minute);
        let t = micros(interval).max(1);
        let tau = t * u64::from(per_minute.get() - 1);
        let now_us = micros(now);
        let result = tokio::time::timeout(TIMEOUT, async {
            let mut connection = self.connection()?.clone();
            self.script
                .key(self.key(scope, key))
                .arg(now_us)
                .arg(t)
                .arg(tau)
                .invoke_async::<(u8, u64)>(&mut connection)
                .await
        })
        .await;
        let (allowed, tat) = match result {
            Ok(Ok(answer)) => answer,
            Ok(Err(err)) => {
                self.failed(&err.to_string());
                return None;
            }
            Err(_) => {
                self.failed("no answer within 250 ms");
                return None;
            }
        };
        if !self.healthy.swap(true, Ordering::Relaxed) {
            tracing::info!("Redis answers again: rate limits are shared across replicas again");
        }
        let limit = per_minute.get();
        let us = Duration::from_micros;
        Some(if allowed == 1 {
            // Cells left: how many more intervals fit before now + tau + T.
            let remaining = (now_us + tau + t).saturating_sub(tat) / t;
            Decision {
                limit,
                remaining: u32::try_from(remaining).unwrap_or(limit).min(limit),
                reset: us(tat.saturating_sub(now_us)),
                retry_after: None,
            }
        } else {
            Decision {
                limit,
                remaining: 0,
                reset: us(tat.saturating_sub(now_us)),
                retry_after: Some(
                    us((tat - tau).saturating_sub(now_us)).max(Duration::from_millis(1)),
                ),
            }
        })
    }

    fn connection(&self) -> redis::RedisResult<&ConnectionManager> {
        if let Some(connection) = self.connection.get() {
            return Ok(connection);
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(TIMEOUT))
            .set_response_timeout(Some(TIMEOUT))
            .set_number_of_retries(1);
        let connection = ConnectionManager::new_lazy_with_config(self.client.clone(), config)?;
        Ok(self.connection.get_or_init(|| connection))
    }

    fn failed(&self, error: &str) {
        let retry_at = self.elapsed_micros() + micros(RETRY_EVERY);
        self.skip_until.store(retry_at, Ordering::Relaxed);
        if self.healthy.swap(false, Ordering::Relaxed) {
            // The URL is not logged: it may carry a password.
            tracing::error!(
                error = %error,
                "Redis does not answer: rate limits are kept in this replica's memory until it does"
            );
        }
    }

    fn elapsed_micros(&self) -> u64 {
        micros(self.started.elapsed())
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}
