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
    /// Stable machine-readable code: `unauthorized`, `forbidden`, `not_found`,
    /// `validation_failed`, `malformed_request`, `payload_too_large`,
    /// `unsupported_media_type`, `unreadable_document`, `empty_document`,
    /// `encrypted_document`, `idempotency_key_reused`, `conflict`,
    /// `method_not_allowed`, `rate_limited`, `internal` or `unavailable`.
    pub code: String,
    /// Id of the request (also in the `X-Request-Id` response header).
    pub request_id: String,
    /// Per-field problems (empty unless `code` is `validation_failed`).
    pub errors: Vec<FieldError>,
}

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    /// The field, as a dotted path into the request (`weights.skills`), or a
    /// query parameter or header name.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// An error answered to the client.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
    pub errors: Vec<FieldError>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", detail)
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", detail)
    }

    pub fn malformed(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "malformed_request", detail)
    }

    pub fn unsupported_media_type(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            detail,
        )
    }

    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the request body exceeds the limit of {limit} bytes"),
        )
    }

    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", detail)
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
            code: "validation_failed",
            detail: if detail.is_empty() {
                "the request is invalid".to_owned()
            } else {
                detail
            },
            errors,
        }
    }

    /// An unexpected failure: the detail is logged, the client gets a generic
    /// message (internal errors can reveal SQL, paths or secrets).
    pub fn internal(err: impl std::fmt::Display) -> Self {
        let request_id = current_request_id();
        tracing::error!(request_id = %request_id.as_deref().unwrap_or("-"), error = %err, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "an internal error occurred; quote the request id when reporting it",
        )
    }

    /// The problem document for this error.
    pub fn to_problem(&self) -> Problem {
        Problem {
            type_url: format!("{TYPE_BASE}{}", self.code),
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code.to_owned(),
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
        write!(f, "{} ({}): {}", self.code, self.status, self.detail)
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
            other => ApiError::internal(other),
        }
    }
}

impl From<mismatch_core::resume::ParseError> for ApiError {
    fn from(err: mismatch_core::resume::ParseError) -> Self {
        let code = err.code();
        let status = if code == "unsupported_media_type" {
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        ApiError::new(status, code, err.to_string())
    }
}

/// The stable code used for a bare status produced outside the handlers
/// (tower layers, routing fallbacks).
pub fn code_for_status(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "malformed_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        409 => "conflict",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        422 => "validation_failed",
        429 => "rate_limited",
        503 | 504 | 408 => "unavailable",
        s if s >= 500 => "internal",
        _ => "malformed_request",
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
        assert_eq!(problem.code, "internal");
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
    }
}
