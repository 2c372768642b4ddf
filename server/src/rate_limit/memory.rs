//! The in-process backend: governor's keyed GCRA limiter on a `DashMap`,
//! read through the limiter's injectable [`Clock`].
//!
//! Memory is bounded in two steps. A key whose state equals a fresh one
//! (its theoretical arrival time has passed: at most a minute and one
//! interval after its last request) carries no information and is dropped by
//! `retain_recent`, which runs every [`SWEEP_EVERY`] checks once more than
//! [`SWEEP_ABOVE`] keys are tracked. So the table holds the keys seen within
//! the last minute. Should even that exceed [`MAX_KEYS`] (only a distributed
//! attack from a million addresses a minute gets there; about 60 MB), the
//! table starts afresh: every client's budget is full again, which is the
//! least harmful way to stay within memory, and it is logged.

use std::hash::Hash;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use governor::middleware::StateInformationMiddleware;
use governor::nanos::Nanos;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};

use super::{Clock, Decision};

/// Keys tracked before a sweep is considered.
pub const SWEEP_ABOVE: usize = 10_000;
/// Checks between two looks at the table's size.
pub const SWEEP_EVERY: u64 = 1024;
/// Keys tracked at most; past it the table is cleared.
pub const MAX_KEYS: usize = 1_000_000;

/// governor's view of our clock: nanoseconds since the Unix epoch.
#[derive(Clone)]
struct GovernorClock(Arc<dyn Clock>);

impl governor::clock::Clock for GovernorClock {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        Nanos::from(self.0.now())
    }
}

type Keyed<K> = RateLimiter<K, DashMapStateStore<K>, GovernorClock, StateInformationMiddleware>;

/// One limit (`per_minute` requests per key) kept in this process.
pub struct MemoryLimiter<K: Hash + Eq + Clone> {
    per_minute: NonZeroU32,
    clock: GovernorClock,
    limiter: RwLock<Keyed<K>>,
    checks: AtomicU64,
}

impl<K: Hash + Eq + Clone> MemoryLimiter<K> {
    pub fn new(per_minute: NonZeroU32, clock: Arc<dyn Clock>) -> Self {
        let clock = GovernorClock(clock);
        Self {
            per_minute,
            limiter: RwLock::new(Self::fresh(per_minute, &clock)),
            clock,
            checks: AtomicU64::new(0),
        }
    }

    fn fresh(per_minute: NonZeroU32, clock: &GovernorClock) -> Keyed<K> {
        RateLimiter::dashmap_with_clock(Quota::per_minute(per_minute), clock.clone())
            .with_middleware::<StateInformationMiddleware>()
    }

    /// Counts one request of `key`.
    pub fn check(&self, key: &K) -> Decision {
        self.upkeep();
        let limit = self.per_minute.get();
        let interval = super::interval(self.per_minute);
        let outcome = self
            .limiter
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .check_key(key);
        match outcome {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                Decision {
                    limit,
                    remaining,
                    // The bucket is full again once the requests it holds
                    // have drained: at most one interval per used cell.
                    reset: interval * (limit - remaining),
                    retry_after: None,
                }
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(governor::clock::Clock::now(&self.clock));
                Decision {
                    limit,
                    remaining: 0,
                    reset: wait + interval * (limit - 1),
                    retry_after: Some(wait.max(Duration::from_millis(1))),
                }
            }
        }
    }

    /// Keys tracked now.
    pub fn len(&self) -> usize {
        self.limiter
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops keys whose state is that of a fresh key, and clears the table
    /// when that is not enough (see the module documentation).
    pub fn sweep(&self) {
        let mut limiter = self
            .limiter
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        limiter.retain_recent();
        limiter.shrink_to_fit();
        if limiter.len() > MAX_KEYS {
            tracing::warn!(
                keys = limiter.len(),
                max = MAX_KEYS,
                "rate limiter tracks too many clients; its table starts afresh"
            );
            *limiter = Self::fresh(self.per_minute, &self.clock);
        }
    }

    fn upkeep(&self) {
        let n = self.checks.fetch_add(1, Ordering::Relaxed);
        if n % SWEEP_EVERY == SWEEP_EVERY - 1 && self.len() > SWEEP_ABOVE {
            self.sweep();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rate_limit::ManualClock;

    fn limiter(per_minute: u32) -> (MemoryLimiter<String>, ManualClock) {
        let clock = ManualClock::starting_now();
        let limiter = MemoryLimiter::new(
            NonZeroU32::new(per_minute).unwrap(),
            Arc::new(clock.clone()),
        );
        (limiter, clock)
    }

    #[test]
    fn a_full_burst_then_one_request_per_interval() {
        let (limiter, clock) = limiter(3);
        let key = "k".to_owned();
        let remaining: Vec<u32> = (0..3).map(|_| limiter.check(&key).remaining).collect();
        assert_eq!(remaining, [2, 1, 0]);
        let denied = limiter.check(&key);
        assert_eq!(denied.remaining, 0);
        // 3 a minute: one cell every 20 s.
        assert_eq!(denied.retry_after, Some(Duration::from_secs(20)));
        assert_eq!(denied.reset, Duration::from_secs(60));
        clock.advance(Duration::from_secs(19));
        assert!(limiter.check(&key).retry_after.is_some());
        clock.advance(Duration::from_secs(1));
        let allowed = limiter.check(&key);
        assert_eq!((allowed.retry_after, allowed.remaining), (None, 0));
        // Another key has its own budget.
        assert_eq!(limiter.check(&"other".to_owned()).remaining, 2);
    }

    #[test]
    fn the_budget_is_full_again_after_a_minute() {
        let (limiter, clock) = limiter(2);
        let key = "k".to_owned();
        limiter.check(&key);
        let second = limiter.check(&key);
        assert_eq!(second.reset, Duration::from_secs(60));
        clock.advance(Duration::from_secs(60));
        assert_eq!(limiter.check(&key).remaining, 1);
    }

    #[test]
    fn sweeping_drops_keys_that_are_fresh_again() {
        let (limiter, clock) = limiter(60);
        for i in 0..100 {
            limiter.check(&format!("client-{i}"));
        }
        clock.advance(Duration::from_millis(1500));
        limiter.check(&"recent".to_owned());
        assert_eq!(limiter.len(), 101);
        // 60 a minute: governor forgets a single request after two
        // intervals (two seconds).
        clock.advance(Duration::from_millis(600));
        limiter.sweep();
        assert_eq!(limiter.len(), 1, "only the key used 0.6 s ago remains");
    }
}
