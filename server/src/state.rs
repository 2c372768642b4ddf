//! Shared application state handed to every handler.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::auth::LastUsedThrottle;
use crate::config::Settings;
use crate::match_index::MatchIndexes;
use crate::services::salary_models::FittedModels;
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
}

impl AppState {
    pub fn new(storage: Storage, settings: Settings) -> Self {
        Self {
            inner: Arc::new(Inner {
                storage,
                settings,
                last_used: LastUsedThrottle::new(LAST_USED_INTERVAL),
                indexes: MatchIndexes::default(),
                fitted_models: FittedModels::default(),
            }),
        }
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
    fn rfc3339_formats_utc_millis() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_764_300_000_123), "2025-11-28T03:20:00.123Z");
    }
}
