//! Identity settings and the secrets the server holds for user sessions.
//!
//! - The access-token keyring (Ed25519, `kid` = JWK thumbprint): from
//!   `MISMATCH_JWT_KEYS` (PKCS#8 PEM files, comma-separated; the last one
//!   signs, all verify, so a key is rotated by appending the new one and
//!   dropping the old one an hour later), or generated once into
//!   `<data dir>/jwt-signing-key.pem` for the embedded default.
//! - The Fernet keyring that encrypts personal data and TOTP secrets at rest
//!   (`storage::encryption`): from `MISMATCH_ENCRYPTION_KEYS` (comma-separated
//!   Fernet keys; the first encrypts, all decrypt), or, on the embedded
//!   SQLite default only, generated once into `<data dir>/encryption.keys`.
//!   With PostgreSQL a missing keyring stops the start: replicas must share
//!   it, and a key generated on one machine would be lost with it.
//! - The old secret key (`MISMATCH_SECRET_KEY` or `<data dir>/secret.key`)
//!   that sealed TOTP secrets before the keyring: read when present, only to
//!   open those until a key rotation converts them; never generated now.
//! - The 2FA policy, `MISMATCH_2FA_REQUIRED` = `off` | `admins` | `all`.
//!
//! Several replicas must share these secrets: configure them; generated
//! files only suit a single server. Generated files are written with mode
//! 0600.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use mismatch_core::security::fernet::Keyring as FieldKeyring;
use mismatch_core::security::{Keyring, Role, SigningKey, TokenAuthority};

use crate::config::ConfigError;
use crate::storage::encryption::FieldCrypto;

/// The file a generated encryption keyring is kept in (embedded SQLite
/// default only).
pub const ENCRYPTION_KEYS_FILE: &str = "encryption.keys";

/// Who must use a second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TwoFactorPolicy {
    /// Nobody (users may still enrol).
    #[default]
    Off,
    /// Users with the admin role.
    Admins,
    /// Every user who logs in.
    All,
}

impl TwoFactorPolicy {
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "off" | "" => Ok(Self::Off),
            "admins" => Ok(Self::Admins),
            "all" => Ok(Self::All),
            other => Err(ConfigError(format!(
                "MISMATCH_2FA_REQUIRED: '{other}' is not one of off, admins, all"
            ))),
        }
    }

    /// Whether a user of `role` must have a confirmed second factor.
    pub fn requires(self, role: Role) -> bool {
        match self {
            Self::Off => false,
            Self::Admins => role == Role::Admin,
            Self::All => true,
        }
    }
}

/// Identity configuration, validated.
#[derive(Debug, Clone)]
pub struct IdentitySettings {
    pub jwt_key_files: Vec<PathBuf>,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    /// From `MISMATCH_SECRET_KEY`: the pre-keyring key that sealed TOTP
    /// secrets (`None`: `<data dir>/secret.key` if it exists).
    pub secret_key: Option<SecretKey>,
    /// From `MISMATCH_ENCRYPTION_KEYS`; `None`: generated into the data dir
    /// (SQLite) or a startup error (PostgreSQL).
    pub encryption_keys: Option<Arc<FieldKeyring>>,
    pub two_factor: TwoFactorPolicy,
    /// API keys older than this are refused (`api_key_too_old`); `None`: no
    /// limit. From `MISMATCH_API_KEY_MAX_AGE_DAYS` (0 = none).
    pub api_key_max_age_days: Option<u32>,
    /// Keys unused this long are revoked by the hourly sweep; `None`: never.
    /// From `MISMATCH_API_KEY_IDLE_REVOKE_DAYS` (0 = never).
    pub api_key_idle_revoke_days: Option<u32>,
    /// Failed logins from one address within 15 minutes that block it
    /// (`MISMATCH_LOGIN_ADDRESS_MAX_FAILURES`).
    pub login_address_max_failures: u32,
}

/// Days before the maximum age from which a key's responses carry a warning.
pub const KEY_AGE_WARNING_DAYS: u32 = 14;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

