//! Rate limits: requests per minute per client address and per principal.
//!
//! Both are GCRA budgets (a burst of `limit`, refilled one request every
//! `60 s / limit`), kept in memory (`memory.rs`, governor) or, when
//! `REDIS_URL` is set, in Redis shared by every replica (`redis_store.rs`, falling
//! back to memory while Redis does not answer).
//!
//! - The address limit is the middleware [`layer`], added in `app()`. The
//!   client address is the TCP peer, or the rightmost address in
//!   `X-Forwarded-For` that is not a trusted proxy when the peer itself is one
//!   ([`RateLimitSettings::trusted_proxies`]); IPv6 clients are counted by
//!   their /64 network, which one subscriber usually holds whole. The health
//!   probes are exempt: a load balancer or kubelet probing through a shared
//!   address must never see a 429 and take a healthy replica out of service.
//! - The principal limit is counted by [`check_principal`], called once per
//!   request by `auth::principal_of` right after authentication, keyed by the
//!   user id, so all of a user's keys and tokens share one budget.
//!
//! A request over a limit gets `429` problem+json with code `rate_limited`
//! and `Retry-After`. Every limited response carries the IETF draft headers
//! `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (seconds
//! until the budget is full again) of the budget closest to running out.

mod memory;
mod redis_store;

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ipnet::IpNet;

use crate::auth::Principal;
use crate::config::{ConfigError, Settings};
use crate::error::{ApiError, ErrorCode};

pub use memory::MemoryLimiter;

/// Requests per minute per client address unless configured.
pub const DEFAULT_PER_IP_PER_MINUTE: u32 = 1_000;
/// Requests per minute per principal unless configured: three addresses'
/// worth, so one integration spread over a few machines fits, while a
/// leaked key used from many addresses is still bounded.
pub const DEFAULT_PER_PRINCIPAL_PER_MINUTE: u32 = 3_000;
/// Largest configurable limit.
pub const MAX_PER_MINUTE: u32 = 1_000_000;
/// Prefix of the Redis keys unless configured.
pub const DEFAULT_REDIS_PREFIX: &str = "mismatch:ratelimit:";

pub const RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
pub const RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
pub const RATELIMIT_RESET: HeaderName = HeaderName::from_static("ratelimit-reset");

/// Validated rate-limit settings (part of [`Settings`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitSettings {
    /// `MISMATCH_RATE_LIMIT_PER_MINUTE`; 0 turns the address limit off.
    pub per_ip_per_minute: u32,
    /// `MISMATCH_PRINCIPAL_RATE_LIMIT_PER_MINUTE`; 0 turns it off.
    pub per_principal_per_minute: u32,
    /// `MISMATCH_TRUSTED_PROXIES`: peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
    /// `MISMATCH_RATE_LIMIT_REDIS_PREFIX`: prefix of the keys in Redis.
    pub redis_prefix: String,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            per_ip_per_minute: DEFAULT_PER_IP_PER_MINUTE,
            per_principal_per_minute: DEFAULT_PER_PRINCIPAL_PER_MINUTE,
            trusted_proxies: Vec::new(),
            redis_prefix: DEFAULT_REDIS_PREFIX.to_owned(),
        }
    }
}

/// The rate-limit settings as written, for [`RateLimitSettings::from_raw`].
#[derive(Debug, Default)]
pub struct RawRateLimits {
    pub per_minute: Option<String>,
    pub principal_per_minute: Option<String>,
    pub trusted_proxies: Option<String>,
    pub redis_prefix: Option<String>,
}

