//! API-key authentication and role/scope authorisation.
//!
//! A request is authenticated once ([`authenticate`]) into a [`Principal`]:
//! the key's user, the role it acts with (the user's role narrowed by the
//! key's role) and its effective scopes (the role's scopes narrowed by the
//! key's scopes). Handlers state what they need in their signature with
//! [`Authorized<S>`], e.g. `Authorized<scope::JobsWrite>`: that extractor is
//! the one place per route where access is decided.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use utoipa::ToSchema;

use crate::api_key;
use crate::error::ApiError;
use crate::state::{AppState, now_ms};

/// What a user (and a key acting for it) may do; see the API guide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Recruiter,
    Viewer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Recruiter => "recruiter",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "recruiter" => Some(Role::Recruiter),
            "viewer" => Some(Role::Viewer),
            _ => None,
        }
    }

    /// Privilege level, higher is more.
    pub fn level(self) -> u8 {
        match self {
            Role::Viewer => 1,
            Role::Recruiter => 2,
            Role::Admin => 3,
        }
    }

    /// The less privileged of two roles.
    pub fn narrower(self, other: Role) -> Role {
        if self.level() <= other.level() {
            self
        } else {
            other
        }
    }

    /// Every scope this role grants. Every role may manage its own keys;
    /// only admins manage other people's (checked in the handlers).
    pub fn scopes(self) -> &'static [Scope] {
        match self {
            Role::Admin | Role::Recruiter => &Scope::ALL,
            Role::Viewer => &[
                Scope::CandidatesRead,
                Scope::JobsRead,
                Scope::MatchesRead,
                Scope::ApiKeysManage,
            ],
        }
    }
}

/// A permission that can be granted to a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum Scope {
    #[serde(rename = "candidates:read")]
    CandidatesRead,
    #[serde(rename = "candidates:write")]
    CandidatesWrite,
    #[serde(rename = "jobs:read")]
    JobsRead,
    #[serde(rename = "jobs:write")]
    JobsWrite,
    #[serde(rename = "matches:read")]
    MatchesRead,
    #[serde(rename = "salary:read")]
    SalaryRead,
    /// Training salary models changes what every later prediction says.
    #[serde(rename = "salary_models:write")]
    SalaryModelsWrite,
    /// Interview questions: recruiters and admins only, as the questions
    /// reveal what the candidate lacks.
    #[serde(rename = "interviews:read")]
    InterviewsRead,
    #[serde(rename = "api_keys:manage")]
    ApiKeysManage,
}

impl Scope {
    pub const ALL: [Scope; 9] = [
        Scope::CandidatesRead,
        Scope::CandidatesWrite,
        Scope::JobsRead,
        Scope::JobsWrite,
        Scope::MatchesRead,
        Scope::SalaryRead,
        Scope::SalaryModelsWrite,
        Scope::InterviewsRead,
        Scope::ApiKeysManage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::CandidatesRead => "candidates:read",
            Scope::CandidatesWrite => "candidates:write",
            Scope::JobsRead => "jobs:read",
            Scope::JobsWrite => "jobs:write",
            Scope::MatchesRead => "matches:read",
            Scope::SalaryRead => "salary:read",
            Scope::SalaryModelsWrite => "salary_models:write",
            Scope::InterviewsRead => "interviews:read",
            Scope::ApiKeysManage => "api_keys:manage",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == s)
    }
}

/// Who is calling, as established from the API key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: String,
    pub key_id: String,
    pub role: Role,
    /// Effective scopes: the role's, narrowed by the key's.
    pub scopes: Vec<Scope>,
}

