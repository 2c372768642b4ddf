//! The HTTP side of authentication and authorisation.
//!
//! Handlers state what they need in their signature with [`Authorized<S>`],
//! e.g. `Authorized<scope::JobsWrite>`: that extractor is the one place per
//! route where access is decided. It reads the key from the request, has
//! [`services::accounts::authenticate`] resolve it to a [`Principal`], and
//! checks the route's scope. An answer from the idempotency store (a replay,
//! or "still in progress") is only given here, after that check, so a
//! replay is authorised exactly like a first request.

use std::marker::PhantomData;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::services;
pub use crate::services::accounts::Principal;
use crate::state::AppState;
pub use mismatch_core::security::{Role, Scope};

/// Marker types naming the scope a route requires, for [`Authorized`].
pub mod scope {
    use super::Scope;

    pub trait Required: Send + Sync + 'static {
        const SCOPE: Scope;
    }

    macro_rules! markers {
        ($($name:ident),*) => {$(
            #[derive(Debug)]
            pub struct $name;
            impl Required for $name {
                const SCOPE: Scope = Scope::$name;
            }
        )*};
    }

    markers!(
        CandidatesRead,
        CandidatesWrite,
        JobsRead,
        JobsWrite,
        MatchesRead,
        SalaryRead,
        SalaryModelsWrite,
        InterviewsRead,
        ApiKeysManage,
        UsersManage,
        CandidatesExport,
        EncryptionManage,
        AuditRead
    );
}

/// A response the idempotency layer has for this request instead of running
/// the handler; [`Authorized`] gives it once the caller passed the route's
/// check.
#[derive(Clone)]
pub struct StoredAnswer(Arc<Mutex<Option<Response>>>);

impl StoredAnswer {
    pub fn new(response: Response) -> Self {
        Self(Arc::new(Mutex::new(Some(response))))
    }

    fn take(&self) -> Option<Response> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
    }

    /// Whether [`Authorized`] gave the answer (if not, the handler ran).
    pub fn was_given(&self) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .is_none()
    }
}

/// Why [`Authorized`] did not let the handler run.
pub enum Rejection {
    Denied(ApiError),
    /// The idempotency store's answer, given after the access check.
    Stored(Response),
}

impl From<ApiError> for Rejection {
    fn from(err: ApiError) -> Self {
        Rejection::Denied(err)
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        match self {
            Rejection::Denied(err) => err.into_response(),
            Rejection::Stored(response) => response,
        }
    }
}

/// An authenticated principal holding the scope `S`; rejects with 401 when
/// the key is missing, unknown, revoked or expired, and 403 when the scope is
/// missing.
pub struct Authorized<S: scope::Required>(pub Principal, PhantomData<S>);

impl<S: scope::Required> Authorized<S> {
    pub fn principal(&self) -> &Principal {
        &self.0
    }
}

impl<S: scope::Required> FromRequestParts<AppState> for Authorized<S> {
    type Rejection = Rejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let principal = admit(parts, state, Some(S::SCOPE), false).await?;
        Ok(Authorized(principal, PhantomData))
    }
}

/// Any authenticated principal, whatever its scopes: for what a user does to
/// itself (its password, its second factor). Refuses a user who must enrol
/// a second factor first, like [`Authorized`].
pub struct Authenticated(pub Principal);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = Rejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Authenticated(admit(parts, state, None, false).await?))
    }
}

/// Any authenticated principal, including a user the 2FA policy holds until
/// it enrols: only the enrolment operations take this.
pub struct Enrolling(pub Principal);

impl FromRequestParts<AppState> for Enrolling {
    type Rejection = Rejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Enrolling(admit(parts, state, None, true).await?))
    }
}

