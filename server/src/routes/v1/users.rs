//! `/v1/users`: admins manage users who log in; `/v1/users/me`: a user's
//! own password and second factor.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ListParams;
use crate::auth::{Authenticated, Authorized, Enrolling, scope};
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::ids::UserId;
use crate::models::Role;
use crate::services::users::{self as service, NewUser, UserChanges};
use crate::state::{AppState, rfc3339};
use crate::storage::users::UserRecord;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_current_user))
        .routes(routes!(change_password))
        .routes(routes!(enroll_two_factor))
        .routes(routes!(confirm_two_factor))
        .routes(routes!(regenerate_backup_codes))
        .routes(routes!(disable_two_factor))
        .routes(routes!(get_user, update_user))
        .routes(routes!(reset_user_password))
}

/// A user, without credentials.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct User {
    /// `usr_…`
    #[schema(value_type = String)]
    pub id: UserId,
    /// Lower-cased; absent for users that only use API keys.
    pub email: Option<String>,
    pub name: String,
    pub role: Role,
    /// Whether the user can log in with a password.
    pub password_set: bool,
    /// Whether login needs a second factor.
    pub two_factor_enabled: bool,
    pub disabled: bool,
    /// RFC 3339.
    pub created_at: String,
}

impl From<UserRecord> for User {
    fn from(r: UserRecord) -> Self {
        Self {
            id: r.id,
            email: r.email,
            name: r.name,
            role: r.role.into(),
            password_set: r.password_hash.is_some(),
            two_factor_enabled: r.totp_enabled_at.is_some(),
            disabled: r.disabled_at.is_some(),
            created_at: rfc3339(r.created_at),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserPage {
    pub items: Vec<User>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// A new user who logs in with email and password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    #[schema(max_length = 254)]
    pub email: String,
    /// 1–200 characters.
    #[schema(max_length = 200)]
    pub name: String,
    pub role: Role,
    /// At least 12 characters, at most 256 bytes.
    #[schema(min_length = 12, max_length = 256)]
    pub password: String,
}

/// Changes to a user: only the fields present change.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    #[schema(max_length = 200)]
    pub name: Option<String>,
    pub role: Option<Role>,
    /// A disabled user can neither log in nor use its API keys.
    pub disabled: Option<bool>,
}

/// A password set by an admin.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordReset {
    #[schema(min_length = 12, max_length = 256)]
    pub password: String,
}

/// A user's own password change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    #[schema(max_length = 256)]
    pub current_password: String,
    #[schema(min_length = 12, max_length = 256)]
    pub new_password: String,
}

/// The secret of a new second factor, shown once, in every form an
/// authenticator app takes.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TwoFactorEnrollment {
    /// Base32 (RFC 4648, no padding), for typing in.
    pub secret: String,
    /// `otpauth://totp/…` (SHA1, 6 digits, 30 s).
    pub otpauth_uri: String,
    /// The URI as a QR code, PNG, base64.
    pub qr_png_base64: String,
    /// The URI as a QR code, SVG.
    pub qr_svg: String,
}

/// A second-factor code.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TwoFactorCode {
    /// A 6-digit TOTP code (a backup code where the operation says so).
    #[schema(max_length = 32)]
    pub code: String,
}

/// Single-use backup codes, shown once: each logs in once in place of a
/// TOTP code.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BackupCodes {
    pub backup_codes: Vec<String>,
}

/// What turning the second factor off needs.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisableTwoFactor {
    #[schema(max_length = 256)]
    pub password: String,
    /// A TOTP code or a backup code.
    #[schema(max_length = 32)]
    pub code: String,
}

