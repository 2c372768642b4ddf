//! The layer every generated request goes through: auth and idempotency
//! headers, retries with backoff, and bookkeeping for [`Client::call`].
//!
//! Each attempt carries the session's access token when the client is logged
//! in (renewed first when it is about to expire; see `session.rs`), else the
//! API key. Session requests (login, second factor, refresh, logout) carry
//! neither, nor an `Idempotency-Key`, and are sent once.
//!
//! It plugs into the generated client as its `ClientHooks::exec`, so typed
//! calls through `client.api()` and dynamic calls through `client.call()`
//! behave the same. Retried requests are copies made with
//! `Request::try_clone` before each attempt, so a request is re-sent with the
//! very same body and `Idempotency-Key`.
//!
//! # Retry policy
//! Up to `max_retries` retries after the first attempt, and only of requests
//! the server can safely see twice ("replayable"): the safe methods GET, HEAD
//! and OPTIONS, and POST, PATCH and DELETE, which always carry an
//! `Idempotency-Key` (the server answers a repeat from its record instead of
//! acting twice). Any other method (PUT, say) is never retried once it may
//! have reached the server.
//!
//! - Connection refused and other failures to connect (DNS, TCP, TLS, connect
//!   timeout): retried for every method, the request was never sent.
//! - A connection that broke after it was established (reset, closed by a
//!   restarting server): retried when replayable. In browsers every network
//!   failure looks like this, so only replayable requests are retried there.
//! - Responses 408, 429, 500, 502, 503 and 504: retried when replayable.
//! - 409 with `Retry-After`: the server is still running the first request
//!   with this `Idempotency-Key` (code `idempotency_key_in_use`); retried when
//!   replayable, after the time it asks for. A 409 without `Retry-After` is a
//!   real conflict and is returned.
//! - A total (per-attempt) timeout is *not* retried: the attempt already used
//!   the whole time budget and the server may still be working on it, so the
//!   caller gets `ErrorKind::Timeout` promptly instead of waiting several
//!   times as long. Nothing else is retried (other 4xx, 501, 505+).
//!
//! The wait is `Retry-After` (seconds or HTTP date) when the response has one,
//! else full-jitter exponential backoff; both are capped by `max_retry_delay`.
//!
//! [`Client::call`]: crate::Client::call

use std::sync::atomic::Ordering;
use std::time::Duration;

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue, RETRY_AFTER};
use reqwest::{Method, Request, Response, StatusCode};

use crate::generated;
use crate::session::{Credential, Endpoint};
use crate::state::{HookState, TransportConfig};

/// Header carrying the idempotency key of a POST, PATCH or DELETE.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// Header carrying the server's request id.
pub const REQUEST_ID: &str = "x-request-id";

impl ClientHooks<HookState> for generated::Client {
    async fn exec(&self, request: Request, info: &OperationInfo) -> reqwest::Result<Response> {
        let kind = if crate::session::is_session_request(info.operation_id) {
            RequestKind::Session
        } else {
            RequestKind::Api
        };
        execute(self.client(), self.baseurl(), self.inner(), request, kind).await
    }
}

/// Which credentials a request carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RequestKind {
    /// An API operation: the session's access token when logged in, else
    /// the API key, chosen before each attempt.
    Api,
    /// Login, second factor, refresh or logout, whose credentials are in the
    /// body: neither `Authorization` nor `Idempotency-Key`, and never resent
    /// once it may have reached the server (see `session.rs`).
    Session,
}

