//! Users and their API keys: resolving a presented key to a [`Principal`],
//! issuing, rotating and revoking keys under the policy of
//! `mismatch_core::security::policy`, and the first-start admin.

use std::time::Instant;

use mismatch_core::security::{Grant, PolicyError, Role, Scope, api_key, effective_scopes};

use crate::error::ApiError;
use crate::ids::{ApiKeyId, UserId};
use crate::state::{AppState, now_ms};
use crate::storage::api_keys::{ApiKeyRecord, Rotated};
use crate::storage::users::UserRecord;
use crate::storage::{Page, Storage, StorageError};

/// What a request authenticated with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// An API key.
    ApiKey(ApiKeyId),
    /// A session's access token (its `jti`).
    Session(String),
}

impl std::fmt::Display for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::ApiKey(id) => write!(f, "{id}"),
            Credential::Session(jti) => write!(f, "session {jti}"),
        }
    }
}

/// Who is calling, as established from the API key or access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: UserId,
    pub credential: Credential,
    /// The 2FA policy requires this user to enrol a second factor before
    /// doing anything else ([`crate::auth::Authorized`] refuses every
    /// operation but enrolment).
    pub must_enrol: bool,
    /// A warning about the credential for the response (an API key near
    /// its maximum age).
    pub key_warning: Option<String>,
    /// The role it acts with: the user's, narrowed by the key's.
    pub role: Role,
    /// Effective scopes: the role's, narrowed by the key's.
    pub scopes: Vec<Scope>,
    /// When the key used stops working (Unix ms).
    pub expires_at: Option<i64>,
}

impl Principal {
    pub fn has(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// What the key used allows, for the key policy.
    pub fn grant(&self) -> Grant {
        Grant {
            role: self.role,
            scopes: self.scopes.clone(),
            expires_at: self.expires_at,
        }
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

/// A key that was just created; `secret` is shown once and never stored.
pub struct IssuedKey {
    pub record: ApiKeyRecord,
    pub secret: String,
}

impl std::fmt::Debug for IssuedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedKey")
            .field("record", &self.record)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("no secure random numbers available: {0}")]
    Random(String),
}

impl From<AccountError> for ApiError {
    fn from(err: AccountError) -> Self {
        match err {
            AccountError::Storage(e) => e.into(),
            other => ApiError::internal(other),
        }
    }
}

/// What a key is asked to be.
#[derive(Debug, Clone)]
pub struct KeySpec<'a> {
    pub name: &'a str,
    pub role: Role,
    /// Stored scopes; empty means every scope of the role.
    pub scopes: &'a [Scope],
    pub ttl_seconds: Option<i64>,
    /// When it stops working (Unix ms), already bounded by its maker's.
    pub expires_at: Option<i64>,
}

/// Builds the record for a new key (not yet stored). `secret` is the key
/// string to register, or `None` to generate one.
pub fn key_record(
    user_id: &UserId,
    spec: &KeySpec<'_>,
    secret: Option<String>,
) -> Result<IssuedKey, AccountError> {
    let secret = match secret {
        Some(s) => s,
        None => {
            api_key::generate()
                .map_err(|e| AccountError::Random(e.to_string()))?
                .secret
        }
    };
    Ok(IssuedKey {
        record: ApiKeyRecord {
            id: ApiKeyId::generate(),
            user_id: user_id.clone(),
            name: spec.name.to_owned(),
            prefix: api_key::public_prefix(&secret).to_owned(),
            key_hash: api_key::hash(&secret),
            role: spec.role,
            scopes: spec.scopes.to_vec(),
            ttl_seconds: spec.ttl_seconds,
            created_at: now_ms(),
            expires_at: spec.expires_at,
            revoked_at: None,
            revoked_reason: None,
            replaced_by: None,
            last_used_at: None,
            last_used_ip: None,
        },
        secret,
    })
}

/// `now + ttl` in Unix ms, saturating.
pub fn expiry_after(now: i64, ttl_seconds: Option<i64>) -> Option<i64> {
    ttl_seconds.map(|ttl| now.saturating_add(ttl.saturating_mul(1000)))
}

/// Creates a user with `role` and one key for it (the `keys create` command
/// and admins creating service keys).
pub async fn create_user_with_key(
    storage: &Storage,
    spec: &KeySpec<'_>,
    secret: Option<String>,
) -> Result<(UserRecord, IssuedKey), AccountError> {
    let user = UserRecord::new(
        UserId::generate(),
        spec.name.to_owned(),
        spec.role,
        now_ms(),
    );
    let issued = key_record(&user.id, spec, secret)?;
    storage.insert_user_with_key(&user, &issued.record).await?;
    Ok((user, issued))
}

