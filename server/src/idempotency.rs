//! `Idempotency-Key` for POST, PATCH and DELETE requests.
//!
//! The first request with a key claims it with a pending row (a unique
//! primary key makes concurrent duplicates lose the race), runs, and stores
//! its response. A repeat with the same method, path and body gets the
//! stored response back with `Idempotent-Replayed: true`; one with a
//! different body gets `422 idempotency_key_reused`; one that arrives while
//! the first is still running gets `409 idempotency_key_in_use` with
//! `Retry-After`. Server errors (5xx), 408 and 429 are not stored, so a retry
//! runs again. Entries expire after 24 hours, and go with the resource they
//! describe when it is deleted or revoked.
//!
//! Nothing is stored in clear: a row is found by a hash of (user, key), and
//! the response (which may carry a new API key's secret or personal data) is
//! sealed under a key derived from the client's Idempotency-Key (see
//! `mismatch_core::security::sealed`).
//!
//! Every answer from the store is handed to [`Authorized`](crate::auth::Authorized)
//! as a [`StoredAnswer`], which gives it only after the route's own access
//! check: a replay is authorised like a first request.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use mismatch_core::security::sealed;
use sha2::{Digest, Sha256};

use crate::auth::{Principal, StoredAnswer, principal_of};
use crate::error::{ApiError, ErrorCode};
use crate::state::{AppState, now_ms};
use crate::storage::idempotency::IdempotencyRecord;

pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
/// How long a stored response is replayed.
pub const RETENTION_MS: i64 = 24 * 3600 * 1000;
/// Responses larger than this are passed through without being remembered.
const MAX_STORED_RESPONSE: usize = 32 * 1024 * 1024;

/// The methods whose requests may carry an Idempotency-Key.
pub fn is_idempotent_method(method: &Method) -> bool {
    method == Method::POST || method == Method::PATCH || method == Method::DELETE
}

/// Paths whose requests are never stored for replay, whatever their
/// `Idempotency-Key`: the session endpoints. Their responses carry tokens
/// (which must not sit in a store, even sealed), and their callers have no
/// credentials yet to scope a replay to.
const NEVER_REPLAYED: &[&str] = &["/v1/auth/"];

pub async fn layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !is_idempotent_method(request.method())
        || NEVER_REPLAYED
            .iter()
            .any(|prefix| request.uri().path().starts_with(prefix))
    {
        return next.run(request).await;
    }
    let Some(key) = request.headers().get(IDEMPOTENCY_KEY) else {
        return next.run(request).await;
    };
    let key = match key.to_str() {
        Ok(k) if (1..=255).contains(&k.len()) && k.bytes().all(|b| (0x21..=0x7e).contains(&b)) => {
            k.to_owned()
        }
        _ => {
            return ApiError::validation(
                "Idempotency-Key",
                "must be 1–255 visible ASCII characters",
            )
            .into_response();
        }
    };
    match run(&state, key, request, next).await {
        Ok(response) => response,
        Err(err) => err.into_response(),
    }
}

async fn run(
    state: &AppState,
    key: String,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let (mut parts, body) = request.into_parts();
    // Idempotency is per user, so the key must be resolved here; the
    // extractor reuses the result instead of authenticating again.
    let principal: Principal = principal_of(state, &parts).await?;
    parts.extensions.insert(principal.clone());
    let limit = state.settings().max_body_bytes;
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|err| {
        if is_length_limit(&err) {
            ApiError::payload_too_large(limit)
        } else {
            ApiError::malformed(format!("could not read the request body: {err}"))
        }
    })?;
    let method = parts.method.to_string();
    // The path is kept in clear (ids only); the query string, which may hold
    // personal data such as a file name, goes only into the request digest,
    // and the digest is keyed by the Idempotency-Key so that a guessed body
    // cannot be confirmed from the database.
    let path = parts.uri.path().to_owned();
    let user = principal.user_id.as_str();
    let body_sha256 = request_digest(user, &key, parts.uri.query().unwrap_or(""), &bytes);
    let key_hash = sealed::lookup_hash(&[user, &key]);
    let storage = state.storage();
    // Two rounds at most: the second after removing an expired or abandoned entry.
    for _ in 0..3 {
        let now = now_ms();
        let record = IdempotencyRecord {
            key_hash: key_hash.clone(),
            user_id: principal.user_id.clone(),
            method: method.clone(),
            path: path.clone(),
            body_sha256: body_sha256.clone(),
            status: None,
            response_sealed: None,
            resource_id: None,
            created_at: now,
        };
        if storage.begin_idempotency(&record).await? {
            let request = Request::from_parts(parts, Body::from(bytes));
            let response = next.run(request).await;
            return finish(state, user, &key, &key_hash, response).await;
        }
        let Some(existing) = storage.get_idempotency(&key_hash).await? else {
            continue;
        };
        let abandoned_after = i64::try_from(state.settings().request_timeout_secs)
            .unwrap_or(i64::MAX / 2_000)
            .saturating_mul(1000)
            .saturating_add(5_000);
        let expired = existing.created_at < now - RETENTION_MS;
        let abandoned = existing.status.is_none() && existing.created_at < now - abandoned_after;
        if expired || abandoned {
            storage.delete_idempotency(&key_hash).await?;
            continue;
        }
        let answer = if existing.method != method
            || existing.path != path
            || existing.body_sha256 != body_sha256
        {
            ApiError::coded(
                ErrorCode::IdempotencyKeyReused,
                "this Idempotency-Key was already used with a different request; use a new key for a new request",
            )
            .into_response()
        } else {
            match (existing.status, existing.response_sealed.as_deref()) {
                (Some(status), Some(sealed_response)) => {
                    replay(user, &key, status, sealed_response)?
                }
                _ => {
                    let mut response = ApiError::coded(
                        ErrorCode::IdempotencyKeyInUse,
                        "a request with this Idempotency-Key is still being processed; retry shortly",
                    )
                    .into_response();
                    response
                        .headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                    response
                }
            }
        };
        let answer = StoredAnswer::new(answer);
        parts.extensions.insert(answer.clone());
        let request = Request::from_parts(parts, Body::from(bytes));
        let response = next.run(request).await;
        if !answer.was_given() {
            // Every route that takes these methods authorises with
            // `Authorized`; one that does not has just run twice.
            tracing::error!(%method, %path, "idempotent replay reached a handler without Authorized");
        }
        return Ok(response);
    }
    Err(ApiError::conflict(
        "could not claim the Idempotency-Key; retry",
    ))
}

