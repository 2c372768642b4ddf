//! The layer every generated request goes through: auth and idempotency
//! headers, retries with backoff, and bookkeeping for [`Client::call`].
//!
//! It plugs into the generated client as its `ClientHooks::exec`, so typed
//! calls through `client.api()` and dynamic calls through `client.call()`
//! behave the same. Retried requests are copies made with
//! `Request::try_clone` before each attempt, so a POST is re-sent with the
//! very same body and `Idempotency-Key`.
//!
//! Retry policy: connection failures (including connect timeouts, where the
//! request never reached the server) and responses 408, 429, 500, 502, 503,
//! 504 are retried up to `max_retries` times. A total (per-attempt) timeout is
//! *not* retried: the attempt already used the whole time budget and the
//! server may still be working on it, so the caller gets `ErrorKind::Timeout`
//! promptly instead of waiting several times as long.
//!
//! [`Client::call`]: crate::Client::call

use std::sync::atomic::{AtomicU16, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use reqwest::{Method, Request, Response, StatusCode};

use crate::generated;

/// Header carrying the idempotency key of a POST.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// Header carrying the server's request id.
pub const REQUEST_ID: &str = "x-request-id";

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
}

impl CallContext {
    pub(crate) fn attempts(&self) -> u32 {
        self.attempts.load(Ordering::Relaxed)
    }

