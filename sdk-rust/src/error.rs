//! One error type for every failure the SDK reports.
//!
//! HTTP errors keep the server's RFC 9457 problem document (`body`) and its
//! stable `code`; the `kind` is derived from that code first and the status
//! second, so callers can branch on `ErrorKind` without string matching.

use std::fmt;

use serde_json::Value;

/// Broad category of an [`Error`], stable across SDK versions and languages.
///
/// With the `bindings` feature it serialises as [`ErrorKind::as_str`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "bindings",
    derive(serde::Serialize),
    serde(rename_all = "snake_case")
)]
#[cfg_attr(feature = "bindings-tsify", derive(tsify::Tsify))]
#[non_exhaustive]
pub enum ErrorKind {
    /// 400-class request problems that are not more specific (400, 413, 415, …).
    BadRequest,
    /// 401: missing, unknown, expired or revoked API key.
    Authentication,
    /// 403: the key's role or scopes do not allow the operation.
    Permission,
    /// 404: the resource does not exist.
    NotFound,
    /// 409: the request conflicts with the resource's state.
    Conflict,
    /// 422: the request was understood but its content is invalid.
    Validation,
    /// 429: too many requests.
    RateLimited,
    /// 5xx: the server failed.
    Server,
    /// The server could not be reached or the connection broke.
    Connection,
    /// The request did not complete in time (client timeout or 408).
    Timeout,
    /// The caller passed arguments the SDK cannot send (unknown operation,
    /// missing or ill-typed parameter, invalid header or option).
    InvalidArgument,
    /// The server answered with something the SDK could not decode.
    Decode,
}