impl IdentitySettings {
    /// When a key created at `created_at` stops working because of its age.
    pub fn key_age_limit(&self, created_at: i64) -> Option<i64> {
        self.api_key_max_age_days
            .map(|days| created_at.saturating_add(i64::from(days) * DAY_MS))
    }

    /// From when a key created at `created_at` is warned about its age.
    pub fn key_age_warning_from(&self, created_at: i64) -> Option<i64> {
        self.api_key_max_age_days.map(|days| {
            let warn = days.saturating_sub(KEY_AGE_WARNING_DAYS.min(days / 2));
            created_at.saturating_add(i64::from(warn) * DAY_MS)
        })
    }

    /// Last use before which a key counts as idle at `now`.
    pub fn idle_before(&self, now: i64) -> Option<i64> {
        self.api_key_idle_revoke_days
            .map(|days| now.saturating_sub(i64::from(days) * DAY_MS))
    }
}

impl Default for IdentitySettings {
    fn default() -> Self {
        Self {
            jwt_key_files: Vec::new(),
            jwt_issuer: DEFAULT_ISSUER.to_owned(),
            jwt_audience: DEFAULT_AUDIENCE.to_owned(),
            secret_key: None,
            encryption_keys: None,
            two_factor: TwoFactorPolicy::Off,
            api_key_max_age_days: None,
            api_key_idle_revoke_days: None,
            login_address_max_failures: crate::services::sessions::MAX_IP_FAILURES,
        }
    }
}

pub const DEFAULT_ISSUER: &str = "mismatch-recruiter";
pub const DEFAULT_AUDIENCE: &str = "mismatch-recruiter-api";

/// 32 secret bytes; `Debug` never shows them.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey([u8; 32]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(…)")
    }
}

impl SecretKey {
    pub fn generate() -> Result<Self, String> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| format!("no secure random numbers: {e}"))?;
        Ok(Self(bytes))
    }

    /// Parses base64 (standard alphabet, padding optional) of exactly 32 bytes.
    pub fn from_base64(text: &str, source: &str) -> Result<Self, ConfigError> {
        let text = text.trim();
        let bytes = STANDARD
            .decode(text)
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(text))
            .map_err(|_| ConfigError(format!("{source}: not base64")))?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| {
            ConfigError(format!(
                "{source}: must be 32 bytes (44 base64 characters), e.g. from `openssl rand -base64 32`"
            ))
        })?;
        Ok(Self(bytes))
    }

    /// The key as the text part the sealing functions take.
    pub fn as_part(&self) -> String {
        hex::encode(self.0)
    }
}

/// What the raw configuration says, before validation.
#[derive(Debug, Default)]
pub struct RawIdentity {
    pub jwt_keys: Option<String>,
    pub jwt_issuer: Option<String>,
    pub jwt_audience: Option<String>,
    pub secret_key: Option<String>,
    pub encryption_keys: Option<String>,
    pub two_factor_required: Option<String>,
    pub api_key_max_age_days: Option<String>,
    pub api_key_idle_revoke_days: Option<String>,
    pub login_address_max_failures: Option<String>,
}

fn days(variable: &str, text: &str) -> Result<Option<u32>, ConfigError> {
    let n: u32 = text
        .trim()
        .parse()
        .ok()
        .filter(|&n| n <= 36_500)
        .ok_or_else(|| {
            ConfigError(format!(
                "{variable}: '{text}' is not a whole number of days from 0 to 36500"
            ))
        })?;
    Ok((n > 0).then_some(n))
}