impl RateLimitSettings {
    /// Validates; each message names the variable.
    pub fn from_raw(raw: RawRateLimits) -> Result<Self, ConfigError> {
        let mut settings = Self::default();
        let per_minute = |name: &str, value: &str| {
            value
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| *n <= MAX_PER_MINUTE)
                .ok_or_else(|| {
                    ConfigError(format!(
                        "{name}: '{value}' is not a whole number of requests per minute between 0 (off) and {MAX_PER_MINUTE}"
                    ))
                })
        };
        if let Some(value) = raw.per_minute {
            settings.per_ip_per_minute = per_minute("MISMATCH_RATE_LIMIT_PER_MINUTE", &value)?;
        }
        if let Some(value) = raw.principal_per_minute {
            settings.per_principal_per_minute =
                per_minute("MISMATCH_PRINCIPAL_RATE_LIMIT_PER_MINUTE", &value)?;
        }
        if let Some(list) = raw.trusted_proxies {
            settings.trusted_proxies = parse_trusted_proxies(&list)?;
        }
        if let Some(prefix) = raw.redis_prefix {
            let prefix = prefix.trim();
            if prefix.is_empty() || prefix.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(ConfigError(format!(
                    "MISMATCH_RATE_LIMIT_REDIS_PREFIX: '{prefix}' must be non-empty, without spaces or control characters (e.g. mismatch:ratelimit:)"
                )));
            }
            settings.redis_prefix = prefix.to_owned();
        }
        Ok(settings)
    }
}

/// `10.0.0.0/8, 192.168.1.7, ::1`: addresses or CIDR networks.
fn parse_trusted_proxies(list: &str) -> Result<Vec<IpNet>, ConfigError> {
    let mut nets = Vec::new();
    for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let net = item
            .parse::<IpNet>()
            .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
            .map_err(|_| {
                ConfigError(format!(
                    "MISMATCH_TRUSTED_PROXIES: '{item}' is not an IP address or CIDR network; expected a comma-separated list such as 10.0.0.0/8,192.168.1.7,::1"
                ))
            })?;
        nets.push(net.trunc());
    }
    Ok(nets)
}

/// The time the limiters run on: since the Unix epoch (shared with Redis,
/// whose keys other replicas read).
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Duration;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
    }
}

/// A clock that moves only when told to; clones share the time. For tests
/// of windows and resets without sleeping.
#[derive(Debug, Clone, Default)]
pub struct ManualClock(Arc<AtomicU64>);

impl ManualClock {
    /// Starts at the current wall-clock time.
    pub fn starting_now() -> Self {
        let nanos = u64::try_from(SystemClock.now().as_nanos()).unwrap_or(u64::MAX);
        Self(Arc::new(AtomicU64::new(nanos)))
    }

    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.0.fetch_add(by, Ordering::Relaxed);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        Duration::from_nanos(self.0.load(Ordering::Relaxed))
    }
}

/// The time between two requests of a full budget: `60 s / limit`.
fn interval(per_minute: NonZeroU32) -> Duration {
    Duration::from_secs(60) / per_minute.get()
}

/// One request counted against one limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub limit: u32,
    /// Requests still allowed now, after this one.
    pub remaining: u32,
    /// Until the budget is full again.
    pub reset: Duration,
    /// `Some(wait)` when the request is refused: the time until one is
    /// allowed again.
    pub retry_after: Option<Duration>,
}

impl Decision {
    pub fn allowed(&self) -> bool {
        self.retry_after.is_none()
    }

    /// The decision whose budget is closer to running out: a refusal, else
    /// the fewer requests remaining.
    fn tighter(self, other: Decision) -> Decision {
        match (self.allowed(), other.allowed()) {
            (false, true) => self,
            (true, false) => other,
            _ if other.remaining < self.remaining => other,
            _ => self,
        }
    }
}

/// One limit: its budget, kept in memory, or in Redis when configured.
struct Limit<K: std::hash::Hash + Eq + Clone> {
    scope: &'static str,
    per_minute: NonZeroU32,
    memory: MemoryLimiter<K>,
}

impl<K: std::hash::Hash + Eq + Clone> Limit<K> {
    fn new(scope: &'static str, per_minute: u32, clock: &Arc<dyn Clock>) -> Option<Self> {
        let per_minute = NonZeroU32::new(per_minute)?;
        Some(Self {
            scope,
            per_minute,
            memory: MemoryLimiter::new(per_minute, clock.clone()),
        })
    }

