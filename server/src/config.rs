//! Server configuration: built-in defaults, then an optional TOML file named
//! by `MISMATCH_CONFIG`, then `MISMATCH_*` environment variables (and
//! `DATABASE_URL`). Everything is validated once at start with messages that
//! name the variable to fix.

use std::net::SocketAddr;
use std::path::PathBuf;

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use mismatch_core::matching::MatchWeights;
use serde::{Deserialize, Deserializer};

use crate::storage::StorageTarget;
use crate::storage::postgres::is_postgres_url;

pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "./data";
pub const DEFAULT_MAX_BODY_BYTES: usize = 10 * 1024 * 1024;
pub const DEFAULT_REQUEST_TIMEOUT_SECS: u64 = 60;
/// Seconds to receive a request's headers (and the idle limit of a kept-alive connection).
pub const DEFAULT_HEADER_TIMEOUT_SECS: u64 = 10;
/// Connections served at once.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// Days an audit event is kept unless configured (one year).
pub const DEFAULT_AUDIT_RETENTION_DAYS: u32 = 365;

/// Which origins may call the API from a browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsOrigins {
    /// No CORS headers: browsers only allow same-origin calls.
    Disabled,
    /// `*`: any origin (credentials are headers, not cookies, so this is safe
    /// for an API-key API).
    Any,
    List(Vec<String>),
}

/// The oldest TLS version the listener accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMinVersion {
    Tls12,
    Tls13,
}

/// TLS termination by the server itself (see `tls.rs`). The files are read
/// when the server starts, so a bad path or PEM is reported there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    /// PEM certificate chain, leaf first (`MISMATCH_TLS_CERT`).
    pub cert_path: PathBuf,
    /// PEM private key: PKCS#8, PKCS#1 (RSA) or SEC1 (EC) (`MISMATCH_TLS_KEY`).
    pub key_path: PathBuf,
    pub min_version: TlsMinVersion,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Validated settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    pub max_body_bytes: usize,
    pub cors_origins: CorsOrigins,
    pub match_weights: MatchWeights,
    pub admin_api_key: Option<String>,
    pub request_timeout_secs: u64,
    /// Time a connection has to send a request's headers, also while a
    /// kept-alive connection waits for its next request: idle connections
    /// are closed after it.
    pub header_timeout_secs: u64,
    /// Open connections served at once; more wait in the listen backlog.
    pub max_connections: usize,
    pub log_format: LogFormat,
    /// Sessions, tokens and 2FA (see [`crate::identity`]).
    pub identity: crate::identity::IdentitySettings,
    /// Serve HTTPS instead of plain HTTP; `None` when a proxy terminates TLS.
    pub tls: Option<TlsSettings>,
    /// `REDIS_URL`: shared state of the replicas (rate limits).
    pub redis_url: Option<String>,
    /// Requests per minute per client address and per principal.
    pub rate_limit: crate::rate_limit::RateLimitSettings,
    /// Candidates created longer ago than this many days are erased by the
    /// retention sweep (`MISMATCH_CANDIDATE_RETENTION_DAYS`; unset or 0 =
    /// kept until deleted).
    pub candidate_retention_days: Option<u32>,
    /// Audit events older than this many days are purged, leaving a signed
    /// checkpoint (`MISMATCH_AUDIT_RETENTION_DAYS`, default 365; 0 = kept).
    pub audit_retention_days: Option<u32>,
    /// Whether every API request is written to the audit log
    /// (`MISMATCH_AUDIT_REQUESTS`, default on). Security events are
    /// recorded either way.
    pub audit_requests: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            bind: DEFAULT_BIND
                .parse()
                .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 8080))),
            data_dir: PathBuf::from(DEFAULT_DATA_DIR),
            database_url: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            cors_origins: CorsOrigins::Disabled,
            match_weights: MatchWeights::default(),
            admin_api_key: None,
            request_timeout_secs: DEFAULT_REQUEST_TIMEOUT_SECS,
            header_timeout_secs: DEFAULT_HEADER_TIMEOUT_SECS,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            log_format: LogFormat::Text,
            identity: crate::identity::IdentitySettings::default(),
            tls: None,
            redis_url: None,
            rate_limit: crate::rate_limit::RateLimitSettings::default(),
            candidate_retention_days: None,
            audit_retention_days: Some(DEFAULT_AUDIT_RETENTION_DAYS),
            audit_requests: true,
        }
    }
}