impl IdentitySettings {
    pub fn from_raw(raw: RawIdentity) -> Result<Self, ConfigError> {
        let mut settings = Self::default();
        if let Some(list) = raw.jwt_keys {
            settings.jwt_key_files = list
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(PathBuf::from)
                .collect();
        }
        if let Some(issuer) = raw.jwt_issuer.filter(|s| !s.trim().is_empty()) {
            settings.jwt_issuer = issuer.trim().to_owned();
        }
        if let Some(audience) = raw.jwt_audience.filter(|s| !s.trim().is_empty()) {
            settings.jwt_audience = audience.trim().to_owned();
        }
        if let Some(key) = raw.secret_key.filter(|s| !s.trim().is_empty()) {
            settings.secret_key = Some(SecretKey::from_base64(&key, "MISMATCH_SECRET_KEY")?);
        }
        if let Some(keys) = raw.encryption_keys.filter(|s| !s.trim().is_empty()) {
            let ring = FieldKeyring::parse(&keys)
                .map_err(|e| ConfigError(format!("MISMATCH_ENCRYPTION_KEYS: {e}")))?;
            settings.encryption_keys = Some(Arc::new(ring));
        }
        if let Some(policy) = raw.two_factor_required {
            settings.two_factor = TwoFactorPolicy::parse(&policy)?;
        }
        if let Some(text) = raw.api_key_max_age_days {
            settings.api_key_max_age_days = days("MISMATCH_API_KEY_MAX_AGE_DAYS", &text)?;
        }
        if let Some(text) = raw.login_address_max_failures {
            settings.login_address_max_failures = text
                .trim()
                .parse()
                .ok()
                .filter(|n| (1..=1_000_000).contains(n))
                .ok_or_else(|| {
                    ConfigError(format!(
                        "MISMATCH_LOGIN_ADDRESS_MAX_FAILURES: '{text}' is not a whole number from 1 to 1000000"
                    ))
                })?;
        }
        if let Some(text) = raw.api_key_idle_revoke_days {
            settings.api_key_idle_revoke_days = days("MISMATCH_API_KEY_IDLE_REVOKE_DAYS", &text)?;
        }
        Ok(settings)
    }
}

/// The secrets of a running server.
#[derive(Debug, Clone)]
pub struct Secrets {
    pub tokens: TokenAuthority,
    /// The encryption keyring (and the old TOTP sealing key), which the
    /// storage's row mappers use.
    pub crypto: Arc<FieldCrypto>,
}

impl Secrets {
    /// Secrets held in memory only: what tests and `AppState::new` use when
    /// nothing is configured. Tokens die with the process. The encryption
    /// keys are the configured ones, else `crypto` (the keys a storage
    /// already carries), else an ephemeral keyring that dies with the
    /// process too.
    pub fn ephemeral(
        settings: &IdentitySettings,
        crypto: Option<Arc<FieldCrypto>>,
    ) -> Result<Self, String> {
        let keyring = if settings.jwt_key_files.is_empty() {
            Keyring::generate().map_err(|e| e.to_string())?
        } else {
            read_keyring(&settings.jwt_key_files)?
        };
        Ok(Self {
            tokens: TokenAuthority::new(keyring, &settings.jwt_issuer, &settings.jwt_audience),
            crypto: match (&settings.encryption_keys, crypto) {
                (Some(ring), _) => Arc::new(FieldCrypto::new(
                    (**ring).clone(),
                    settings.secret_key.clone(),
                )),
                (None, Some(crypto)) => crypto,
                (None, None) => Arc::new(FieldCrypto::new(
                    FieldKeyring::ephemeral(),
                    settings.secret_key.clone(),
                )),
            },
        })
    }

