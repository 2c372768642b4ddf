//! User sessions: login with email and password (and a second factor when
//! the user has one), access tokens, refresh-token rotation, logout, and the
//! principal an access token stands for.
//!
//! Login never says whether an account exists: an unknown email runs the
//! same password hashing as a known one (`password::verify_nothing`) and
//! gets the same `invalid_credentials`. Guessing is bounded twice: per
//! account (`MAX_ACCOUNT_FAILURES` in a row lock it for `LOCKOUT_MS`, stored,
//! so every replica sees it) and per client address
//! (`MISMATCH_LOGIN_ADDRESS_MAX_FAILURES`, default [`MAX_IP_FAILURES`]
//! within `LOCKOUT_MS`, in memory). Both answer 429 `login_locked` with
//! `Retry-After`.

use crate::services::audit::{self, AuditEvent, Outcome};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use mismatch_core::security::{Grant, Role, Rotation, decide_rotation, password, refresh, totp};

use crate::error::{ApiError, ErrorCode};
use crate::ids::UserId;
use crate::services::accounts::{Credential, Principal};
use crate::state::{AppState, now_ms};
use crate::storage::users::{RefreshTokenRecord, UserRecord};

/// Failed logins in a row that lock an account.
pub const MAX_ACCOUNT_FAILURES: i64 = 5;
/// Failed logins from one address within [`LOCKOUT_MS`] that block it, by
/// default (`MISMATCH_LOGIN_ADDRESS_MAX_FAILURES`; raise it for many users
/// behind one NAT address).
pub const MAX_IP_FAILURES: u32 = 20;
/// How long a lock lasts, and the window of the per-address count.
pub const LOCKOUT_MS: i64 = 15 * 60 * 1000;
/// Wrong second-factor codes in a row that lock the account (as failed
/// logins do).
pub const MAX_CODE_FAILURES: i64 = 5;
/// Addresses tracked at most; the oldest windows are dropped beyond it.
const MAX_TRACKED_ADDRESSES: usize = 100_000;

/// Failed logins per client address: a count and when its window started.
#[derive(Debug, Default)]
pub struct LoginAttempts {
    by_ip: Mutex<HashMap<IpAddr, (u32, i64)>>,
}

impl LoginAttempts {
    /// Milliseconds until `ip` may try again, if it is blocked.
    pub fn blocked_for(&self, ip: Option<IpAddr>, now: i64, max_failures: u32) -> Option<i64> {
        let ip = ip?;
        let map = self.by_ip.lock().unwrap_or_else(|p| p.into_inner());
        let (count, start) = *map.get(&ip)?;
        let ends = start + LOCKOUT_MS;
        (count >= max_failures && ends > now).then_some(ends - now)
    }

    pub fn record_failure(&self, ip: Option<IpAddr>, now: i64) {
        let Some(ip) = ip else { return };
        let mut map = self.by_ip.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_TRACKED_ADDRESSES && !map.contains_key(&ip) {
            map.retain(|_, (_, start)| *start + LOCKOUT_MS > now);
            if map.len() >= MAX_TRACKED_ADDRESSES {
                // Still full of live windows: forget the oldest one.
                if let Some(oldest) = map.iter().min_by_key(|(_, (_, s))| *s).map(|(k, _)| *k) {
                    map.remove(&oldest);
                }
            }
        }
        let entry = map.entry(ip).or_insert((0, now));
        if entry.1 + LOCKOUT_MS <= now {
            *entry = (0, now);
        }
        entry.0 += 1;
    }
}

/// What a login or refresh hands out.
#[derive(Debug, Clone)]
pub struct TokenPair {
    pub access_token: String,
    pub access_expires_at: i64,
    pub refresh_token: String,
    pub refresh_expires_at: i64,
}

/// The result of the first login step.
#[derive(Debug, Clone)]
pub enum LoginOutcome {
    /// No second factor: the session.
    Tokens(TokenPair),
    /// The user has a second factor: a challenge token for
    /// [`second_factor`], valid a few minutes.
    SecondFactor {
        challenge_token: String,
        expires_at: i64,
    },
}