impl Settings {
    /// Where the storage lives: PostgreSQL when `DATABASE_URL` says so,
    /// otherwise SQLite in the data directory.
    pub fn storage_target(&self) -> StorageTarget {
        match &self.database_url {
            Some(url) if is_postgres_url(url) => StorageTarget::Postgres(url.clone()),
            _ => StorageTarget::SqliteDir(self.data_dir.clone()),
        }
    }

    /// Loads from the process environment (and the file it names).
    pub fn load() -> Result<Self, ConfigError> {
        let mut figment = Figment::new();
        if let Ok(path) = std::env::var("MISMATCH_CONFIG") {
            if !std::path::Path::new(&path).is_file() {
                return Err(ConfigError(format!(
                    "MISMATCH_CONFIG: config file '{path}' does not exist"
                )));
            }
            figment = figment.merge(Toml::file(path));
        }
        figment = figment
            .merge(Env::prefixed("MISMATCH_").ignore(&["CONFIG"]))
            .merge(Env::raw().only(&["DATABASE_URL", "REDIS_URL"]));
        let raw: RawSettings = figment
            .extract()
            .map_err(|e| ConfigError(format!("invalid configuration: {e}")))?;
        Self::from_raw(raw)
    }

    /// Validates raw values; each message names the variable.
    pub fn from_raw(raw: RawSettings) -> Result<Self, ConfigError> {
        let mut settings = Settings::default();
        if let Some(bind) = raw.bind {
            settings.bind = bind.trim().parse().map_err(|_| {
                ConfigError(format!(
                    "MISMATCH_BIND: '{bind}' is not a valid listen address; expected IP:PORT such as 127.0.0.1:8080 (port 0 picks a free port)"
                ))
            })?;
        }
        if let Some(dir) = raw.data_dir {
            if dir.trim().is_empty() {
                return Err(ConfigError("MISMATCH_DATA_DIR: must not be empty".into()));
            }
            settings.data_dir = PathBuf::from(dir);
        }
        if let Some(url) = raw.database_url.filter(|u| !u.trim().is_empty()) {
            if !is_postgres_url(&url) {
                return Err(ConfigError(
                    "DATABASE_URL: must start with postgres:// or postgresql://; for SQLite leave it unset and set MISMATCH_DATA_DIR".into(),
                ));
            }
            settings.database_url = Some(url);
        }
        if let Some(bytes) = raw.max_body_bytes {
            settings.max_body_bytes = bytes
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|&n| n >= 1024)
                .ok_or_else(|| {
                    ConfigError(format!(
                        "MISMATCH_MAX_BODY_BYTES: '{bytes}' is not a whole number of bytes >= 1024"
                    ))
                })?;
        }
        if let Some(secs) = raw.request_timeout_secs {
            settings.request_timeout_secs = secs
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|&n| n >= 1)
                .ok_or_else(|| {
                    ConfigError(format!(
                        "MISMATCH_REQUEST_TIMEOUT_SECS: '{secs}' is not a whole number of seconds >= 1"
                    ))
                })?;
        }
        if let Some(secs) = raw.header_timeout_secs {
            settings.header_timeout_secs =
                parse_bounded("MISMATCH_HEADER_TIMEOUT_SECS", &secs, 1, 3600, "seconds")?;
        }
        if let Some(n) = raw.max_connections {
            settings.max_connections =
                parse_bounded("MISMATCH_MAX_CONNECTIONS", &n, 1, 1_000_000, "connections")?
                    as usize;
        }
        if let Some(origins) = raw.cors_origins {
            settings.cors_origins = parse_cors_origins(&origins)?;
        }
        if let Some(weights) = raw.match_weights {
            settings.match_weights = parse_weights(weights)?;
        }
        if let Some(key) = raw.admin_api_key.filter(|k| !k.trim().is_empty()) {
            let key = key.trim().to_owned();
            if !mismatch_core::security::api_key::is_well_formed(&key) {
                return Err(ConfigError(
                    "MISMATCH_ADMIN_API_KEY: not a well-formed key (expected mm_ + 49 base62 characters with a valid checksum; create one with `mismatch-server keys create`)".into(),
                ));
            }
            settings.admin_api_key = Some(key);
        }
        settings.identity =
            crate::identity::IdentitySettings::from_raw(crate::identity::RawIdentity {
                jwt_keys: raw.jwt_keys,
                jwt_issuer: raw.jwt_issuer,
                jwt_audience: raw.jwt_audience,
                secret_key: raw.secret_key,
                encryption_keys: raw.encryption_keys,
                two_factor_required: raw.two_factor_required,
                api_key_max_age_days: raw.api_key_max_age_days,
                api_key_idle_revoke_days: raw.api_key_idle_revoke_days,
                login_address_max_failures: raw.login_address_max_failures,
            })?;
        if let Some(format) = raw.log_format {
            settings.log_format = match format.trim().to_ascii_lowercase().as_str() {
                "text" | "" => LogFormat::Text,
                "json" => LogFormat::Json,
                other => {
                    return Err(ConfigError(format!(
                        "MISMATCH_LOG_FORMAT: '{other}' is not one of text, json"
                    )));
                }
            };
        }
        settings.tls = parse_tls(raw.tls_cert, raw.tls_key, raw.tls_min_version)?;
        if let Some(url) = raw.redis_url.filter(|u| !u.trim().is_empty()) {
            // The message leaves the URL out: it may carry a password.
            redis::Client::open(url.trim()).map_err(|e| {
                ConfigError(format!(
                    "REDIS_URL: not a usable Redis URL ({:?}); expected redis://[:password@]host:port[/db] or unix:///path/to/redis.sock",
                    e.kind()
                ))
            })?;
            settings.redis_url = Some(url.trim().to_owned());
        }
        settings.rate_limit =
            crate::rate_limit::RateLimitSettings::from_raw(crate::rate_limit::RawRateLimits {
                per_minute: raw.rate_limit_per_minute,
                principal_per_minute: raw.principal_rate_limit_per_minute,
                trusted_proxies: raw.trusted_proxies,
                redis_prefix: raw.rate_limit_redis_prefix,
            })?;
        if let Some(days) = raw.candidate_retention_days {
            let days = parse_bounded(
                "MISMATCH_CANDIDATE_RETENTION_DAYS",
                &days,
                0,
                36_500,
                "days",
            )?;
            // 0 means "keep forever", like unset.
            settings.candidate_retention_days = u32::try_from(days).ok().filter(|&d| d > 0);
        }
        if let Some(days) = raw.audit_retention_days {
            let days = parse_bounded("MISMATCH_AUDIT_RETENTION_DAYS", &days, 0, 36_500, "days")?;
            settings.audit_retention_days = u32::try_from(days).ok().filter(|&d| d > 0);
        }
        if let Some(value) = raw.audit_requests {
            settings.audit_requests = match value.trim().to_ascii_lowercase().as_str() {
                "on" | "true" | "1" => true,
                "off" | "false" | "0" => false,
                other => {
                    return Err(ConfigError(format!(
                        "MISMATCH_AUDIT_REQUESTS: '{other}' is not on or off"
                    )));
                }
            };
        }
        Ok(settings)
    }
}