/// Authenticates (once per request), checks the 2FA policy and `scope`, and
/// only then gives a stored idempotent answer.
async fn admit(
    parts: &mut Parts,
    state: &AppState,
    scope: Option<Scope>,
    enrolling: bool,
) -> Result<Principal, Rejection> {
    let principal = match parts.extensions.get::<Principal>() {
        Some(p) => p.clone(),
        None => {
            let p = principal_of(state, parts).await?;
            parts.extensions.insert(p.clone());
            if let (Some(warning), Some(slot)) =
                (&p.key_warning, parts.extensions.get::<KeyWarning>())
            {
                *slot
                    .0
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(warning.clone());
            }
            p
        }
    };
    if principal.must_enrol && !enrolling {
        return Err(Rejection::Denied(ApiError::coded(
            crate::error::ErrorCode::TwoFactorEnrollmentRequired,
            "the 2FA policy requires a second factor for this user: enrol one (POST /v1/users/me/2fa, then /v1/users/me/2fa/confirm) before anything else",
        )));
    }
    if let Some(scope) = scope {
        principal.require(scope)?;
    }
    if let Some(answer) = parts.extensions.get::<StoredAnswer>()
        && let Some(response) = answer.take()
    {
        return Err(Rejection::Stored(response));
    }
    Ok(principal)
}

/// Authenticates the request (once per request), names the principal in the
/// request's audit context (the idempotency layer authenticates through here
/// too, before any extractor) and counts it against its rate limit.
pub async fn principal_of(state: &AppState, parts: &Parts) -> Result<Principal, ApiError> {
    let principal = authenticate(state, parts).await?;
    services::audit::note_principal(&principal);
    crate::rate_limit::check_principal(parts, &principal).await?;
    Ok(principal)
}

/// Header carrying a warning about the credential used (an API key near its
/// maximum age).
pub const KEY_WARNING_HEADER: &str = "x-api-key-warning";

/// Where authentication leaves a warning for the response; put in every
/// request by [`key_warning_layer`].
#[derive(Clone, Default)]
pub struct KeyWarning(Arc<Mutex<Option<String>>>);

/// Middleware: adds `X-API-Key-Warning` to the response when the request's
/// credential deserves one.
pub async fn key_warning_layer(
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let slot = KeyWarning::default();
    request.extensions_mut().insert(slot.clone());
    let mut response = next.run(request).await;
    let warning = slot
        .0
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .take();
    if let Some(value) = warning.and_then(|w| axum::http::HeaderValue::from_str(&w).ok()) {
        response.headers_mut().insert(KEY_WARNING_HEADER, value);
    }
    response
}

/// Authenticates the request's key, recording the peer address as its last
/// use.
async fn authenticate(state: &AppState, parts: &Parts) -> Result<Principal, ApiError> {
    let ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string());
    let key = presented_key(&parts.headers).ok_or_else(|| {
        ApiError::unauthorized(
            "missing credentials: send `Authorization: Bearer <API key or access token>` or `X-API-Key: mm_…`",
        )
    })?;
    if services::sessions::is_access_token(key) {
        return services::sessions::authenticate(state, key).await;
    }
    services::accounts::authenticate(state, key, ip.as_deref()).await
}

/// The key sent with the request, from `Authorization: Bearer` or `X-API-Key`.
pub fn presented_key(headers: &HeaderMap) -> Option<&str> {
    if let Some(value) = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let value = value.trim();
        if let Some((scheme, token)) = value.split_once(' ')
            && scheme.eq_ignore_ascii_case("bearer")
        {
            return Some(token.trim());
        }
        return Some("");
    }
    headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presented_key_reads_both_header_forms() {
        let mut h = HeaderMap::new();
        assert_eq!(presented_key(&h), None);
        h.insert("x-api-key", "mm_abc".parse().unwrap());
        assert_eq!(presented_key(&h), Some("mm_abc"));
        h.insert("authorization", "bearer mm_def".parse().unwrap());
        assert_eq!(presented_key(&h), Some("mm_def"));
        h.insert("authorization", "Basic dXNlcg==".parse().unwrap());
        assert_eq!(presented_key(&h), Some(""));
    }
}
