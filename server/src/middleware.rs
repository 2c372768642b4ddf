//! Cross-cutting request handling: request ids, the error-shape guarantee
//! and the layer stack.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestId, RequestId};

use crate::config::CorsOrigins;
use crate::error::{ApiError, PROBLEM_CONTENT_TYPE, REQUEST_ID, code_for_status};
use crate::listener::ServedOverTls;

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Request ids for requests that come without one: a ULID (sortable by time).
#[derive(Debug, Clone, Copy, Default)]
pub struct MakeUlidRequestId;

impl MakeRequestId for MakeUlidRequestId {
    fn make_request_id<B>(&mut self, _request: &axum::http::Request<B>) -> Option<RequestId> {
        HeaderValue::from_str(&format!("req_{}", ulid::Ulid::generate()))
            .ok()
            .map(RequestId::new)
    }
}

/// Makes the request id available to error rendering, and turns any error
/// response that is not yet problem+json (from tower layers, routing or axum
/// itself) into one, so clients see a single error shape.
pub async fn request_context(request: Request, next: Next) -> Response {
    let request_id = request
        .headers()
        .get(X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    REQUEST_ID
        .scope(request_id, async move {
            let response = next.run(request).await;
            ensure_problem(response).await
        })
        .await
}

async fn ensure_problem(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with(PROBLEM_CONTENT_TYPE));
    if is_problem {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 4096)
        .await
        .unwrap_or_else(|_| Bytes::new());
    let text = String::from_utf8_lossy(&text).trim().to_owned();
    let detail = if status.is_server_error() || text.is_empty() {
        default_detail(status)
    } else {
        text
    };
    let mut converted =
        ApiError::with_status(status, code_for_status(status), detail).into_response();
    // Keep headers such as Allow (405) or Retry-After.
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            converted.headers_mut().insert(name.clone(), value.clone());
        }
    }
    converted
}

fn default_detail(status: StatusCode) -> String {
    match status {
        StatusCode::NOT_FOUND => "no such resource".to_owned(),
        StatusCode::METHOD_NOT_ALLOWED => "this method is not allowed on this resource".to_owned(),
        StatusCode::PAYLOAD_TOO_LARGE => {
            "the request body is larger than the configured limit".to_owned()
        }
        StatusCode::SERVICE_UNAVAILABLE => {
            "the request took too long or the service is unavailable; retry later".to_owned()
        }
        s => s.canonical_reason().unwrap_or("error").to_lowercase(),
    }
}

/// The API's responses are data, never pages: nothing may load from them, and
/// no page may frame them (OWASP's policy for REST APIs).
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// Swagger UI under `/docs`: its index.html loads only its own files (the
/// initializer is a file, `swagger-initializer.js`, not an inline script),
/// swagger-ui.css draws icons from `data:` images, and "Try it out" calls
/// this same origin. No inline script, no eval; the one inline style is the
/// `<style>` of the top bar's SVG logo, allowed by its hash
/// ([`DOCS_LOGO_STYLE`]; a test ties it to the vendored Swagger UI).
pub const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; \
style-src 'self' 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='; \
img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; \
form-action 'none'; frame-ancestors 'none'";

/// The text of that `<style>` element (swagger-ui-standalone-preset.js);
/// its SHA-256 is the hash in [`DOCS_CSP`].
pub const DOCS_LOGO_STYLE: &str =
    ".logo_small_svg__cls-2{fill:#fff}.logo_small_svg__cls-3{fill:#85ea2d}";

/// HSTS, sent only on responses served over TLS: one year, subdomains too.
pub const HSTS: &str = "max-age=31536000; includeSubDomains";

/// Security headers on every response: `nosniff`, frame denial (also
/// `frame-ancestors` in the CSP), no referrer, a CSP (Swagger UI's own under
/// `/docs`), and HSTS when the connection is TLS ([`ServedOverTls`]).
pub async fn security_headers(request: Request, next: Next) -> Response {
    let over_tls = request.extensions().get::<ServedOverTls>().is_some();
    let path = request.uri().path();
    let docs = path == "/docs" || path.starts_with("/docs/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let csp = if docs { DOCS_CSP } else { API_CSP };
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if over_tls {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    response
}

/// Routing fallback: unknown paths are `404 not_found` problems.
pub async fn not_found(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError::not_found(format!("no route for {method} {}", uri.path()))
}

/// The CORS policy, or `None` when browsers should be limited to same-origin.
pub fn cors_layer(origins: &CorsOrigins) -> Option<CorsLayer> {
    let allow_origin = match origins {
        CorsOrigins::Disabled => return None,
        CorsOrigins::Any => AllowOrigin::any(),
        CorsOrigins::List(list) => {
            AllowOrigin::list(list.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
        }
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow_origin)
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PATCH,
                Method::DELETE,
                Method::OPTIONS,
            ])
            // Mirrored rather than listed: the generated SDK clients send
            // `api-version`, and SDK interceptors may add any header (tracing).
            // Credentials are never allowed, so this grants no ambient access.
            .allow_headers(AllowHeaders::mirror_request())
            .expose_headers([
                X_REQUEST_ID,
                header::RETRY_AFTER,
                HeaderName::from_static("idempotent-replayed"),
            ])
            .max_age(Duration::from_secs(600)),
    )
}
