//! Request extractors whose rejections are [`ApiError`]s, so malformed JSON,
//! bad query strings and bad path segments answer problem+json like
//! everything else, naming the offending field.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON body. Syntax errors are `400 malformed_request`; well-formed JSON
/// with missing or mistyped fields is `422 validation_failed` naming the field.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !is_json_content_type(content_type) {
            return Err(ApiError::unsupported_media_type(format!(
                "expected a JSON body (Content-Type: application/json), got '{}'",
                if content_type.is_empty() {
                    "nothing"
                } else {
                    content_type
                }
            )));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(bytes_rejection)?;
        let value = parse_json(&bytes)?;
        if json_has_nul_escape(&bytes) {
            return Err(ApiError::validation(
                "body",
                "text fields must not contain NUL characters (\\u0000)",
            ));
        }
        Ok(ApiJson(value))
    }
}

fn is_json_content_type(value: &str) -> bool {
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Maps a failure to read the body (usually the size limit) to an [`ApiError`].
pub fn bytes_rejection(rejection: BytesRejection) -> ApiError {
    if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::coded(
            crate::error::ErrorCode::PayloadTooLarge,
            "the request body is larger than the configured limit",
        )
    } else {
        ApiError::malformed(format!("could not read the request body: {rejection}"))
    }
}

/// Parses JSON, reporting the path of the first offending field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(value) => {
            de.end()
                .map_err(|e| ApiError::malformed(format!("invalid JSON: {e}")))?;
            Ok(value)
        }
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            match inner.classify() {
                serde_json::error::Category::Data => {
                    let message = strip_position(&inner.to_string());
                    Err(ApiError::validation(field_name(&path, &message), message))
                }
                _ => Err(ApiError::malformed(format!("invalid JSON: {inner}"))),
            }
        }
    }
}

/// serde reports a missing field at its parent's path (an unknown one at its
/// own); name the field itself.
fn field_name(path: &str, message: &str) -> String {
    let parent = if path == "." { "" } else { path };
    if let Some(rest) = message.strip_prefix("missing field `")
        && let Some(name) = rest.split('`').next()
    {
        return if parent.is_empty() {
            name.to_owned()
        } else {
            format!("{parent}.{name}")
        };
    }
    if parent.is_empty() {
        "body".to_owned()
    } else {
        parent.to_owned()
    }
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(idx) => message[..idx].to_owned(),
        None => message.to_owned(),
    }
}

/// A query string. Invalid parameters are `422 validation_failed` naming the
/// parameter.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        if let Some((name, _)) =
            form_urlencoded::parse(query.as_bytes()).find(|(_, v)| v.contains('\0'))
        {
            return Err(ApiError::validation(
                name.into_owned(),
                "must not contain NUL characters",
            ));
        }
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize::<_, T>(de)
            .map(ApiQuery)
            .map_err(|err| {
                let path = err.path().to_string();
                let message = err.inner().to_string();
                ApiError::validation(field_name(&path, &message), message)
            })
    }
}

/// Path parameters, typically a resource id such as `Path<CandidateId>`. An
/// id of the wrong shape names no resource: `404 not_found`, saying what
/// was expected, without a lookup.
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(ApiPath(value)),
            Err(PathRejection::FailedToDeserializePathParams(err)) => {
                Err(ApiError::not_found(err.body_text()))
            }
            Err(other) => Err(ApiError::internal(other.body_text())),
        }
    }
}

/// Whether a JSON text holds a NUL character (only possible as the escape
/// `\u0000`; a raw NUL byte is not valid JSON). PostgreSQL cannot store one
/// in a text column, so every engine refuses it alike.
fn json_has_nul_escape(bytes: &[u8]) -> bool {
    let mut backslashes = 0usize;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\\' {
            backslashes += 1;
            continue;
        }
        if b == b'u' && backslashes % 2 == 1 && bytes.get(i + 1..i + 5) == Some(b"0000") {
            return true;
        }
        backslashes = 0;
    }
    false
}

/// The client's address: as the rate limiter resolved it (trusted proxies
/// applied), else the TCP peer's; `None` in tests that set neither.
pub struct PeerIp(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for PeerIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let resolved = parts
            .extensions
            .get::<crate::rate_limit::ClientIp>()
            .map(|crate::rate_limit::ClientIp(ip)| *ip);
        Ok(PeerIp(resolved.or_else(|| {
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|axum::extract::ConnectInfo(addr)| addr.ip())
        })))
    }
}
