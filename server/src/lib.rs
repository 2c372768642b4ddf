//! mismatch-server: the reference HTTP API of mismatch-recruiter.
//!
//! [`app`] builds the whole service (routes, OpenAPI document, Swagger UI
//! and the middleware stack) for a given [`AppState`]; `main` only parses
//! the command line (see [`cli`]).

pub mod access;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod cli;
pub mod config;
pub mod error;
pub mod extract;
pub mod idempotency;
pub mod identity;
pub mod ids;
pub mod listener;
pub mod match_index;
pub mod middleware;
pub mod models;
pub mod openapi;
pub mod rate_limit;
pub mod routes;
pub mod services;
pub mod state;
pub mod storage;
pub mod tls;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use tower::util::option_layer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;
use utoipa_swagger_ui::SwaggerUi;

pub use state::AppState;

/// The complete HTTP service.
pub fn app(state: AppState) -> Router {
    let limits = rate_limit::RateLimits::from_settings(state.settings());
    app_with_rate_limits(state, limits)
}

/// [`app`] with the given rate limiters (tests drive their clock).
pub fn app_with_rate_limits(state: AppState, limits: rate_limit::RateLimits) -> Router {
    let (api, spec) = openapi::router_and_spec();
    let settings = state.settings().clone();
    let state_for_audit = state.clone();
    let api = api
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            idempotency::layer,
        ))
        .layer(axum::middleware::from_fn(auth::key_warning_layer))
        .route_layer(axum::middleware::from_fn_with_state(
            std::sync::Arc::new(audit::Actions::from_spec(&spec)),
            audit::route_layer,
        ));
    let trusted = std::sync::Arc::new(rate_limit::TrustedProxies::new(
        settings.rate_limit.trusted_proxies.clone(),
    ));
    Router::new()
        .merge(api)
        .merge(
            SwaggerUi::new("/docs")
                .url("/openapi.json", spec)
                // No badge from validator.swagger.io: the page would send the
                // spec's URL there, and the docs CSP loads nothing off-site.
                .config(utoipa_swagger_ui::Config::default().validator_url("none")),
        )
        .fallback(middleware::not_found)
        .with_state(state)
        .layer(DefaultBodyLimit::max(settings.max_body_bytes))
        .layer(RequestBodyLimitLayer::new(settings.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(settings.request_timeout_secs),
        ))
        .layer(axum::middleware::from_fn_with_state(
            std::sync::Arc::new(limits),
            rate_limit::layer,
        ))
        .layer(axum::middleware::from_fn_with_state(
            (state_for_audit, trusted),
            audit::layer,
        ))
        .layer(axum::middleware::from_fn(middleware::request_context))
        .layer(option_layer(middleware::cors_layer(&settings.cors_origins)))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(PropagateRequestIdLayer::new(middleware::X_REQUEST_ID))
        .layer(SetRequestIdLayer::new(
            middleware::X_REQUEST_ID,
            middleware::MakeUlidRequestId,
        ))
        .layer(axum::middleware::from_fn(middleware::security_headers))
}

/// The log span of a request: method, path (not the query string, which may
/// hold personal data) and request id. Headers are never logged: they carry
/// API keys.
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let request_id = request
        .headers()
        .get(middleware::X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id = %request_id,
    )
}