/// What the first start did about the admin account.
#[derive(Debug)]
pub enum Bootstrap {
    /// Users already existed and no admin key was configured.
    Nothing,
    /// The configured `MISMATCH_ADMIN_API_KEY` was registered for a new admin.
    RegisteredConfiguredKey,
    /// The configured key was already known (possibly revoked: it is not revived).
    ConfiguredKeyKnown,
    /// The database was empty: a new admin key was generated (print it once).
    Generated(Box<IssuedKey>),
}

fn admin_spec() -> KeySpec<'static> {
    KeySpec {
        name: "admin",
        role: Role::Admin,
        scopes: &[],
        ttl_seconds: None,
        expires_at: None,
    }
}

/// On an empty database, creates the `admin` user with a fresh key. When
/// `configured_key` is set, registers that key for a new admin user instead,
/// if it is not known yet.
pub async fn bootstrap(
    storage: &Storage,
    configured_key: Option<&str>,
) -> Result<Bootstrap, AccountError> {
    if let Some(key) = configured_key {
        if storage
            .find_api_key_by_hash(&api_key::hash(key))
            .await?
            .is_some()
        {
            return Ok(Bootstrap::ConfiguredKeyKnown);
        }
        create_user_with_key(storage, &admin_spec(), Some(key.to_owned())).await?;
        return Ok(Bootstrap::RegisteredConfiguredKey);
    }
    if storage.count_users().await? > 0 {
        return Ok(Bootstrap::Nothing);
    }
    let (_, issued) = create_user_with_key(storage, &admin_spec(), None).await?;
    Ok(Bootstrap::Generated(Box::new(issued)))
}

/// Resolves a presented API key into a [`Principal`]; `ip` is recorded as
/// the key's last use (at most once a minute per key).
pub async fn authenticate(
    state: &AppState,
    key: &str,
    ip: Option<&str>,
) -> Result<Principal, ApiError> {
    if !api_key::is_well_formed(key) {
        return Err(ApiError::unauthorized("the API key is malformed"));
    }
    let hash = api_key::hash(key);
    let record = state
        .storage()
        .find_api_key_by_hash(&hash)
        .await?
        .filter(|r| api_key::same_hash(&hash, &r.key_hash))
        .ok_or_else(|| ApiError::unauthorized("the API key is not valid"))?;
    let now = now_ms();
    if record.revoked_at.is_some() {
        // A revoked key still in use is worth an alert: leaked, or a client
        // nobody updated.
        let _ = crate::services::audit::record(
            state,
            crate::services::audit::AuditEvent::new("api_key.use_revoked")
                .outcome(crate::services::audit::Outcome::Denied)
                .resource("api_key", record.id.as_str())
                .actor_user(record.user_id.as_str()),
        )
        .await;
        return Err(ApiError::unauthorized("the API key has been revoked"));
    }
    if record.expires_at.is_some_and(|exp| exp <= now) {
        return Err(ApiError::unauthorized(if record.replaced_by.is_some() {
            "the API key was rotated and its overlap has ended; use its replacement"
        } else {
            "the API key has expired"
        }));
    }
    let user = state
        .storage()
        .get_user(&record.user_id)
        .await?
        .ok_or_else(|| ApiError::unauthorized("the API key's user no longer exists"))?;
    if user.disabled_at.is_some() {
        return Err(ApiError::coded(
            crate::error::ErrorCode::AccountDisabled,
            "the API key's user is disabled",
        ));
    }
    let grant = Grant::of_key(user.role, record.role, &record.scopes, record.expires_at);
    if state
        .last_used()
        .should_write(record.id.as_str(), Instant::now())
    {
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
    let must_enrol = crate::services::sessions::must_enrol(state, &user);
    let identity = &state.settings().identity;
    let key_warning = match identity.key_age_limit(record.created_at) {
        Some(limit) if limit <= now => {
            return Err(ApiError::coded(
                crate::error::ErrorCode::ApiKeyTooOld,
                format!(
                    "the API key is older than the maximum age of {} days (since {}); rotate or replace it",
                    identity.api_key_max_age_days.unwrap_or_default(),
                    crate::state::rfc3339(limit)
                ),
            ));
        }
        Some(limit)
            if identity
                .key_age_warning_from(record.created_at)
                .is_some_and(|from| from <= now) =>
        {
            Some(format!(
                "this API key stops working at {} (maximum age {} days); rotate it",
                crate::state::rfc3339(limit),
                identity.api_key_max_age_days.unwrap_or_default()
            ))
        }
        _ => None,
    };
    Ok(Principal {
        user_id: user.id,
        credential: Credential::ApiKey(record.id),
        must_enrol,
        key_warning,
        role: grant.role,
        scopes: grant.scopes,
        expires_at: grant.expires_at,
    })
}

/// The effective role and scopes a stored key grants (before narrowing by
/// its user's role, which only ever lowers them).
pub fn key_grant(record: &ApiKeyRecord) -> Grant {
    Grant {
        role: record.role,
        scopes: effective_scopes(record.role, &record.scopes),
        expires_at: record.expires_at,
    }
}

fn policy_error(err: PolicyError) -> ApiError {
    ApiError::forbidden(err.to_string())
}

/// A request to create a key.
#[derive(Debug, Clone)]
pub struct NewKey<'a> {
    pub name: &'a str,
    /// `None`: the caller's role.
    pub role: Option<Role>,
    /// `None`: every scope of the role the caller holds.
    pub scopes: Option<&'a [Scope]>,
    pub ttl_seconds: Option<i64>,
}

