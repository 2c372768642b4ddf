//! The HTTP side of the audit log: every `/v1` request becomes an audit
//! event (see [`crate::services::audit`] for the log itself).
//!
//! [`layer`] wraps the whole service: it opens the request's
//! [`RequestNote`] (client address through trusted proxies, bounded
//! `User-Agent`, request id) as a task-local that services read through
//! `AuditContext::current()`; authentication adds the principal to it and
//! [`route_layer`], which runs once the router has matched, adds the
//! operation. After the response, the event is queued with the status and
//! its outcome. Health probes, the docs and the JWKS are not API requests
//! and are not recorded.
//!
//! The action is `resource.verb`, derived from the operation: the resource
//! is the path's first segment under `/v1` (`api-keys` → `api_keys`), the
//! verb the operationId in snake case without the resource noun
//! (`createApiKey` → `api_keys.create`, `rankJobsForCandidate` →
//! `candidates.rank_jobs_for_candidate`). A request no route matched is
//! `http.unmatched`.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, Request, State};
use axum::http::Method;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;

use crate::middleware::X_REQUEST_ID;
use crate::services::audit::{self, AuditContext, AuditEvent, CURRENT, Outcome, RequestNote};
use crate::state::AppState;
use utoipa::openapi::OpenApi as OpenApiDoc;

/// The audit action of every operation, by method and path template.
#[derive(Debug, Default)]
pub struct Actions(HashMap<(Method, String), Operation>);

#[derive(Debug, Clone)]
struct Operation {
    action: String,
    resource_type: String,
}

impl Actions {
    pub fn from_spec(doc: &OpenApiDoc) -> Self {
        let mut map = HashMap::new();
        for (path, item) in &doc.paths.paths {
            for (method, op) in [
                (Method::GET, &item.get),
                (Method::POST, &item.post),
                (Method::PUT, &item.put),
                (Method::PATCH, &item.patch),
                (Method::DELETE, &item.delete),
            ] {
                if let Some(id) = op.as_ref().and_then(|op| op.operation_id.as_deref()) {
                    let (resource, verb) = action_of(path, id);
                    map.insert(
                        (method, path.to_string()),
                        Operation {
                            action: format!("{resource}.{verb}"),
                            resource_type: resource,
                        },
                    );
                }
            }
        }
        Self(map)
    }

    /// The action of `method` on the path template `path`.
    pub fn action(&self, method: &Method, path: &str) -> Option<&str> {
        self.0
            .get(&(method.clone(), path.to_owned()))
            .map(|op| op.action.as_str())
    }
}

/// `(resource, verb)` of an operation (see the module documentation).
pub fn action_of(path: &str, operation_id: &str) -> (String, String) {
    let resource = path
        .trim_start_matches('/')
        .strip_prefix("v1/")
        .and_then(|rest| rest.split('/').next())
        .filter(|s| !s.is_empty())
        .unwrap_or("api")
        .replace('-', "_");
    let verb = snake_case(operation_id);
    let singular = resource.strip_suffix('s').unwrap_or(&resource);
    let verb = [resource.as_str(), singular]
        .iter()
        .find_map(|noun| verb.strip_suffix(&format!("_{noun}")))
        // Only a bare verb stands alone: `rank_jobs_for` would read wrong.
        .filter(|bare| !bare.contains('_'))
        .unwrap_or(&verb)
        .to_owned();
    (resource, verb)
}

