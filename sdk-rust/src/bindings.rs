//! What the JavaScript bindings exchange with their runtimes (feature
//! `bindings`): client and call options in, one [`CallOutcome`] record out.
//!
//! The Node addon (napi) and the browser build (wasm-bindgen) differ only in
//! how a serde value becomes a JS value, so everything else lives here once:
//! option names and units, defaults, and how a result or an [`Error`] maps to
//! the fields JavaScript reads. With `bindings-tsify` the types also derive
//! `tsify::Tsify`, so the browser build's `.d.ts` declares them.
//!
//! A call never fails for API or transport errors: those become an outcome
//! with `ok: false`, so that the JavaScript layer owns the error classes.
//! The session methods (login, second factor, resume, logout) answer the
//! same record, with their result as JSON in `bodyJson`.

use std::collections::HashMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    CallOptions, CallResponse, Client, ClientOptions, Error, ErrorKind, LoginOutcome, SessionInfo,
};

/// Options of a binding's client constructor: camelCase, durations in
/// milliseconds, everything but the base URL optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "bindings-tsify", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BindingClientOptions {
    /// Absent or empty: `MISMATCH_BASE_URL` (Node only; browsers have no
    /// environment).
    #[serde(default)]
    #[cfg_attr(feature = "bindings-tsify", tsify(optional))]
    pub base_url: Option<String>,
    /// Absent: `MISMATCH_API_KEY` (Node only), else no key.
    #[serde(default)]
    #[cfg_attr(feature = "bindings-tsify", tsify(optional))]
    pub api_key: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "bindings-tsify", tsify(optional))]
    pub timeout_ms: Option<u32>,
    /// Ignored by browsers, whose fetch has no connect timeout.
    #[serde(default)]
    #[cfg_attr(feature = "bindings-tsify", tsify(optional))]
    pub connect_timeout_ms: Option<u32>,
    #[serde(default)]
    #[cfg_attr(feature = "bindings-tsify", tsify(optional))]
    pub max_retries: Option<u32>,
    #[serde(default)]
    #[cfg_attr(feature = "bindings-tsify", tsify(optional))]
    pub max_retry_delay_ms: Option<u32>,
    /// Ignored by browsers, which do not let pages set User-Agent.
    #[serde(default)]
    #[cfg_attr(feature = "bindings-tsify", tsify(optional))]
    pub user_agent: Option<String>,
}

impl BindingClientOptions {
    /// The SDK's options: given values converted, the rest at their defaults,
    /// `user_agent` at `default_user_agent` (the binding names itself there).
    pub fn into_client_options(self, default_user_agent: String) -> ClientOptions {
        let defaults = ClientOptions::default();
        let ms = |value: Option<u32>, default: Duration| {
            value.map_or(default, |v| Duration::from_millis(u64::from(v)))
        };
        ClientOptions {
            base_url: self.base_url.unwrap_or_default(),
            api_key: self.api_key,
            timeout: ms(self.timeout_ms, defaults.timeout),
            connect_timeout: ms(self.connect_timeout_ms, defaults.connect_timeout),
            max_retries: self.max_retries.unwrap_or(defaults.max_retries),
            max_retry_delay: ms(self.max_retry_delay_ms, defaults.max_retry_delay),
            user_agent: self.user_agent.unwrap_or(default_user_agent),
            ..defaults
        }
    }
}

/// Per-call options of a binding's `call`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "bindings-tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "bindings-tsify", tsify(hashmap_as_object))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BindingCallOptions {
    #[serde(default)]
    #[cfg_attr(feature = "bindings-tsify", tsify(optional))]
    pub headers: Option<HashMap<String, String>>,
    #[serde(default)]
    #[cfg_attr(feature = "bindings-tsify", tsify(optional))]
    pub idempotency_key: Option<String>,
}

impl BindingCallOptions {
    /// The SDK's call options, with the raw request body if there is one.
    pub fn into_call_options(self, body: Option<Vec<u8>>) -> CallOptions {
        let mut headers: Vec<(String, String)> =
            self.headers.unwrap_or_default().into_iter().collect();
        // Deterministic header order whatever the map's iteration order.
        headers.sort();
        CallOptions {
            headers,
            idempotency_key: self.idempotency_key,
            body_bytes: body,
        }
    }
}

/// The `args` of a call, passed as JSON text. A binding throws this error's
/// message: it is the caller's bug, not an API outcome.
pub fn parse_args(args_json: &str) -> Result<Value, Error> {
    serde_json::from_str(args_json)
        .map_err(|err| Error::invalid_argument(format!("arguments are not valid JSON: {err}")))
}

