//! What the generated client carries between the SDK and its transport: the
//! client-wide settings and, for [`Client::call`](crate::Client::call), the
//! call's own context. The generated client names [`HookState`] as its inner
//! type, and `transport.rs` reads it in the request hook, so it lives apart
//! from both.

use std::sync::atomic::{AtomicU16, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue};

use crate::session::SessionStore;

/// Client-wide transport settings, shared by every clone of the client.
pub(crate) struct TransportConfig {
    pub(crate) authorization: Option<HeaderValue>,
    pub(crate) user_agent: Option<HeaderValue>,
    pub(crate) max_retries: u32,
    pub(crate) initial_retry_delay: Duration,
    pub(crate) max_retry_delay: Duration,
    /// Browsers have no client-wide timeout, so it is set per request there.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub(crate) timeout: Duration,
    /// The logged-in session, if any; its access token replaces the API key.
    pub(crate) session: Arc<SessionStore>,
}

/// Per-call settings and results of one [`Client::call`](crate::Client::call).
#[derive(Default)]
pub(crate) struct CallContext {
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) idempotency_key: Option<HeaderValue>,
    pub(crate) attempts: AtomicU32,
    /// Status of the last response (0 before any).
    pub(crate) last_status: AtomicU16,
    pub(crate) request_id: Mutex<Option<String>>,
    /// Generation of the session access token the last attempt carried (0:
    /// none), so that a 401 for it can renew that very token.
    pub(crate) session_generation: AtomicU64,
}

impl CallContext {
    pub(crate) fn attempts(&self) -> u32 {
        self.attempts.load(Ordering::Relaxed)
    }

    pub(crate) fn last_status(&self) -> Option<u16> {
        Some(self.last_status.load(Ordering::Relaxed)).filter(|s| *s != 0)
    }

    pub(crate) fn session_generation(&self) -> Option<u64> {
        Some(self.session_generation.load(Ordering::Relaxed)).filter(|g| *g != 0)
    }

    pub(crate) fn request_id(&self) -> Option<String> {
        self.request_id
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

/// State the generated client carries (its `inner`): the shared transport
/// settings plus, for dynamic calls, that call's context.
#[derive(Clone)]
pub struct HookState {
    pub(crate) config: Arc<TransportConfig>,
    pub(crate) call: Option<Arc<CallContext>>,
}

impl std::fmt::Debug for HookState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the Authorization value.
        f.debug_struct("HookState")
            .field("max_retries", &self.config.max_retries)
            .field("dynamic_call", &self.call.is_some())
            .finish_non_exhaustive()
    }
}