    pub(crate) fn last_status(&self) -> Option<u16> {
        Some(self.last_status.load(Ordering::Relaxed)).filter(|s| *s != 0)
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

impl ClientHooks<HookState> for generated::Client {
    async fn exec(&self, request: Request, _info: &OperationInfo) -> reqwest::Result<Response> {
        execute(self.client(), self.inner(), request).await
    }
}

fn prepare(request: &mut Request, state: &HookState) {
    let config = &state.config;
    let headers = request.headers_mut();
    if let Some(auth) = &config.authorization {
        headers.entry(AUTHORIZATION).or_insert_with(|| auth.clone());
    }
    if let Some(ua) = &config.user_agent {
        headers
            .entry(reqwest::header::USER_AGENT)
            .or_insert_with(|| ua.clone());
    }
    if let Some(call) = &state.call {
        for (name, value) in &call.headers {
            headers.insert(name.clone(), value.clone());
        }
    }
    if request.method() == Method::POST {
        let supplied = state.call.as_ref().and_then(|c| c.idempotency_key.clone());
        let headers = request.headers_mut();
        if let Some(key) = supplied {
            headers.insert(IDEMPOTENCY_KEY, key);
        } else if !headers.contains_key(IDEMPOTENCY_KEY) {
            let key = uuid::Uuid::new_v4().to_string();
            let value = HeaderValue::from_str(&key).expect("a UUID is a valid header value");
            headers.insert(IDEMPOTENCY_KEY, value);
        }
    }
    #[cfg(target_arch = "wasm32")]
    if request.timeout().is_none() {
        *request.timeout_mut() = Some(config.timeout);
    }
}

/// Sends `request`, retrying transient failures per the module's policy.
pub(crate) async fn execute(
    http: &reqwest::Client,
    state: &HookState,
    mut request: Request,
) -> reqwest::Result<Response> {
    prepare(&mut request, state);
    let config = &state.config;
    let mut attempt: u32 = 0;
    loop {
        attempt += 1;
        if let Some(call) = &state.call {
            call.attempts.fetch_add(1, Ordering::Relaxed);
        }
        // A copy for the next attempt; streaming bodies cannot be copied and
        // are therefore sent once.
        let next = if attempt <= config.max_retries {
            request.try_clone()
        } else {
            None
        };
        match http.execute(request).await {
            Ok(response) => {
                if let Some(call) = &state.call {
                    call.last_status
                        .store(response.status().as_u16(), Ordering::Relaxed);
                    let id = request_id_of(response.headers());
                    *call
                        .request_id
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner()) = id;
                }
                match next {
                    Some(next) if is_retryable_status(response.status()) => {
                        let delay = retry_after(response.headers(), config.max_retry_delay)
                            .unwrap_or_else(|| backoff(attempt, config));
                        drop(response);
                        crate::rt::sleep(delay).await;
                        request = next;
                    }
                    _ => return Ok(response),
                }
            }
            Err(err) => match next {
                Some(next) if is_retryable_error(&err) => {
                    crate::rt::sleep(backoff(attempt, config)).await;
                    request = next;
                }
                _ => return Err(err),
            },
        }
    }
}

pub(crate) fn request_id_of(headers: &HeaderMap) -> Option<String> {
    headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

fn is_retryable_error(err: &reqwest::Error) -> bool {
    // Browsers report every network failure as a failed fetch (is_request).
    #[cfg(not(target_arch = "wasm32"))]
    if err.is_connect() {
        return true;
    }
    // A failure while sending that is not the total timeout means the
    // connection broke (reset, closed by a restarting server).
    err.is_request() && !err.is_timeout()
}

/// Full-jitter exponential backoff: uniform in `[0, min(cap, base * 2^(n-1))]`.
pub(crate) fn backoff(attempt: u32, config: &TransportConfig) -> Duration {
    let exponent = attempt.saturating_sub(1).min(31);
    let ceiling = config
        .initial_retry_delay
        .saturating_mul(1u32 << exponent)
        .min(config.max_retry_delay);
    let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
    Duration::from_nanos(fastrand::u64(0..=nanos))
}

/// `Retry-After` as delta-seconds or an HTTP date, capped at `cap`.
pub(crate) fn retry_after(headers: &HeaderMap, cap: Duration) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let delay = if let Ok(seconds) = value.parse::<u64>() {
        Duration::from_secs(seconds)
    } else {
        let at = httpdate::parse_http_date(value).ok()?;
        let at = at.duration_since(std::time::UNIX_EPOCH).ok()?;
        // web_time's clock works in browsers, where std's panics.
        let now = web_time::SystemTime::now()
            .duration_since(web_time::UNIX_EPOCH)
            .ok()?;
        at.saturating_sub(now)
    };
    Some(delay.min(cap))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(initial_ms: u64, cap_ms: u64) -> TransportConfig {
        TransportConfig {
            authorization: None,
            user_agent: None,
            max_retries: 2,
            initial_retry_delay: Duration::from_millis(initial_ms),
            max_retry_delay: Duration::from_millis(cap_ms),
            timeout: Duration::from_secs(30),
        }
    }

    #[test]
    fn backoff_stays_within_the_exponential_ceiling_and_cap() {
        let c = config(100, 1_000);
        for _ in 0..200 {
            assert!(backoff(1, &c) <= Duration::from_millis(100));
            assert!(backoff(3, &c) <= Duration::from_millis(400));
            assert!(backoff(30, &c) <= Duration::from_millis(1_000));
        }
        // Full jitter spreads values: 200 draws are not all identical.
        let draws: std::collections::HashSet<_> = (0..200).map(|_| backoff(4, &c)).collect();
        assert!(draws.len() > 10);
    }

    #[test]
    fn retry_after_seconds_and_dates_are_capped() {
        let cap = Duration::from_secs(20);
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("3"));
        assert_eq!(retry_after(&h, cap), Some(Duration::from_secs(3)));
        h.insert(RETRY_AFTER, HeaderValue::from_static("3600"));
        assert_eq!(retry_after(&h, cap), Some(cap));
        let soon = std::time::SystemTime::now() + Duration::from_secs(8);
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_str(&httpdate::fmt_http_date(soon)).unwrap(),
        );
        let d = retry_after(&h, cap).unwrap();
        assert!(
            d <= Duration::from_secs(8) && d >= Duration::from_secs(6),
            "{d:?}"
        );
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h, cap), Some(Duration::ZERO));
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h, cap), None);
    }

    #[test]
    fn retryable_statuses() {
        for code in [408, 429, 500, 502, 503, 504] {
            assert!(is_retryable_status(StatusCode::from_u16(code).unwrap()));
        }
        for code in [200, 400, 401, 404, 409, 422, 501] {
            assert!(!is_retryable_status(StatusCode::from_u16(code).unwrap()));
        }
    }
}