/// Result of one call as JavaScript sees it: `ok` with status and body, or
/// the error's fields. Bodies cross as JSON text so that both builds decode
/// them with the same `JSON.parse`. Absent fields are left out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "bindings-tsify", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct CallOutcome {
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "bindings-tsify", tsify(optional))]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "bindings-tsify", tsify(optional))]
    pub body_json: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "bindings-tsify", tsify(optional))]
    pub request_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "bindings-tsify", tsify(optional))]
    pub attempts: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "bindings-tsify", tsify(optional))]
    pub kind: Option<ErrorKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "bindings-tsify", tsify(optional))]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "bindings-tsify", tsify(optional))]
    pub message: Option<String>,
}

impl CallOutcome {
    /// A successful call.
    pub fn success(response: CallResponse) -> Self {
        Self {
            ok: true,
            status: Some(response.status),
            body_json: Some(response.body.to_string()),
            request_id: response.request_id,
            attempts: Some(response.attempts),
            kind: None,
            code: None,
            message: None,
        }
    }

    /// A failed call: the error's kind, status, problem code, message,
    /// request id, body and attempts.
    pub fn failure(err: &Error) -> Self {
        Self {
            ok: false,
            status: err.status(),
            body_json: err.body().map(Value::to_string),
            request_id: err.request_id().map(str::to_owned),
            attempts: err.attempts(),
            kind: Some(err.kind()),
            code: err.code().map(str::to_owned),
            message: Some(message(err).to_owned()),
        }
    }
}

impl CallOutcome {
    /// A successful SDK method whose result is `value` (the session
    /// methods): no HTTP status of its own, the value as JSON.
    pub fn value(value: &impl Serialize) -> Self {
        match serde_json::to_string(value) {
            Ok(json) => Self {
                ok: true,
                status: None,
                body_json: Some(json),
                request_id: None,
                attempts: None,
                kind: None,
                code: None,
                message: None,
            },
            Err(err) => Self::failure(&Error::new(ErrorKind::Decode, err.to_string())),
        }
    }
}

impl From<Result<CallResponse, Error>> for CallOutcome {
    fn from(result: Result<CallResponse, Error>) -> Self {
        match result {
            Ok(response) => Self::success(response),
            Err(err) => Self::failure(&err),
        }
    }
}

/// The message JavaScript shows. Errors without a response keep their first
/// line only: on wasm32 they embed the browser's `TypeError` with its whole
/// stack trace, which helps nobody in an error message (the browser console
/// already shows the failed fetch). A server's problem detail stays whole.
fn message(err: &Error) -> &str {
    if err.status().is_some() {
        err.message()
    } else {
        err.message().lines().next().unwrap_or_default().trim_end()
    }
}

/// Calls `operation_id` on `client` and maps the result to an outcome.
pub async fn call(
    client: &Client,
    operation_id: &str,
    args: Value,
    options: CallOptions,
) -> CallOutcome {
    client.call(operation_id, args, options).await.into()
}

/// A session as JavaScript sees it: [`SessionInfo`] in camelCase, times in
/// RFC 3339 (UTC, milliseconds).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionRecord {
    pub access_token_expires_at: String,
    pub refresh_token_expires_at: String,
    pub renewable: bool,
}

impl From<&SessionInfo> for SessionRecord {
    fn from(info: &SessionInfo) -> Self {
        Self {
            access_token_expires_at: rfc3339(&info.access_token_expires_at),
            refresh_token_expires_at: rfc3339(&info.refresh_token_expires_at),
            renewable: info.renewable,
        }
    }
}

fn rfc3339(time: &chrono::DateTime<chrono::Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The result of `login`: `session` when logged in, else the challenge of
/// the second step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginRecord {
    pub two_factor_required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<SessionRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub challenge_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub challenge_expires_at: Option<String>,
}

impl From<&LoginOutcome> for LoginRecord {
    fn from(outcome: &LoginOutcome) -> Self {
        match outcome {
            LoginOutcome::LoggedIn(info) => Self {
                two_factor_required: false,
                session: Some(info.into()),
                challenge_token: None,
                challenge_expires_at: None,
            },
            LoginOutcome::SecondFactorRequired(challenge) => Self {
                two_factor_required: true,
                session: None,
                challenge_token: Some(challenge.challenge_token.clone()),
                challenge_expires_at: Some(rfc3339(&challenge.expires_at)),
            },
        }
    }
}

fn session_outcome(result: Result<SessionInfo, Error>) -> CallOutcome {
    match result {
        Ok(info) => CallOutcome::value(&SessionRecord::from(&info)),
        Err(err) => CallOutcome::failure(&err),
    }
}