fn locked(ms: i64) -> ApiError {
    let secs = (ms + 999) / 1000;
    ApiError::coded(
        ErrorCode::LoginLocked,
        format!("too many failed attempts; try again in {secs} s"),
    )
    .with_retry_after(secs.max(1) as u64)
}

fn invalid_credentials() -> ApiError {
    ApiError::coded(
        ErrorCode::InvalidCredentials,
        "the email or password is wrong",
    )
}

/// Emails are compared lower-cased and trimmed.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Whether the 2FA policy requires `user` to enrol first. Only users who log
/// in (who have a password) are concerned: users made for API keys alone
/// (service accounts, `keys create`) have no login to protect.
pub fn must_enrol(state: &AppState, user: &UserRecord) -> bool {
    user.password_hash.is_some()
        && user.totp_enabled_at.is_none()
        && state.settings().identity.two_factor.requires(user.role)
}

/// Runs argon2 off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)
}

/// Records a refused login (never fails the answer: the refusal stands).
async fn login_failed(state: &AppState, user: Option<&UserId>, reason: &str) {
    let mut event = AuditEvent::new("auth.login")
        .outcome(Outcome::Failure)
        .detail("reason", reason);
    if let Some(user) = user {
        event = event
            .resource("user", user.as_str())
            .actor_user(user.as_str());
    }
    let _ = audit::record(state, event).await;
}

/// The first login step.
pub async fn login(
    state: &AppState,
    email: &str,
    password: &str,
    ip: Option<IpAddr>,
) -> Result<LoginOutcome, ApiError> {
    let now = now_ms();
    let max_failures = state.settings().identity.login_address_max_failures;
    if let Some(ms) = state.login_attempts().blocked_for(ip, now, max_failures) {
        return Err(locked(ms));
    }
    let user = state
        .storage()
        .find_user_by_email(&normalise_email(email))
        .await?;
    let Some(user) = user.filter(|u| u.password_hash.is_some()) else {
        let password = password.to_owned();
        blocking(move || password::verify_nothing(&password)).await?;
        state.login_attempts().record_failure(ip, now);
        // No actor and no email: the address typed may be someone's
        // personal data, or a password typed in the wrong field.
        login_failed(state, None, "unknown_user").await;
        return Err(invalid_credentials());
    };
    if let Some(until) = user.locked_until.filter(|&until| until > now) {
        login_failed(state, Some(&user.id), "locked").await;
        return Err(locked(until - now));
    }
    let hash = user.password_hash.clone().unwrap_or_default();
    let candidate = password.to_owned();
    let (ok, rehash) = blocking(move || {
        let ok = password::verify(&candidate, &hash);
        let rehash = (ok && password::needs_rehash(&hash))
            .then(|| password::hash(&candidate).ok())
            .flatten();
        (ok, rehash)
    })
    .await?;
    if !ok {
        state.login_attempts().record_failure(ip, now);
        state
            .storage()
            .record_login_failure(&user.id, MAX_ACCOUNT_FAILURES, now + LOCKOUT_MS)
            .await?;
        tracing::info!(user_id = %user.id, "failed login");
        login_failed(state, Some(&user.id), "wrong_password").await;
        return Err(invalid_credentials());
    }
    if user.disabled_at.is_some() {
        login_failed(state, Some(&user.id), "account_disabled").await;
        return Err(ApiError::coded(
            ErrorCode::AccountDisabled,
            "this account is disabled",
        ));
    }
    if let Some(new_hash) = rehash {
        state
            .storage()
            .set_password(&user.id, &new_hash, now)
            .await?;
    }
    if user.totp_enabled_at.is_some() {
        let challenge = state
            .secrets()
            .tokens
            .issue_challenge(user.id.as_str(), now)
            .map_err(ApiError::internal)?;
        audit::record(
            state,
            AuditEvent::new("auth.login")
                .resource("user", user.id.as_str())
                .actor_user(user.id.as_str())
                .detail("second_factor", "required"),
        )
        .await?;
        return Ok(LoginOutcome::SecondFactor {
            challenge_token: challenge.token,
            expires_at: challenge.expires_at,
        });
    }
    state.storage().reset_login_failures(&user.id).await?;
    tracing::info!(user_id = %user.id, "login");
    audit::record(
        state,
        AuditEvent::new("auth.login")
            .resource("user", user.id.as_str())
            .actor_user(user.id.as_str()),
    )
    .await?;
    Ok(LoginOutcome::Tokens(
        start_session(state, &user, now).await?,
    ))
}

