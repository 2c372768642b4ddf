//! Users who log in: admins create, change, disable them and reset their
//! passwords; users change their own password and manage their second
//! factor (TOTP enrolment with a QR code, backup codes, disabling).

use crate::services::audit::{self, AuditEvent, Outcome};
use mismatch_core::security::{Role, password, totp};

use crate::error::{ApiError, ErrorCode, FieldError};
use crate::ids::UserId;
use crate::services::accounts::Principal;
use crate::services::sessions::{self, normalise_email};
use crate::state::{AppState, now_ms};
use crate::storage::Page;
use crate::storage::users::UserRecord;

/// Longest email accepted (RFC 5321's path limit).
pub const MAX_EMAIL_BYTES: usize = 254;
/// Longest user name.
pub const MAX_NAME_CHARS: usize = 200;
/// Issuer shown in authenticator apps.
pub const TOTP_ISSUER: &str = "mismatch-recruiter";

fn check_email(email: &str) -> Result<String, FieldError> {
    let email = normalise_email(email);
    let valid = email.len() <= MAX_EMAIL_BYTES
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(email)
    } else {
        Err(FieldError::new(
            "email",
            format!("not an email address of at most {MAX_EMAIL_BYTES} bytes"),
        ))
    }
}

fn check_name(name: &str) -> Result<String, FieldError> {
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(FieldError::new(
            "name",
            format!("1–{MAX_NAME_CHARS} characters, no control characters"),
        ));
    }
    Ok(name.to_owned())
}

fn check_password(field: &str, candidate: &str) -> Result<(), FieldError> {
    password::check_policy(candidate).map_err(|e| FieldError::new(field, e.to_string()))
}

async fn hash_password(candidate: &str) -> Result<String, ApiError> {
    let candidate = candidate.to_owned();
    tokio::task::spawn_blocking(move || password::hash(&candidate))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::validation("password", e.to_string()))
}

/// A new login user.
pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub password: &'a str,
}

pub async fn create(state: &AppState, new: NewUser<'_>) -> Result<UserRecord, ApiError> {
    let mut errors = Vec::new();
    let email = check_email(new.email).map_err(|e| errors.push(e)).ok();
    let name = check_name(new.name).map_err(|e| errors.push(e)).ok();
    if let Err(e) = check_password("password", new.password) {
        errors.push(e);
    }
    let (Some(email), Some(name), true) = (email, name, errors.is_empty()) else {
        return Err(ApiError::validation_many(errors));
    };
    let now = now_ms();
    let mut user = UserRecord::new(UserId::generate(), name, new.role, now);
    user.email = Some(email);
    user.password_hash = Some(hash_password(new.password).await?);
    user.password_changed_at = Some(now);
    if !state.storage().insert_user(&user).await? {
        return Err(ApiError::conflict("a user with this email already exists"));
    }
    tracing::info!(user_id = %user.id, role = user.role.as_str(), "user created");
    audit::note_created(user.id.as_str());
    audit::record(
        state,
        AuditEvent::new("user.create")
            .resource("user", user.id.as_str())
            .detail("role", user.role.as_str()),
    )
    .await?;
    Ok(user)
}

pub async fn list(
    state: &AppState,
    cursor: Option<&UserId>,
    limit: u32,
) -> Result<Page<UserRecord>, ApiError> {
    Ok(state.storage().list_users(cursor, limit).await?)
}

pub async fn get(state: &AppState, id: &UserId) -> Result<UserRecord, ApiError> {
    state
        .storage()
        .get_user(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("user {id} does not exist")))
}

/// What an admin may change of a user.
#[derive(Debug, Default)]
pub struct UserChanges {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub disabled: Option<bool>,
}

pub async fn update(
    state: &AppState,
    caller: &Principal,
    id: &UserId,
    changes: UserChanges,
) -> Result<UserRecord, ApiError> {
    let mut user = get(state, id).await?;
    let before = (user.role, user.disabled_at.is_some());
    if *id == caller.user_id
        && (changes.disabled == Some(true) || changes.role.is_some_and(|r| r != user.role))
    {
        return Err(ApiError::conflict(
            "an admin cannot disable or demote itself; ask another admin",
        ));
    }
    if let Some(name) = changes.name {
        user.name = check_name(&name).map_err(|e| ApiError::validation_many(vec![e]))?;
    }
    if let Some(role) = changes.role {
        user.role = role;
    }
    match changes.disabled {
        Some(true) if user.disabled_at.is_none() => user.disabled_at = Some(now_ms()),
        Some(false) => user.disabled_at = None,
        _ => {}
    }
    state
        .storage()
        .update_user_profile(&user.id, &user.name, user.role, user.disabled_at)
        .await?;
    tracing::info!(user_id = %user.id, by = %caller.user_id, role = user.role.as_str(), disabled = user.disabled_at.is_some(), "user changed");
    if before.0 != user.role {
        audit::record(
            state,
            AuditEvent::new("user.role_change")
                .resource("user", user.id.as_str())
                .detail("from", before.0.as_str())
                .detail("to", user.role.as_str()),
        )
        .await?;
    }
    if before.1 != user.disabled_at.is_some() {
        let action = if before.1 {
            "user.enable"
        } else {
            "user.disable"
        };
        audit::record(
            state,
            AuditEvent::new(action).resource("user", user.id.as_str()),
        )
        .await?;
    }
    Ok(user)
}