/// Creates a key for the caller, or (an admin naming a role) a service user
/// with that role and a key for it. The key's role and scopes must be
/// covered by the caller's, and it expires no later than the caller's key.
pub async fn create_key(
    state: &AppState,
    caller: &Principal,
    req: NewKey<'_>,
) -> Result<IssuedKey, ApiError> {
    let role = req.role.unwrap_or(caller.role);
    let scopes = granted_scopes(caller, role, req.scopes)?;
    let grant = caller.grant();
    grant
        .covers(role, &effective_scopes(role, &scopes))
        .map_err(policy_error)?;
    let now = now_ms();
    let expires_at = grant.bound_expiry(expiry_after(now, req.ttl_seconds));
    let spec = KeySpec {
        name: req.name,
        role,
        scopes: &scopes,
        ttl_seconds: req.ttl_seconds,
        expires_at,
    };
    let service_user = req.role.is_some() && caller.is_admin();
    let issued = if service_user {
        create_user_with_key(state.storage(), &spec, None).await?.1
    } else {
        let issued = key_record(&caller.user_id, &spec, None)?;
        state.storage().insert_api_key(&issued.record).await?;
        issued
    };
    tracing::info!(key_id = %issued.record.id, user_id = %issued.record.user_id, role = role.as_str(), "API key created");
    crate::services::audit::note_created(issued.record.id.as_str());
    crate::services::audit::record(
        state,
        crate::services::audit::AuditEvent::new("api_key.create")
            .resource("api_key", issued.record.id.as_str())
            .detail("owner", issued.record.user_id.as_str())
            .detail("role", role.as_str()),
    )
    .await?;
    Ok(issued)
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

/// Admins see every key; others see their own.
pub async fn list_keys(
    state: &AppState,
    caller: &Principal,
    cursor: Option<&ApiKeyId>,
    limit: u32,
) -> Result<Page<ApiKeyRecord>, ApiError> {
    let owner = (!caller.is_admin()).then_some(&caller.user_id);
    Ok(state.storage().list_api_keys(owner, cursor, limit).await?)
}

/// The key `key_id` if the caller may manage it: its own key or (admins)
/// anyone's, and only a key whose role and scopes the caller's cover.
async fn managed_key(
    state: &AppState,
    caller: &Principal,
    key_id: &ApiKeyId,
) -> Result<ApiKeyRecord, ApiError> {
    let record = state
        .storage()
        .get_api_key(key_id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("API key {key_id} does not exist")))?;
    let target = key_grant(&record);
    caller
        .grant()
        .may_manage(
            caller.user_id.as_str(),
            record.user_id.as_str(),
            target.role,
            &target.scopes,
        )
        .map_err(policy_error)?;
    Ok(record)
}