/// What tells two requests with one Idempotency-Key apart besides method and
/// path: their query string and body, digested under the key.
pub fn request_digest(user: &str, key: &str, query: &str, body: &[u8]) -> String {
    sealed::lookup_hash(&[user, key, query, &hex::encode(Sha256::digest(body))])
}

/// What is sealed: the headers a replay needs, then the body.
fn envelope(content_type: &str, etag: &str, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content_type.len() + etag.len() + 2 + body.len());
    out.extend_from_slice(content_type.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(etag.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(body);
    out
}

/// The resource a JSON object body describes: its `id`, else its
/// `candidate_id` (a match or interview plan of a candidate is personal
/// data, so erasing the candidate must forget it too).
fn resource_id(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Described {
        id: Option<String>,
        candidate_id: Option<String>,
    }
    serde_json::from_slice::<Described>(body)
        .ok()
        .and_then(|d| d.id.or(d.candidate_id))
}

/// Stores a final response (anything but a server error or throttling) and
/// passes it on.
async fn finish(
    state: &AppState,
    user: &str,
    key: &str,
    key_hash: &str,
    response: Response,
) -> Result<Response, ApiError> {
    let status = response.status();
    let storage = state.storage();
    let retryable = status.is_server_error()
        || status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT;
    if retryable {
        storage.delete_idempotency(key_hash).await?;
        return Ok(response);
    }
    let (parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_STORED_RESPONSE).await {
        Ok(bytes) => bytes,
        Err(err) => {
            storage.delete_idempotency(key_hash).await?;
            return Err(ApiError::internal(format!(
                "could not buffer response: {err}"
            )));
        }
    };
    let header_text = |name: header::HeaderName| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let content_type = header_text(header::CONTENT_TYPE);
    let etag = header_text(header::ETAG);
    let sealed_response = sealed::seal(&[user, key], &envelope(&content_type, &etag, &bytes))
        .map_err(ApiError::internal)?;
    let resource = if status.is_success() {
        resource_id(&bytes)
    } else {
        None
    };
    storage
        .complete_idempotency(
            key_hash,
            i64::from(status.as_u16()),
            &sealed_response,
            resource.as_deref(),
        )
        .await?;
    Ok(Response::from_parts(parts, Body::from(bytes)))
}

fn replay(user: &str, key: &str, status: i64, sealed_response: &str) -> Result<Response, ApiError> {
    let opened = sealed::open(&[user, key], sealed_response).map_err(ApiError::internal)?;
    let mut pieces = opened.splitn(3, |b| *b == b'\n');
    let content_type = pieces.next().unwrap_or_default().to_vec();
    let etag = pieces.next().unwrap_or_default().to_vec();
    let body = pieces.next().unwrap_or_default().to_vec();
    let status = u16::try_from(status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    for (name, value) in [(header::CONTENT_TYPE, content_type), (header::ETAG, etag)] {
        if !value.is_empty()
            && let Ok(value) = HeaderValue::from_bytes(&value)
        {
            response.headers_mut().insert(name, value);
        }
    }
    response
        .headers_mut()
        .insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    Ok(response)
}

fn is_length_limit(err: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if e.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = e.source();
    }
    false
}

/// Deletes entries past their retention; run periodically.
pub async fn prune(state: &AppState) {
    match state
        .storage()
        .prune_idempotency(now_ms() - RETENTION_MS)
        .await
    {
        Ok(0) => {}
        Ok(n) => tracing::info!(removed = n, "pruned expired idempotency keys"),
        Err(err) => tracing::warn!(error = %err, "could not prune idempotency keys"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_round_trip_through_a_seal() {
        let sealed_response = sealed::seal(
            &["usr_1", "k"],
            &envelope("application/json", "\"3\"", b"{\"id\":\"job_1\"}\n"),
        )
        .unwrap();
        let r = replay("usr_1", "k", 201, &sealed_response).unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/json");
        assert_eq!(r.headers()[header::ETAG], "\"3\"");
        assert_eq!(r.headers()[REPLAYED_HEADER], "true");
        assert!(replay("usr_2", "k", 201, &sealed_response).is_err());
        assert_eq!(
            resource_id(b"{\"id\":\"job_1\",\"x\":1}").as_deref(),
            Some("job_1")
        );
        assert_eq!(resource_id(b"[]"), None);
        assert_eq!(
            resource_id(b"{\"candidate_id\":\"cand_1\",\"job_id\":\"job_1\"}").as_deref(),
            Some("cand_1")
        );
    }
}
