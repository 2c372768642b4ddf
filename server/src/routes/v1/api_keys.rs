//! `/v1/api-keys`: create, list, revoke and rotate API keys.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use mismatch_core::security::Scope as DomainScope;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ListParams;
use crate::auth::{Authorized, scope};
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::ids::{ApiKeyId, UserId};
use crate::models::{Role, Scope};
use crate::services::Limits;
use crate::services::accounts::{self as service, DEFAULT_OVERLAP_SECONDS, IssuedKey, NewKey};
use crate::state::{AppState, rfc3339};
use crate::storage::api_keys::ApiKeyRecord;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_api_key, list_api_keys))
        .routes(routes!(revoke_api_key))
        .routes(routes!(rotate_api_key))
}

/// Longest accepted `ttl_seconds`: ten years.
const MAX_TTL_SECONDS: i64 = 10 * 365 * 24 * 3600;

/// Request to create an API key.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKey {
    /// A label for people (1–100 characters). For a service key created by an
    /// admin with `role`, also the name of the new service user.
    #[schema(max_length = 100)]
    pub name: String,
    /// Role of the key. Omitted: the caller's role. An admin giving a role
    /// creates a service user with that role; others may only narrow their own.
    pub role: Option<Role>,
    /// Scopes that narrow the role (omitted: all scopes of the role).
    #[schema(max_items = 9)]
    pub scopes: Option<Vec<Scope>>,
    /// Lifetime in seconds; the key stops working after it, and never later
    /// than the key that creates it.
    #[schema(minimum = 1, maximum = 315360000)]
    pub ttl_seconds: Option<i64>,
}

/// An API key, without its secret.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApiKey {
    /// `key_…`
    #[schema(value_type = String)]
    pub id: ApiKeyId,
    pub name: String,
    /// The first 8 characters after `mm_`, to tell keys apart.
    pub prefix: String,
    /// The role the key acts with.
    pub role: Role,
    /// Scopes the key grants.
    pub scopes: Vec<Scope>,
    /// `usr_…`: the user the key belongs to.
    #[schema(value_type = String)]
    pub user_id: UserId,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
    #[schema(format = DateTime)]
    pub last_used_at: Option<String>,
    pub last_used_ip: Option<String>,
    #[schema(format = DateTime)]
    pub revoked_at: Option<String>,
    /// Set when the key was rotated: the id of its successor. The key
    /// works until `expires_at` (the rotation's overlap).
    #[schema(value_type = Option<String>)]
    pub replaced_by: Option<ApiKeyId>,
    /// Whether the key works now, and why not.
    pub status: ApiKeyStatus,
    /// Why it was revoked, when it was.
    pub revoked_reason: Option<RevokedReason>,
    /// When the key stops working because of its age
    /// (`MISMATCH_API_KEY_MAX_AGE_DAYS`); absent without a maximum age.
    #[schema(format = DateTime)]
    pub max_age_ends_at: Option<String>,
}

/// The state of an API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApiKeyStatus {
    /// Works.
    Active,
    /// Works, but reaches its maximum age within 14 days: rotate it
    /// (responses to it carry `X-API-Key-Warning`).
    ExpiringSoon,
    /// Older than the maximum age: refused with `api_key_too_old`.
    TooOld,
    /// Past its `expires_at` (its lifetime, or a rotation's overlap).
    Expired,
    /// Revoked (see `revoked_reason`).
    Revoked,
}

/// Why a key was revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RevokedReason {
    /// By `revokeApiKey`.
    Manual,
    /// Rotated with `overlap_seconds=0`.
    Rotation,
    /// Unused for `MISMATCH_API_KEY_IDLE_REVOKE_DAYS`: revoked by the sweep.
    Idle,
}

/// A newly created API key. `key` is the secret, shown only in this response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApiKeyCreated {
    /// The secret (`mm_…`). Store it now: it cannot be retrieved again.
    pub key: String,
    #[schema(value_type = String)]
    pub id: ApiKeyId,
    pub name: String,
    pub prefix: String,
    pub role: Role,
    pub scopes: Vec<Scope>,
    #[schema(value_type = String)]
    pub user_id: UserId,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
}

/// A page of API keys.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApiKeyPage {
    pub items: Vec<ApiKey>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// The result of a rotation: the new key (with its secret) and when the
