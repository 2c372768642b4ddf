//! `/v1/admin/encryption/rotation`: start an online rotation of the keys
//! that encrypt data at rest, and follow it.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Authorized, scope};
use crate::error::{ApiError, Problem};
use crate::services::encryption::{self as service, RunState};
use crate::state::{AppState, rfc3339};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(start_encryption_rotation, get_encryption_rotation))
}

/// Where this server's rotation run stands.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RotationState {
    /// No rotation started by this server since it started.
    Idle,
    /// Re-encrypting in the background.
    Running,
    /// Every row is under the primary key.
    Completed,
    /// Stopped early; `error` says why. Starting again resumes.
    Failed,
}

impl From<RunState> for RotationState {
    fn from(s: RunState) -> Self {
        match s {
            RunState::Idle => RotationState::Idle,
            RunState::Running => RotationState::Running,
            RunState::Completed => RotationState::Completed,
            RunState::Failed => RotationState::Failed,
        }
    }
}

/// Progress of the key rotation. The row counts come from the database,
/// so every replica reports the same; `state` is this server's run.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EncryptionRotation {
    pub state: RotationState,
    /// Fingerprint of the key that encrypts (the first of
    /// `MISMATCH_ENCRYPTION_KEYS`), never the key.
    pub primary_key_id: String,
    /// Rows holding encrypted values (candidates, TOTP secrets).
    pub rows_total: u64,
    /// Of those, rows under the primary key.
    pub rows_done: u64,
    /// Rows still to re-encrypt; 0 means the older keys can be removed.
    pub rows_pending: u64,
    /// Rows this server's run re-encrypted (known when it has finished).
    pub rows_rewritten: u64,
    #[schema(format = DateTime)]
    pub started_at: Option<String>,
    #[schema(format = DateTime)]
    pub finished_at: Option<String>,
    /// Why the run failed.
    pub error: Option<String>,
}

impl From<service::Progress> for EncryptionRotation {
    fn from(p: service::Progress) -> Self {
        Self {
            state: p.run.state.into(),
            primary_key_id: p.primary_key_id,
            rows_total: p.status.total,
            rows_done: p.status.done(),
            rows_pending: p.status.pending,
            rows_rewritten: p.run.rewritten,
            started_at: p.run.started_at.map(rfc3339),
            finished_at: p.run.finished_at.map(rfc3339),
            error: p.run.error,
        }
    }
}

/// Start an encryption key rotation
///
/// Re-encrypts every value not yet under the primary encryption key, in
/// small batches in the background while the server serves; answers 202
/// with the progress at once (or the running rotation's progress if one is
/// running already). Checks first that every value opens under a key of
/// `MISMATCH_ENCRYPTION_KEYS`: if some do not, answers 409
/// `encryption_key_missing` and changes nothing. Resumable: starting again
/// after a stop continues where it left off. Admins only (scope
/// `encryption:manage`).
#[utoipa::path(
    post,
    path = "/admin/encryption/rotation",
    tag = "encryption",
    operation_id = "startEncryptionRotation",
    responses(
        (status = 202, description = "Rotation running", body = EncryptionRotation),
        (status = 409, description = "A stored value opens under no configured key (`encryption_key_missing`); nothing was changed", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn start_encryption_rotation(
    State(state): State<AppState>,
    _auth: Authorized<scope::EncryptionManage>,
) -> Result<(StatusCode, Json<EncryptionRotation>), ApiError> {
    let progress = service::start(&state).await?;
    Ok((StatusCode::ACCEPTED, Json(progress.into())))
}

/// Get the encryption key rotation's progress
///
/// Rows under the primary key out of all rows with encrypted values, and
/// the state of this server's rotation run. Admins only (scope
/// `encryption:manage`).
#[utoipa::path(
    get,
    path = "/admin/encryption/rotation",
    tag = "encryption",
    operation_id = "getEncryptionRotation",
    responses(
        (status = 200, description = "Progress", body = EncryptionRotation),
    ),
)]
pub async fn get_encryption_rotation(
    State(state): State<AppState>,
    _auth: Authorized<scope::EncryptionManage>,
) -> Result<Json<EncryptionRotation>, ApiError> {
    Ok(Json(service::progress(&state).await?.into()))
}