/// A configuration problem, with the variable to fix in the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// Settings as written by the user, before validation. Scalars are read as
/// text whatever their TOML or environment type, so validation owns every
/// message.
#[derive(Debug, Default, Deserialize)]
pub struct RawSettings {
    #[serde(default, deserialize_with = "lenient")]
    pub bind: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub data_dir: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub database_url: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub max_body_bytes: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub request_timeout_secs: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub header_timeout_secs: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub max_connections: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub cors_origins: Option<String>,
    #[serde(default)]
    pub match_weights: Option<RawWeights>,
    #[serde(default, deserialize_with = "lenient")]
    pub admin_api_key: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub log_format: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub jwt_keys: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub jwt_issuer: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub jwt_audience: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub secret_key: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub encryption_keys: Option<String>,
    #[serde(default, rename = "2fa_required", deserialize_with = "lenient")]
    pub two_factor_required: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub api_key_max_age_days: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub api_key_idle_revoke_days: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub login_address_max_failures: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub tls_cert: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub tls_key: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub tls_min_version: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub redis_url: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub rate_limit_per_minute: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub principal_rate_limit_per_minute: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub trusted_proxies: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub rate_limit_redis_prefix: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub candidate_retention_days: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub audit_retention_days: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub audit_requests: Option<String>,
}