    async fn check(
        &self,
        key: &K,
        name: &str,
        redis: Option<&redis_store::RedisStore>,
    ) -> Decision {
        if let Some(redis) = redis
            && let Some(decision) = redis.check(self.scope, name, self.per_minute).await
        {
            return decision;
        }
        self.memory.check(key)
    }
}

/// The limiters of one server, shared by the middleware and the principal
/// check.
pub struct RateLimits {
    per_ip: Option<Limit<IpAddr>>,
    per_principal: Option<Limit<String>>,
    trusted_proxies: TrustedProxies,
    redis: Option<redis_store::RedisStore>,
}

impl RateLimits {
    /// The limiters `settings` ask for, on the system clock.
    pub fn from_settings(settings: &Settings) -> Self {
        Self::with_clock(settings, Arc::new(SystemClock))
    }

    /// The limiters `settings` ask for, on `clock`.
    pub fn with_clock(settings: &Settings, clock: Arc<dyn Clock>) -> Self {
        let limits = &settings.rate_limit;
        let per_ip = Limit::new("ip", limits.per_ip_per_minute, &clock);
        let per_principal = Limit::new("principal", limits.per_principal_per_minute, &clock);
        let redis = settings
            .redis_url
            .as_deref()
            .filter(|_| per_ip.is_some() || per_principal.is_some())
            .and_then(|url| {
                redis_store::RedisStore::new(url, &limits.redis_prefix, clock.clone())
                    .map_err(|err| {
                        // The settings validated the URL; this is not expected.
                        tracing::error!(error = %err, "REDIS_URL cannot be used: rate limits stay in memory");
                    })
                    .ok()
            });
        Self {
            per_ip,
            per_principal,
            trusted_proxies: TrustedProxies::new(limits.trusted_proxies.clone()),
            redis,
        }
    }

    /// Whether any limit is on.
    pub fn enabled(&self) -> bool {
        self.per_ip.is_some() || self.per_principal.is_some()
    }

    /// Whether decisions are shared through Redis.
    pub fn uses_redis(&self) -> bool {
        self.redis.is_some()
    }

    /// Keys tracked in memory by the address limit (for tests and metrics).
    pub fn tracked_addresses(&self) -> usize {
        self.per_ip.as_ref().map_or(0, |l| l.memory.len())
    }

    /// The client's address: the peer, or the rightmost untrusted hop of
    /// `X-Forwarded-For` when the peer is a trusted proxy.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        self.trusted_proxies.client_ip(peer, headers)
    }

    async fn check_ip(&self, ip: IpAddr) -> Option<Decision> {
        let limit = self.per_ip.as_ref()?;
        let key = counted_address(ip);
        let name = match key {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => format!("{v6}/64"),
        };
        Some(limit.check(&key, &name, self.redis.as_ref()).await)
    }

    async fn check_principal(&self, principal: &Principal) -> Option<Decision> {
        let limit = self.per_principal.as_ref()?;
        let user = principal.user_id.as_str().to_owned();
        Some(limit.check(&user, &user, self.redis.as_ref()).await)
    }
}

/// The proxies whose `X-Forwarded-For` is believed
/// (`MISMATCH_TRUSTED_PROXIES`), and the client address they imply; the rate
/// limiter and the audit log resolve addresses the same way.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn new(nets: Vec<IpNet>) -> Self {
        Self(nets)
    }

    /// The client's address: the peer, or the rightmost untrusted hop of
    /// `X-Forwarded-For` when the peer is a trusted proxy.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.is_trusted(peer) {
            return peer;
        }
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            // Every hop right of the client was appended by a trusted proxy,
            // which writes addresses; anything else ends the walk.
            let Some(addr) = parse_hop(hop) else { break };
            client = addr;
            if !self.is_trusted(addr) {
                break;
            }
        }
        client
    }

    fn is_trusted(&self, addr: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&addr))
    }
}

/// An `X-Forwarded-For` entry: an address, possibly with a port.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

/// The address a client is counted by: IPv4 as is, IPv6 by its /64.
fn counted_address(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(bits))
        }
        v4 => v4,
    }
}

/// Paths that no address limit applies to (see the module documentation).
pub fn is_exempt(path: &str) -> bool {
    path.starts_with("/health/")
}