/// The second login step: the challenge token and a TOTP or backup code.
pub async fn second_factor(
    state: &AppState,
    challenge_token: &str,
    code: &str,
    ip: Option<IpAddr>,
) -> Result<TokenPair, ApiError> {
    let now = now_ms();
    let max_failures = state.settings().identity.login_address_max_failures;
    if let Some(ms) = state.login_attempts().blocked_for(ip, now, max_failures) {
        return Err(locked(ms));
    }
    let claims = state
        .secrets()
        .tokens
        .verify_challenge(challenge_token, now)
        .map_err(|e| ApiError::unauthorized(format!("the challenge token is not valid: {e}")))?;
    let user_id: UserId = claims
        .subject
        .parse()
        .map_err(|_| ApiError::unauthorized("the challenge token is not valid"))?;
    let user = state
        .storage()
        .get_user(&user_id)
        .await?
        .ok_or_else(|| ApiError::unauthorized("the challenge token is not valid"))?;
    if let Some(until) = user.locked_until.filter(|&until| until > now) {
        return Err(locked(until - now));
    }
    if user.disabled_at.is_some() {
        return Err(ApiError::coded(
            ErrorCode::AccountDisabled,
            "this account is disabled",
        ));
    }
    if !check_second_factor(state, &user, code, now).await? {
        state.login_attempts().record_failure(ip, now);
        let _ = audit::record(
            state,
            AuditEvent::new("auth.second_factor")
                .outcome(Outcome::Failure)
                .resource("user", user.id.as_str())
                .actor_user(user.id.as_str())
                .detail("reason", "invalid_code"),
        )
        .await;
        return Err(ApiError::coded(
            ErrorCode::InvalidTwoFactorCode,
            "the code is wrong, expired or already used",
        ));
    }
    state.storage().reset_login_failures(&user.id).await?;
    tracing::info!(user_id = %user.id, "login with second factor");
    audit::record(
        state,
        AuditEvent::new("auth.second_factor")
            .resource("user", user.id.as_str())
            .actor_user(user.id.as_str()),
    )
    .await?;
    start_session(state, &user, now).await
}

/// Checks a TOTP code (accepted at most once) or a backup code (spent);
/// counts a failure, and locks the account after [`MAX_CODE_FAILURES`].
pub async fn check_second_factor(
    state: &AppState,
    user: &UserRecord,
    code: &str,
    now: i64,
) -> Result<bool, ApiError> {
    let accepted = accept_totp_code(state, user, code, now).await? || {
        let spent = state
            .storage()
            .use_backup_code(&user.id, &totp::backup_code_hash(code), now)
            .await?;
        if spent {
            audit::record(
                state,
                AuditEvent::new("user.backup_code_use")
                    .resource("user", user.id.as_str())
                    .actor_user(user.id.as_str()),
            )
            .await?;
        }
        spent
    };
    if !accepted {
        let failures = state.storage().record_totp_failure(&user.id).await?;
        if failures >= MAX_CODE_FAILURES {
            state
                .storage()
                .record_login_failure(&user.id, 1, now + LOCKOUT_MS)
                .await?;
        }
    }
    Ok(accepted)
}