impl ErrorKind {
    /// Stable snake_case name, used by the language bindings.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadRequest => "bad_request",
            Self::Authentication => "authentication",
            Self::Permission => "permission",
            Self::NotFound => "not_found",
            Self::Conflict => "conflict",
            Self::Validation => "validation",
            Self::RateLimited => "rate_limited",
            Self::Server => "server",
            Self::Connection => "connection",
            Self::Timeout => "timeout",
            Self::InvalidArgument => "invalid_argument",
            Self::Decode => "decode",
        }
    }

    /// Kind for an HTTP error response, preferring the problem `code`.
    pub fn from_response(status: u16, code: Option<&str>) -> Self {
        if let Some(kind) = code.and_then(Self::from_code) {
            return kind;
        }
        match status {
            401 => Self::Authentication,
            403 => Self::Permission,
            404 | 410 => Self::NotFound,
            408 => Self::Timeout,
            409 | 412 => Self::Conflict,
            422 => Self::Validation,
            429 => Self::RateLimited,
            500..=599 => Self::Server,
            _ => Self::BadRequest,
        }
    }

    fn from_code(code: &str) -> Option<Self> {
        Some(match code {
            "unauthorized" => Self::Authentication,
            "forbidden" => Self::Permission,
            "not_found" => Self::NotFound,
            "conflict" | "idempotency_key_in_use" | "precondition_failed" => Self::Conflict,
            "validation_failed"
            | "unreadable_document"
            | "empty_document"
            | "encrypted_document"
            | "idempotency_key_reused" => Self::Validation,
            "malformed_request"
            | "payload_too_large"
            | "document_too_large"
            | "unsupported_media_type" => Self::BadRequest,
            "rate_limited" => Self::RateLimited,
            "internal" | "unavailable" => Self::Server,
            _ => return None,
        })
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// An SDK failure: HTTP error response, transport failure or bad argument.
///
/// The fields live behind one box so that `Result<T, Error>` stays small.
#[derive(Debug)]
pub struct Error {
    inner: Box<Inner>,
}

#[derive(Debug)]
struct Inner {
    kind: ErrorKind,
    status: Option<u16>,
    code: Option<String>,
    message: String,
    request_id: Option<String>,
    body: Option<Value>,
    /// HTTP attempts made by `Client::call` before giving up, if any were made.
    attempts: Option<u32>,
    source: Option<Source>,
}

impl Error {
    /// A bare error of `kind`; prefer the more specific constructors.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self::from_inner(Inner {
            kind,
            status: None,
            code: None,
            message: message.into(),
            request_id: None,
            body: None,
            attempts: None,
            source: None,
        })
    }

    fn from_inner(inner: Inner) -> Self {
        Self {
            inner: Box::new(inner),
        }
    }

    /// The caller's input cannot be sent.
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidArgument, message)
    }

    /// An HTTP error response. `body` is the decoded problem document when
    /// the server sent JSON, in which case `code`, `detail`/`title` and
    /// `request_id` are taken from it.
    pub fn from_response(status: u16, request_id: Option<String>, body: Option<Value>) -> Self {
        let field = |name: &str| {
            body.as_ref()
                .and_then(|b| b.get(name))
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let code = field("code");
        let message = field("detail")
            .or_else(|| field("title"))
            .unwrap_or_else(|| format!("HTTP status {status}"));
        let request_id = request_id.or_else(|| field("request_id"));
        Self::from_inner(Inner {
            kind: ErrorKind::from_response(status, code.as_deref()),
            status: Some(status),
            code,
            message,
            request_id,
            body,
            attempts: None,
            source: None,
        })
    }

    /// A transport error from reqwest (connect, timeout, body, decode).
    pub fn from_reqwest(err: reqwest::Error) -> Self {
        let kind = if err.is_timeout() {
            ErrorKind::Timeout
        } else if err.is_decode() {
            ErrorKind::Decode
        } else if err.is_builder() {
            ErrorKind::InvalidArgument
        } else {
            ErrorKind::Connection
        };
        let message = match kind {
            ErrorKind::Timeout => format!("request timed out: {}", display_chain(&err)),
            _ => display_chain(&err),
        };
        let mut error = Self::new(kind, message);
        error.inner.status = err.status().map(|s| s.as_u16());
        error.inner.source = Some(Box::new(err));
        error
    }

    pub(crate) fn decode(message: impl Into<String>, source: Option<Source>) -> Self {
        let mut error = Self::new(ErrorKind::Decode, message);
        error.inner.source = source;
        error
    }

    /// A body that failed to decode on an error status is that HTTP error.
    pub(crate) fn with_response_status(self, status: Option<u16>) -> Self {
        match status {
            Some(status) if self.inner.kind == ErrorKind::Decode && status >= 400 => {
                let request_id = self.inner.request_id.clone();
                let body = self.inner.body.clone();
                Self::from_response(status, request_id, body)
            }
            _ => self,
        }
    }

    pub(crate) fn with_request_id(mut self, request_id: Option<String>) -> Self {
        if self.inner.request_id.is_none() {
            self.inner.request_id = request_id;
        }
        self
    }

    pub(crate) fn with_attempts(mut self, attempts: u32) -> Self {
        if attempts > 0 {
            self.inner.attempts = Some(attempts);
        }
        self
    }

    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.inner.status.get_or_insert(status);
        self
    }

    /// Broad category, for branching.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// HTTP status of the error response, if there was one.
    pub fn status(&self) -> Option<u16> {
        self.inner.status
    }

    /// The problem document's stable `code` (e.g. `not_found`).
    pub fn code(&self) -> Option<&str> {
        self.inner.code.as_deref()
    }

    /// Human-readable explanation.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The server's request id (`x-request-id`), to quote in support requests.
    pub fn request_id(&self) -> Option<&str> {
        self.inner.request_id.as_deref()
    }

    /// How many HTTP attempts `Client::call` made, retries included; `None`
    /// when the error came before any request was sent (or from `api()`).
    pub fn attempts(&self) -> Option<u32> {
        self.inner.attempts
    }

    /// The decoded error body (a problem document), if any.
    pub fn body(&self) -> Option<&Value> {
        self.inner.body.as_ref()
    }

    /// Whether the failure is of a kind the SDK's retry policy retries (see
    /// the crate README): a connection failure, a 408, 429, 500, 502, 503 or
    /// 504, or a 409 `idempotency_key_in_use`. The SDK retries these itself,
    /// for safe methods and keyed POST, PATCH and DELETE, up to
    /// `max_retries`; an error you see has used those retries up. A total
    /// timeout is not retryable.
    pub fn is_retryable(&self) -> bool {
        self.inner.kind == ErrorKind::Connection
            || matches!(self.inner.status, Some(408 | 429 | 500 | 502 | 503 | 504))
            || self.inner.code.as_deref() == Some("idempotency_key_in_use")
    }
}