/// The client address as the rate limiter resolved it (trusted proxies
/// applied), for other code that needs it (login throttling, logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// Put in the request by [`layer`] for [`check_principal`]: the limiters,
/// and where the principal's decision goes so the response can show it.
#[derive(Clone)]
struct PrincipalCheck {
    limits: Arc<RateLimits>,
    decision: Arc<Mutex<Option<Decision>>>,
}

/// The middleware: counts the request against its address's budget,
/// refuses it with 429 when that is spent, and puts the `RateLimit-*`
/// headers of the tighter budget on the response.
pub async fn layer(
    State(limits): State<Arc<RateLimits>>,
    mut request: Request,
    next: Next,
) -> Response {
    if !limits.enabled() {
        return next.run(request).await;
    }
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| limits.client_ip(peer.ip(), request.headers()));
    let mut shown = None;
    if let Some(ip) = client {
        request.extensions_mut().insert(ClientIp(ip));
        if !is_exempt(request.uri().path()) {
            shown = limits.check_ip(ip).await;
        }
    }
    if let Some(decision) = shown.filter(|d| !d.allowed()) {
        let limit = decision.limit;
        let mut response = ApiError::coded(
            ErrorCode::RateLimited,
            format!(
                "too many requests from this address: the limit is {limit} a minute; retry in {} s",
                whole_seconds(decision.retry_after.unwrap_or_default())
            ),
        )
        .into_response();
        set_headers(&mut response, decision);
        return response;
    }
    let principal_decision = Arc::new(Mutex::new(None));
    request.extensions_mut().insert(PrincipalCheck {
        limits: limits.clone(),
        decision: principal_decision.clone(),
    });
    let mut response = next.run(request).await;
    let principal = principal_decision
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .take();
    let shown = match (shown, principal) {
        (Some(a), Some(b)) => Some(a.tighter(b)),
        (a, b) => a.or(b),
    };
    if let Some(decision) = shown {
        set_headers(&mut response, decision);
    }
    response
}

/// Counts a request of an authenticated principal; called once per
/// request, right after authentication. Refuses with 429 when the
/// principal's budget is spent (the headers are added by [`layer`]).
pub async fn check_principal(parts: &Parts, principal: &Principal) -> Result<(), ApiError> {
    let Some(check) = parts.extensions.get::<PrincipalCheck>() else {
        return Ok(());
    };
    let Some(decision) = check.limits.check_principal(principal).await else {
        return Ok(());
    };
    *check
        .decision
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(decision);
    match decision.retry_after {
        None => Ok(()),
        Some(wait) => Err(ApiError::coded(
            ErrorCode::RateLimited,
            format!(
                "too many requests for this account: the limit is {} a minute; retry in {} s",
                decision.limit,
                whole_seconds(wait)
            ),
        )),
    }
}