/// Whether `code` is the user's TOTP code at `now` (±1 step) and newer than
/// the last one accepted; records its step, so it is accepted only once,
/// even by requests racing with it.
pub async fn accept_totp_code(
    state: &AppState,
    user: &UserRecord,
    code: &str,
    now: i64,
) -> Result<bool, ApiError> {
    let secret = open_totp_secret(state, user)?;
    let unix = u64::try_from(now / 1000).unwrap_or(0);
    let last = user.totp_last_step.and_then(|s| u64::try_from(s).ok());
    let Some(step) = totp::verify(&secret, code.trim(), unix, last) else {
        return Ok(false);
    };
    Ok(state
        .storage()
        .accept_totp_step(&user.id, i64::try_from(step).unwrap_or(i64::MAX))
        .await?)
}

/// The user's TOTP secret, decrypted by the storage.
pub fn open_totp_secret(state: &AppState, user: &UserRecord) -> Result<totp::Secret, ApiError> {
    let bytes = state
        .storage()
        .open_totp_secret(user)?
        .ok_or_else(|| ApiError::conflict("no second factor is enrolled"))?;
    let bytes: [u8; totp::SECRET_LEN] = bytes
        .try_into()
        .map_err(|_| ApiError::internal("a stored TOTP secret has the wrong length"))?;
    Ok(totp::Secret::from_bytes(bytes))
}

/// Issues an access token and a new refresh-token family.
async fn start_session(
    state: &AppState,
    user: &UserRecord,
    now: i64,
) -> Result<TokenPair, ApiError> {
    let family_id = refresh::new_family_id().map_err(ApiError::internal)?;
    issue_pair(
        state,
        user,
        family_id,
        refresh::family_expiry(now),
        now,
        None,
    )
    .await
}

/// An access token for `user` and the next refresh token of `family_id`;
/// with `spent`, the presented refresh token is spent in the same
/// transaction (false: it was spent concurrently — reuse).
async fn issue_pair(
    state: &AppState,
    user: &UserRecord,
    family_id: String,
    family_expires_at: i64,
    now: i64,
    spent: Option<&str>,
) -> Result<TokenPair, ApiError> {
    let grant = Grant {
        role: user.role,
        scopes: user.role.scopes().to_vec(),
        expires_at: None,
    };
    let access = state
        .secrets()
        .tokens
        .issue_access(user.id.as_str(), &grant, now)
        .map_err(ApiError::internal)?;
    let next = refresh::generate().map_err(ApiError::internal)?;
    let record = RefreshTokenRecord {
        token_hash: next.hash(),
        family_id,
        user_id: user.id.clone(),
        created_at: now,
        expires_at: family_expires_at,
        used_at: None,
        revoked_at: None,
    };
    match spent {
        None => state.storage().insert_refresh_token(&record).await?,
        Some(spent_hash) => {
            if !state
                .storage()
                .rotate_refresh_token(spent_hash, now, &record)
                .await?
            {
                state
                    .storage()
                    .revoke_refresh_family(&record.family_id, now)
                    .await?;
                tracing::warn!(user_id = %user.id, "refresh token reused; its family is revoked");
                return Err(ApiError::unauthorized(
                    "the refresh token was already used; every session of this login is ended",
                ));
            }
        }
    }
    Ok(TokenPair {
        access_token: access.token,
        access_expires_at: access.expires_at,
        refresh_token: next.secret,
        refresh_expires_at: family_expires_at,
    })
}

