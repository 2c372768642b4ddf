//! `/v1/api-keys`: create, list, revoke and rotate API keys.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ListParams, is_id};
use crate::accounts::{self, IssuedKey};
use crate::auth::{Authorized, Principal, Role, Scope, effective_scopes, scope};
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiQuery};
use crate::state::{AppState, now_ms, rfc3339};
use crate::storage::ApiKeyRecord;

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
    pub name: String,
    /// Role of the key. Omitted: the caller's role. An admin giving a role
    /// creates a service user with that role; others may only narrow their own.
    pub role: Option<Role>,
    /// Scopes that narrow the role (omitted: all scopes of the role).
    pub scopes: Option<Vec<Scope>>,
    /// Lifetime in seconds; the key stops working after it.
    #[schema(minimum = 1, maximum = 315360000)]
    pub ttl_seconds: Option<i64>,
}

/// An API key, without its secret.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApiKey {
    /// `key_…`
    pub id: String,
    pub name: String,
    /// The first 8 characters after `mm_`, to tell keys apart.
    pub prefix: String,
    /// The role the key acts with.
    pub role: Role,
    /// Scopes the key grants.
    pub scopes: Vec<Scope>,
    /// `usr_…`: the user the key belongs to.
    pub user_id: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
    #[schema(format = DateTime)]
    pub last_used_at: Option<String>,
    pub last_used_ip: Option<String>,
    #[schema(format = DateTime)]
    pub revoked_at: Option<String>,
    /// Set when the key was rotated: the id of its successor.
    pub replaced_by: Option<String>,
}

/// A newly created API key. `key` is the secret, shown only in this response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApiKeyCreated {
    /// The secret (`mm_…`). Store it now: it cannot be retrieved again.
    pub key: String,
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub role: Role,
    pub scopes: Vec<Scope>,
    pub user_id: String,
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

fn key_role(record: &ApiKeyRecord) -> Role {
    Role::parse(&record.role).unwrap_or(Role::Viewer)
}

fn key_scopes(record: &ApiKeyRecord) -> Vec<Scope> {
    let stored: Vec<Scope> = record
        .scopes
        .iter()
        .filter_map(|s| Scope::parse(s))
        .collect();
    effective_scopes(key_role(record), &stored)
}