/// Revokes a key at once; revoking a revoked key changes nothing. Its stored
/// replays (which may hold its secret, sealed) are forgotten.
pub async fn revoke_key(
    state: &AppState,
    caller: &Principal,
    key_id: &ApiKeyId,
) -> Result<ApiKeyRecord, ApiError> {
    let record = managed_key(state, caller, key_id).await?;
    if state.storage().revoke_api_key(&record.id, now_ms()).await? {
        tracing::info!(key_id = %record.id, by = %caller.credential, "API key revoked");
        crate::services::audit::record(
            state,
            crate::services::audit::AuditEvent::new("api_key.revoke")
                .resource("api_key", record.id.as_str())
                .detail("owner", record.user_id.as_str()),
        )
        .await?;
    }
    state
        .storage()
        .forget_replays_of(record.id.as_str())
        .await?;
    state
        .storage()
        .get_api_key(&record.id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("API key {key_id} does not exist")))
}

/// Default overlap of a rotation: a day for running clients to switch.
pub const DEFAULT_OVERLAP_SECONDS: i64 = 86_400;

/// A rotation's result: the new key, and when the old one stops working.
#[derive(Debug)]
pub struct Rotation {
    pub issued: IssuedKey,
    pub previous_key_expires_at: i64,
}

/// Issues a replacement with the same name, role, scopes and expiry (a
/// rotation never extends a key's life, and never past the caller's key),
/// and lets the old key work for `overlap_seconds` more (0: revoked now).
pub async fn rotate_key(
    state: &AppState,
    caller: &Principal,
    key_id: &ApiKeyId,
    overlap_seconds: i64,
) -> Result<Rotation, ApiError> {
    let old = managed_key(state, caller, key_id).await?;
    let inactive = |what: &str| {
        ApiError::conflict(format!("API key {key_id} is {what} and cannot be rotated"))
    };
    if old.revoked_at.is_some() {
        return Err(inactive("revoked"));
    }
    if old.replaced_by.is_some() {
        return Err(inactive("already rotated"));
    }
    let now = now_ms();
    if old.expires_at.is_some_and(|e| e <= now) {
        return Err(inactive("expired"));
    }
    let expires_at = caller.grant().bound_expiry(old.expires_at);
    let spec = KeySpec {
        name: &old.name,
        role: old.role,
        scopes: &old.scopes,
        ttl_seconds: old.ttl_seconds,
        expires_at,
    };
    let issued = key_record(&old.user_id, &spec, None)?;
    let overlap_end = now.saturating_add(overlap_seconds.saturating_mul(1000));
    let old_ends = old.expires_at.map_or(overlap_end, |e| e.min(overlap_end));
    let revoke_now = (overlap_seconds == 0).then_some(now);
    match state
        .storage()
        .rotate_api_key(&old.id, &issued.record, Some(old_ends), revoke_now)
        .await?
    {
        Rotated::Done => {}
        Rotated::NotActive => return Err(inactive("revoked or already rotated")),
    }
    tracing::info!(old_key_id = %old.id, new_key_id = %issued.record.id, overlap_seconds, "API key rotated");
    crate::services::audit::record(
        state,
        crate::services::audit::AuditEvent::new("api_key.rotate")
            .resource("api_key", old.id.as_str())
            .detail("new_key_id", issued.record.id.as_str())
            .detail("overlap_seconds", overlap_seconds),
    )
    .await?;
    Ok(Rotation {
        issued,
        previous_key_expires_at: old_ends,
    })
}

/// Revokes the keys unused for `MISMATCH_API_KEY_IDLE_REVOKE_DAYS` (by their
/// last recorded use, or creation if never used); returns how many.
pub async fn revoke_idle_keys(state: &AppState, now: i64) -> Result<u64, ApiError> {
    let Some(idle_before) = state.settings().identity.idle_before(now) else {
        return Ok(0);
    };
    let revoked = state
        .storage()
        .revoke_idle_api_keys(idle_before, now)
        .await?;
    if revoked > 0 {
        tracing::info!(revoked, "idle API keys revoked");
    }
    Ok(revoked)
}

/// How often the idle-key sweep runs.
pub const IDLE_SWEEP_INTERVAL: std::time::Duration = std::time::Duration::from_secs(3600);

/// Runs [`revoke_idle_keys`] at start and then every [`IDLE_SWEEP_INTERVAL`],
/// for as long as the server runs (a background task of `serve`).
pub async fn idle_key_sweep(state: AppState) {
    if state.settings().identity.api_key_idle_revoke_days.is_none() {
        return;
    }
    let mut ticker = tokio::time::interval(IDLE_SWEEP_INTERVAL);
    loop {
        ticker.tick().await;
        if let Err(err) = revoke_idle_keys(&state, now_ms()).await {
            tracing::warn!(error = %err, "idle API key sweep failed; retrying at the next tick");
        }
    }
}
