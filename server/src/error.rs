//! The one error type of the server, rendered as RFC 9457 problem+json.
//!
//! Every failure a client can see goes through [`ApiError`]: handler errors,
//! extractor rejections (see [`crate::extract`]) and plain error responses
//! produced by tower layers (converted by [`crate::middleware`]). The stable
//! `code` is the contract; `title` and `detail` are for humans.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Content type of every error body.
pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";
const TYPE_BASE: &str = "https://docs.mismatch.dev/errors/";

tokio::task_local! {
    /// The request id of the request being served, so errors built deep in a
    /// handler can carry it without threading it through every call.
    pub static REQUEST_ID: String;
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// URI identifying the problem type; ends in `code`.
    #[serde(rename = "type")]
    pub type_url: String,
    /// Short human-readable summary of the problem type.
    pub title: String,
    /// HTTP status code.
    pub status: u16,
    /// Human-readable explanation of this occurrence.
    pub detail: String,
    /// Stable machine-readable code.
    pub code: ErrorCode,
    /// Id of the request (also in the `X-Request-Id` response header).
    pub request_id: String,
    /// Per-field problems (empty unless `code` is `validation_failed`).
    pub errors: Vec<FieldError>,
}

/// The stable machine-readable code of every error the API answers. The
/// contract clients branch on: a code is never renamed or reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400: the body or a header is not well-formed.
    MalformedRequest,
    /// 401: missing, malformed, unknown, revoked or expired API key.
    Unauthorized,
    /// 403: the key lacks the scope or role the operation needs.
    Forbidden,
    /// 404: no such resource or route.
    NotFound,
    /// 405: the route exists with other methods.
    MethodNotAllowed,
    /// 409: the resource's state forbids the operation.
    Conflict,
    /// 409 with `Retry-After`: a request with this Idempotency-Key is still
    /// being processed.
    IdempotencyKeyInUse,
    /// 412: `If-Match` names a version other than the current one.
    PreconditionFailed,
    /// 413: the body is larger than the configured limit.
    PayloadTooLarge,
    /// 413: the document expands to more than the documented limits.
    DocumentTooLarge,
    /// 415: the body's media type is not accepted.
    UnsupportedMediaType,
    /// 422: one or more fields are invalid (see `errors`).
    ValidationFailed,
    /// 422: the Idempotency-Key was used with a different request.
    IdempotencyKeyReused,
    /// 422: the document has no text.
    EmptyDocument,
    /// 422: the document is password protected.
    EncryptedDocument,
    /// 422: the document claims a supported format but cannot be read.
    UnreadableDocument,
    /// 401: login failed: unknown email or wrong password (the two are not
    /// told apart).
    InvalidCredentials,
    /// 401: the second-factor code (or backup code) is wrong, expired or
    /// already used.
    InvalidTwoFactorCode,
    /// 401: the API key is older than the configured maximum age
    /// (`MISMATCH_API_KEY_MAX_AGE_DAYS`); rotate or replace it.
    ApiKeyTooOld,
    /// 403: the account is disabled.
    AccountDisabled,
    /// 403: the 2FA policy requires this user to enrol a second factor
    /// first; only enrolment is allowed until then.
    TwoFactorEnrollmentRequired,
    /// 429 with `Retry-After`: too many failed logins for this account or
    /// address; wait before trying again.
    LoginLocked,
    /// 429 with `Retry-After`: the client's address or account has used its
    /// requests per minute; the `RateLimit-*` headers tell the budget.
    RateLimited,
    /// 409: stored values open under no key of the server's encryption
    /// keyring (`MISMATCH_ENCRYPTION_KEYS` lacks a key they were written
    /// under); a key rotation refuses to start and changes nothing.
    EncryptionKeyMissing,
    /// 500: unexpected; quote the request id.
    Internal,
    /// 503 with `Retry-After`: the database (or the server) cannot serve
    /// now, or the request took longer than the configured limit.
    Unavailable,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MalformedRequest => "malformed_request",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::Conflict => "conflict",
            ErrorCode::IdempotencyKeyInUse => "idempotency_key_in_use",
            ErrorCode::PreconditionFailed => "precondition_failed",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::DocumentTooLarge => "document_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::ValidationFailed => "validation_failed",
            ErrorCode::IdempotencyKeyReused => "idempotency_key_reused",
            ErrorCode::EmptyDocument => "empty_document",
            ErrorCode::EncryptedDocument => "encrypted_document",
            ErrorCode::UnreadableDocument => "unreadable_document",
            ErrorCode::InvalidCredentials => "invalid_credentials",
            ErrorCode::InvalidTwoFactorCode => "invalid_two_factor_code",
            ErrorCode::ApiKeyTooOld => "api_key_too_old",
            ErrorCode::AccountDisabled => "account_disabled",
            ErrorCode::TwoFactorEnrollmentRequired => "two_factor_enrollment_required",
            ErrorCode::LoginLocked => "login_locked",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::EncryptionKeyMissing => "encryption_key_missing",
            ErrorCode::Internal => "internal",
            ErrorCode::Unavailable => "unavailable",
        }
    }

    /// The HTTP status this code is answered with.
    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::MalformedRequest => StatusCode::BAD_REQUEST,
            ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::Conflict
            | ErrorCode::IdempotencyKeyInUse
            | ErrorCode::EncryptionKeyMissing => StatusCode::CONFLICT,
            ErrorCode::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ErrorCode::PayloadTooLarge | ErrorCode::DocumentTooLarge => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::ValidationFailed
            | ErrorCode::IdempotencyKeyReused
            | ErrorCode::EmptyDocument
            | ErrorCode::EncryptedDocument
            | ErrorCode::UnreadableDocument => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidCredentials
            | ErrorCode::InvalidTwoFactorCode
            | ErrorCode::ApiKeyTooOld => StatusCode::UNAUTHORIZED,
            ErrorCode::AccountDisabled | ErrorCode::TwoFactorEnrollmentRequired => {
                StatusCode::FORBIDDEN
            }
            ErrorCode::LoginLocked | ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// Every code, for tests and documentation.
    pub const ALL: [ErrorCode; 26] = [
        ErrorCode::MalformedRequest,
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::Conflict,
        ErrorCode::IdempotencyKeyInUse,
        ErrorCode::PreconditionFailed,
        ErrorCode::PayloadTooLarge,
        ErrorCode::DocumentTooLarge,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::ValidationFailed,
        ErrorCode::IdempotencyKeyReused,
        ErrorCode::EmptyDocument,
        ErrorCode::EncryptedDocument,
        ErrorCode::UnreadableDocument,
        ErrorCode::InvalidCredentials,
        ErrorCode::InvalidTwoFactorCode,
        ErrorCode::ApiKeyTooOld,
        ErrorCode::AccountDisabled,
        ErrorCode::TwoFactorEnrollmentRequired,
        ErrorCode::LoginLocked,
        ErrorCode::RateLimited,
        ErrorCode::EncryptionKeyMissing,
        ErrorCode::Internal,
        ErrorCode::Unavailable,
    ];
}