/// `skills=0.4,experience=0.2` (environment) or a TOML table.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawWeights {
    Text(String),
    Table(std::collections::BTreeMap<String, f64>),
}

fn lenient<'de, D: Deserializer<'de>>(de: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Scalar {
        S(String),
        I(i64),
        U(u64),
        F(f64),
        B(bool),
        L(Vec<String>),
    }
    Ok(Option::<Scalar>::deserialize(de)?.map(|s| match s {
        Scalar::S(s) => s,
        Scalar::I(i) => i.to_string(),
        Scalar::U(u) => u.to_string(),
        Scalar::F(f) => f.to_string(),
        Scalar::B(b) => b.to_string(),
        Scalar::L(l) => l.join(","),
    }))
}

fn parse_cors_origins(value: &str) -> Result<CorsOrigins, ConfigError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(CorsOrigins::Disabled);
    }
    if value == "*" {
        return Ok(CorsOrigins::Any);
    }
    let mut origins = Vec::new();
    for origin in value.split(',').map(str::trim).filter(|o| !o.is_empty()) {
        let valid = (origin.starts_with("http://") || origin.starts_with("https://"))
            && !origin.trim_end_matches('/').contains(['?', '#', ' '])
            && origin
                .split("://")
                .nth(1)
                .is_some_and(|rest| !rest.is_empty() && !rest.trim_end_matches('/').contains('/'));
        if !valid {
            return Err(ConfigError(format!(
                "MISMATCH_CORS_ORIGINS: '{origin}' is not an origin; expected `*` or a comma-separated list like https://app.example.com,http://localhost:5173"
            )));
        }
        origins.push(origin.trim_end_matches('/').to_owned());
    }
    Ok(CorsOrigins::List(origins))
}

fn parse_weights(raw: RawWeights) -> Result<MatchWeights, ConfigError> {
    let pairs: Vec<(String, f64)> = match raw {
        RawWeights::Table(table) => table.into_iter().collect(),
        RawWeights::Text(text) => {
            let mut pairs = Vec::new();
            for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                let (name, value) = part.split_once('=').ok_or_else(|| {
                    ConfigError(format!(
                        "MISMATCH_MATCH_WEIGHTS: '{part}' is not NAME=NUMBER (e.g. skills=0.4,experience=0.2)"
                    ))
                })?;
                let value: f64 = value.trim().parse().map_err(|_| {
                    ConfigError(format!(
                        "MISMATCH_MATCH_WEIGHTS: weight '{}' has value '{}', which is not a number",
                        name.trim(),
                        value.trim()
                    ))
                })?;
                pairs.push((name.trim().to_owned(), value));
            }
            pairs
        }
    };
    let mut weights = MatchWeights::default();
    for (name, value) in pairs {
        let value = value as f32;
        match name.as_str() {
            "skills" => weights.skills = value,
            "experience" => weights.experience = value,
            "seniority" => weights.seniority = value,
            "location" => weights.location = value,
            "salary" => weights.salary = value,
            "text" => weights.text = value,
            other => {
                return Err(ConfigError(format!(
                    "MISMATCH_MATCH_WEIGHTS: unknown weight '{other}'; known: skills, experience, seniority, location, salary, text"
                )));
            }
        }
    }
    weights
        .validate()
        .map_err(|e| ConfigError(format!("MISMATCH_MATCH_WEIGHTS: {e}")))?;
    Ok(weights)
}

