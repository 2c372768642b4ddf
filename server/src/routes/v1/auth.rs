//! `/v1/auth`: log in (with a second step when the user has 2FA), refresh
//! and log out. No credentials are needed to call these: the body carries
//! them.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, PeerIp};
use crate::services::sessions::{self as service, LoginOutcome, TokenPair};
use crate::state::{AppState, rfc3339};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(login_second_factor))
        .routes(routes!(refresh))
        .routes(routes!(logout))
}

/// Email and password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(max_length = 254)]
    pub email: String,
    #[schema(max_length = 256)]
    pub password: String,
}

/// The second login step.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecondFactorRequest {
    /// The `challenge_token` of the login response.
    #[schema(max_length = 8192)]
    pub challenge_token: String,
    /// A 6-digit TOTP code, or one of the backup codes.
    #[schema(max_length = 32)]
    pub code: String,
}

/// A refresh token, to exchange or to end.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    #[schema(max_length = 64)]
    pub refresh_token: String,
}

/// A session: an access token for `Authorization: Bearer`, and a refresh
/// token that gets the next one.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Session {
    /// A signed JWT (EdDSA); send it as `Authorization: Bearer …`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds the access token is valid (one hour).
    pub expires_in: i64,
    /// RFC 3339.
    pub expires_at: String,
    /// Opaque and single-use: `POST /v1/auth/refresh` spends it and returns
    /// the next one. Using a spent one again ends every session of the login.
    pub refresh_token: String,
    /// When the refresh tokens of this login stop working (RFC 3339).
    pub refresh_expires_at: String,
}

/// The answer to the first login step: a session, or a challenge for the
/// second factor.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LoginResponse {
    /// Whether a second step (`POST /v1/auth/login/2fa`) is needed.
    pub two_factor_required: bool,
    /// The session, when no second step is needed.
    pub session: Option<Session>,
    /// For the second step, when needed: valid five minutes.
    pub challenge_token: Option<String>,
    /// When the challenge expires (RFC 3339).
    pub challenge_expires_at: Option<String>,
}

fn session(pair: TokenPair) -> Session {
    let now = crate::state::now_ms();
    Session {
        access_token: pair.access_token,
        token_type: "Bearer".to_owned(),
        expires_in: ((pair.access_expires_at - now) / 1000).max(0),
        expires_at: rfc3339(pair.access_expires_at),
        refresh_token: pair.refresh_token,
        refresh_expires_at: rfc3339(pair.refresh_expires_at),
    }
}

/// Log in
///
/// With email and password. Users with a second factor get a challenge
/// token for `POST /v1/auth/login/2fa` instead of a session.
#[utoipa::path(
    post,
    path = "/auth/login",
    tag = "auth",
    operation_id = "createSession",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "A session, or a challenge for the second factor", body = LoginResponse),
        (status = 401, description = "Unknown email or wrong password (`invalid_credentials`; the two are not told apart)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The account is disabled (`account_disabled`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts for this account or address (`login_locked`); see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn login(
    State(state): State<AppState>,
    PeerIp(ip): PeerIp,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    let outcome = service::login(&state, &req.email, &req.password, ip).await?;
    Ok(Json(match outcome {
        LoginOutcome::Tokens(pair) => LoginResponse {
            two_factor_required: false,
            session: Some(session(pair)),
            challenge_token: None,
            challenge_expires_at: None,
        },
        LoginOutcome::SecondFactor {
            challenge_token,
            expires_at,
        } => LoginResponse {
            two_factor_required: true,
            session: None,
            challenge_token: Some(challenge_token),
            challenge_expires_at: Some(rfc3339(expires_at)),
        },
    }))
}

/// Finish a login with a second factor
///
/// The challenge token of the first step and a TOTP code (or a backup code).
#[utoipa::path(
    post,
    path = "/auth/login/2fa",
    tag = "auth",
    operation_id = "verifySessionSecondFactor",
    request_body = SecondFactorRequest,
    responses(
        (status = 200, description = "The session", body = Session),
        (status = 401, description = "Invalid challenge (`unauthorized`) or code (`invalid_two_factor_code`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts (`login_locked`); see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn login_second_factor(
    State(state): State<AppState>,
    PeerIp(ip): PeerIp,
    ApiJson(req): ApiJson<SecondFactorRequest>,
) -> Result<Json<Session>, ApiError> {
    let pair = service::second_factor(&state, &req.challenge_token, &req.code, ip).await?;
    Ok(Json(session(pair)))
}

/// Refresh a session
///
/// Spends the refresh token and returns a new access token and refresh
/// token. A spent refresh token presented again ends every session of its login.
#[utoipa::path(
    post,
    path = "/auth/refresh",
    tag = "auth",
    operation_id = "refreshSession",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "The next session; the presented refresh token is spent", body = Session),
        (status = 401, description = "Unknown, spent, expired or revoked refresh token (`unauthorized`)", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn refresh(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> Result<Json<Session>, ApiError> {
    Ok(Json(session(
        service::refresh_session(&state, &req.refresh_token).await?,
    )))
}

/// Log out
///
/// Revokes every refresh token of the login the token belongs to.
#[utoipa::path(
    post,
    path = "/auth/logout",
    tag = "auth",
    operation_id = "endSession",
    request_body = RefreshRequest,
    responses(
        (status = 204, description = "Every refresh token of this login is revoked (access tokens expire within the hour)"),
    ),
)]
pub async fn logout(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> Result<StatusCode, ApiError> {
    service::logout(&state, &req.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}
