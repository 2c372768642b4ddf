//! Shared application state handed to every handler.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use mismatch_core::salary::SalaryModel;

use crate::config::Settings;
use crate::match_index::MatchIndexes;
use crate::storage::Storage;

/// How often at most a key's `last_used_at` is written.
pub const LAST_USED_INTERVAL: Duration = Duration::from_secs(60);

/// Cheap to clone: everything lives behind one `Arc`.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    storage: Storage,
    settings: Settings,
    last_used: LastUsedThrottle,
    indexes: MatchIndexes,
    fitted_models: FittedModels,
    secrets: crate::identity::Secrets,
    login_attempts: crate::services::sessions::LoginAttempts,
    rotation: crate::services::encryption::RotationJob,
    audit: crate::services::audit::AuditLog,
}

impl AppState {
    /// A state whose session secrets live in memory only (tests, tools):
    /// configured JWT keys are read, missing ones generated for this process.
    /// The encryption keys are the configured ones, else the storage's own
    /// if it carries some (`Storage::with_crypto`), else ephemeral.
    pub fn new(storage: Storage, settings: Settings) -> Self {
        let secrets =
            crate::identity::Secrets::ephemeral(&settings.identity, storage.crypto().cloned())
                .unwrap_or_else(|err| panic!("cannot set up session secrets: {err}"));
        Self::with_secrets(storage, settings, secrets)
    }

    /// The state of a server, with the secrets `identity::Secrets::load` read.
    pub fn with_secrets(
        storage: Storage,
        settings: Settings,
        secrets: crate::identity::Secrets,
    ) -> Self {
        // Every query of this state decrypts with the secrets' keyring.
        let storage = storage.with_crypto(secrets.crypto.clone());
        let audit = crate::services::audit::AuditLog::new(storage.clone(), settings.audit_requests);
        Self {
            inner: Arc::new(Inner {
                storage,
                settings,
                last_used: LastUsedThrottle::new(LAST_USED_INTERVAL),
                indexes: MatchIndexes::default(),
                fitted_models: FittedModels::default(),
                secrets,
                login_attempts: Default::default(),
                rotation: Default::default(),
                audit,
            }),
        }
    }

    /// Token keys and the encryption keyring.
    pub fn secrets(&self) -> &crate::identity::Secrets {
        &self.inner.secrets
    }

    /// The encryption key rotation this process runs (admin endpoint).
    pub fn rotation(&self) -> &crate::services::encryption::RotationJob {
        &self.inner.rotation
    }

    /// Failed logins per client address.
    pub fn login_attempts(&self) -> &crate::services::sessions::LoginAttempts {
        &self.inner.login_attempts
    }

    /// The audit log's writer (see [`crate::services::audit`]).
    pub fn audit(&self) -> &crate::services::audit::AuditLog {
        &self.inner.audit
    }

    pub fn storage(&self) -> &Storage {
        &self.inner.storage
    }

    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    pub fn last_used(&self) -> &LastUsedThrottle {
        &self.inner.last_used
    }

    /// The job and candidate indexes the ranking operations search.
    pub fn indexes(&self) -> &MatchIndexes {
        &self.inner.indexes
    }

    /// Fitted customer salary models.
    pub fn fitted_models(&self) -> &FittedModels {
        &self.inner.fitted_models
    }
}

/// Limits `last_used_at` writes to one per key per interval, so a busy key
/// does not turn every read into a write. The conditional UPDATE in storage
/// keeps the same bound across replicas; this map saves the round trip.
#[derive(Debug)]
pub struct LastUsedThrottle {
    interval: Duration,
    seen: Mutex<HashMap<String, Instant>>,
}

impl LastUsedThrottle {
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            seen: Mutex::new(HashMap::new()),
        }
    }

    pub fn interval_ms(&self) -> i64 {
        i64::try_from(self.interval.as_millis()).unwrap_or(i64::MAX)
    }

    /// Whether a use of `key_id` at `now` should be written; records it if so.
    pub fn should_write(&self, key_id: &str, now: Instant) -> bool {
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(last) = seen.get(key_id)
            && now.saturating_duration_since(*last) < self.interval
        {
            return false;
        }
        if seen.len() >= 10_000 {
            let interval = self.interval;
            seen.retain(|_, last| now.saturating_duration_since(*last) < interval);
        }
        seen.insert(key_id.to_owned(), now);
        true
    }
}

/// Fitted customer models by `sm_…@vN`. Versions never change once stored,
/// so an entry never goes stale; the cap bounds memory, and a model evicted
/// is refitted from its stored CSV on next use.
#[derive(Default)]
pub struct FittedModels {
    models: Mutex<HashMap<String, Arc<SalaryModel>>>,
}

const FITTED_CAP: usize = 32;

impl FittedModels {
    pub fn get(&self, label: &str) -> Option<Arc<SalaryModel>> {
        self.lock().get(label).cloned()
    }

    pub fn insert(&self, label: String, model: Arc<SalaryModel>) {
        let mut cache = self.lock();
        if cache.len() >= FITTED_CAP {
            cache.clear();
        }
        cache.insert(label, model);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<SalaryModel>>> {
        self.models
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Now, in Unix epoch milliseconds (the storage's time unit).
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// RFC 3339 (UTC, millisecond precision) for epoch milliseconds.
pub fn rfc3339(ms: i64) -> String {
    let nanos = i128::from(ms) * 1_000_000;
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    t.format(&format).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_allows_one_write_per_interval() {
        let t = LastUsedThrottle::new(Duration::from_secs(60));
        let start = Instant::now();
        assert!(t.should_write("key_a", start));
        assert!(!t.should_write("key_a", start + Duration::from_secs(1)));
        assert!(!t.should_write("key_a", start + Duration::from_secs(59)));
        assert!(t.should_write("key_b", start + Duration::from_secs(1)));
        assert!(t.should_write("key_a", start + Duration::from_secs(60)));
        assert!(!t.should_write("key_a", start + Duration::from_secs(61)));
    }

    #[test]
    fn rfc3339_formats_utc_millis() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_764_300_000_123), "2025-11-28T03:20:00.123Z");
    }
}