impl Principal {
    pub fn has(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Fails with 403 unless the principal holds `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.has(scope) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "this API key (role {}) lacks the scope {}",
                self.role.as_str(),
                scope.as_str()
            )))
        }
    }
}

/// The effective scopes of a key with `key_scopes` (empty = all of the role).
pub fn effective_scopes(role: Role, key_scopes: &[Scope]) -> Vec<Scope> {
    role.scopes()
        .iter()
        .copied()
        .filter(|s| key_scopes.is_empty() || key_scopes.contains(s))
        .collect()
}

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
        ApiKeysManage
    );
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
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let principal = match parts.extensions.get::<Principal>() {
            Some(p) => p.clone(),
            None => {
                let ip = parts
                    .extensions
                    .get::<ConnectInfo<SocketAddr>>()
                    .map(|ConnectInfo(addr)| addr.ip().to_string());
                let p = authenticate(state, &parts.headers, ip.as_deref()).await?;
                parts.extensions.insert(p.clone());
                p
            }
        };
        principal.require(S::SCOPE)?;
        Ok(Authorized(principal, PhantomData))
    }
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

/// Resolves the request's API key into a [`Principal`].
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    ip: Option<&str>,
) -> Result<Principal, ApiError> {
    let key = presented_key(headers).ok_or_else(|| {
        ApiError::unauthorized(
            "missing API key: send `Authorization: Bearer mm_…` or `X-API-Key: mm_…`",
        )
    })?;
    if !api_key::is_well_formed(key) {
        return Err(ApiError::unauthorized("the API key is malformed"));
    }
    let hash = api_key::hash(key);
    let record = state
        .storage()
        .find_api_key_by_hash(&hash)
        .await?
        .filter(|r| bool::from(r.key_hash.as_bytes().ct_eq(hash.as_bytes())))
        .ok_or_else(|| ApiError::unauthorized("the API key is not valid"))?;
    let now = now_ms();
    if record.revoked_at.is_some() {
        return Err(ApiError::unauthorized("the API key has been revoked"));
    }
    if record.expires_at.is_some_and(|exp| exp <= now) {
        return Err(ApiError::unauthorized("the API key has expired"));
    }
    let user = state
        .storage()
        .get_user(&record.user_id)
        .await?
        .ok_or_else(|| ApiError::unauthorized("the API key's user no longer exists"))?;
    let user_role = Role::parse(&user.role)
        .ok_or_else(|| ApiError::internal(format!("user {} has unknown role", user.id)))?;
    let key_role = Role::parse(&record.role).unwrap_or(Role::Viewer);
    let role = user_role.narrower(key_role);
    let key_scopes: Vec<Scope> = record
        .scopes
        .iter()
        .filter_map(|s| Scope::parse(s))
        .collect();
    if state.last_used().should_write(&record.id, Instant::now()) {
        let not_after = now - state.last_used().interval_ms();
        if let Err(err) = state
            .storage()
            .touch_api_key(&record.id, now, ip, not_after)
            .await
        {
            // Bookkeeping must not fail the request it describes.
            tracing::warn!(key_id = %record.id, error = %err, "could not record API key use");
        }
    }
    Ok(Principal {
        user_id: user.id,
        key_id: record.id,
        role,
        scopes: effective_scopes(role, &key_scopes),
    })
}

/// Limits `last_used_at` writes to one per key per interval, so a busy key
/// does not turn every read into a write. The conditional UPDATE in storage
/// keeps the same bound across replicas; this map saves the round trip.
#[derive(Debug)]
pub struct LastUsedThrottle {
    interval: Duration,
    seen: Mutex<HashMap<String, Instant>>,
}

impl LastUsedThrottle {
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            seen: Mutex::new(HashMap::new()),
        }
    }

    pub fn interval_ms(&self) -> i64 {
        i64::try_from(self.interval.as_millis()).unwrap_or(i64::MAX)
    }

    /// Whether a use of `key_id` at `now` should be written; records it if so.
    pub fn should_write(&self, key_id: &str, now: Instant) -> bool {
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(last) = seen.get(key_id)
            && now.saturating_duration_since(*last) < self.interval
        {
            return false;
        }
        if seen.len() >= 10_000 {
            let interval = self.interval;
            seen.retain(|_, last| now.saturating_duration_since(*last) < interval);
        }
        seen.insert(key_id.to_owned(), now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_allows_one_write_per_interval() {
        let t = LastUsedThrottle::new(Duration::from_secs(60));
        let start = Instant::now();
        assert!(t.should_write("key_a", start));
        assert!(!t.should_write("key_a", start + Duration::from_secs(1)));
        assert!(!t.should_write("key_a", start + Duration::from_secs(59)));
        assert!(t.should_write("key_b", start + Duration::from_secs(1)));
        assert!(t.should_write("key_a", start + Duration::from_secs(60)));
        assert!(!t.should_write("key_a", start + Duration::from_secs(61)));
    }

    #[test]
    fn roles_and_scopes() {
        assert_eq!(Role::Admin.narrower(Role::Viewer), Role::Viewer);
        assert_eq!(Role::Viewer.narrower(Role::Recruiter), Role::Viewer);
        assert!(!Role::Viewer.scopes().contains(&Scope::JobsWrite));
        assert!(Role::Recruiter.scopes().contains(&Scope::SalaryRead));
        let narrowed = effective_scopes(Role::Viewer, &[Scope::JobsRead, Scope::JobsWrite]);
        assert_eq!(narrowed, vec![Scope::JobsRead]);
        assert_eq!(effective_scopes(Role::Admin, &[]).len(), Scope::ALL.len());
        for s in Scope::ALL {
            assert_eq!(Scope::parse(s.as_str()), Some(s));
        }
    }

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