/// [`Client::login`]; `bodyJson` is a [`LoginRecord`].
pub async fn login(client: &Client, email: &str, password: &str) -> CallOutcome {
    match client.login(email, password).await {
        Ok(outcome) => CallOutcome::value(&LoginRecord::from(&outcome)),
        Err(err) => CallOutcome::failure(&err),
    }
}

/// [`Client::login_second_factor`]; `bodyJson` is a [`SessionRecord`].
pub async fn login_second_factor(
    client: &Client,
    challenge_token: &str,
    code: &str,
) -> CallOutcome {
    session_outcome(client.login_second_factor(challenge_token, code).await)
}

/// [`Client::resume_session`]; `bodyJson` is a [`SessionRecord`].
pub async fn resume_session(client: &Client, refresh_token: &str) -> CallOutcome {
    session_outcome(client.resume_session(refresh_token).await)
}

/// [`Client::logout`]; `bodyJson` is `null`.
pub async fn logout(client: &Client) -> CallOutcome {
    match client.logout().await {
        Ok(()) => CallOutcome::value(&Value::Null),
        Err(err) => CallOutcome::failure(&err),
    }
}

/// [`Client::session`] as the JSON text of a [`SessionRecord`], or `None`.
pub fn session_json(client: &Client) -> Option<String> {
    client
        .session()
        .and_then(|info| serde_json::to_string(&SessionRecord::from(&info)).ok())
}