/// How long a client should wait before retrying a 503.
pub const RETRY_AFTER_SECS: u64 = 5;

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    /// The field, as a dotted path into the request (`weights.skills`), or a
    /// query parameter or header name.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// An error answered to the client.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub detail: String,
    pub errors: Vec<FieldError>,
    /// Seconds for `Retry-After` (503 always carries one).
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// The same error, telling the client to wait `secs` before retrying.
    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    /// An error with `code`'s usual status.
    pub fn coded(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self::with_status(code.status(), code, detail)
    }

    /// An error whose status differs from `code`'s usual one (a bare status
    /// produced outside the handlers).
    pub fn with_status(status: StatusCode, code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
        }
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::coded(ErrorCode::Unauthorized, detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::coded(ErrorCode::Forbidden, detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::coded(ErrorCode::NotFound, detail)
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::coded(ErrorCode::Conflict, detail)
    }

    pub fn malformed(detail: impl Into<String>) -> Self {
        Self::coded(ErrorCode::MalformedRequest, detail)
    }

    pub fn unsupported_media_type(detail: impl Into<String>) -> Self {
        Self::coded(ErrorCode::UnsupportedMediaType, detail)
    }

    pub fn payload_too_large(limit: usize) -> Self {
        Self::coded(
            ErrorCode::PayloadTooLarge,
            format!("the request body exceeds the limit of {limit} bytes"),
        )
    }

    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::coded(ErrorCode::Unavailable, detail)
    }

    /// A 422 naming one invalid field.
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::validation_many(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    /// A 422 naming every invalid field.
    pub fn validation_many(errors: Vec<FieldError>) -> Self {
        let detail = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: ErrorCode::ValidationFailed,
            detail: if detail.is_empty() {
                "the request is invalid".to_owned()
            } else {
                detail
            },
            errors,
            retry_after: None,
        }
    }

    /// An unexpected failure: the detail is logged, the client gets a generic
    /// message (internal errors can reveal SQL, paths or secrets).
    pub fn internal(err: impl std::fmt::Display) -> Self {
        let request_id = current_request_id();
        tracing::error!(request_id = %request_id.as_deref().unwrap_or("-"), error = %err, "internal error");
        Self::coded(
            ErrorCode::Internal,
            "an internal error occurred; quote the request id when reporting it",
        )
    }

    /// The problem document for this error.
    pub fn to_problem(&self) -> Problem {
        Problem {
            type_url: format!("{TYPE_BASE}{}", self.code.as_str()),
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code,
            request_id: current_request_id().unwrap_or_default(),
            errors: self.errors.clone(),
        }
    }
}