    /// The server's secrets: configured ones, else those generated into
    /// `data_dir` on first start (and read back on every later one). With
    /// `postgres`, the encryption keyring must be configured.
    pub fn load(
        settings: &IdentitySettings,
        data_dir: &Path,
        postgres: bool,
    ) -> Result<Self, String> {
        let keyring = if settings.jwt_key_files.is_empty() {
            let path = data_dir.join("jwt-signing-key.pem");
            let key = match std::fs::read(&path) {
                Ok(bytes) => SigningKey::from_pkcs8(&bytes)
                    .map_err(|e| format!("{}: {e}", path.display()))?,
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                    let key = SigningKey::generate().map_err(|e| e.to_string())?;
                    write_private(&path, key.to_pkcs8_pem().as_bytes())?;
                    key
                }
                Err(err) => return Err(format!("cannot read {}: {err}", path.display())),
            };
            Keyring::new(vec![key]).map_err(|e| e.to_string())?
        } else {
            read_keyring(&settings.jwt_key_files)?
        };
        let legacy = match &settings.secret_key {
            Some(key) => Some(key.clone()),
            None => {
                let path = data_dir.join("secret.key");
                match std::fs::read_to_string(&path) {
                    Ok(text) => Some(
                        SecretKey::from_base64(&text, &path.display().to_string())
                            .map_err(|e| e.0)?,
                    ),
                    Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
                    Err(err) => return Err(format!("cannot read {}: {err}", path.display())),
                }
            }
        };
        let ring = match &settings.encryption_keys {
            Some(ring) => (**ring).clone(),
            None if postgres => return Err(MISSING_KEYS_WITH_POSTGRES.to_owned()),
            None => load_or_generate_keyring(&data_dir.join(ENCRYPTION_KEYS_FILE))?,
        };
        Ok(Self {
            tokens: TokenAuthority::new(keyring, &settings.jwt_issuer, &settings.jwt_audience),
            crypto: Arc::new(FieldCrypto::new(ring, legacy)),
        })
    }
}

const MISSING_KEYS_WITH_POSTGRES: &str = "MISMATCH_ENCRYPTION_KEYS is required with PostgreSQL \
(DATABASE_URL): every replica needs the same keys, so the server does not make one up. Generate \
a key with `mismatch-server keys generate-encryption-key`, store it in your secret manager, and \
set MISMATCH_ENCRYPTION_KEYS to it (see docs/runbooks/encryption-keys.md)";

/// The embedded default's keyring: read from `path`, or generated into it on
/// first start, which is logged once (at warn: the file must be backed up).
fn load_or_generate_keyring(path: &Path) -> Result<FieldKeyring, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => FieldKeyring::parse(&text).map_err(|e| format!("{}: {e}", path.display())),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let text = FieldKeyring::generate_key_text();
            write_private(path, format!("{text}\n").as_bytes())?;
            let ring = FieldKeyring::parse(&text).map_err(|e| e.to_string())?;
            tracing::warn!(
                path = %path.display(),
                key_id = %ring.primary_id(),
                "generated an encryption key for data at rest; back this file up, apart from \
                 the database backups: without it the encrypted data cannot be read"
            );
            Ok(ring)
        }
        Err(err) => Err(format!("cannot read {}: {err}", path.display())),
    }
}

impl Secrets {
    /// The encryption keyring.
    pub fn encryption(&self) -> &FieldKeyring {
        self.crypto.keyring()
    }
}