/// An admin sets a new password; the user's sessions end.
pub async fn reset_password(
    state: &AppState,
    id: &UserId,
    new_password: &str,
) -> Result<(), ApiError> {
    let user = get(state, id).await?;
    check_password("password", new_password).map_err(|e| ApiError::validation_many(vec![e]))?;
    let hash = hash_password(new_password).await?;
    state
        .storage()
        .set_password(&user.id, &hash, now_ms())
        .await?;
    tracing::info!(user_id = %user.id, "password reset by an admin");
    audit::record(
        state,
        AuditEvent::new("user.password_reset").resource("user", user.id.as_str()),
    )
    .await?;
    Ok(())
}

/// The calling user, who must be one who logs in.
async fn login_user(state: &AppState, caller: &Principal) -> Result<UserRecord, ApiError> {
    let user = get(state, &caller.user_id).await?;
    if user.password_hash.is_none() {
        return Err(ApiError::conflict(
            "this user has no password (it only uses API keys); an admin can set one",
        ));
    }
    Ok(user)
}

async fn verify_password(user: &UserRecord, candidate: &str, field: &str) -> Result<(), ApiError> {
    let hash = user.password_hash.clone().unwrap_or_default();
    let candidate = candidate.to_owned();
    let ok = tokio::task::spawn_blocking(move || password::verify(&candidate, &hash))
        .await
        .map_err(ApiError::internal)?;
    if ok {
        Ok(())
    } else {
        Err(ApiError::validation(field, "the password is wrong"))
    }
}

/// A user changes its own password; its other sessions end.
pub async fn change_password(
    state: &AppState,
    caller: &Principal,
    current: &str,
    new_password: &str,
) -> Result<(), ApiError> {
    let user = login_user(state, caller).await?;
    if let Err(err) = verify_password(&user, current, "current_password").await {
        let _ = audit::record(
            state,
            AuditEvent::new("user.password_change")
                .outcome(Outcome::Failure)
                .resource("user", user.id.as_str())
                .detail("reason", "wrong_password"),
        )
        .await;
        return Err(err);
    }
    check_password("new_password", new_password).map_err(|e| ApiError::validation_many(vec![e]))?;
    let hash = hash_password(new_password).await?;
    state
        .storage()
        .set_password(&user.id, &hash, now_ms())
        .await?;
    tracing::info!(user_id = %user.id, "password changed");
    audit::record(
        state,
        AuditEvent::new("user.password_change").resource("user", user.id.as_str()),
    )
    .await?;
    Ok(())
}

/// What enrolment shows once: the secret in every form an authenticator
/// takes.
pub struct Enrolment {
    pub secret: String,
    pub otpauth_uri: String,
    pub qr_png: Vec<u8>,
    pub qr_svg: String,
}

/// Starts (or restarts) TOTP enrolment; the factor works once confirmed.
pub async fn enrol_two_factor(state: &AppState, caller: &Principal) -> Result<Enrolment, ApiError> {
    let user = login_user(state, caller).await?;
    if user.totp_enabled_at.is_some() {
        return Err(ApiError::conflict(
            "a second factor is already enabled; disable it first to enrol another",
        ));
    }
    let secret = totp::Secret::generate().map_err(ApiError::internal)?;
    let account = user.email.clone().unwrap_or_else(|| user.id.to_string());
    let uri = totp::otpauth_uri(&secret, TOTP_ISSUER, &account).map_err(ApiError::internal)?;
    let qr_png = totp::qr_png(&uri).map_err(ApiError::internal)?;
    let qr_svg = totp::qr_svg(&uri).map_err(ApiError::internal)?;
    if !state
        .storage()
        .set_pending_totp(&user.id, secret.as_bytes())
        .await?
    {
        return Err(ApiError::conflict("a second factor is already enabled"));
    }
    tracing::info!(user_id = %user.id, "second factor enrolment started");
    audit::record(
        state,
        AuditEvent::new("user.two_factor_enrol").resource("user", user.id.as_str()),
    )
    .await?;
    Ok(Enrolment {
        secret: secret.to_base32(),
        otpauth_uri: uri,
        qr_png,
        qr_svg,
    })
}

