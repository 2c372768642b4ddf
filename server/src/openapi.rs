//! The OpenAPI document, assembled from the routes' annotations. The
//! committed `openapi.json` must equal [`spec_json`] (`mismatch-server
//! openapi`); a test enforces it.

use axum::Router;
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::ObjectBuilder;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder, Type};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::access::{self, Rule};
use crate::error::{ErrorCode, FieldError, Problem};
use crate::routes;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "mismatch-recruiter API",
        description = "Parse resumes, store candidates and job postings, explain how well a candidate fits a job, rank both ways and predict salaries.\n\nAuthenticate with an API key: `Authorization: Bearer mm_…` or `X-API-Key: mm_…`. Errors are RFC 9457 `application/problem+json` documents with a stable `code`. A POST may carry `Idempotency-Key` (1–255 characters): repeating it with the same body replays the first response (header `Idempotent-Replayed: true`) for 24 hours; with a different body it fails with `idempotency_key_reused`. Every response carries `X-Request-Id`. Requests are rate limited per client address and per account: over a limit the answer is `429` (`rate_limited`) with `Retry-After`, and responses carry `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (seconds) of the budget closest to running out."
    ),
    modifiers(&SecuritySchemes),
    components(schemas(Problem, FieldError, ErrorCode)),
    tags(
        (name = "health", description = "Liveness and readiness probes"),
        (name = "auth", description = "Log in (email, password, second factor), refresh and log out; the keys that verify access tokens"),
        (name = "users", description = "Users who log in: admins manage them; each manages its own password and second factor"),
        (name = "api-keys", description = "API keys: create, list, revoke, rotate"),
        (name = "candidates", description = "Candidates parsed from resumes"),
        (name = "jobs", description = "Job postings"),
        (name = "matches", description = "Candidate–job fit and rankings"),
        (name = "salary", description = "Salary predictions"),
        (name = "interviews", description = "Interview questions for a candidate and a job"),
        (name = "encryption", description = "Rotation of the keys that encrypt data at rest (admins)"),
        (name = "audit", description = "The append-only, hash-chained audit log (admins)"),
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

/// A problem+json response.
fn problem(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            crate::error::PROBLEM_CONTENT_TYPE,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}

/// Responses every authenticated operation can give, and those every
/// operation with a JSON body can give: declared here once instead of in
/// each route's annotation. A route's own description of the same status
/// (a more specific one) wins.
fn add_common_responses(op: &mut Operation, rate_limited: bool) {
    let mut add = |status: &str, response: Response| {
        op.responses
            .responses
            .entry(status.to_owned())
            .or_insert(RefOr::T(response));
    };
    let mut unavailable = problem(
        "The database is unavailable or the request took too long (`unavailable`); retry after `Retry-After` seconds",
    );
    unavailable.headers.insert(
        "Retry-After".to_owned(),
        HeaderBuilder::new()
            .schema(Some(ObjectBuilder::new().schema_type(Type::Integer)))
            .description(Some("Seconds to wait before retrying"))
            .build()
            .into(),
    );
    let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
    let json_body = matches!(
        &op.request_body,
        Some(RefOr::T(b)) if b.content.keys().any(|ct| ct == "application/json")
    );
    if json_body {
        add("400", problem("Malformed JSON (`malformed_request`)"));
        add(
            "413",
            problem("Body larger than the configured limit (`payload_too_large`)"),
        );
        add(
            "415",
            problem("The body is not `application/json` (`unsupported_media_type`)"),
        );
        add(
            "422",
            problem("Invalid field (`validation_failed`, see `errors`)"),
        );
    }
    if secured {
        add(
            "401",
            problem("Missing, invalid, revoked or expired API key (`unauthorized`)"),
        );
        add(
            "403",
            problem("The key lacks the scope or role this operation needs (`forbidden`)"),
        );
        add(
            "500",
            problem("Internal error (`internal`); quote the request id"),
        );
        add("503", unavailable);
    }
    if rate_limited {
        add("429", too_many_requests());
    }
}

/// 429 `rate_limited` with the headers of the spent budget
/// ([`crate::rate_limit`]).
fn too_many_requests() -> Response {
    let mut response = problem(
        "Too many requests from this address or for this account (`rate_limited`); retry after `Retry-After` seconds",
    );
    let integer = |description: &str| {
        HeaderBuilder::new()
            .schema(Some(ObjectBuilder::new().schema_type(Type::Integer)))
            .description(Some(description))
            .build()
            .into()
    };
    for (name, description) in [
        ("Retry-After", "Seconds to wait before retrying"),
        (
            "RateLimit-Limit",
            "Requests allowed per minute by the spent budget",
        ),
        ("RateLimit-Remaining", "Requests left in it now (0)"),
        ("RateLimit-Reset", "Seconds until it is full again"),
    ] {
        response
            .headers
            .insert(name.to_owned(), integer(description));
    }
    response
}

/// Security requirements from [`access::RULES`]: a secured operation names
/// its scope under both schemes (OpenAPI 3.1 lets non-OAuth schemes list the
/// roles or scopes they need). Panics when an operation has no rule, or a
/// rule names no operation, so neither can ship.
struct AccessRules;

impl Modify for AccessRules {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let mut seen = Vec::new();
        for (path, item) in openapi.paths.paths.iter_mut() {
            for (method, op) in [
                ("GET", &mut item.get),
                ("POST", &mut item.post),
                ("PUT", &mut item.put),
                ("PATCH", &mut item.patch),
                ("DELETE", &mut item.delete),
            ] {
                let Some(op) = op else { continue };
                let id = op.operation_id.clone().unwrap_or_default();
                let rule = access::rule(&id).unwrap_or_else(|| {
                    panic!("{method} {path} ({id}) has no access rule in server/src/access.rs")
                });
                op.security = match rule {
                    Rule::Public => None,
                    Rule::Authenticated => Some(vec![
                        SecurityRequirement::new("bearer", Vec::<String>::new()),
                        SecurityRequirement::new("api_key", Vec::<String>::new()),
                    ]),
                    Rule::Scope(scope) => Some(vec![
                        SecurityRequirement::new("bearer", [scope.as_str()]),
                        SecurityRequirement::new("api_key", [scope.as_str()]),
                    ]),
                };
                seen.push(id);
            }
        }
        for (id, _) in access::RULES {
            assert!(
                seen.iter().any(|s| s == id),
                "server/src/access.rs has a rule for {id}, which no route serves"
            );
        }
    }
}

struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let rate_limited = !crate::rate_limit::is_exempt(path);
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                add_common_responses(op, rate_limited);
            }
        }
    }
}

/// The routes together with the document describing them.
pub fn router_and_spec() -> (Router<AppState>, OpenApiDoc) {
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(routes::health::router())
        .merge(routes::well_known::router())
        .nest("/v1", routes::v1::router())
        .split_for_parts();
    AccessRules.modify(&mut doc);
    CommonResponses.modify(&mut doc);
    (router, doc)
}

/// The OpenAPI document.
pub fn spec() -> OpenApiDoc {
    router_and_spec().1
}

/// The role × operation matrix of `docs/api.md`, for the operations of the
/// document in its order.
pub fn access_matrix() -> String {
    let doc = spec();
    let mut operations = Vec::new();
    for (path, item) in &doc.paths.paths {
        for (method, op) in [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ] {
            if let Some(op) = op {
                let id = op.operation_id.clone().unwrap_or_default();
                operations.push((id, method.to_owned(), path.clone()));
            }
        }
    }
    access::matrix_markdown(&operations)
}

/// The document as committed in `openapi.json`: pretty JSON and a newline.
pub fn spec_json() -> String {
    let mut json = spec()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    json.push('\n');
    json
}
