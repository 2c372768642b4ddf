use std::time::Duration;

/// Environment variable giving the base URL when [`ClientOptions::base_url`] is empty.
pub const BASE_URL_ENV: &str = "MISMATCH_BASE_URL";
/// Environment variable giving the API key when [`ClientOptions::api_key`] is `None`.
pub const API_KEY_ENV: &str = "MISMATCH_API_KEY";

/// Configuration of a [`Client`](crate::Client).
///
/// Timeouts apply to each HTTP attempt. On `wasm32` the browser's fetch has no
/// connection pool or connect timeout to configure, so `connect_timeout` and
/// `pool_max_idle_per_host` are ignored there.
///
/// # Environment
/// [`Client::new`](crate::Client::new) fills what was not given from the
/// environment: an empty `base_url` from `MISMATCH_BASE_URL`, an `api_key` of
/// `None` from `MISMATCH_API_KEY`. Values set here always win; empty variables
/// count as unset. `ClientOptions::default()` itself reads nothing, so building
/// options stays free of side effects; [`ClientOptions::from_env`] shows what
/// a client would use. Browsers (`wasm32`) have no environment and read nothing.
#[derive(Clone)]
pub struct ClientOptions {
    /// Scheme, host, port and optional path prefix, e.g. `https://api.example.com`.
    /// Empty means `MISMATCH_BASE_URL`.
    pub base_url: String,
    /// API key sent as `Authorization: Bearer <key>`. `None` means
    /// `MISMATCH_API_KEY` if that is set, else no `Authorization` header
    /// (public endpoints only).
    pub api_key: Option<String>,
    /// Total time allowed for one attempt (connect, send, read the response).
    pub timeout: Duration,
    /// Time allowed to establish a connection.
    pub connect_timeout: Duration,
    /// Retries after the first attempt for transient failures (which ones:
    /// see [`Client`](crate::Client)); 0 disables retries.
    pub max_retries: u32,
    /// Idle keep-alive connections kept per host.
    pub pool_max_idle_per_host: usize,
    /// Upper bound for one backoff delay and for an honoured `Retry-After`.
    pub max_retry_delay: Duration,
    /// Base of the exponential backoff: attempt `n` waits a random time in
    /// `[0, min(max_retry_delay, initial_retry_delay * 2^(n-1))]`.
    pub initial_retry_delay: Duration,
    /// `User-Agent` header value (not settable from browsers).
    pub user_agent: String,
}

impl ClientOptions {
    /// Options for `base_url` with every other value at its default.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            ..Self::default()
        }
    }

    /// Sets the API key.
    #[must_use]
    pub fn with_api_key(mut self, api_key: impl Into<String>) -> Self {
        self.api_key = Some(api_key.into());
        self
    }

    /// The defaults with `base_url` and `api_key` taken from
    /// `MISMATCH_BASE_URL` and `MISMATCH_API_KEY` (when set): what
    /// `Client::new(ClientOptions::default())` uses.
    pub fn from_env() -> Self {
        Self::default().with_env_defaults()
    }

    /// Fills an empty `base_url` from `MISMATCH_BASE_URL` and an `api_key` of
    /// `None` from `MISMATCH_API_KEY`; values already set are kept.
    /// [`Client::new`](crate::Client::new) calls this. Does nothing on `wasm32`.
    #[must_use]
    pub fn with_env_defaults(self) -> Self {
        #[cfg(not(target_arch = "wasm32"))]
        {
            self.with_defaults_from(|name| std::env::var(name).ok())
        }
        #[cfg(target_arch = "wasm32")]
        {
            self
        }
    }

    /// [`with_env_defaults`](Self::with_env_defaults) over any variable lookup,
    /// so that the rule is testable without touching the process environment.
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    pub(crate) fn with_defaults_from(mut self, lookup: impl Fn(&str) -> Option<String>) -> Self {
        let var = |name: &str| lookup(name).filter(|value| !value.is_empty());
        if self.base_url.is_empty()
            && let Some(url) = var(BASE_URL_ENV)
        {
            self.base_url = url;
        }
        if self.api_key.is_none() {
            self.api_key = var(API_KEY_ENV);
        }
        self
    }
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            base_url: String::new(),
            api_key: None,
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            max_retries: 2,
            pool_max_idle_per_host: 16,
            max_retry_delay: Duration::from_secs(20),
            initial_retry_delay: Duration::from_millis(500),
            user_agent: default_user_agent(),
        }
    }
}

/// The SDK's own user agent; bindings prepend their language name.
pub fn default_user_agent() -> String {
    format!("mismatch-recruiter-rust/{}", env!("CARGO_PKG_VERSION"))
}

// Keys are secrets: Debug must never print them.
impl std::fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientOptions")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_retries", &self.max_retries)
            .field("pool_max_idle_per_host", &self.pool_max_idle_per_host)
            .field("max_retry_delay", &self.max_retry_delay)
            .field("initial_retry_delay", &self.initial_retry_delay)
            .field("user_agent", &self.user_agent)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_documented_values() {
        let o = ClientOptions::new("http://localhost:8080").with_api_key("mm_secret");
        assert_eq!(o.timeout, Duration::from_secs(30));
        assert_eq!(o.connect_timeout, Duration::from_secs(5));
        assert_eq!(o.max_retries, 2);
        assert_eq!(o.pool_max_idle_per_host, 16);
        assert_eq!(o.max_retry_delay, Duration::from_secs(20));
        assert!(o.user_agent.starts_with("mismatch-recruiter-rust/"));
    }

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn the_environment_fills_only_what_was_not_given() {
        let env = lookup(&[
            (BASE_URL_ENV, "http://env.example:8080"),
            (API_KEY_ENV, "mm_env"),
        ]);
        let filled = ClientOptions::default().with_defaults_from(&env);
        assert_eq!(filled.base_url, "http://env.example:8080");
        assert_eq!(filled.api_key.as_deref(), Some("mm_env"));

        let explicit = ClientOptions::new("http://explicit:1")
            .with_api_key("mm_explicit")
            .with_defaults_from(&env);
        assert_eq!(explicit.base_url, "http://explicit:1");
        assert_eq!(explicit.api_key.as_deref(), Some("mm_explicit"));

        // Each field on its own: an explicit URL still takes the key from the
        // environment, as openai's SDKs do.
        let url_only = ClientOptions::new("http://explicit:1").with_defaults_from(&env);
        assert_eq!(url_only.base_url, "http://explicit:1");
        assert_eq!(url_only.api_key.as_deref(), Some("mm_env"));
    }

    #[test]
    fn unset_or_empty_variables_change_nothing() {
        let empty = lookup(&[(BASE_URL_ENV, ""), (API_KEY_ENV, "")]);
        let options = ClientOptions::default().with_defaults_from(&empty);
        assert_eq!(options.base_url, "");
        assert_eq!(options.api_key, None);
        let options = ClientOptions::default().with_defaults_from(lookup(&[]));
        assert_eq!(options.base_url, "");
        assert_eq!(options.api_key, None);
        // Building default options reads no environment at all.
        assert_eq!(ClientOptions::default().base_url, "");
    }

    #[test]
    fn debug_redacts_the_api_key() {
        let o = ClientOptions::new("http://x").with_api_key("mm_topsecret");
        let text = format!("{o:?}");
        assert!(!text.contains("topsecret"));
        assert!(text.contains("<redacted>"));
    }
}