/// Both of certificate and key, or neither; the minimum version only with
/// them (so a policy of "1.3 only" is never set on a server that serves plain
/// HTTP without anyone noticing). The default minimum is 1.3.
fn parse_tls(
    cert: Option<String>,
    key: Option<String>,
    min_version: Option<String>,
) -> Result<Option<TlsSettings>, ConfigError> {
    let given = |v: Option<String>| v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let min_version = given(min_version);
    let (cert_path, key_path) = match (given(cert), given(key)) {
        (Some(cert), Some(key)) => (PathBuf::from(cert), PathBuf::from(key)),
        (None, None) => {
            return match min_version {
                None => Ok(None),
                Some(_) => Err(ConfigError(
                    "MISMATCH_TLS_MIN_VERSION: set, but TLS is off; set MISMATCH_TLS_CERT and MISMATCH_TLS_KEY to serve HTTPS, or unset it".into(),
                )),
            };
        }
        (Some(_), None) => {
            return Err(ConfigError(
                "MISMATCH_TLS_KEY: MISMATCH_TLS_CERT is set, so the private key's PEM file is needed too (set both to serve HTTPS, or neither)".into(),
            ));
        }
        (None, Some(_)) => {
            return Err(ConfigError(
                "MISMATCH_TLS_CERT: MISMATCH_TLS_KEY is set, so the certificate chain's PEM file is needed too (set both to serve HTTPS, or neither)".into(),
            ));
        }
    };
    let min_version = match min_version.as_deref() {
        None | Some("1.3") => TlsMinVersion::Tls13,
        Some("1.2") => TlsMinVersion::Tls12,
        Some(other) => {
            return Err(ConfigError(format!(
                "MISMATCH_TLS_MIN_VERSION: '{other}' is not one of 1.2, 1.3"
            )));
        }
    };
    Ok(Some(TlsSettings {
        cert_path,
        key_path,
        min_version,
    }))
}