impl From<ApiKeyRecord> for ApiKey {
    fn from(r: ApiKeyRecord) -> Self {
        ApiKey {
            role: key_role(&r),
            scopes: key_scopes(&r),
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
            role: key_role(&r),
            scopes: key_scopes(&r),
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
/// at most its own scopes). An admin passing `role` creates a service user
/// with that role and `name`, and a key for it. The secret is in the
/// response only.
#[utoipa::path(
    post,
    path = "/api-keys",
    tag = "api-keys",
    operation_id = "createApiKey",
    request_body = CreateApiKey,
    responses(
        (status = 201, description = "The key was created; `key` holds the secret", body = ApiKeyCreated),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, invalid, revoked or expired API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role or scope not allowed for the caller", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field (see `errors`)", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn create_api_key(
    State(state): State<AppState>,
    auth: Authorized<scope::ApiKeysManage>,
    ApiJson(req): ApiJson<CreateApiKey>,
) -> Result<(StatusCode, Json<ApiKeyCreated>), ApiError> {
    let caller = auth.principal();
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::validation("name", "must be 1–100 characters"));
    }
    if let Some(ttl) = req.ttl_seconds
        && !(1..=MAX_TTL_SECONDS).contains(&ttl)
    {
        return Err(ApiError::validation(
            "ttl_seconds",
            format!("must be between 1 and {MAX_TTL_SECONDS}"),
        ));
    }
    let role = req.role.unwrap_or(caller.role);
    let service_user = req.role.is_some() && caller.is_admin();
    if !caller.is_admin() && role.level() > caller.role.level() {
        return Err(ApiError::forbidden(format!(
            "only an admin may create a key with role {} (yours is {})",
            role.as_str(),
            caller.role.as_str()
        )));
    }
    let scopes = granted_scopes(caller, role, req.scopes.as_deref())?;
    let issued = if service_user {
        accounts::create_user_with_key(state.storage(), name, role, &scopes, req.ttl_seconds, None)
            .await
            .map_err(account_error)?
            .1
    } else {
        let issued =
            accounts::key_record(&caller.user_id, name, role, &scopes, req.ttl_seconds, None)
                .map_err(account_error)?;
        state.storage().insert_api_key(&issued.record).await?;
        issued
    };
    tracing::info!(key_id = %issued.record.id, user_id = %issued.record.user_id, role = role.as_str(), "API key created");
    Ok((StatusCode::CREATED, Json(issued.into())))
}

/// The scopes to store for a new key: what was asked, checked against the
/// role and against what the caller holds (a narrowed key cannot mint a
/// broader one). An empty result means "all scopes of the role".
fn granted_scopes(
    caller: &Principal,
    role: Role,
    requested: Option<&[Scope]>,
) -> Result<Vec<Scope>, ApiError> {
    let role_scopes = role.scopes();
    match requested {
        None => {
            if role_scopes.iter().all(|s| caller.has(*s)) {
                Ok(Vec::new())
            } else {
                Ok(role_scopes
                    .iter()
                    .copied()
                    .filter(|s| caller.has(*s))
                    .collect())
            }
        }
        Some([]) => Err(ApiError::validation(
            "scopes",
            "must not be empty; omit it to grant every scope of the role",
        )),
        Some(list) => {
            let mut out: Vec<Scope> = Vec::new();
            for (i, s) in list.iter().enumerate() {
                if !role_scopes.contains(s) {
                    return Err(ApiError::validation(
                        format!("scopes[{i}]"),
                        format!("{} is not available to role {}", s.as_str(), role.as_str()),
                    ));
                }
                if !caller.has(*s) {
                    return Err(ApiError::forbidden(format!(
                        "cannot grant {}: your key does not hold it",
                        s.as_str()
                    )));
                }
                if !out.contains(s) {
                    out.push(*s);
                }
            }
            Ok(out)
        }
    }
}

fn account_error(err: accounts::AccountError) -> ApiError {
    match err {
        accounts::AccountError::Storage(e) => e.into(),
        other => ApiError::internal(other),
    }
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
        (status = 401, description = "Missing, invalid, revoked or expired API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks the api_keys:manage scope", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn list_api_keys(
    State(state): State<AppState>,
    auth: Authorized<scope::ApiKeysManage>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<ApiKeyPage>, ApiError> {
    let caller = auth.principal();
    let (limit, cursor) = params.validate("key")?;
    let owner = if caller.is_admin() {
        None
    } else {
        Some(caller.user_id.as_str())
    };
    let page = state.storage().list_api_keys(owner, cursor, limit).await?;
    Ok(Json(ApiKeyPage {
        items: page.items.into_iter().map(ApiKey::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// The key `key_id` if the caller may manage it.
async fn managed_key(
    state: &AppState,
    caller: &Principal,
    key_id: &str,
) -> Result<ApiKeyRecord, ApiError> {
    let not_found = || ApiError::not_found(format!("API key {key_id} does not exist"));
    if !is_id(key_id, "key") {
        return Err(not_found());
    }
    let record = state
        .storage()
        .get_api_key(key_id)
        .await?
        .ok_or_else(not_found)?;
    if record.user_id != caller.user_id && !caller.is_admin() {
        return Err(ApiError::forbidden(
            "only the key's owner or an admin may manage it",
        ));
    }
    Ok(record)
}

/// Revoke an API key
///
/// Effective immediately. Revoking a revoked key changes nothing.
#[utoipa::path(
    post,
    path = "/api-keys/{key_id}/revoke",
    tag = "api-keys",
    operation_id = "revokeApiKey",
    params(("key_id" = String, Path, description = "`key_…` id of the key")),
    responses(
        (status = 200, description = "The revoked key", body = ApiKey),
        (status = 401, description = "Missing, invalid, revoked or expired API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the key's owner nor an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such key", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn revoke_api_key(
    State(state): State<AppState>,
    auth: Authorized<scope::ApiKeysManage>,
    Path(key_id): Path<String>,
) -> Result<Json<ApiKey>, ApiError> {
    let record = managed_key(&state, auth.principal(), &key_id).await?;
    if state.storage().revoke_api_key(&record.id, now_ms()).await? {
        tracing::info!(key_id = %record.id, by = %auth.principal().key_id, "API key revoked");
    }
    let record = state
        .storage()
        .get_api_key(&record.id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("API key {key_id} does not exist")))?;
    Ok(Json(record.into()))
}

/// Rotate an API key
///
/// Issues a new secret with the same name, role, scopes and lifetime, and
/// revokes the old key. The new secret is in the response only.
#[utoipa::path(
    post,
    path = "/api-keys/{key_id}/rotate",
    tag = "api-keys",
    operation_id = "rotateApiKey",
    params(("key_id" = String, Path, description = "`key_…` id of the key")),
    responses(
        (status = 201, description = "The replacement key; `key` holds its secret", body = ApiKeyCreated),
        (status = 401, description = "Missing, invalid, revoked or expired API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the key's owner nor an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such key", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The key is revoked", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn rotate_api_key(
    State(state): State<AppState>,
    auth: Authorized<scope::ApiKeysManage>,
    Path(key_id): Path<String>,
) -> Result<(StatusCode, Json<ApiKeyCreated>), ApiError> {
    let old = managed_key(&state, auth.principal(), &key_id).await?;
    let revoked =
        || ApiError::conflict(format!("API key {key_id} is revoked and cannot be rotated"));
    if old.revoked_at.is_some() {
        return Err(revoked());
    }
    let scopes: Vec<Scope> = old.scopes.iter().filter_map(|s| Scope::parse(s)).collect();
    let issued = accounts::key_record(
        &old.user_id,
        &old.name,
        key_role(&old),
        &scopes,
        old.ttl_seconds,
        None,
    )
    .map_err(account_error)?;
    if !state
        .storage()
        .rotate_api_key(&old.id, &issued.record, now_ms())
        .await?
    {
        return Err(revoked());
    }
    tracing::info!(old_key_id = %old.id, new_key_id = %issued.record.id, "API key rotated");
    Ok((StatusCode::CREATED, Json(issued.into())))
}
