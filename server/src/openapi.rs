//! The OpenAPI document, assembled from the routes' annotations. The
//! committed `openapi.json` must equal [`spec_json`] (`mismatch-server
//! openapi`); a test enforces it.

use axum::Router;
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::error::{FieldError, Problem};
use crate::routes;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "mismatch-recruiter API",
        description = "Parse resumes, store candidates and job postings, explain how well a candidate fits a job, rank both ways and predict salaries.\n\nAuthenticate with an API key: `Authorization: Bearer mm_…` or `X-API-Key: mm_…`. Errors are RFC 9457 `application/problem+json` documents with a stable `code`. A POST may carry `Idempotency-Key` (1–255 characters): repeating it with the same body replays the first response (header `Idempotent-Replayed: true`) for 24 hours; with a different body it fails with `idempotency_key_reused`. Every response carries `X-Request-Id`."
    ),
    modifiers(&SecuritySchemes),
    components(schemas(Problem, FieldError)),
    tags(
        (name = "health", description = "Liveness and readiness probes"),
        (name = "api-keys", description = "API keys: create, list, revoke, rotate"),
        (name = "candidates", description = "Candidates parsed from resumes"),
        (name = "jobs", description = "Job postings"),
        (name = "matches", description = "Candidate–job fit and rankings"),
        (name = "salary", description = "Salary predictions"),
        (name = "interviews", description = "Interview questions for a candidate and a job"),
    )
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("mm_ API key")
                    .description(Some("`Authorization: Bearer mm_…`"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-API-Key",
                "The same API key in the `X-API-Key` header",
            ))),
        );
    }
}

/// The routes together with the document describing them.
pub fn router_and_spec() -> (Router<AppState>, OpenApiDoc) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(routes::health::router())
        .nest("/v1", routes::v1::router())
        .split_for_parts()
}

/// The OpenAPI document.
pub fn spec() -> OpenApiDoc {
    router_and_spec().1
}

/// The document as committed in `openapi.json`: pretty JSON and a newline.
pub fn spec_json() -> String {
    let mut json = spec()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    json.push('\n');
    json
}