/// List users
#[utoipa::path(
    get,
    path = "/users",
    tag = "users",
    operation_id = "listUsers",
    params(ListParams),
    responses(
        (status = 200, description = "A page of users, newest first", body = UserPage),
        (status = 422, description = "Invalid `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn list_users(
    State(state): State<AppState>,
    _auth: Authorized<scope::UsersManage>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<UserPage>, ApiError> {
    let (limit, cursor) = params.validate::<UserId>()?;
    let page = service::list(&state, cursor.as_ref(), limit).await?;
    Ok(Json(UserPage {
        items: page.items.into_iter().map(User::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// Create a user
///
/// A user who logs in with email and password.
#[utoipa::path(
    post,
    path = "/users",
    tag = "users",
    operation_id = "createUser",
    request_body = CreateUser,
    responses(
        (status = 201, description = "The user", body = User),
        (status = 409, description = "The email is taken (`conflict`)", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn create_user(
    State(state): State<AppState>,
    _auth: Authorized<scope::UsersManage>,
    ApiJson(req): ApiJson<CreateUser>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    let user = service::create(
        &state,
        NewUser {
            email: &req.email,
            name: &req.name,
            role: req.role.into(),
            password: &req.password,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

/// Get a user
#[utoipa::path(
    get,
    path = "/users/{user_id}",
    tag = "users",
    operation_id = "getUser",
    params(("user_id" = String, Path, description = "`usr_…` id")),
    responses(
        (status = 200, description = "The user", body = User),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn get_user(
    State(state): State<AppState>,
    _auth: Authorized<scope::UsersManage>,
    ApiPath(id): ApiPath<UserId>,
) -> Result<Json<User>, ApiError> {
    Ok(Json(service::get(&state, &id).await?.into()))
}

/// Change a user
///
/// Name, role, or disabled (a disabled user can neither log in nor use its API keys).
#[utoipa::path(
    patch,
    path = "/users/{user_id}",
    tag = "users",
    operation_id = "updateUser",
    params(("user_id" = String, Path, description = "`usr_…` id")),
    request_body = UserPatch,
    responses(
        (status = 200, description = "The changed user", body = User),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "An admin cannot disable or demote itself (`conflict`)", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn update_user(
    State(state): State<AppState>,
    auth: Authorized<scope::UsersManage>,
    ApiPath(id): ApiPath<UserId>,
    ApiJson(req): ApiJson<UserPatch>,
) -> Result<Json<User>, ApiError> {
    let changes = UserChanges {
        name: req.name,
        role: req.role.map(Into::into),
        disabled: req.disabled,
    };
    Ok(Json(
        service::update(&state, auth.principal(), &id, changes)
            .await?
            .into(),
    ))
}

/// Set a user's password
///
/// Ends the user's sessions.
#[utoipa::path(
    post,
    path = "/users/{user_id}/password",
    tag = "users",
    operation_id = "resetUserPassword",
    params(("user_id" = String, Path, description = "`usr_…` id")),
    request_body = PasswordReset,
    responses(
        (status = 204, description = "The password is set; the user's sessions are ended"),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn reset_user_password(
    State(state): State<AppState>,
    _auth: Authorized<scope::UsersManage>,
    ApiPath(id): ApiPath<UserId>,
    ApiJson(req): ApiJson<PasswordReset>,
) -> Result<StatusCode, ApiError> {
    service::reset_password(&state, &id, &req.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Get the calling user
#[utoipa::path(
    get,
    path = "/users/me",
    tag = "users",
    operation_id = "getCurrentUser",
    responses((status = 200, description = "The calling user", body = User)),
)]
pub async fn get_current_user(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<Json<User>, ApiError> {
    Ok(Json(service::get(&state, &caller.user_id).await?.into()))
}

/// Change the own password
///
/// Needs the current password; ends the user's sessions.
#[utoipa::path(
    post,
    path = "/users/me/password",
    tag = "users",
    operation_id = "changePassword",
    request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed; the user's sessions are ended (log in again)"),
        (status = 409, description = "The user has no password (`conflict`)", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn change_password(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiJson(req): ApiJson<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    service::change_password(&state, &caller, &req.current_password, &req.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Start enrolling a second factor
///
/// Returns a new TOTP secret with its `otpauth://` URI and QR codes, shown
/// once. Confirm with a code to enable it.
#[utoipa::path(
    post,
    path = "/users/me/2fa",
    tag = "users",
    operation_id = "enrollTwoFactor",
    responses(
        (status = 200, description = "A new TOTP secret (shown once); confirm it with a code", body = TwoFactorEnrollment),
        (status = 409, description = "Already enabled, or the user has no password (`conflict`)", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn enroll_two_factor(
    State(state): State<AppState>,
    Enrolling(caller): Enrolling,
) -> Result<Json<TwoFactorEnrollment>, ApiError> {
    let enrolment = service::enrol_two_factor(&state, &caller).await?;
    Ok(Json(TwoFactorEnrollment {
        secret: enrolment.secret,
        otpauth_uri: enrolment.otpauth_uri,
        qr_png_base64: base64::engine::general_purpose::STANDARD.encode(&enrolment.qr_png),
        qr_svg: enrolment.qr_svg,
    }))
}

/// Confirm a second factor
///
/// A first code from the authenticator enables 2FA and returns 10 single-use
/// backup codes, shown once.
#[utoipa::path(
    post,
    path = "/users/me/2fa/confirm",
    tag = "users",
    operation_id = "confirmTwoFactor",
    request_body = TwoFactorCode,
    responses(
        (status = 200, description = "Enabled; the backup codes, shown once", body = BackupCodes),
        (status = 401, description = "Wrong code (`invalid_two_factor_code`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not enrolling, or already enabled (`conflict`)", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn confirm_two_factor(
    State(state): State<AppState>,
    Enrolling(caller): Enrolling,
    ApiJson(req): ApiJson<TwoFactorCode>,
) -> Result<Json<BackupCodes>, ApiError> {
    let backup_codes = service::confirm_two_factor(&state, &caller, &req.code).await?;
    Ok(Json(BackupCodes { backup_codes }))
}

/// Replace the backup codes
///
/// Needs a current TOTP code (or a backup code).
#[utoipa::path(
    post,
    path = "/users/me/2fa/backup-codes",
    tag = "users",
    operation_id = "regenerateBackupCodes",
    request_body = TwoFactorCode,
    responses(
        (status = 200, description = "New backup codes; the old ones stop working", body = BackupCodes),
        (status = 401, description = "Wrong code (`invalid_two_factor_code`)", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn regenerate_backup_codes(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiJson(req): ApiJson<TwoFactorCode>,
) -> Result<Json<BackupCodes>, ApiError> {
    let backup_codes = service::regenerate_backup_codes(&state, &caller, &req.code).await?;
    Ok(Json(BackupCodes { backup_codes }))
}

/// Turn the second factor off
///
/// Needs the password and a current code; refused when the 2FA policy
/// requires a second factor for this user.
#[utoipa::path(
    post,
    path = "/users/me/2fa/disable",
    tag = "users",
    operation_id = "disableTwoFactor",
    request_body = DisableTwoFactor,
    responses(
        (status = 204, description = "The second factor and its backup codes are gone"),
        (status = 401, description = "Wrong code (`invalid_two_factor_code`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not enabled, or required by the 2FA policy (`conflict`)", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn disable_two_factor(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiJson(req): ApiJson<DisableTwoFactor>,
) -> Result<StatusCode, ApiError> {
    service::disable_two_factor(&state, &caller, &req.password, &req.code).await?;
    Ok(StatusCode::NO_CONTENT)
}