fn display_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut next = err.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        next = cause.source();
    }
    out
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.inner.kind, self.inner.message)?;
        let mut extras = Vec::new();
        if let Some(status) = self.inner.status {
            extras.push(format!("status {status}"));
        }
        if let Some(code) = &self.inner.code {
            extras.push(format!("code {code}"));
        }
        if let Some(id) = &self.inner.request_id {
            extras.push(format!("request_id {id}"));
        }
        if !extras.is_empty() {
            write!(f, " ({})", extras.join(", "))?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

impl From<reqwest::Error> for Error {
    fn from(err: reqwest::Error) -> Self {
        Self::from_reqwest(err)
    }
}

/// Converts the generated client's typed errors. The error body type is
/// serialized back to JSON so that any problem schema the server declares
/// (`types::Problem` today) maps the same way.
///
/// `UnexpectedResponse` carries an unread body; this synchronous conversion
/// keeps its status and request id only. [`Client::call`](crate::Client::call)
/// reads such bodies before converting.
impl<E: serde::Serialize> From<progenitor_client::Error<E>> for Error {
    fn from(err: progenitor_client::Error<E>) -> Self {
        use progenitor_client::Error as P;
        match err {
            P::ErrorResponse(rv) => {
                let status = rv.status().as_u16();
                let request_id = crate::transport::request_id_of(rv.headers());
                let body = serde_json::to_value(rv.into_inner()).ok();
                Self::from_response(status, request_id, body)
            }
            P::UnexpectedResponse(resp) => {
                let request_id = crate::transport::request_id_of(resp.headers());
                Self::from_response(resp.status().as_u16(), request_id, None)
            }
            P::CommunicationError(e) | P::InvalidUpgrade(e) => Self::from_reqwest(e),
            P::ResponseBodyError(e) => {
                let mut error = Self::from_reqwest(e);
                if error.inner.kind == ErrorKind::Connection {
                    error.inner.kind = ErrorKind::Decode;
                }
                error
            }
            P::InvalidResponsePayload(bytes, e) => {
                // Error bodies that do not match the declared problem schema
                // (from a proxy, say) must still surface as HTTP errors; a
                // problem-like body says which status it was.
                let body = serde_json::from_slice::<Value>(&bytes).ok();
                let status = body
                    .as_ref()
                    .and_then(|b| b.get("status"))
                    .and_then(Value::as_u64)
                    .and_then(|s| u16::try_from(s).ok())
                    .filter(|s| (400..600).contains(s));
                if let Some(status) = status {
                    return Self::from_response(status, None, body);
                }
                let mut error = Self::decode(
                    format!("response body does not match the API schema: {e}"),
                    Some(Box::new(e)),
                );
                error.inner.body = Some(body.unwrap_or_else(|| {
                    Value::String(String::from_utf8_lossy(&bytes).into_owned())
                }));
                error
            }
            P::InvalidRequest(message) => Self::invalid_argument(message),
            P::Custom(message) => Self::new(ErrorKind::InvalidArgument, message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn undecodable_error_bodies_stay_http_errors() {
        let bytes = bytes::Bytes::from_static(br#"{"status": 503, "code": "unavailable"}"#);
        let e = serde_json::from_slice::<u8>(b"x").unwrap_err();
        let err: Error = progenitor_client::Error::<()>::InvalidResponsePayload(bytes, e).into();
        assert_eq!(err.kind(), ErrorKind::Server);
        assert_eq!(err.status(), Some(503));

        let bytes = bytes::Bytes::from_static(b"<html>Bad Gateway</html>");
        let e = serde_json::from_slice::<u8>(b"x").unwrap_err();
        let err: Error = progenitor_client::Error::<()>::InvalidResponsePayload(bytes, e).into();
        assert_eq!(err.kind(), ErrorKind::Decode);
        assert_eq!(err.body(), Some(&json!("<html>Bad Gateway</html>")));
        let err = err.with_response_status(Some(502));
        assert_eq!(err.kind(), ErrorKind::Server);
        assert_eq!(err.status(), Some(502));
        assert_eq!(err.message(), "HTTP status 502");
    }

    #[test]
    fn code_wins_over_status() {
        let body = json!({"code": "validation_failed", "detail": "title must not be empty",
                          "status": 400, "request_id": "req-1"});
        let err = Error::from_response(400, None, Some(body));
        assert_eq!(err.kind(), ErrorKind::Validation);
        assert_eq!(err.code(), Some("validation_failed"));
        assert_eq!(err.message(), "title must not be empty");
        assert_eq!(err.request_id(), Some("req-1"));
    }

    #[test]
    fn status_fallback_and_header_request_id() {
        let err = Error::from_response(503, Some("hdr".into()), None);
        assert_eq!(err.kind(), ErrorKind::Server);
        assert_eq!(err.request_id(), Some("hdr"));
        assert_eq!(err.message(), "HTTP status 503");
        assert!(err.is_retryable());
        assert_eq!(
            Error::from_response(418, None, None).kind(),
            ErrorKind::BadRequest
        );
        assert_eq!(
            Error::from_response(401, None, None).kind(),
            ErrorKind::Authentication
        );
    }

    #[test]
    fn retryable_errors_follow_the_retry_policy() {
        let retryable = |status, code: &str| {
            let body = json!({"code": code, "detail": "x"});
            Error::from_response(status, None, Some(body)).is_retryable()
        };
        for status in [408, 429, 500, 502, 503, 504] {
            assert!(retryable(status, "whatever"), "{status}");
        }
        assert!(retryable(409, "idempotency_key_in_use"));
        assert!(!retryable(409, "conflict"));
        for status in [400, 401, 403, 404, 422, 501] {
            assert!(!retryable(status, "whatever"), "{status}");
        }
        assert_eq!(
            Error::from_response(409, None, Some(json!({"code": "idempotency_key_in_use"}))).kind(),
            ErrorKind::Conflict
        );
        assert!(Error::new(ErrorKind::Connection, "refused").is_retryable());
        assert!(!Error::new(ErrorKind::Timeout, "slow").is_retryable());
    }

    #[test]
    fn display_names_kind_status_code_and_request_id() {
        let body = json!({"code": "not_found", "title": "Not Found"});
        let err = Error::from_response(404, Some("r-9".into()), Some(body));
        assert_eq!(
            err.to_string(),
            "not_found: Not Found (status 404, code not_found, request_id r-9)"
        );
    }

    #[test]
    fn progenitor_error_response_converts() {
        let headers = {
            let mut h = reqwest::header::HeaderMap::new();
            h.insert("x-request-id", "abc".parse().unwrap());
            h
        };
        let rv = progenitor_client::ResponseValue::new(
            json!({"code": "forbidden", "detail": "role viewer may not write"}),
            reqwest::StatusCode::FORBIDDEN,
            headers,
        );
        let err: Error = progenitor_client::Error::ErrorResponse(rv).into();
        assert_eq!(err.kind(), ErrorKind::Permission);
        assert_eq!(err.status(), Some(403));
        assert_eq!(err.request_id(), Some("abc"));
        assert_eq!(err.message(), "role viewer may not write");
    }
}