fn snake_case(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 8);
    for c in camel.chars() {
        if c.is_ascii_uppercase() {
            if !out.is_empty() {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether requests to `path` are audited: the API under `/v1`.
fn is_audited(path: &str) -> bool {
    path == "/v1" || path.starts_with("/v1/")
}

/// The matched operation, its route template and the id in its path.
type MatchedRoute = (Operation, String, Option<String>);

/// What [`route_layer`] learnt about the matched operation.
#[derive(Clone, Default)]
struct Matched(Arc<std::sync::Mutex<Option<MatchedRoute>>>);

/// The outer middleware (see the module documentation).
pub async fn layer(
    State((state, trusted)): State<(AppState, Arc<crate::rate_limit::TrustedProxies>)>,
    mut request: Request,
    next: Next,
) -> Response {
    if !is_audited(request.uri().path()) {
        return next.run(request).await;
    }
    let headers = request.headers();
    let context = AuditContext {
        actor_user_id: None,
        actor_key_id: None,
        client_ip: request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| trusted.client_ip(peer.ip(), headers).to_string()),
        user_agent: headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(AuditContext::bounded_user_agent),
        request_id: headers
            .get(X_REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.chars().take(100).collect()),
    };
    let note = RequestNote::new(context);
    let matched = Matched::default();
    request.extensions_mut().insert(matched.clone());
    let method = request.method().clone();
    let response = CURRENT.scope(note.clone(), next.run(request)).await;
    if !state.audit().records_requests() {
        return response;
    }
    let status = response.status().as_u16();
    let found = matched
        .0
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .take();
    let event = match found {
        Some((op, route, resource_id)) => {
            let event = AuditEvent::new(op.action).detail("route", route);
            match resource_id.or_else(|| note.created()) {
                Some(id) => event.resource(&op.resource_type, id),
                None => event.resource_type(&op.resource_type),
            }
        }
        None => AuditEvent::new("http.unmatched"),
    };
    let event = event
        .detail("method", method.as_str())
        .outcome(Outcome::of_status(status))
        .status(status);
    audit::enqueue(&state, &note.context(), event).await;
    response
}

/// Runs after routing, for matched API routes: notes the operation and the
/// id in its path.
pub async fn route_layer(
    State(actions): State<Arc<Actions>>,
    request: Request,
    next: Next,
) -> Response {
    if let (Some(route), Some(slot)) = (
        request.extensions().get::<MatchedPath>(),
        request.extensions().get::<Matched>(),
    ) && let Some(op) = actions
        .0
        .get(&(request.method().clone(), route.as_str().to_owned()))
    {
        let resource_id = path_id(route.as_str(), request.uri().path());
        *slot
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) =
            Some((op.clone(), route.as_str().to_owned(), resource_id));
    }
    next.run(request).await
}

/// The value of the first `{…}` parameter of `template` in `path`, bounded
/// (ids are short; anything longer is not one of ours).
fn path_id(template: &str, path: &str) -> Option<String> {
    template
        .split('/')
        .zip(path.split('/'))
        .find(|(t, _)| t.starts_with('{'))
        .map(|(_, value)| {
            percent_encoding::percent_decode_str(value)
                .decode_utf8_lossy()
                .chars()
                .take(100)
                .collect()
        })
}

/// Handlers can take the request's audit context as an extractor.
impl<S: Send + Sync> FromRequestParts<S> for AuditContext {
    type Rejection = Infallible;

    async fn from_request_parts(_parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(AuditContext::current())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_read_as_resource_dot_verb() {
        let cases = [
            ("/v1/candidates", "createCandidate", "candidates.create"),
            ("/v1/candidates", "listCandidates", "candidates.list"),
            (
                "/v1/candidates/{candidate_id}",
                "getCandidate",
                "candidates.get",
            ),
            (
                "/v1/candidates/{candidate_id}/export",
                "exportCandidate",
                "candidates.export",
            ),
            ("/v1/api-keys", "createApiKey", "api_keys.create"),
            (
                "/v1/api-keys/{key_id}/rotate",
                "rotateApiKey",
                "api_keys.rotate",
            ),
            ("/v1/auth/login", "createSession", "auth.create_session"),
            ("/v1/audit-events", "listAuditEvents", "audit_events.list"),
            (
                "/v1/candidates/{candidate_id}/matches",
                "rankJobsForCandidate",
                "candidates.rank_jobs_for_candidate",
            ),
        ];
        for (path, id, want) in cases {
            let (resource, verb) = action_of(path, id);
            assert_eq!(format!("{resource}.{verb}"), want, "{path} {id}");
        }
    }

    #[test]
    fn the_path_id_is_the_first_parameter() {
        assert_eq!(
            path_id(
                "/v1/candidates/{candidate_id}/export",
                "/v1/candidates/cand_1/export"
            ),
            Some("cand_1".into())
        );
        assert_eq!(path_id("/v1/candidates", "/v1/candidates"), None);
    }

    #[test]
    fn every_operation_of_the_spec_has_an_action() {
        let actions = Actions::from_spec(&crate::openapi::spec());
        assert_eq!(
            actions.action(&Method::POST, "/v1/candidates"),
            Some("candidates.create")
        );
        assert!(actions.0.values().all(|op| op.action.contains('.')));
    }
}