/// old one stops working.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApiKeyRotated {
    /// The new secret (`mm_…`). Store it now: it cannot be retrieved again.
    pub key: String,
    /// `key_…` of the new key.
    #[schema(value_type = String)]
    pub id: ApiKeyId,
    pub name: String,
    pub prefix: String,
    pub role: Role,
    pub scopes: Vec<Scope>,
    #[schema(value_type = String)]
    pub user_id: UserId,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When the new key expires: the old key's expiry, never extended.
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
    /// `key_…` of the rotated key.
    #[schema(value_type = String)]
    pub previous_key_id: ApiKeyId,
    /// When the rotated key stops working (now, with `overlap_seconds=0`).
    #[schema(format = DateTime)]
    pub previous_key_expires_at: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RotateParams {
    /// How long the old key keeps working, so running clients can switch:
    /// 0–2592000 seconds (default 86400, one day; 0 revokes it at once).
    #[param(minimum = 0, maximum = 2592000)]
    pub overlap_seconds: Option<i64>,
}

/// Longest accepted rotation overlap: 30 days.
const MAX_OVERLAP_SECONDS: i64 = 30 * 24 * 3600;

fn wire_scopes(record: &ApiKeyRecord) -> Vec<Scope> {
    service::key_grant(record)
        .scopes
        .into_iter()
        .map(Scope::from)
        .collect()
}

/// The wire form of a key, with its state as of `now`.
fn api_key(r: ApiKeyRecord, identity: &crate::identity::IdentitySettings, now: i64) -> ApiKey {
    let age_limit = identity.key_age_limit(r.created_at);
    let status = if r.revoked_at.is_some_and(|at| at <= now) {
        ApiKeyStatus::Revoked
    } else if r.expires_at.is_some_and(|at| at <= now) {
        ApiKeyStatus::Expired
    } else if age_limit.is_some_and(|at| at <= now) {
        ApiKeyStatus::TooOld
    } else if identity
        .key_age_warning_from(r.created_at)
        .is_some_and(|from| from <= now)
    {
        ApiKeyStatus::ExpiringSoon
    } else {
        ApiKeyStatus::Active
    };
    let revoked_reason = match r.revoked_reason.as_deref() {
        Some("manual") => Some(RevokedReason::Manual),
        Some("rotation") => Some(RevokedReason::Rotation),
        Some("idle") => Some(RevokedReason::Idle),
        _ => None,
    };
    ApiKey {
        status,
        revoked_reason,
        max_age_ends_at: age_limit.map(rfc3339),
        ..ApiKey::from(r)
    }
}

impl From<ApiKeyRecord> for ApiKey {
    fn from(r: ApiKeyRecord) -> Self {
        ApiKey {
            status: ApiKeyStatus::Active,
            revoked_reason: None,
            max_age_ends_at: None,
            role: r.role.into(),
            scopes: wire_scopes(&r),
            id: r.id,
            name: r.name,
            prefix: r.prefix,
            user_id: r.user_id,
            created_at: rfc3339(r.created_at),
            expires_at: r.expires_at.map(rfc3339),
            last_used_at: r.last_used_at.map(rfc3339),
            last_used_ip: r.last_used_ip,
            revoked_at: r.revoked_at.map(rfc3339),
            replaced_by: r.replaced_by,
        }
    }
}

impl From<IssuedKey> for ApiKeyCreated {
    fn from(k: IssuedKey) -> Self {
        let r = k.record;
        ApiKeyCreated {
            key: k.secret,
            role: r.role.into(),
            scopes: wire_scopes(&r),
            id: r.id,
            name: r.name,
            prefix: r.prefix,
            user_id: r.user_id,
            created_at: rfc3339(r.created_at),
            expires_at: r.expires_at.map(rfc3339),
        }
    }
}