/// The id of the request being served, if called inside one.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.code.as_str(),
            self.status,
            self.detail
        )
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = self.to_problem();
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (self.status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(PROBLEM_CONTENT_TYPE),
        );
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        } else if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"mismatch\""),
            );
        }
        response
    }
}

impl From<crate::storage::StorageError> for ApiError {
    fn from(err: crate::storage::StorageError) -> Self {
        match err {
            crate::storage::StorageError::Unavailable(e) => {
                tracing::error!(error = %e, "database unavailable");
                ApiError::unavailable("the database is unavailable; retry later")
            }
            crate::storage::StorageError::SchemaMissing => {
                tracing::error!("database schema missing");
                ApiError::unavailable("the database is unavailable; retry later")
            }
            other => ApiError::internal(other),
        }
    }
}

impl From<mismatch_core::resume::ParseError> for ApiError {
    fn from(err: mismatch_core::resume::ParseError) -> Self {
        let code = match err.code() {
            "unsupported_media_type" => ErrorCode::UnsupportedMediaType,
            "empty_document" => ErrorCode::EmptyDocument,
            "encrypted_document" => ErrorCode::EncryptedDocument,
            "document_too_large" => ErrorCode::DocumentTooLarge,
            "parse_timeout" => ErrorCode::Unavailable,
            _ => ErrorCode::UnreadableDocument,
        };
        ApiError::coded(code, err.to_string())
    }
}

/// The stable code used for a bare status produced outside the handlers
/// (tower layers, routing fallbacks).
pub fn code_for_status(status: StatusCode) -> ErrorCode {
    match status.as_u16() {
        400 => ErrorCode::MalformedRequest,
        401 => ErrorCode::Unauthorized,
        403 => ErrorCode::Forbidden,
        404 => ErrorCode::NotFound,
        405 => ErrorCode::MethodNotAllowed,
        409 => ErrorCode::Conflict,
        412 => ErrorCode::PreconditionFailed,
        413 => ErrorCode::PayloadTooLarge,
        415 => ErrorCode::UnsupportedMediaType,
        422 => ErrorCode::ValidationFailed,
        429 => ErrorCode::RateLimited,
        503 | 504 | 408 => ErrorCode::Unavailable,
        s if s >= 500 => ErrorCode::Internal,
        _ => ErrorCode::MalformedRequest,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_hide_their_detail() {
        let problem =
            ApiError::internal("relation \"api_keys\" does not exist at /srv/db").to_problem();
        assert_eq!(problem.status, 500);
        assert_eq!(problem.code, ErrorCode::Internal);
        assert!(!problem.detail.contains("api_keys"));
        assert!(problem.type_url.ends_with("/internal"));
    }

    #[test]
    fn validation_lists_every_field() {
        let err = ApiError::validation_many(vec![
            FieldError {
                field: "a".into(),
                message: "bad".into(),
            },
            FieldError {
                field: "b.c".into(),
                message: "worse".into(),
            },
        ]);
        let p = err.to_problem();
        assert_eq!(p.status, 422);
        assert_eq!(p.detail, "a: bad; b.c: worse");
        assert_eq!(p.errors.len(), 2);
        assert_eq!(p.title, "Unprocessable Entity");
    }

    #[tokio::test]
    async fn problems_carry_the_current_request_id() {
        let p = REQUEST_ID
            .scope("req_test".to_owned(), async {
                ApiError::not_found("x").to_problem()
            })
            .await;
        assert_eq!(p.request_id, "req_test");
        let response = ApiError::unauthorized("no key").into_response();
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            PROBLEM_CONTENT_TYPE
        );
        assert!(response.headers().contains_key(header::WWW_AUTHENTICATE));
        let response = ApiError::unavailable("down").into_response();
        assert_eq!(response.headers()[header::RETRY_AFTER], "5");
    }

    #[test]
    fn every_code_has_a_distinct_name_and_its_status() {
        let mut names: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ErrorCode::ALL.len());
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(code_for_status(code.status()).status(), code.status());
        }
    }
}