/// A whole number in `min..=max`, or an error naming the variable.
fn parse_bounded(
    name: &str,
    raw: &str,
    min: u64,
    max: u64,
    unit: &str,
) -> Result<u64, ConfigError> {
    raw.trim()
        .parse::<u64>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| {
            ConfigError(format!(
                "{name}: '{raw}' is not a whole number of {unit} between {min} and {max}"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> RawSettings {
        RawSettings::default()
    }

    #[test]
    fn defaults_use_sqlite_in_data_dir() {
        let s = Settings::from_raw(raw()).unwrap();
        assert_eq!(s.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(s.max_body_bytes, 10 * 1024 * 1024);
        assert!(
            matches!(s.storage_target(), StorageTarget::SqliteDir(d) if d == std::path::Path::new("./data"))
        );
        assert_eq!(s.cors_origins, CorsOrigins::Disabled);
    }

    #[test]
    fn invalid_bind_names_the_variable() {
        let err = Settings::from_raw(RawSettings {
            bind: Some("localhost".into()),
            ..raw()
        })
        .unwrap_err();
        assert!(err.0.starts_with("MISMATCH_BIND:"), "{err}");
    }

    #[test]
    fn postgres_url_selects_postgres() {
        let s = Settings::from_raw(RawSettings {
            database_url: Some("postgres://u@h/db".into()),
            ..raw()
        })
        .unwrap();
        assert!(
            matches!(s.storage_target(), StorageTarget::Postgres(u) if u == "postgres://u@h/db")
        );
        let err = Settings::from_raw(RawSettings {
            database_url: Some("sqlite://x.db".into()),
            ..raw()
        })
        .unwrap_err();
        assert!(err.0.starts_with("DATABASE_URL:"));
    }

    #[test]
    fn cors_origins_parse() {
        assert_eq!(parse_cors_origins("*").unwrap(), CorsOrigins::Any);
        assert_eq!(
            parse_cors_origins("http://localhost:3000, https://a.example/").unwrap(),
            CorsOrigins::List(vec![
                "http://localhost:3000".into(),
                "https://a.example".into()
            ])
        );
        assert!(
            parse_cors_origins("localhost:3000")
                .unwrap_err()
                .0
                .contains("MISMATCH_CORS_ORIGINS")
        );
    }

    #[test]
    fn weights_from_text_and_errors_name_the_weight() {
        let w = parse_weights(RawWeights::Text("skills=2, text=0".into())).unwrap();
        assert_eq!(w.skills, 2.0);
        assert_eq!(w.text, 0.0);
        assert_eq!(w.experience, MatchWeights::default().experience);
        let err = parse_weights(RawWeights::Text("skills=abc".into())).unwrap_err();
        assert!(err.0.contains("skills"), "{err}");
        let err = parse_weights(RawWeights::Text("colour=1".into())).unwrap_err();
        assert!(err.0.contains("colour"), "{err}");
        let err = parse_weights(RawWeights::Text("skills=-1".into())).unwrap_err();
        assert!(err.0.contains("skills"), "{err}");
    }

    #[test]
    fn body_limit_and_admin_key_are_validated() {
        let err = Settings::from_raw(RawSettings {
            max_body_bytes: Some("ten".into()),
            ..raw()
        })
        .unwrap_err();
        assert!(err.0.starts_with("MISMATCH_MAX_BODY_BYTES:"));
        let err = Settings::from_raw(RawSettings {
            admin_api_key: Some("mm_notakey".into()),
            ..raw()
        })
        .unwrap_err();
        assert!(err.0.starts_with("MISMATCH_ADMIN_API_KEY:"));
        let key = mismatch_core::security::api_key::generate().unwrap().secret;
        let s = Settings::from_raw(RawSettings {
            admin_api_key: Some(key.clone()),
            ..raw()
        })
        .unwrap();
        assert_eq!(s.admin_api_key.as_deref(), Some(key.as_str()));
    }

    #[test]
    fn tls_needs_certificate_and_key_together() {
        let tls = |cert: Option<&str>, key: Option<&str>, min: Option<&str>| {
            Settings::from_raw(RawSettings {
                tls_cert: cert.map(Into::into),
                tls_key: key.map(Into::into),
                tls_min_version: min.map(Into::into),
                ..raw()
            })
        };
        assert_eq!(tls(None, None, None).unwrap().tls, None);
        let on = tls(Some("c.pem"), Some("k.pem"), None)
            .unwrap()
            .tls
            .unwrap();
        assert_eq!(on.min_version, TlsMinVersion::Tls13, "1.3 is the default");
        assert_eq!(on.cert_path, PathBuf::from("c.pem"));
        let on = tls(Some("c.pem"), Some("k.pem"), Some("1.2")).unwrap();
        assert_eq!(on.tls.unwrap().min_version, TlsMinVersion::Tls12);
        let err = tls(Some("c.pem"), None, None).unwrap_err();
        assert!(err.0.starts_with("MISMATCH_TLS_KEY:"), "{err}");
        let err = tls(None, Some("k.pem"), None).unwrap_err();
        assert!(err.0.starts_with("MISMATCH_TLS_CERT:"), "{err}");
        let err = tls(Some("c.pem"), Some("k.pem"), Some("1.1")).unwrap_err();
        assert!(err.0.starts_with("MISMATCH_TLS_MIN_VERSION:"), "{err}");
        let err = tls(None, None, Some("1.3")).unwrap_err();
        assert!(err.0.starts_with("MISMATCH_TLS_MIN_VERSION:"), "{err}");
    }

    #[test]
    // figment's Jail closure must return figment's (large) error type.
    #[allow(clippy::result_large_err)]
    fn toml_file_and_env_are_layered() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "mismatch.toml",
                "bind = \"0.0.0.0:9000\"\nmax_body_bytes = 2048\n[match_weights]\nskills = 3.0\n",
            )?;
            jail.set_env("MISMATCH_CONFIG", "mismatch.toml");
            jail.set_env("MISMATCH_MAX_BODY_BYTES", "4096");
            let s = Settings::load().map_err(|e| e.0)?;
            assert_eq!(s.bind.to_string(), "0.0.0.0:9000");
            assert_eq!(s.max_body_bytes, 4096);
            assert_eq!(s.match_weights.skills, 3.0);
            Ok(())
        });
    }
}