/// Create an API key
///
/// Any caller may create keys for itself (with its role or a lower one, and
/// at most its own scopes), expiring no later than the calling key. An admin
/// passing `role` creates a service user with that role and `name`, and a
/// key for it. The secret is in the response only.
#[utoipa::path(
    post,
    path = "/api-keys",
    tag = "api-keys",
    operation_id = "createApiKey",
    request_body = CreateApiKey,
    responses(
        (status = 201, description = "The key was created; `key` holds the secret", body = ApiKeyCreated),
        (status = 422, description = "Invalid field (see `errors`)", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn create_api_key(
    State(state): State<AppState>,
    auth: Authorized<scope::ApiKeysManage>,
    ApiJson(req): ApiJson<CreateApiKey>,
) -> Result<(StatusCode, Json<ApiKeyCreated>), ApiError> {
    let name = req.name.trim();
    let mut errors = Vec::new();
    Limits::check("name", name, Limits::KEY_NAME, &mut errors);
    if let Some(ttl) = req.ttl_seconds
        && !(1..=MAX_TTL_SECONDS).contains(&ttl)
    {
        errors.push(crate::error::FieldError::new(
            "ttl_seconds",
            format!("must be between 1 and {MAX_TTL_SECONDS}"),
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation_many(errors));
    }
    let scopes: Option<Vec<DomainScope>> = req
        .scopes
        .map(|list| list.into_iter().map(DomainScope::from).collect());
    let issued = service::create_key(
        &state,
        auth.principal(),
        NewKey {
            name,
            role: req.role.map(Into::into),
            scopes: scopes.as_deref(),
            ttl_seconds: req.ttl_seconds,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(issued.into())))
}

/// List API keys
///
/// Admins see every key; others see their own. Secrets and hashes are never
/// returned.
#[utoipa::path(
    get,
    path = "/api-keys",
    tag = "api-keys",
    operation_id = "listApiKeys",
    params(ListParams),
    responses(
        (status = 200, description = "A page of keys, newest first", body = ApiKeyPage),
        (status = 422, description = "Invalid `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn list_api_keys(
    State(state): State<AppState>,
    auth: Authorized<scope::ApiKeysManage>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<ApiKeyPage>, ApiError> {
    let (limit, cursor) = params.validate::<ApiKeyId>()?;
    let page = service::list_keys(&state, auth.principal(), cursor.as_ref(), limit).await?;
    Ok(Json(ApiKeyPage {
        items: page
            .items
            .into_iter()
            .map(|r| api_key(r, &state.settings().identity, crate::state::now_ms()))
            .collect(),
        next_cursor: page.next_cursor,
    }))
}

/// Revoke an API key
///
/// Effective immediately. Revoking a revoked key changes nothing. A key may
/// revoke only keys whose role and scopes its own cover.
#[utoipa::path(
    post,
    path = "/api-keys/{key_id}/revoke",
    tag = "api-keys",
    operation_id = "revokeApiKey",
    params(("key_id" = String, Path, description = "`key_…` id of the key")),
    responses(
        (status = 200, description = "The revoked key", body = ApiKey),
        (status = 404, description = "No such key", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn revoke_api_key(
    State(state): State<AppState>,
    auth: Authorized<scope::ApiKeysManage>,
    ApiPath(key_id): ApiPath<ApiKeyId>,
) -> Result<Json<ApiKey>, ApiError> {
    let record = service::revoke_key(&state, auth.principal(), &key_id).await?;
    Ok(Json(api_key(
        record,
        &state.settings().identity,
        crate::state::now_ms(),
    )))
}

/// Rotate an API key
///
/// Issues a new secret with the same name, role, scopes and expiry (a
/// rotation never extends a key's life). The old key keeps working for
/// `overlap_seconds` (default one day) so running clients can switch; the
/// response says until when. A key may rotate only keys whose role and
/// scopes its own cover. The new secret is in the response only.
#[utoipa::path(
    post,
    path = "/api-keys/{key_id}/rotate",
    tag = "api-keys",
    operation_id = "rotateApiKey",
    params(("key_id" = String, Path, description = "`key_…` id of the key"), RotateParams),
    responses(
        (status = 201, description = "The replacement key; `key` holds its secret", body = ApiKeyRotated),
        (status = 404, description = "No such key", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The key is revoked", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn rotate_api_key(
    State(state): State<AppState>,
    auth: Authorized<scope::ApiKeysManage>,
    ApiPath(key_id): ApiPath<ApiKeyId>,
    ApiQuery(params): ApiQuery<RotateParams>,
) -> Result<(StatusCode, Json<ApiKeyRotated>), ApiError> {
    let overlap = params.overlap_seconds.unwrap_or(DEFAULT_OVERLAP_SECONDS);
    if !(0..=MAX_OVERLAP_SECONDS).contains(&overlap) {
        return Err(ApiError::validation(
            "overlap_seconds",
            format!("must be between 0 and {MAX_OVERLAP_SECONDS}"),
        ));
    }
    let rotation = service::rotate_key(&state, auth.principal(), &key_id, overlap).await?;
    let created = ApiKeyCreated::from(rotation.issued);
    Ok((
        StatusCode::CREATED,
        Json(ApiKeyRotated {
            key: created.key,
            id: created.id,
            name: created.name,
            prefix: created.prefix,
            role: created.role,
            scopes: created.scopes,
            user_id: created.user_id,
            created_at: created.created_at,
            expires_at: created.expires_at,
            previous_key_id: key_id,
            previous_key_expires_at: rfc3339(rotation.previous_key_expires_at),
        }),
    ))
}