/// Seconds, rounded up: a client that waits that long is allowed.
fn whole_seconds(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

fn set_headers(response: &mut Response, decision: Decision) {
    let headers = response.headers_mut();
    headers.insert(RATELIMIT_LIMIT, HeaderValue::from(decision.limit));
    headers.insert(RATELIMIT_REMAINING, HeaderValue::from(decision.remaining));
    headers.insert(
        RATELIMIT_RESET,
        HeaderValue::from(whole_seconds(decision.reset)),
    );
    if let Some(wait) = decision.retry_after
        && response.status() == StatusCode::TOO_MANY_REQUESTS
    {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(whole_seconds(wait)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> RawRateLimits {
        RawRateLimits::default()
    }

    fn limits(trusted: &str) -> RateLimits {
        let mut settings = Settings::default();
        settings.rate_limit.trusted_proxies = parse_trusted_proxies(trusted).unwrap();
        RateLimits::from_settings(&settings)
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append("x-forwarded-for", v.parse().unwrap());
        }
        headers
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn settings_default_and_validate() {
        let s = RateLimitSettings::from_raw(raw()).unwrap();
        assert_eq!(s.per_ip_per_minute, 1000);
        assert_eq!(s.per_principal_per_minute, 3000);
        assert!(s.trusted_proxies.is_empty());
        let s = RateLimitSettings::from_raw(RawRateLimits {
            per_minute: Some("0".into()),
            principal_per_minute: Some(" 50 ".into()),
            trusted_proxies: Some("10.0.0.0/8, 192.168.1.7 ,::1".into()),
            redis_prefix: Some("app:rl:".into()),
        })
        .unwrap();
        assert_eq!((s.per_ip_per_minute, s.per_principal_per_minute), (0, 50));
        assert_eq!(s.trusted_proxies.len(), 3);
        assert_eq!(s.redis_prefix, "app:rl:");
        for (raw, var) in [
            (
                RawRateLimits {
                    per_minute: Some("-1".into()),
                    ..raw()
                },
                "MISMATCH_RATE_LIMIT_PER_MINUTE:",
            ),
            (
                RawRateLimits {
                    principal_per_minute: Some("lots".into()),
                    ..raw()
                },
                "MISMATCH_PRINCIPAL_RATE_LIMIT_PER_MINUTE:",
            ),
            (
                RawRateLimits {
                    trusted_proxies: Some("10.0.0.0/33".into()),
                    ..raw()
                },
                "MISMATCH_TRUSTED_PROXIES:",
            ),
            (
                RawRateLimits {
                    redis_prefix: Some("a b".into()),
                    ..raw()
                },
                "MISMATCH_RATE_LIMIT_REDIS_PREFIX:",
            ),
        ] {
            let err = RateLimitSettings::from_raw(raw).unwrap_err();
            assert!(err.0.starts_with(var), "{err}");
        }
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let limits = limits("");
        let headers = forwarded(&["203.0.113.9"]);
        assert_eq!(
            limits.client_ip(ip("198.51.100.1"), &headers),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn behind_trusted_proxies_the_rightmost_untrusted_hop_is_the_client() {
        let limits = limits("10.0.0.0/8");
        let peer = ip("10.0.0.2");
        // The client spoofed the first entry; the proxies appended the rest.
        let headers = forwarded(&["1.1.1.1, 203.0.113.9", "10.0.0.5"]);
        assert_eq!(limits.client_ip(peer, &headers), ip("203.0.113.9"));
        // Ports are accepted; IPv4-mapped IPv6 counts as IPv4.
        let headers = forwarded(&["[2001:db8::1]:4711, ::ffff:10.0.0.7"]);
        assert_eq!(limits.client_ip(peer, &headers), ip("2001:db8::1"));
        // No header: the proxy itself.
        assert_eq!(limits.client_ip(peer, &HeaderMap::new()), peer);
        // Only trusted hops: the leftmost.
        let headers = forwarded(&["10.1.1.1, 10.2.2.2"]);
        assert_eq!(limits.client_ip(peer, &headers), ip("10.1.1.1"));
        // Garbage stops the walk at the last address a proxy vouched for.
        let headers = forwarded(&["unknown, 10.3.3.3"]);
        assert_eq!(limits.client_ip(peer, &headers), ip("10.3.3.3"));
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        assert_eq!(
            counted_address(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd")),
            ip("2001:db8:1:2::")
        );
        assert_eq!(counted_address(ip("::ffff:192.0.2.1")), ip("192.0.2.1"));
        assert_eq!(counted_address(ip("192.0.2.1")), ip("192.0.2.1"));
    }

    #[test]
    fn the_tighter_decision_is_shown() {
        let d = |remaining, retry: Option<u64>| Decision {
            limit: 10,
            remaining,
            reset: Duration::from_secs(1),
            retry_after: retry.map(Duration::from_secs),
        };
        assert_eq!(d(5, None).tighter(d(3, None)), d(3, None));
        assert_eq!(d(0, Some(2)).tighter(d(3, None)), d(0, Some(2)));
        assert_eq!(d(3, None).tighter(d(0, Some(2))), d(0, Some(2)));
        assert_eq!(whole_seconds(Duration::from_millis(60)), 1);
        assert_eq!(whole_seconds(Duration::from_secs(2)), 2);
    }
}
