//! Sessions: logging in as a user, and keeping the access token fresh.
//!
//! After [`Client::login`] (with a second step, [`Client::login_second_factor`])
//! or [`Client::resume_session`], every request of the client and of its
//! clones carries the session's access token instead of the API key, until
//! [`Client::logout`]. Access tokens are opaque to the client: it reads none
//! of their claims and keeps time by the `expires_in` of each answer, counted
//! on the local clock, so a skewed clock does not matter.
//!
//! # Renewal
//! - Ahead of expiry: before each attempt, a token with less than
//!   [`RENEW_BEFORE_EXPIRY`] left is renewed first.
//! - After a refusal: when a request sent with the token is answered
//!   `401 unauthorized`, [`Client::call`] (which the Python and JavaScript
//!   bindings use) renews the token once and sends the call again; the server
//!   acts on nothing it could not authenticate, so that is safe for every
//!   method. Typed calls through [`Client::api`] renew ahead of expiry only.
//! - Single flight: refresh tokens are single-use and the server ends the
//!   whole login when a spent one comes back, so one renewal runs at a time
//!   for a client and its clones. It holds an async lock that every change of
//!   the session (login, resume, logout) takes too; a caller that waited for
//!   it finds the token renewed and uses it. A renewal runs to its end even
//!   when the call that started it is dropped (see
//!   [`run_to_completion`](crate::rt::run_to_completion)), so that its
//!   rotated refresh token is never lost.
//! - Failure: a token that is still valid is used anyway. For an expired one
//!   the renewal's failure is the attempt's outcome, under the usual retry
//!   policy (the request itself was not sent, so it may be tried again
//!   whatever its method): a connection failure, 408, 429 or 5xx is retried,
//!   a refusal (4xx: the login ended, by logout, reuse detection, a disabled
//!   account or expiry) is the call's answer, and the session is no longer
//!   renewed ([`SessionInfo::renewable`]).
//!
//! # The session requests
//! Login, second factor, refresh and logout carry their credentials in the
//! body. The transport sends them without `Authorization` and without
//! `Idempotency-Key`, and never resends one that may have reached the server.
//! A refresh whose answer was lost is tried again by the next renewal: if the
//! server had spent the token, the login is lost either way, and the reuse
//! detection then revokes only this login's tokens.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use progenitor_client::ClientInfo;
use reqwest::header::{ACCEPT, HeaderName, HeaderValue, USER_AGENT};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use tokio::sync::OwnedMutexGuard;
use web_time::SystemTime;

use crate::call::CallOptions;
use crate::client::Client;
use crate::error::Error;
use crate::generated::{self, types};
use crate::state::HookState;

/// An access token is renewed before a request when it has less than this
/// left.
pub const RENEW_BEFORE_EXPIRY: Duration = Duration::from_secs(60);

/// Longest access-token lifetime taken from an answer (ten years), so that a
/// wild `expires_in` cannot overflow the clock.
const MAX_LIFETIME: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// Whether `operation_id` (progenitor's snake-case name) is one of the
/// session requests, which carry their credentials in the body.
pub(crate) fn is_session_request(operation_id: &str) -> bool {
    matches!(
        operation_id,
        "create_session" | "verify_session_second_factor" | "refresh_session" | "end_session"
    )
}

/// What the client knows about its session, without the secrets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionInfo {
    /// When the current access token expires (the server's clock). The
    /// client renews it about [`RENEW_BEFORE_EXPIRY`] earlier.
    pub access_token_expires_at: DateTime<Utc>,
    /// When the login ends: after this no refresh works and the user must
    /// log in again.
    pub refresh_token_expires_at: DateTime<Utc>,
    /// `false` once the server refused to renew the session (it was logged
    /// out elsewhere, a spent refresh token was reused, the account was
    /// disabled or its password changed). Calls then go on with the access
    /// token until it expires and fail with `401` afterwards: log in again.
    pub renewable: bool,
}

