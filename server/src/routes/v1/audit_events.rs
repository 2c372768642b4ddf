//! `GET /v1/audit-events`: the audit log, read-only (admins, scope
//! `audit:read`), as JSON pages or CSV.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt as _;
use mismatch_core::security::audit::ChainedEvent;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Authorized, scope};
use crate::error::{ApiError, Problem};
use crate::extract::ApiQuery;
use crate::routes::v1::{ListParams, MAX_PAGE_SIZE};
use crate::services::audit::{self as service, ListFilter, Outcome};
use crate::state::{AppState, rfc3339};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit_events))
}

/// How an audited action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuditOutcome {
    Success,
    /// Refused: bad input, a wrong credential, a conflict (4xx but 401/403).
    Failure,
    /// Refused for missing credentials or permission (401, 403).
    Denied,
    /// The server failed (5xx).
    Error,
}

impl From<AuditOutcome> for Outcome {
    fn from(o: AuditOutcome) -> Self {
        match o {
            AuditOutcome::Success => Outcome::Success,
            AuditOutcome::Failure => Outcome::Failure,
            AuditOutcome::Denied => Outcome::Denied,
            AuditOutcome::Error => Outcome::Error,
        }
    }
}

impl From<Outcome> for AuditOutcome {
    fn from(o: Outcome) -> Self {
        match o {
            Outcome::Success => AuditOutcome::Success,
            Outcome::Failure => AuditOutcome::Failure,
            Outcome::Denied => AuditOutcome::Denied,
            Outcome::Error => AuditOutcome::Error,
        }
    }
}

/// One recorded event. `hash` is SHA-256 over `prev_hash` and the event's
/// canonical encoding; `mismatch-server audit verify` checks the chain.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditEvent {
    /// Position in the chain (the cursor of this list).
    pub seq: i64,
    #[schema(format = DateTime)]
    pub occurred_at: String,
    /// The acting user (`usr_…`), if known.
    pub actor_user_id: Option<String>,
    /// The API key (`key_…`) or `session:<id>` the actor used.
    pub actor_key_id: Option<String>,
    /// `resource.verb`, e.g. `candidates.create`, `auth.login`.
    pub action: String,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    /// Ids, counts and reasons; never secrets or personal data.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    /// The client address (forwarded addresses only from trusted proxies).
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    pub outcome: AuditOutcome,
    /// The HTTP status of the request, for events of a request.
    pub status: Option<u16>,
    pub prev_hash: String,
    pub hash: String,
}

/// A page of audit events, newest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditEventPage {
    pub items: Vec<AuditEvent>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// The audit list as CSV (RFC 4180): a header row, then one row per event
/// with the columns of `AuditEvent`, `details` as JSON text.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditEventsCsv(pub String);

/// The filters of the audit list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditEventFilter {
    /// Only events of this user (`usr_…`).
    pub actor: Option<String>,
    /// Only this action, e.g. `auth.login`.
    pub action: Option<String>,
    /// Only events on this resource type, e.g. `candidate`.
    pub resource_type: Option<String>,
    /// Only events on this resource id, e.g. `cand_…`.
    pub resource_id: Option<String>,
    /// Only events with this outcome.
    #[param(inline)]
    pub outcome: Option<AuditOutcome>,
    /// Only events at or after this time (RFC 3339).
    #[param(format = DateTime)]
    pub from: Option<String>,
    /// Only events before this time (RFC 3339).
    #[param(format = DateTime)]
    pub to: Option<String>,
    /// `csv` for CSV (like `Accept: text/csv`): every matching event from
    /// the cursor on, in pages of `limit` joined into one document.
    #[param(inline)]
    pub format: Option<ExportFormat>,
}

/// Response format of the audit list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    Json,
    Csv,
}

const FILTER_MAX: usize = 200;

fn text_filter(field: &str, value: Option<String>) -> Result<Option<String>, ApiError> {
    match value {
        Some(v) if v.is_empty() || v.chars().nth(FILTER_MAX).is_some() => Err(
            ApiError::validation(field, format!("must be 1–{FILTER_MAX} characters")),
        ),
        other => Ok(other),
    }
}

fn time_filter(field: &str, value: Option<&str>) -> Result<Option<i64>, ApiError> {
    value
        .map(|text| {
            time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                .map(|t| i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX))
                .map_err(|_| {
                    ApiError::validation(
                        field,
                        "must be an RFC 3339 time, e.g. 2026-12-08T00:00:00Z",
                    )
                })
        })
        .transpose()
}

fn wire(e: ChainedEvent) -> AuditEvent {
    let c = e.content;
    AuditEvent {
        seq: e.seq,
        occurred_at: rfc3339(c.occurred_at),
        actor_user_id: c.actor_user_id,
        actor_key_id: c.actor_key_id,
        outcome: Outcome::parse(&c.outcome)
            .map(AuditOutcome::from)
            .unwrap_or(AuditOutcome::Error),
        action: c.action,
        resource_type: c.resource_type,
        resource_id: c.resource_id,
        details: serde_json::from_str(&c.details).unwrap_or(serde_json::Value::Null),
        client_ip: c.client_ip,
        user_agent: c.user_agent,
        request_id: c.request_id,
        status: c.status,
        prev_hash: e.prev_hash,
        hash: e.hash,
    }
}