fn new_backup_codes() -> Result<(Vec<String>, Vec<String>), ApiError> {
    let codes = totp::backup_codes().map_err(ApiError::internal)?;
    let hashes = codes.iter().map(|c| totp::backup_code_hash(c)).collect();
    Ok((codes, hashes))
}

/// Records a wrong second-factor code (the refusal stands either way).
async fn two_factor_failed(state: &AppState, user: &UserRecord, action: &str) {
    let _ = audit::record(
        state,
        AuditEvent::new(action)
            .outcome(Outcome::Failure)
            .resource("user", user.id.as_str())
            .detail("reason", "invalid_code"),
    )
    .await;
}

fn wrong_code() -> ApiError {
    ApiError::coded(
        ErrorCode::InvalidTwoFactorCode,
        "the code is wrong, expired or already used",
    )
}

/// Confirms enrolment with a first code; returns the backup codes, shown
/// once.
pub async fn confirm_two_factor(
    state: &AppState,
    caller: &Principal,
    code: &str,
) -> Result<Vec<String>, ApiError> {
    let user = login_user(state, caller).await?;
    if user.totp_enabled_at.is_some() {
        return Err(ApiError::conflict("the second factor is already enabled"));
    }
    if user.totp_secret_sealed.is_none() {
        return Err(ApiError::conflict(
            "start enrolment first (POST /v1/users/me/2fa)",
        ));
    }
    let now = now_ms();
    if !sessions::accept_totp_code(state, &user, code, now).await? {
        state.storage().record_totp_failure(&user.id).await?;
        two_factor_failed(state, &user, "user.two_factor_confirm").await;
        return Err(wrong_code());
    }
    let (codes, hashes) = new_backup_codes()?;
    if !state.storage().enable_totp(&user.id, now, &hashes).await? {
        return Err(ApiError::conflict("the second factor is already enabled"));
    }
    tracing::info!(user_id = %user.id, "second factor enabled");
    audit::record(
        state,
        AuditEvent::new("user.two_factor_confirm").resource("user", user.id.as_str()),
    )
    .await?;
    Ok(codes)
}

/// New backup codes (the old ones stop working), after a current code.
pub async fn regenerate_backup_codes(
    state: &AppState,
    caller: &Principal,
    code: &str,
) -> Result<Vec<String>, ApiError> {
    let user = login_user(state, caller).await?;
    if user.totp_enabled_at.is_none() {
        return Err(ApiError::conflict("no second factor is enabled"));
    }
    let now = now_ms();
    if !sessions::check_second_factor(state, &user, code, now).await? {
        two_factor_failed(state, &user, "user.backup_codes_regenerate").await;
        return Err(wrong_code());
    }
    let (codes, hashes) = new_backup_codes()?;
    state
        .storage()
        .replace_backup_codes(&user.id, now, &hashes)
        .await?;
    tracing::info!(user_id = %user.id, "backup codes regenerated");
    audit::record(
        state,
        AuditEvent::new("user.backup_codes_regenerate").resource("user", user.id.as_str()),
    )
    .await?;
    Ok(codes)
}

/// Turns the second factor off: needs the password and a current code, and
/// is refused when the 2FA policy requires one for this user.
pub async fn disable_two_factor(
    state: &AppState,
    caller: &Principal,
    current_password: &str,
    code: &str,
) -> Result<(), ApiError> {
    let user = login_user(state, caller).await?;
    if user.totp_enabled_at.is_none() {
        return Err(ApiError::conflict("no second factor is enabled"));
    }
    if state.settings().identity.two_factor.requires(user.role) {
        return Err(ApiError::conflict(
            "the 2FA policy (MISMATCH_2FA_REQUIRED) requires a second factor for this user",
        ));
    }
    verify_password(&user, current_password, "password").await?;
    if !sessions::check_second_factor(state, &user, code, now_ms()).await? {
        two_factor_failed(state, &user, "user.two_factor_disable").await;
        return Err(wrong_code());
    }
    state.storage().disable_totp(&user.id).await?;
    tracing::info!(user_id = %user.id, "second factor disabled");
    audit::record(
        state,
        AuditEvent::new("user.two_factor_disable").resource("user", user.id.as_str()),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            check_email("  Ana@Example.COM ").unwrap(),
            "ana@example.com"
        );
        for bad in [
            "",
            "ana",
            "@example.com",
            "ana@",
            "ana@example",
            "a b@example.com",
            "ana@.com",
        ] {
            assert!(check_email(bad).is_err(), "{bad:?}");
        }
        assert!(check_email(&format!("{}@example.com", "a".repeat(250))).is_err());
    }

    #[test]
    fn names_are_bounded() {
        assert_eq!(check_name("  Ana  ").unwrap(), "Ana");
        assert!(check_name("").is_err());
        assert!(check_name(&"x".repeat(201)).is_err());
        assert!(check_name("a\u{0}b").is_err());
    }
}