/// The first login step's answer for a user with a second factor.
#[derive(Clone, PartialEq, Eq)]
pub struct SecondFactorChallenge {
    /// Pass it to [`Client::login_second_factor`] with the user's code. A
    /// short-lived secret.
    pub challenge_token: String,
    /// When the challenge expires (five minutes after the first step).
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for SecondFactorChallenge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecondFactorChallenge")
            .field("challenge_token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// The result of [`Client::login`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoginOutcome {
    /// Logged in: the client now authenticates with the session.
    LoggedIn(SessionInfo),
    /// The user has a second factor: finish with
    /// [`Client::login_second_factor`]. The client is not logged in yet.
    SecondFactorRequired(SecondFactorChallenge),
}

impl Client {
    /// Logs in with email and password.
    ///
    /// Without a second factor the client is logged in at once: from now on
    /// it (and every clone) sends the session's access token instead of the
    /// API key, renewing it as needed (*Sessions* in the crate README). A user with a
    /// second factor gets [`LoginOutcome::SecondFactorRequired`]; finish with
    /// [`Client::login_second_factor`]. Logging in again replaces the current
    /// session without ending it on the server (call [`Client::logout`]
    /// first for that).
    ///
    /// Errors: `Authentication` (code `invalid_credentials`: unknown email or
    /// wrong password, never told apart), `Permission` (`account_disabled`),
    /// `RateLimited` (`login_locked`, after too many failures).
    pub async fn login(&self, email: &str, password: &str) -> Result<LoginOutcome, Error> {
        let requested_at = SystemTime::now();
        let args = json!({"body": {"email": email, "password": password}});
        let response = self
            .call("createSession", args, CallOptions::default())
            .await?;
        let answer: types::LoginResponse = decode(response.body, "createSession")?;
        if answer.two_factor_required {
            let (Some(challenge_token), Some(expires_at)) =
                (answer.challenge_token, answer.challenge_expires_at)
            else {
                return Err(Error::decode(
                    "createSession asked for a second factor without a challenge",
                    None,
                ));
            };
            return Ok(LoginOutcome::SecondFactorRequired(SecondFactorChallenge {
                challenge_token,
                expires_at: timestamp(&expires_at, "challenge_expires_at")?,
            }));
        }
        let session = answer.session.ok_or_else(|| {
            Error::decode(
                "createSession answered neither a session nor a challenge",
                None,
            )
        })?;
        let info = self.sessions().install(session, requested_at).await?;
        Ok(LoginOutcome::LoggedIn(info))
    }

    /// Finishes a login that needs a second factor: the challenge token of
    /// [`LoginOutcome::SecondFactorRequired`] and a TOTP code (or one of the
    /// user's backup codes). Then the client is logged in as after
    /// [`Client::login`].
    ///
    /// Errors: `Authentication` (code `invalid_two_factor_code`, or
    /// `unauthorized` for an expired or invalid challenge), `RateLimited`
    /// (`login_locked`).
    pub async fn login_second_factor(
        &self,
        challenge_token: &str,
        code: &str,
    ) -> Result<SessionInfo, Error> {
        let requested_at = SystemTime::now();
        let args = json!({"body": {"challenge_token": challenge_token, "code": code}});
        let response = self
            .call("verifySessionSecondFactor", args, CallOptions::default())
            .await?;
        let session: types::Session = decode(response.body, "verifySessionSecondFactor")?;
        self.sessions().install(session, requested_at).await
    }

    /// Continues a login from a refresh token kept earlier (see
    /// [`Client::session_refresh_token`]): renews it now and, when the
    /// server accepts it, uses the session as after [`Client::login`]. The
    /// token is spent; the next one is the client's.
    ///
    /// Errors: `Authentication` when the token is unknown, spent, expired or
    /// revoked; `InvalidArgument` for an empty token.
    pub async fn resume_session(&self, refresh_token: &str) -> Result<SessionInfo, Error> {
        if refresh_token.is_empty() {
            return Err(Error::invalid_argument("the refresh token is empty"));
        }
        self.sessions()
            .resume(self.session_endpoint(), refresh_token.to_owned())
            .await
    }

    /// Logs out: forgets the session (from now on requests carry the API
    /// key again, if the client has one) and ends it on the server, which
    /// revokes every refresh token of the login. Access tokens already
    /// issued stay valid until they expire, within the hour.
    ///
    /// Without a session this does nothing. When the server cannot be
    /// reached the error is returned, but the session is forgotten all the
    /// same; its tokens then expire on their own.
    pub async fn logout(&self) -> Result<(), Error> {
        let Some(refresh_token) = self.sessions().take().await else {
            return Ok(());
        };
        let args = json!({"body": {"refresh_token": refresh_token}});
        self.call("endSession", args, CallOptions::default())
            .await
            .map(drop)
    }