/// The operationIds this build of the SDK knows, in spec order.
pub fn operation_ids() -> Vec<String> {
    crate::operations()
        .iter()
        .map(|op| op.id.to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn client_options_come_in_camel_case_milliseconds_with_defaults() {
        let options: BindingClientOptions = serde_json::from_value(json!({
            "baseUrl": "http://127.0.0.1:1", "apiKey": "mm_k",
            "timeoutMs": 1500, "maxRetries": 0,
        }))
        .unwrap();
        let options = options.into_client_options("ua/1".into());
        assert_eq!(options.base_url, "http://127.0.0.1:1");
        assert_eq!(options.api_key.as_deref(), Some("mm_k"));
        assert_eq!(options.timeout, Duration::from_millis(1500));
        assert_eq!(options.max_retries, 0);
        assert_eq!(options.user_agent, "ua/1");
        let defaults = ClientOptions::default();
        assert_eq!(options.max_retry_delay, defaults.max_retry_delay);
        assert_eq!(options.connect_timeout, defaults.connect_timeout);

        // No base URL is left empty for Client::new to take from the environment.
        let options: BindingClientOptions = serde_json::from_value(json!({})).unwrap();
        assert_eq!(options.into_client_options(String::new()).base_url, "");
    }

    #[test]
    fn unknown_or_ill_typed_options_are_named() {
        let err = serde_json::from_value::<BindingClientOptions>(json!({"baseURL": "x"}))
            .unwrap_err()
            .to_string();
        assert!(err.contains("baseURL"), "{err}");
        let err = serde_json::from_value::<BindingClientOptions>(json!({"timeoutMs": "5"}))
            .unwrap_err()
            .to_string();
        assert!(err.contains("u32"), "{err}");
        let err = serde_json::from_value::<BindingCallOptions>(json!({"idempotency_key": "k"}))
            .unwrap_err()
            .to_string();
        assert!(err.contains("idempotency_key"), "{err}");
    }

    #[test]
    fn call_options_sort_headers_and_keep_the_body() {
        let options = BindingCallOptions {
            headers: Some(HashMap::from([
                ("x-b".to_owned(), "2".to_owned()),
                ("x-a".to_owned(), "1".to_owned()),
            ])),
            idempotency_key: Some("k-1".into()),
        }
        .into_call_options(Some(vec![1, 2, 3]));
        assert_eq!(
            options.headers,
            vec![("x-a".into(), "1".into()), ("x-b".into(), "2".into())]
        );
        assert_eq!(options.idempotency_key.as_deref(), Some("k-1"));
        assert_eq!(options.body_bytes, Some(vec![1, 2, 3]));
    }

    #[test]
    fn bad_args_json_is_an_invalid_argument() {
        let err = parse_args("{nope").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert!(err.message().starts_with("arguments are not valid JSON: "));
        assert_eq!(parse_args(r#"{"a":1}"#).unwrap(), json!({"a": 1}));
    }

    #[test]
    fn a_success_serialises_without_error_fields() {
        let outcome = CallOutcome::success(CallResponse {
            status: 201,
            body: json!({"id": "job_1"}),
            request_id: Some("req-1".into()),
            attempts: 2,
        });
        assert_eq!(
            serde_json::to_value(&outcome).unwrap(),
            json!({"ok": true, "status": 201, "bodyJson": "{\"id\":\"job_1\"}",
                   "requestId": "req-1", "attempts": 2})
        );
    }

    #[test]
    fn a_failure_carries_the_problem_fields() {
        let body = json!({"code": "not_found", "detail": "no such candidate\nsee the docs"});
        let err = Error::from_response(404, Some("req-7".into()), Some(body.clone()));
        let outcome = CallOutcome::from(Err(err));
        let value = serde_json::to_value(&outcome).unwrap();
        assert_eq!(
            value,
            json!({"ok": false, "status": 404, "kind": "not_found", "code": "not_found",
                   "requestId": "req-7", "message": "no such candidate\nsee the docs",
                   "bodyJson": body.to_string()})
        );
    }

    #[test]
    fn transport_messages_keep_their_first_line_only() {
        let err = Error::new(
            ErrorKind::Connection,
            "error sending request: JsValue(TypeError: Failed to fetch\nTypeError: Failed to fetch\n    at x (y.js:1:2))",
        );
        let outcome = CallOutcome::failure(&err);
        assert_eq!(
            outcome.message.as_deref(),
            Some("error sending request: JsValue(TypeError: Failed to fetch")
        );
        assert_eq!(outcome.kind, Some(ErrorKind::Connection));
        assert_eq!(outcome.status, None);
        let empty = CallOutcome::failure(&Error::new(ErrorKind::Decode, ""));
        assert_eq!(empty.message.as_deref(), Some(""));
    }

    #[test]
    fn session_results_cross_as_camel_case_json() {
        let time = |text: &str| {
            chrono::DateTime::parse_from_rfc3339(text)
                .unwrap()
                .with_timezone(&chrono::Utc)
        };
        let info = SessionInfo {
            access_token_expires_at: time("2026-01-01T01:00:00Z"),
            refresh_token_expires_at: time("2026-01-31T00:00:00.25+01:00"),
            renewable: true,
        };
        let outcome = CallOutcome::value(&LoginRecord::from(&LoginOutcome::LoggedIn(info)));
        assert!(outcome.ok);
        assert_eq!(outcome.status, None);
        let body: Value = serde_json::from_str(outcome.body_json.as_deref().unwrap()).unwrap();
        assert_eq!(
            body,
            json!({"twoFactorRequired": false, "session": {
                "accessTokenExpiresAt": "2026-01-01T01:00:00.000Z",
                "refreshTokenExpiresAt": "2026-01-30T23:00:00.250Z", "renewable": true}})
        );
        let challenge = LoginOutcome::SecondFactorRequired(crate::SecondFactorChallenge {
            challenge_token: "eyJ.c.1".into(),
            expires_at: time("2026-01-01T00:05:00Z"),
        });
        assert_eq!(
            serde_json::to_value(LoginRecord::from(&challenge)).unwrap(),
            json!({"twoFactorRequired": true, "challengeToken": "eyJ.c.1",
                   "challengeExpiresAt": "2026-01-01T00:05:00.000Z"})
        );
        assert_eq!(
            CallOutcome::value(&Value::Null).body_json.as_deref(),
            Some("null")
        );
    }

    #[test]
    fn every_kind_serialises_as_its_stable_name() {
        use ErrorKind as K;
        // Walks every kind; the exhaustive match stops compiling when a kind
        // is added until it is given a place in the walk.
        fn after(kind: Option<K>) -> Option<K> {
            match kind {
                None => Some(K::BadRequest),
                Some(K::BadRequest) => Some(K::Authentication),
                Some(K::Authentication) => Some(K::Permission),
                Some(K::Permission) => Some(K::NotFound),
                Some(K::NotFound) => Some(K::Conflict),
                Some(K::Conflict) => Some(K::Validation),
                Some(K::Validation) => Some(K::RateLimited),
                Some(K::RateLimited) => Some(K::Server),
                Some(K::Server) => Some(K::Connection),
                Some(K::Connection) => Some(K::Timeout),
                Some(K::Timeout) => Some(K::InvalidArgument),
                Some(K::InvalidArgument) => Some(K::Decode),
                Some(K::Decode) => None,
            }
        }
        let mut kind = after(None);
        let mut seen = 0;
        while let Some(k) = kind {
            assert_eq!(serde_json::to_value(k).unwrap(), json!(k.as_str()));
            seen += 1;
            kind = after(kind);
        }
        assert_eq!(seen, 12);
    }
}