/// List audit events
///
/// Every API request and every security event (logins, 2FA, API keys, role
/// changes, key rotation, exports, erasures), newest first, filtered by
/// actor, action, resource, outcome and time. Admins only (scope
/// `audit:read`). The log is append-only: there is no operation to change
/// or delete an event.
///
/// With `Accept: text/csv` or `format=csv` the answer is CSV (RFC 4180, a
/// header row, the same columns, `details` as JSON text) holding every
/// matching event from the cursor on, not one page.
#[utoipa::path(
    get,
    path = "/audit-events",
    tag = "audit",
    operation_id = "listAuditEvents",
    params(ListParams, AuditEventFilter),
    responses(
        (status = 200, description = "A page of events, newest first (or, as `text/csv`, every matching event)", content(
            (AuditEventPage = "application/json"),
            (AuditEventsCsv = "text/csv"),
        )),
        (status = 422, description = "Invalid filter, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn list_audit_events(
    State(state): State<AppState>,
    _auth: Authorized<scope::AuditRead>,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<ListParams>,
    ApiQuery(filter): ApiQuery<AuditEventFilter>,
) -> Result<Response, ApiError> {
    let (limit, cursor) = params.validate::<i64>()?;
    let csv = match filter.format {
        Some(ExportFormat::Csv) => true,
        Some(ExportFormat::Json) => false,
        None => headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/csv")),
    };
    let from = time_filter("from", filter.from.as_deref())?;
    let to = time_filter("to", filter.to.as_deref())?;
    let query = ListFilter {
        actor_user_id: text_filter("actor", filter.actor)?,
        action: text_filter("action", filter.action)?,
        resource_type: text_filter("resource_type", filter.resource_type)?,
        resource_id: text_filter("resource_id", filter.resource_id)?,
        outcome: filter.outcome.map(|o| Outcome::from(o).as_str().to_owned()),
        from,
        to,
    };
    if !csv {
        let page = service::list(&state, &query, cursor, limit).await?;
        return Ok(Json(AuditEventPage {
            items: page.items.into_iter().map(wire).collect(),
            next_cursor: page.next_cursor,
        })
        .into_response());
    }
    // CSV: every matching event, streamed a page of MAX_PAGE_SIZE at a
    // time, so a year of events never sits in memory. The first page is
    // read before answering, so a database that cannot serve still gets a
    // problem+json 503; a failure later can only cut the stream short.
    let first = service::list(&state, &query, cursor, MAX_PAGE_SIZE).await?;
    let head = csv_rows(&first.items, true)?;
    let next = first.next_cursor.and_then(|c| c.parse::<i64>().ok());
    let rest = futures_util::stream::unfold(next, move |cursor| {
        let state = state.clone();
        let query = query.clone();
        async move {
            let cursor = cursor?;
            let page = match service::list(&state, &query, Some(cursor), MAX_PAGE_SIZE).await {
                Ok(page) => page,
                Err(err) => {
                    tracing::warn!(error = ?err, "audit CSV export cut short");
                    return Some((Err(std::io::Error::other("audit CSV export failed")), None));
                }
            };
            let following = page.next_cursor.and_then(|c| c.parse::<i64>().ok());
            Some((
                csv_rows(&page.items, false).map_err(|_| std::io::Error::other("CSV")),
                following,
            ))
        }
    });
    let body = axum::body::Body::from_stream(
        futures_util::stream::once(async move { Ok::<_, std::io::Error>(head) }).chain(rest),
    );
    let mut response = Response::new(body);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    response.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"audit-events.csv\""),
    );
    Ok(response)
}

/// The CSV columns of the audit log, in order.
const CSV_COLUMNS: [&str; 15] = [
    "seq",
    "occurred_at",
    "actor_user_id",
    "actor_key_id",
    "action",
    "resource_type",
    "resource_id",
    "details",
    "client_ip",
    "user_agent",
    "request_id",
    "outcome",
    "status",
    "prev_hash",
    "hash",
];

/// One page of events as CSV rows (RFC 4180), after the header row when
/// `header` is set.
fn csv_rows(events: &[ChainedEvent], header: bool) -> Result<Vec<u8>, ApiError> {
    let csv_error = |e: csv::Error| ApiError::internal(format!("CSV: {e}"));
    let mut writer = csv::Writer::from_writer(Vec::new());
    if header {
        writer.write_record(CSV_COLUMNS).map_err(csv_error)?;
    }
    for event in events {
        let e = wire(event.clone());
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        writer
            .write_record([
                e.seq.to_string(),
                e.occurred_at,
                opt(&e.actor_user_id),
                opt(&e.actor_key_id),
                e.action,
                opt(&e.resource_type),
                opt(&e.resource_id),
                e.details.to_string(),
                opt(&e.client_ip),
                opt(&e.user_agent),
                opt(&e.request_id),
                Outcome::from(e.outcome).as_str().to_owned(),
                e.status.map(|s| s.to_string()).unwrap_or_default(),
                e.prev_hash,
                e.hash,
            ])
            .map_err(csv_error)?;
    }
    writer
        .into_inner()
        .map_err(|e| ApiError::internal(format!("CSV: {}", e.error())))
}