/// Exchanges a refresh token for a new pair; a spent token presented again
/// revokes its whole family.
pub async fn refresh_session(state: &AppState, token: &str) -> Result<TokenPair, ApiError> {
    let invalid = || ApiError::unauthorized("the refresh token is not valid");
    if !refresh::is_well_formed(token) {
        return Err(invalid());
    }
    let hash = refresh::hash(token);
    let record = state
        .storage()
        .find_refresh_token(&hash)
        .await?
        .filter(|r| refresh::verify(token, &r.token_hash))
        .ok_or_else(invalid)?;
    let now = now_ms();
    let decision = decide_rotation(
        &mismatch_core::security::RefreshRecord {
            family_id: record.family_id.clone(),
            used: record.used_at.is_some(),
            expires_at: record.expires_at,
            revoked: record.revoked_at.is_some(),
        },
        now,
    );
    match decision {
        Rotation::Rotate {
            family_id,
            expires_at,
        } => {
            let user = state
                .storage()
                .get_user(&record.user_id)
                .await?
                .ok_or_else(invalid)?;
            if user.disabled_at.is_some() {
                state
                    .storage()
                    .revoke_refresh_family(&family_id, now)
                    .await?;
                return Err(ApiError::coded(
                    ErrorCode::AccountDisabled,
                    "this account is disabled",
                ));
            }
            issue_pair(state, &user, family_id, expires_at, now, Some(&hash)).await
        }
        Rotation::ReuseDetected { family_id } => {
            state
                .storage()
                .revoke_refresh_family(&family_id, now)
                .await?;
            tracing::warn!(user_id = %record.user_id, "refresh token reused; its family is revoked");
            Err(ApiError::unauthorized(
                "the refresh token was already used; every session of this login is ended",
            ))
        }
        Rotation::Expired => Err(ApiError::unauthorized(
            "the session has expired; log in again",
        )),
        Rotation::Revoked => Err(ApiError::unauthorized(
            "the session was ended; log in again",
        )),
    }
}

/// Ends the session the refresh token belongs to (its whole family). An
/// unknown token is not an error: logging out twice is harmless.
pub async fn logout(state: &AppState, token: &str) -> Result<(), ApiError> {
    if !refresh::is_well_formed(token) {
        return Err(ApiError::validation("refresh_token", "not a refresh token"));
    }
    if let Some(record) = state
        .storage()
        .find_refresh_token(&refresh::hash(token))
        .await?
        .filter(|r| refresh::verify(token, &r.token_hash))
    {
        state
            .storage()
            .revoke_refresh_family(&record.family_id, now_ms())
            .await?;
    }
    Ok(())
}

/// Whether a bearer credential looks like an access token (a JWT) rather
/// than an API key.
pub fn is_access_token(credential: &str) -> bool {
    credential.starts_with("ey") && credential.matches('.').count() == 2
}

/// The principal an access token stands for. The user is read again, so a
/// disabled user, a changed role or a password changed after the token was
/// issued take effect at once.
pub async fn authenticate(state: &AppState, token: &str) -> Result<Principal, ApiError> {
    let now = now_ms();
    let claims = state
        .secrets()
        .tokens
        .verify_access(token, now)
        .map_err(|e| ApiError::unauthorized(format!("the access token is not valid: {e}")))?;
    let user_id: UserId = claims
        .subject
        .parse()
        .map_err(|_| ApiError::unauthorized("the access token is not valid"))?;
    let user = state
        .storage()
        .get_user(&user_id)
        .await?
        .ok_or_else(|| ApiError::unauthorized("the access token's user no longer exists"))?;
    if user.disabled_at.is_some() {
        return Err(ApiError::coded(
            ErrorCode::AccountDisabled,
            "this account is disabled",
        ));
    }
    if user
        .password_changed_at
        // JWTs carry whole seconds: a token is stale when the password
        // changed in a later second than the one it was issued in.
        .is_some_and(|at| at / 1000 > claims.issued_at / 1000)
    {
        return Err(ApiError::unauthorized(
            "the password changed after this token was issued; log in again",
        ));
    }
    // The role may have been lowered since: act with the narrower one.
    let role: Role = user.role.narrower(claims.role);
    let grant = Grant::of_key(user.role, role, &claims.scopes, Some(claims.expires_at));
    Ok(Principal {
        must_enrol: must_enrol(state, &user),
        key_warning: None,
        user_id: user.id,
        credential: Credential::Session(claims.token_id),
        role: grant.role,
        scopes: grant.scopes,
        expires_at: grant.expires_at,
    })
}
