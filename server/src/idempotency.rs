//! `Idempotency-Key` for POST requests.
//!
//! The first request with a key claims `(user, key)` with a pending row
//! (a unique primary key makes concurrent duplicates lose the race), runs,
//! and stores its response. A repeat with the same method, path and body
//! gets the stored response back with `Idempotent-Replayed: true`; one with a
//! different body gets `422 idempotency_key_reused`; one that arrives while
//! the first is still running gets `409 conflict` with `Retry-After`.
//! Server errors (5xx) are not stored, so a retry runs again. Entries expire
//! after 24 hours.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::auth::{Principal, authenticate};
use crate::error::ApiError;
use crate::state::{AppState, now_ms};
use crate::storage::IdempotencyRecord;

pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
/// How long a stored response is replayed.
pub const RETENTION_MS: i64 = 24 * 3600 * 1000;
/// Responses larger than this are passed through without being remembered.
const MAX_STORED_RESPONSE: usize = 32 * 1024 * 1024;

pub async fn layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
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
    let ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string());
    // Idempotency is per principal, so the key must be resolved here; the
    // handler reuses the result instead of authenticating again.
    let principal: Principal = authenticate(state, &parts.headers, ip.as_deref()).await?;
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
    let path = parts
        .uri
        .path_and_query()
        .map(|pq| pq.as_str().to_owned())
        .unwrap_or_else(|| parts.uri.path().to_owned());
    let body_sha256 = hex::encode(Sha256::digest(&bytes));
    let storage = state.storage();

    // Two rounds at most: the second after removing an expired or abandoned entry.
    for _ in 0..3 {
        let now = now_ms();
        let record = IdempotencyRecord {
            user_id: principal.user_id.clone(),
            key: key.clone(),
            method: method.clone(),
            path: path.clone(),
            body_sha256: body_sha256.clone(),
            status: None,
            response_body: None,
            content_type: None,
            created_at: now,
        };
        if storage.begin_idempotency(&record).await? {
            let request = Request::from_parts(parts, Body::from(bytes));
            let response = next.run(request).await;
            return finish(state, &principal.user_id, &key, response).await;
        }
        let Some(existing) = storage.get_idempotency(&principal.user_id, &key).await? else {
            continue;
        };
        let abandoned_after = i64::try_from(state.settings().request_timeout_secs)
            .unwrap_or(i64::MAX / 2_000)
            .saturating_mul(1000)
            .saturating_add(5_000);
        let expired = existing.created_at < now - RETENTION_MS;
        let abandoned = existing.status.is_none() && existing.created_at < now - abandoned_after;
        if expired || abandoned {
            storage.delete_idempotency(&principal.user_id, &key).await?;
            continue;
        }
        if existing.method != method || existing.path != path || existing.body_sha256 != body_sha256
        {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "this Idempotency-Key was already used with a different request; use a new key for a new request",
            ));
        }
        return match existing.status {
            Some(status) => Ok(replay(&existing, status)),
            None => {
                let mut response = ApiError::conflict(
                    "a request with this Idempotency-Key is still being processed; retry shortly",
                )
                .into_response();
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                Ok(response)
            }
        };
    }
    Err(ApiError::conflict(
        "could not claim the Idempotency-Key; retry",
    ))
}

/// Stores a final response (anything but a server error or throttling) and
/// passes it on.
async fn finish(
    state: &AppState,
    user_id: &str,
    key: &str,
    response: Response,
) -> Result<Response, ApiError> {
    let status = response.status();
    let storage = state.storage();
    let retryable = status.is_server_error()
        || status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT;
    if retryable {
        storage.delete_idempotency(user_id, key).await?;
        return Ok(response);
    }
    let (parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_STORED_RESPONSE).await {
        Ok(bytes) => bytes,
        Err(err) => {
            storage.delete_idempotency(user_id, key).await?;
            return Err(ApiError::internal(format!(
                "could not buffer response: {err}"
            )));
        }
    };
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    match std::str::from_utf8(&bytes) {
        Ok(text) => {
            storage
                .complete_idempotency(
                    user_id,
                    key,
                    i64::from(status.as_u16()),
                    text,
                    content_type.as_deref(),
                )
                .await?;
        }
        // Only JSON is produced today; anything else is simply not replayable.
        Err(_) => storage.delete_idempotency(user_id, key).await?,
    }
    Ok(Response::from_parts(parts, Body::from(bytes)))
}

fn replay(record: &IdempotencyRecord, status: i64) -> Response {
    let status = u16::try_from(status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let mut response = Response::new(Body::from(record.response_body.clone().unwrap_or_default()));
    *response.status_mut() = status;
    if let Some(ct) = record
        .content_type
        .as_deref()
        .and_then(|ct| HeaderValue::from_str(ct).ok())
    {
        response.headers_mut().insert(header::CONTENT_TYPE, ct);
    }
    response
        .headers_mut()
        .insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    response
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
