//! Users and their API keys as the rest of the server sees them: issuing a
//! key, and the first-start bootstrap of an admin.

use crate::api_key;
use crate::auth::{Role, Scope};
use crate::state::{new_id, now_ms};
use crate::storage::{ApiKeyRecord, Storage, StorageError, UserRecord};

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

/// Builds the record for a new key (not yet stored). `secret` is the key
/// string to register, or `None` to generate one.
pub fn key_record(
    user_id: &str,
    name: &str,
    role: Role,
    scopes: &[Scope],
    ttl_seconds: Option<i64>,
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
    let now = now_ms();
    Ok(IssuedKey {
        record: ApiKeyRecord {
            id: new_id("key"),
            user_id: user_id.to_owned(),
            name: name.to_owned(),
            prefix: api_key::public_prefix(&secret).to_owned(),
            key_hash: api_key::hash(&secret),
            role: role.as_str().to_owned(),
            scopes: scopes.iter().map(|s| s.as_str().to_owned()).collect(),
            ttl_seconds,
            created_at: now,
            expires_at: ttl_seconds.map(|ttl| now.saturating_add(ttl.saturating_mul(1000))),
            revoked_at: None,
            replaced_by: None,
            last_used_at: None,
            last_used_ip: None,
        },
        secret,
    })
}

/// Creates a user with `role` and one key for it (the `keys create` command
/// and admins creating service keys).
pub async fn create_user_with_key(
    storage: &Storage,
    name: &str,
    role: Role,
    scopes: &[Scope],
    ttl_seconds: Option<i64>,
    secret: Option<String>,
) -> Result<(UserRecord, IssuedKey), AccountError> {
    let user = UserRecord {
        id: new_id("usr"),
        name: name.to_owned(),
        role: role.as_str().to_owned(),
        created_at: now_ms(),
    };
    let issued = key_record(&user.id, name, role, scopes, ttl_seconds, secret)?;
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
        create_user_with_key(
            storage,
            "admin",
            Role::Admin,
            &[],
            None,
            Some(key.to_owned()),
        )
        .await?;
        return Ok(Bootstrap::RegisteredConfiguredKey);
    }
    if storage.count_users().await? > 0 {
        return Ok(Bootstrap::Nothing);
    }
    let (_, issued) = create_user_with_key(storage, "admin", Role::Admin, &[], None, None).await?;
    Ok(Bootstrap::Generated(Box::new(issued)))
}
