//! Liveness and readiness probes (no authentication).

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, Problem};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_liveness))
        .routes(routes!(get_readiness))
}

/// Result of a health probe.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// `ok`
    pub status: String,
    /// The storage backend checked (`sqlite` or `postgres`); readiness only.
    pub database: Option<String>,
}

/// Liveness probe
///
/// 200 whenever the process is serving requests.
#[utoipa::path(
    get,
    path = "/health/live",
    tag = "health",
    operation_id = "getLiveness",
    responses((status = 200, description = "The process is alive", body = Health))
)]
pub async fn get_liveness() -> Json<Health> {
    Json(Health {
        status: "ok".to_owned(),
        database: None,
    })
}

/// Readiness probe
///
/// 200 when the database answers and holds the schema this server
/// migrated to; 503 (`unavailable`, with `Retry-After`) otherwise — also
/// for a database recreated empty.
#[utoipa::path(
    get,
    path = "/health/ready",
    tag = "health",
    operation_id = "getReadiness",
    responses(
        (status = 200, description = "Ready to serve", body = Health),
        (status = 503, description = "The database is unavailable or lacks its schema", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u32, description = "Seconds to wait before retrying"))),
    )
)]
pub async fn get_readiness(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    let database = crate::services::readiness(&state).await?;
    Ok(Json(Health {
        status: "ok".to_owned(),
        database: Some(database.to_owned()),
    }))
}