    /// The current session, without its secrets; `None` when not logged in.
    pub fn session(&self) -> Option<SessionInfo> {
        self.sessions().current().map(|tokens| tokens.info.clone())
    }

    /// The session's current refresh token, for an application that keeps
    /// its login across restarts and continues it with
    /// [`Client::resume_session`].
    ///
    /// **A secret**, as good as the user's password until the login ends:
    /// store it as such, never log it. It changes with every renewal (about
    /// hourly), so read it again before storing it, e.g. when the
    /// application shuts down. `None` when not logged in or when the session
    /// can no longer be renewed.
    pub fn session_refresh_token(&self) -> Option<String> {
        self.sessions()
            .current()
            .and_then(|tokens| tokens.refresh_token.clone())
    }
}

fn decode<T: serde::de::DeserializeOwned>(body: Value, operation_id: &str) -> Result<T, Error> {
    serde_json::from_value(body).map_err(|err| {
        Error::decode(
            format!("unexpected {operation_id} response: {err}"),
            Some(Box::new(err)),
        )
    })
}

fn timestamp(text: &str, field: &str) -> Result<DateTime<Utc>, Error> {
    DateTime::parse_from_rfc3339(text)
        .map(|time| time.with_timezone(&Utc))
        .map_err(|err| {
            Error::decode(
                format!("{field} is not an RFC 3339 time: {text:?}"),
                Some(Box::new(err)),
            )
        })
}

/// The secrets of a session and when to renew them.
struct Tokens {
    /// Tells one set of tokens from the next, so that a caller that waited
    /// for a renewal sees that it happened.
    generation: u64,
    /// `Bearer <access token>`, marked sensitive.
    authorization: HeaderValue,
    /// Local time from which the access token is renewed before use.
    renew_at: SystemTime,
    /// Local time at which the access token expires.
    expires_at: SystemTime,
    /// `None` once the server refused it.
    refresh_token: Option<String>,
    info: SessionInfo,
}

impl Tokens {
    /// The tokens of a session answer to a request sent at `requested_at`
    /// (so that local expiry errs early).
    fn new(
        session: types::Session,
        generation: u64,
        requested_at: SystemTime,
    ) -> Result<Self, Error> {
        let mut authorization =
            HeaderValue::try_from(format!("Bearer {}", session.access_token))
                .map_err(|_| Error::decode("the access token cannot be sent in a header", None))?;
        authorization.set_sensitive(true);
        let lifetime =
            Duration::from_secs(u64::try_from(session.expires_in).unwrap_or(0)).min(MAX_LIFETIME);
        let info = SessionInfo {
            access_token_expires_at: timestamp(&session.expires_at, "expires_at")?,
            refresh_token_expires_at: timestamp(&session.refresh_expires_at, "refresh_expires_at")?,
            renewable: true,
        };
        Ok(Self {
            generation,
            authorization,
            renew_at: requested_at + lifetime.saturating_sub(RENEW_BEFORE_EXPIRY),
            expires_at: requested_at + lifetime,
            refresh_token: Some(session.refresh_token),
            info,
        })
    }