/// Sets the headers every attempt shares. Returns whether the SDK chooses
/// `Authorization` per attempt (not when the caller set one, nor for session
/// requests).
fn prepare(request: &mut Request, state: &HookState, kind: RequestKind) -> bool {
    let config = &state.config;
    let headers = request.headers_mut();
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
    let per_attempt_auth = kind == RequestKind::Api && !headers.contains_key(AUTHORIZATION);
    if kind == RequestKind::Api && carries_idempotency_key(request.method()) {
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
    per_attempt_auth
}

fn set_authorization(request: &mut Request, value: Option<&HeaderValue>) {
    match value {
        Some(value) => request.headers_mut().insert(AUTHORIZATION, value.clone()),
        None => request.headers_mut().remove(AUTHORIZATION),
    };
}

/// Remembers the last response's status and request id for `Client::call`.
fn record(state: &HookState, response: &Response) {
    if let Some(call) = &state.call {
        call.last_status
            .store(response.status().as_u16(), Ordering::Relaxed);
        *call
            .request_id
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = request_id_of(response.headers());
    }
}

/// Methods that get an `Idempotency-Key`: the unsafe methods the server
/// deduplicates by that key.
fn carries_idempotency_key(method: &Method) -> bool {
    matches!(*method, Method::POST | Method::PATCH | Method::DELETE)
}

/// Whether the server may see `request` twice: a safe method, or a method
/// the server deduplicates, sent with its key.
fn is_replayable(request: &Request) -> bool {
    let method = request.method();
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
        || (carries_idempotency_key(method) && request.headers().contains_key(IDEMPOTENCY_KEY))
}

/// Sends `request` to the API at `base_url`, retrying transient failures
/// per the module's policy.
pub(crate) async fn execute(
    http: &reqwest::Client,
    base_url: &str,
    state: &HookState,
    mut request: Request,
    kind: RequestKind,
) -> reqwest::Result<Response> {
    let per_attempt_auth = prepare(&mut request, state, kind);
    let replayable = kind == RequestKind::Api && is_replayable(&request);
    let config = &state.config;
    let mut attempt: u32 = 0;
    loop {
        attempt += 1;
        if let Some(call) = &state.call {
            call.attempts.fetch_add(1, Ordering::Relaxed);
        }
        let may_retry = attempt <= config.max_retries;
        if per_attempt_auth {
            let endpoint = || Endpoint {
                http: http.clone(),
                base_url: base_url.to_owned(),
                user_agent: config.user_agent.clone(),
                timeout: config.timeout,
            };
            match config.session.credential(endpoint).await {
                Credential::ApiKey => {
                    set_authorization(&mut request, config.authorization.as_ref())
                }
                Credential::Session {
                    authorization,
                    generation,
                } => {
                    set_authorization(&mut request, Some(&authorization));
                    if let Some(call) = &state.call {
                        call.session_generation.store(generation, Ordering::Relaxed);
                    }
                }
                Credential::RenewalFailed(outcome) => {
                    // The request itself was not sent, so trying it again is
                    // safe whatever its method.
                    let delay = match &outcome {
                        Ok(response) => {
                            record(state, response);
                            (may_retry
                                && is_retryable_response(response.status(), response.headers()))
                            .then(|| {
                                retry_after(response.headers(), config.max_retry_delay)
                                    .unwrap_or_else(|| backoff(attempt, config))
                            })
                        }
                        Err(err) => (may_retry && is_retryable_error(err, true))
                            .then(|| backoff(attempt, config)),
                    };
                    match delay {
                        Some(delay) => {
                            drop(outcome);
                            crate::rt::sleep(delay).await;
                            continue;
                        }
                        None => return outcome,
                    }
                }
            }
        }
        // A copy for the next attempt; streaming bodies cannot be copied and
        // are therefore sent once.
        let next = if may_retry { request.try_clone() } else { None };
        match http.execute(request).await {
            Ok(response) => {
                record(state, &response);
                match next {
                    Some(next)
                        if replayable
                            && is_retryable_response(response.status(), response.headers()) =>
                    {
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
                Some(next) if is_retryable_error(&err, replayable) => {
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

/// Statuses retried whatever the response says (for replayable requests).
pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

/// A retryable status, or the server's "the first request with this
/// `Idempotency-Key` is still running": 409 with `Retry-After`.
fn is_retryable_response(status: StatusCode, headers: &HeaderMap) -> bool {
    is_retryable_status(status)
        || (status == StatusCode::CONFLICT && headers.contains_key(RETRY_AFTER))
}

fn is_retryable_error(err: &reqwest::Error, replayable: bool) -> bool {
    // Failing to connect means nothing was sent. Browsers report every
    // network failure as a failed fetch (is_request), so there it is unknown.
    #[cfg(not(target_arch = "wasm32"))]
    if err.is_connect() {
        return true;
    }
    // A failure while sending that is not the total timeout means the
    // connection broke (reset, closed by a restarting server); the request
    // may have arrived, so only a replayable one is sent again.
    replayable && err.is_request() && !err.is_timeout()
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
    use std::sync::Arc;
    use std::sync::atomic::AtomicU32;

    use super::*;
    use crate::state::CallContext;

    fn config(initial_ms: u64, cap_ms: u64) -> TransportConfig {
        TransportConfig {
            authorization: None,
            user_agent: None,
            max_retries: 2,
            initial_retry_delay: Duration::from_millis(initial_ms),
            max_retry_delay: Duration::from_millis(cap_ms),
            timeout: Duration::from_secs(30),
            session: Arc::default(),
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

    #[test]
    fn a_conflict_is_retried_only_with_retry_after() {
        let mut headers = HeaderMap::new();
        assert!(!is_retryable_response(StatusCode::CONFLICT, &headers));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("1"));
        assert!(is_retryable_response(StatusCode::CONFLICT, &headers));
        // Retry-After alone does not make other client errors retryable.
        assert!(!is_retryable_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            &headers
        ));
        assert!(is_retryable_response(
            StatusCode::SERVICE_UNAVAILABLE,
            &HeaderMap::new()
        ));
    }

    fn state() -> HookState {
        HookState {
            config: Arc::new(config(1, 1)),
            call: None,
        }
    }

    fn prepared(method: Method) -> Request {
        let url = reqwest::Url::parse("http://127.0.0.1:9/v1/things").unwrap();
        let mut request = Request::new(method, url);
        prepare(&mut request, &state(), RequestKind::Api);
        request
    }

    #[test]
    fn post_patch_and_delete_get_a_key_and_are_replayable() {
        for method in [Method::POST, Method::PATCH, Method::DELETE] {
            let request = prepared(method.clone());
            let key = request.headers().get(IDEMPOTENCY_KEY);
            let key = key.unwrap_or_else(|| panic!("{method} carries an Idempotency-Key"));
            assert!(uuid::Uuid::parse_str(key.to_str().unwrap()).is_ok());
            assert!(is_replayable(&request), "{method}");
        }
        for method in [Method::GET, Method::HEAD, Method::OPTIONS] {
            let request = prepared(method.clone());
            assert!(!request.headers().contains_key(IDEMPOTENCY_KEY), "{method}");
            assert!(is_replayable(&request), "{method}");
        }
    }

    #[test]
    fn unsafe_requests_without_a_key_the_server_honours_are_not_replayable() {
        let url = reqwest::Url::parse("http://127.0.0.1:9/").unwrap();
        // Never prepared, so no key: as if a caller bypassed the hook.
        for method in [Method::POST, Method::PATCH, Method::DELETE] {
            assert!(!is_replayable(&Request::new(method, url.clone())));
        }
        // The server deduplicates POST, PATCH and DELETE only: a PUT is not
        // replayable even with a key, and gets none from the SDK.
        let put = prepared(Method::PUT);
        assert!(!put.headers().contains_key(IDEMPOTENCY_KEY));
        let mut keyed_put = Request::new(Method::PUT, url);
        keyed_put
            .headers_mut()
            .insert(IDEMPOTENCY_KEY, HeaderValue::from_static("k-1"));
        assert!(!is_replayable(&put));
        assert!(!is_replayable(&keyed_put));
    }

    /// A raw HTTP server on 127.0.0.1:0 that reads each request's head and
    /// then answers `reply`, or drops the connection when `reply` is `None`.
    /// Returns its URL and the number of requests it read.
    async fn raw_server(reply: Option<&'static str>) -> (String, Arc<AtomicU32>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/v1/things", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicU32::new(0));
        let counter = requests.clone();
        tokio::spawn(async move {
            loop {
                let (mut socket, _) = listener.accept().await.unwrap();
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                counter.fetch_add(1, Ordering::Relaxed);
                if let Some(reply) = reply {
                    let _ = socket.write_all(reply.as_bytes()).await;
                }
                // Dropping the socket closes the connection.
            }
        });
        (url, requests)
    }

    const UNAVAILABLE: &str =
        "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";

    /// Sends one `method` request through [`execute`] with two retries allowed
    /// and returns the final status (or the error) and the attempts counted.
    async fn send(method: Method, url: &str) -> (Result<u16, reqwest::Error>, u32) {
        let options = crate::ClientOptions::new(url);
        let http = crate::client::build_http(&options).unwrap();
        let call = Arc::new(CallContext::default());
        let state = HookState {
            config: Arc::new(config(1, 5)),
            call: Some(call.clone()),
        };
        let request = Request::new(method, reqwest::Url::parse(url).unwrap());
        let result = execute(&http, url, &state, request, RequestKind::Api)
            .await
            .map(|r| r.status().as_u16());
        (result, call.attempts())
    }

    #[tokio::test]
    async fn a_put_is_not_retried_once_sent_but_a_get_is() {
        let (url, requests) = raw_server(Some(UNAVAILABLE)).await;
        let (status, attempts) = send(Method::PUT, &url).await;
        assert_eq!(status.unwrap(), 503);
        assert_eq!((attempts, requests.load(Ordering::Relaxed)), (1, 1));
        let (status, attempts) = send(Method::GET, &url).await;
        assert_eq!(status.unwrap(), 503);
        assert_eq!((attempts, requests.load(Ordering::Relaxed)), (3, 4));
    }

    #[tokio::test]
    async fn a_broken_connection_is_retried_only_for_replayable_requests() {
        let (url, requests) = raw_server(None).await;
        let (result, attempts) = send(Method::PUT, &url).await;
        let err = result.unwrap_err();
        assert!(!err.is_connect() && !err.is_timeout(), "{err:?}");
        assert_eq!((attempts, requests.load(Ordering::Relaxed)), (1, 1));
        // PATCH gets a key from the SDK, so the server deduplicates a resend.
        let (result, attempts) = send(Method::PATCH, &url).await;
        assert!(result.is_err());
        assert_eq!((attempts, requests.load(Ordering::Relaxed)), (3, 4));
    }

    #[tokio::test]
    async fn connection_refused_is_retried_for_every_method() {
        // A port that was just free: nothing listens there.
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let (result, attempts) = send(Method::PUT, &format!("http://127.0.0.1:{port}/")).await;
        assert!(result.unwrap_err().is_connect());
        assert_eq!(attempts, 3, "nothing was sent, so even a PUT is retried");
    }
}