fn read_keyring(files: &[PathBuf]) -> Result<Keyring, String> {
    let keys = files
        .iter()
        .map(|path| {
            let bytes = std::fs::read(path)
                .map_err(|e| format!("MISMATCH_JWT_KEYS: cannot read {}: {e}", path.display()))?;
            SigningKey::from_pkcs8(&bytes)
                .map_err(|e| format!("MISMATCH_JWT_KEYS: {}: {e}", path.display()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Keyring::new(keys).map_err(|e| format!("MISMATCH_JWT_KEYS: {e}"))
}

/// Creates `path` with owner-only permissions (it must not exist yet).
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_parses_and_applies_by_role() {
        assert_eq!(
            TwoFactorPolicy::parse("Admins").unwrap(),
            TwoFactorPolicy::Admins
        );
        assert!(
            TwoFactorPolicy::parse("sometimes")
                .unwrap_err()
                .0
                .contains("MISMATCH_2FA_REQUIRED")
        );
        assert!(TwoFactorPolicy::Admins.requires(Role::Admin));
        assert!(!TwoFactorPolicy::Admins.requires(Role::Recruiter));
        assert!(TwoFactorPolicy::All.requires(Role::Viewer));
        assert!(!TwoFactorPolicy::Off.requires(Role::Admin));
    }

    #[test]
    fn a_secret_key_must_be_32_bytes_of_base64() {
        let key = SecretKey::from_base64(&STANDARD.encode([7u8; 32]), "X").unwrap();
        assert_eq!(key.as_part(), hex::encode([7u8; 32]));
        assert!(
            SecretKey::from_base64("c2hvcnQ=", "X")
                .unwrap_err()
                .0
                .contains("32 bytes")
        );
        assert!(
            SecretKey::from_base64("not base64!", "X")
                .unwrap_err()
                .0
                .contains("base64")
        );
        assert_eq!(format!("{key:?}"), "SecretKey(…)");
    }

    #[test]
    fn generated_secrets_are_written_once_privately_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path();
        let settings = IdentitySettings::default();
        let first = Secrets::load(&settings, dir, false).unwrap();
        let again = Secrets::load(&settings, dir, false).unwrap();
        assert_eq!(
            first.tokens.keyring().signing_key().kid(),
            again.tokens.keyring().signing_key().kid()
        );
        assert_eq!(
            first.encryption().primary_id(),
            again.encryption().primary_id()
        );
        let token = first.encryption().encrypt(b"jane@example.com");
        assert_eq!(
            again.encryption().decrypt(&token).unwrap(),
            b"jane@example.com"
        );
        // The old sealing key is no longer made.
        assert!(!dir.join("secret.key").exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for name in ["jwt-signing-key.pem", ENCRYPTION_KEYS_FILE] {
                let mode = std::fs::metadata(dir.join(name))
                    .unwrap()
                    .permissions()
                    .mode();
                assert_eq!(mode & 0o777, 0o600, "{name}");
            }
        }
    }

    #[test]
    fn postgres_needs_configured_encryption_keys() {
        let dir = tempfile::tempdir().unwrap();
        let err = Secrets::load(&IdentitySettings::default(), dir.path(), true).unwrap_err();
        assert!(
            err.contains("MISMATCH_ENCRYPTION_KEYS is required with PostgreSQL"),
            "{err}"
        );
        assert!(!dir.path().join(ENCRYPTION_KEYS_FILE).exists());
        let key = FieldKeyring::generate_key_text();
        let settings = IdentitySettings::from_raw(RawIdentity {
            encryption_keys: Some(key.clone()),
            ..RawIdentity::default()
        })
        .unwrap();
        let secrets = Secrets::load(&settings, dir.path(), true).unwrap();
        assert_eq!(
            secrets.encryption().primary_id(),
            FieldKeyring::parse(&key).unwrap().primary_id()
        );
    }

    #[test]
    fn bad_encryption_key_text_names_the_variable_not_the_key() {
        let good = FieldKeyring::generate_key_text();
        let err = IdentitySettings::from_raw(RawIdentity {
            encryption_keys: Some(format!("{good},{}", &good[..20])),
            ..RawIdentity::default()
        })
        .unwrap_err()
        .0;
        assert!(
            err.starts_with("MISMATCH_ENCRYPTION_KEYS: encryption key #2"),
            "{err}"
        );
        assert!(!err.contains(&good[..20]));
    }

    #[test]
    fn a_legacy_secret_key_file_is_read_for_old_totp_seals() {
        let dir = tempfile::tempdir().unwrap();
        let legacy = STANDARD.encode([9u8; 32]);
        std::fs::write(dir.path().join("secret.key"), format!("{legacy}\n")).unwrap();
        let secrets = Secrets::load(&IdentitySettings::default(), dir.path(), false).unwrap();
        let sealed = sealed_for_test(&[9u8; 32], "usr_1", b"12345678901234567890");
        assert_eq!(
            secrets.crypto.open_totp("usr_1", &sealed, None).unwrap(),
            b"12345678901234567890"
        );
    }

    fn sealed_for_test(key: &[u8; 32], user: &str, secret: &[u8]) -> String {
        mismatch_core::security::sealed::seal(&[&hex::encode(key), "totp", user], secret).unwrap()
    }
}