    /// These tokens after the server refused to renew them.
    fn refused(&self) -> Self {
        Self {
            generation: self.generation,
            authorization: self.authorization.clone(),
            renew_at: self.renew_at,
            expires_at: self.expires_at,
            refresh_token: None,
            info: SessionInfo {
                renewable: false,
                ..self.info.clone()
            },
        }
    }
}

/// Where a refresh is sent; owned, so that a spawned renewal can keep it.
#[derive(Clone)]
pub(crate) struct Endpoint {
    pub(crate) http: reqwest::Client,
    pub(crate) base_url: String,
    pub(crate) user_agent: Option<HeaderValue>,
    /// Set per request in browsers, where the client has no timeout.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub(crate) timeout: Duration,
}

/// How a refresh failed.
enum RefreshFailure {
    /// An error status; the body is unread.
    Status(Response),
    /// No answer (or its body broke off).
    Transport(reqwest::Error),
    /// A success whose body is not a session: the token is spent, the next
    /// one unknown.
    Decode(Error),
    /// The session has no refresh token left.
    NotRenewable,
}

/// Whether a refresh answered with `status` means the login is over (as
/// opposed to a transient failure worth trying again).
fn is_refusal(status: StatusCode) -> bool {
    status.is_client_error() && !matches!(status.as_u16(), 408 | 429)
}

/// `POST /v1/auth/refresh`, sent once. Built here rather than through the
/// generated client, whose requests pass through the transport that asks
/// for this renewal.
async fn request_refresh(
    endpoint: &Endpoint,
    refresh_token: &str,
) -> Result<(types::Session, SystemTime), RefreshFailure> {
    let path = crate::operations::find_operation("refreshSession")
        .map_or("/v1/auth/refresh", |operation| operation.path);
    let mut builder = endpoint
        .http
        .post(format!("{}{path}", endpoint.base_url))
        .header(ACCEPT, "application/json")
        .header(
            HeaderName::from_static("api-version"),
            <generated::Client as ClientInfo<HookState>>::api_version(),
        )
        .json(&json!({"refresh_token": refresh_token}));
    if let Some(user_agent) = &endpoint.user_agent {
        builder = builder.header(USER_AGENT, user_agent.clone());
    }
    #[cfg(target_arch = "wasm32")]
    {
        builder = builder.timeout(endpoint.timeout);
    }
    let request = builder.build().map_err(RefreshFailure::Transport)?;
    let requested_at = SystemTime::now();
    let response = endpoint
        .http
        .execute(request)
        .await
        .map_err(RefreshFailure::Transport)?;
    if !response.status().is_success() {
        return Err(RefreshFailure::Status(response));
    }
    let bytes = response.bytes().await.map_err(RefreshFailure::Transport)?;
    let session = serde_json::from_slice(&bytes).map_err(|err| {
        RefreshFailure::Decode(Error::decode(
            format!("unexpected refreshSession response: {err}"),
            Some(Box::new(err)),
        ))
    })?;
    Ok((session, requested_at))
}

/// What the transport sends one attempt with.
pub(crate) enum Credential {
    /// No session: the client's API key, if it has one.
    ApiKey,
    /// The session's access token; `generation` names it for a later 401.
    Session {
        authorization: HeaderValue,
        generation: u64,
    },
    /// The access token expired and renewing it failed: this failure is the
    /// attempt's outcome (the request was not sent).
    RenewalFailed(reqwest::Result<Response>),
}

/// The result of one renewal.
enum Renewal {
    /// Current tokens, renewed now or by another caller meanwhile.
    Renewed(Arc<Tokens>),
    /// Logged out meanwhile.
    LoggedOut,
    /// The tokens as they are after the failure (marked refused when the
    /// server refused them).
    Failed(Arc<Tokens>, RefreshFailure),
}

/// The session shared by a client and its clones.
#[derive(Default)]
pub(crate) struct SessionStore {
    current: Mutex<Option<Arc<Tokens>>>,
    /// Held by the renewal in flight and by every change of the session.
    gate: Arc<tokio::sync::Mutex<()>>,
    generations: AtomicU64,
}

type Gate = OwnedMutexGuard<()>;

impl SessionStore {
    fn current(&self) -> Option<Arc<Tokens>> {
        self.current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Whether the client is logged in.
    pub(crate) fn is_active(&self) -> bool {
        self.current().is_some()
    }

    /// Replaces the session; only with the gate held.
    fn set(&self, _held: &Gate, tokens: Option<Arc<Tokens>>) -> Option<Arc<Tokens>> {
        std::mem::replace(
            &mut *self.current.lock().unwrap_or_else(PoisonError::into_inner),
            tokens,
        )
    }

    async fn gate(&self) -> Gate {
        self.gate.clone().lock_owned().await
    }

    fn next_generation(&self) -> u64 {
        self.generations.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Makes `session` (answered to a request sent at `requested_at`) the
    /// client's session.
    async fn install(
        &self,
        session: types::Session,
        requested_at: SystemTime,
    ) -> Result<SessionInfo, Error> {
        let held = self.gate().await;
        let tokens = Tokens::new(session, self.next_generation(), requested_at)?;
        let info = tokens.info.clone();
        self.set(&held, Some(Arc::new(tokens)));
        Ok(info)
    }

    /// Forgets the session (after any renewal in flight), returning its
    /// refresh token.
    async fn take(&self) -> Option<String> {
        let held = self.gate().await;
        self.set(&held, None)
            .and_then(|tokens| tokens.refresh_token.clone())
    }

    async fn resume(
        self: &Arc<Self>,
        endpoint: Endpoint,
        refresh_token: String,
    ) -> Result<SessionInfo, Error> {
        let held = self.gate().await;
        let store = Arc::clone(self);
        crate::rt::run_to_completion(async move {
            match request_refresh(&endpoint, &refresh_token).await {
                Ok((session, requested_at)) => {
                    let tokens = Tokens::new(session, store.next_generation(), requested_at)?;
                    let info = tokens.info.clone();
                    store.set(&held, Some(Arc::new(tokens)));
                    Ok(info)
                }
                Err(RefreshFailure::Status(response)) => {
                    Err(crate::call::error_from_response(response).await)
                }
                Err(RefreshFailure::Transport(err)) => Err(Error::from_reqwest(err)),
                Err(RefreshFailure::Decode(err)) => Err(err),
                Err(RefreshFailure::NotRenewable) => {
                    Err(Error::invalid_argument("the refresh token is empty"))
                }
            }
        })
        .await
    }

    /// Renews the tokens of generation `seen`, unless another caller did
    /// meanwhile. One renewal at a time (the gate), run to its end.
    async fn renew(self: &Arc<Self>, endpoint: Endpoint, seen: u64) -> Renewal {
        let held = self.gate().await;
        let Some(current) = self.current() else {
            return Renewal::LoggedOut;
        };
        if current.generation != seen {
            return Renewal::Renewed(current);
        }
        let Some(refresh_token) = current.refresh_token.clone() else {
            return Renewal::Failed(current, RefreshFailure::NotRenewable);
        };
        let store = Arc::clone(self);
        crate::rt::run_to_completion(async move {
            let outcome = request_refresh(&endpoint, &refresh_token).await;
            store.settle(&held, current, outcome)
        })
        .await
    }

    fn settle(
        &self,
        held: &Gate,
        current: Arc<Tokens>,
        outcome: Result<(types::Session, SystemTime), RefreshFailure>,
    ) -> Renewal {
        match outcome {
            Ok((session, requested_at)) => {
                match Tokens::new(session, self.next_generation(), requested_at) {
                    Ok(tokens) => {
                        let tokens = Arc::new(tokens);
                        self.set(held, Some(tokens.clone()));
                        Renewal::Renewed(tokens)
                    }
                    Err(err) => self.refuse(held, &current, RefreshFailure::Decode(err)),
                }
            }
            Err(RefreshFailure::Status(response)) if is_refusal(response.status()) => {
                self.refuse(held, &current, RefreshFailure::Status(response))
            }
            Err(RefreshFailure::Decode(err)) => {
                self.refuse(held, &current, RefreshFailure::Decode(err))
            }
            Err(failure) => Renewal::Failed(current, failure),
        }
    }

    /// Keeps `current` without its refresh token, which the server refused.
    fn refuse(&self, held: &Gate, current: &Tokens, failure: RefreshFailure) -> Renewal {
        let tokens = Arc::new(current.refused());
        self.set(held, Some(tokens.clone()));
        Renewal::Failed(tokens, failure)
    }

    /// The credential of the next attempt, renewing the access token first
    /// when it is about to expire. `endpoint` is called only to renew.
    pub(crate) async fn credential(
        self: &Arc<Self>,
        endpoint: impl FnOnce() -> Endpoint,
    ) -> Credential {
        let Some(tokens) = self.current() else {
            return Credential::ApiKey;
        };
        if SystemTime::now() < tokens.renew_at || tokens.refresh_token.is_none() {
            return session_credential(&tokens);
        }
        match self.renew(endpoint(), tokens.generation).await {
            Renewal::Renewed(tokens) => session_credential(&tokens),
            Renewal::LoggedOut => Credential::ApiKey,
            Renewal::Failed(tokens, failure) => {
                if SystemTime::now() < tokens.expires_at {
                    return session_credential(&tokens);
                }
                match failure {
                    RefreshFailure::Status(response) => Credential::RenewalFailed(Ok(response)),
                    RefreshFailure::Transport(err) => Credential::RenewalFailed(Err(err)),
                    // Nothing left to try: the server answers the expired token.
                    RefreshFailure::Decode(_) | RefreshFailure::NotRenewable => {
                        session_credential(&tokens)
                    }
                }
            }
        }
    }

    /// After a `401 unauthorized` for the access token of `generation`:
    /// renews it (unless that happened meanwhile) and says whether there is
    /// a new one to try.
    pub(crate) async fn renew_after_refusal(
        self: &Arc<Self>,
        endpoint: Endpoint,
        generation: u64,
    ) -> bool {
        matches!(
            self.renew(endpoint, generation).await,
            Renewal::Renewed(tokens) if tokens.generation != generation
        )
    }
}

fn session_credential(tokens: &Tokens) -> Credential {
    Credential::Session {
        authorization: tokens.authorization.clone(),
        generation: tokens.generation,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(expires_in: i64) -> types::Session {
        serde_json::from_value(json!({
            "access_token": "eyJ.a.b", "token_type": "Bearer", "expires_in": expires_in,
            "expires_at": "2026-01-01T01:00:00.000Z", "refresh_token": "mmr_secret",
            "refresh_expires_at": "2026-01-31T00:00:00Z",
        }))
        .unwrap()
    }

    #[test]
    fn tokens_renew_a_minute_before_local_expiry() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let tokens = Tokens::new(session(3600), 7, at).unwrap();
        assert_eq!(tokens.expires_at, at + Duration::from_secs(3600));
        assert_eq!(tokens.renew_at, at + Duration::from_secs(3540));
        assert!(tokens.authorization.is_sensitive());
        assert_eq!(tokens.authorization, "Bearer eyJ.a.b");
        assert_eq!(
            tokens.info.access_token_expires_at.to_rfc3339(),
            "2026-01-01T01:00:00+00:00"
        );
        assert!(tokens.info.renewable);
        // A token living less than a minute is renewed at its next use.
        let short = Tokens::new(session(30), 8, at).unwrap();
        assert_eq!(short.renew_at, at);
        // Nonsense lifetimes neither panic nor live forever.
        assert_eq!(Tokens::new(session(-5), 9, at).unwrap().expires_at, at);
        let long = Tokens::new(session(i64::MAX), 10, at).unwrap();
        assert_eq!(long.expires_at, at + MAX_LIFETIME);
        let refused = tokens.refused();
        assert_eq!(
            (refused.refresh_token, refused.info.renewable),
            (None, false)
        );
    }

    #[test]
    fn bad_times_are_decode_errors() {
        let mut bad = session(3600);
        bad.expires_at = "tomorrow".into();
        let err = Tokens::new(bad, 1, SystemTime::now()).err().unwrap();
        assert_eq!(err.kind(), crate::ErrorKind::Decode);
        assert!(err.message().contains("expires_at"), "{}", err.message());
    }

    #[test]
    fn refusals_are_client_errors_other_than_timeouts_and_limits() {
        for status in [400, 401, 403, 404, 422] {
            assert!(
                is_refusal(StatusCode::from_u16(status).unwrap()),
                "{status}"
            );
        }
        for status in [408, 429, 500, 502, 503] {
            assert!(
                !is_refusal(StatusCode::from_u16(status).unwrap()),
                "{status}"
            );
        }
    }

    #[test]
    fn challenges_hide_their_token() {
        let challenge = SecondFactorChallenge {
            challenge_token: "eyJ.secret.x".into(),
            expires_at: DateTime::UNIX_EPOCH,
        };
        let text = format!("{challenge:?}");
        assert!(!text.contains("secret"), "{text}");
    }

    #[test]
    fn only_the_four_session_requests_travel_without_credentials() {
        for id in [
            "create_session",
            "verify_session_second_factor",
            "refresh_session",
            "end_session",
        ] {
            assert!(is_session_request(id));
        }
        assert!(!is_session_request("get_current_user"));
        assert!(!is_session_request("createSession"));
    }
}
