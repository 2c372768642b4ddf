use std::time::Duration;

/// Configuration of a [`Client`](crate::Client).
///
/// Timeouts apply to each HTTP attempt. On `wasm32` the browser's fetch has no
/// connection pool or connect timeout to configure, so `connect_timeout` and
/// `pool_max_idle_per_host` are ignored there.
#[derive(Clone)]
pub struct ClientOptions {
    /// Scheme, host, port and optional path prefix, e.g. `https://api.example.com`.
    pub base_url: String,
    /// API key sent as `Authorization: Bearer <key>`; `None` for public endpoints.
    pub api_key: Option<String>,
    /// Total time allowed for one attempt (connect, send, read the response).
    pub timeout: Duration,
    /// Time allowed to establish a connection.
    pub connect_timeout: Duration,
    /// Retries after the first attempt for transient failures; 0 disables retries.
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

    #[test]
    fn debug_redacts_the_api_key() {
        let o = ClientOptions::new("http://x").with_api_key("mm_topsecret");
        let text = format!("{o:?}");
        assert!(!text.contains("topsecret"));
        assert!(text.contains("<redacted>"));
    }
}
