//! Browser binding of the mismatch-recruiter SDK (wasm-bindgen).
//!
//! The same shape as the Node binding (`sdk-js/napi`): one `WasmClient` with a
//! generic `call(operationId, argsJson, options, body)` resolving to a
//! `CallOutcome` record; the shared JavaScript layer (`sdk-js/src`) adds the
//! generated methods, typed errors and interceptors. Option and outcome types
//! derive `Tsify`, so the wasm-bindgen `.d.ts` is typed; they cross the
//! boundary as `Ts<…>`, which converts inside the function body and reports a
//! bad value as a thrown error instead of leaking.

use std::collections::HashMap;
use std::time::Duration;

use mismatch_recruiter::{CallOptions, CallResponse, Client, ClientOptions, Error};
use serde::{Deserialize, Serialize};
use tsify::{Ts, Tsify};
use wasm_bindgen::prelude::*;

/// Options of `new WasmClient(…)`; durations in milliseconds.
#[derive(Debug, Default, Deserialize, Tsify)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WasmClientOptions {
    pub base_url: String,
    #[serde(default)]
    #[tsify(optional)]
    pub api_key: Option<String>,
    #[serde(default)]
    #[tsify(optional)]
    pub timeout_ms: Option<u32>,
    /// Accepted for parity with Node; the browser's fetch has no connect timeout.
    #[serde(default)]
    #[tsify(optional)]
    pub connect_timeout_ms: Option<u32>,
    #[serde(default)]
    #[tsify(optional)]
    pub max_retries: Option<u32>,
    #[serde(default)]
    #[tsify(optional)]
    pub max_retry_delay_ms: Option<u32>,
    /// Accepted for parity with Node; browsers do not let pages set User-Agent.
    #[serde(default)]
    #[tsify(optional)]
    pub user_agent: Option<String>,
}

/// Per-call options of `WasmClient.call`.
#[derive(Debug, Default, Deserialize, Tsify)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[tsify(hashmap_as_object)]
pub struct WasmCallOptions {
    #[serde(default)]
    #[tsify(optional)]
    pub headers: Option<HashMap<String, String>>,
    #[serde(default)]
    #[tsify(optional)]
    pub idempotency_key: Option<String>,
}

/// Category of a failed call (mirrors the Rust SDK's `ErrorKind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Tsify)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    BadRequest,
    Authentication,
    Permission,
    NotFound,
    Conflict,
    Validation,
    RateLimited,
    Server,
    Connection,
    Timeout,
    InvalidArgument,
    Decode,
    /// A kind added to the Rust SDK after this binding was written.
    Unknown,
}

impl From<mismatch_recruiter::ErrorKind> for ErrorKind {
    fn from(kind: mismatch_recruiter::ErrorKind) -> Self {
        use mismatch_recruiter::ErrorKind as K;
        match kind {
            K::BadRequest => Self::BadRequest,
            K::Authentication => Self::Authentication,
            K::Permission => Self::Permission,
            K::NotFound => Self::NotFound,
            K::Conflict => Self::Conflict,
            K::Validation => Self::Validation,
            K::RateLimited => Self::RateLimited,
            K::Server => Self::Server,
            K::Connection => Self::Connection,
            K::Timeout => Self::Timeout,
            K::InvalidArgument => Self::InvalidArgument,
            K::Decode => Self::Decode,
            _ => Self::Unknown,
        }
    }
}

/// Result of one call: `ok` with status and body, or the error's fields.
/// Bodies cross as JSON text, exactly as in the Node binding.
#[derive(Debug, PartialEq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct CallOutcome {
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[tsify(optional)]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[tsify(optional)]
    pub body_json: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[tsify(optional)]
    pub request_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[tsify(optional)]
    pub attempts: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[tsify(optional)]
    pub kind: Option<ErrorKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[tsify(optional)]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[tsify(optional)]
    pub message: Option<String>,
}

impl CallOutcome {
    fn success(response: CallResponse) -> Self {
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

    fn failure(err: &Error) -> Self {
        Self {
            ok: false,
            status: err.status(),
            body_json: err.body().map(|b| b.to_string()),
            request_id: err.request_id().map(str::to_owned),
            attempts: err.attempts(),
            kind: Some(err.kind().into()),
            code: err.code().map(str::to_owned),
            message: Some(summary(err.message()).to_owned()),
        }
    }
}

/// The first line of a message. Transport errors on wasm32 embed the browser's
/// `TypeError` with its whole stack trace, which helps nobody in an error
/// message (the browser console already shows the failed fetch).
fn summary(message: &str) -> &str {
    message.lines().next().unwrap_or_default().trim_end()
}

fn client_options(options: WasmClientOptions) -> ClientOptions {
    let defaults = ClientOptions::default();
    let ms = |value: Option<u32>, default: Duration| {
        value.map_or(default, |v| Duration::from_millis(u64::from(v)))
    };
    ClientOptions {
        base_url: options.base_url,
        api_key: options.api_key,
        timeout: ms(options.timeout_ms, defaults.timeout),
        connect_timeout: ms(options.connect_timeout_ms, defaults.connect_timeout),
        max_retries: options.max_retries.unwrap_or(defaults.max_retries),
        max_retry_delay: ms(options.max_retry_delay_ms, defaults.max_retry_delay),
        user_agent: options.user_agent.unwrap_or(defaults.user_agent),
        ..defaults
    }
}

fn call_options(options: WasmCallOptions, body: Option<Vec<u8>>) -> CallOptions {
    let mut headers: Vec<(String, String)> =
        options.headers.unwrap_or_default().into_iter().collect();
    // Deterministic header order regardless of the map's iteration order.
    headers.sort();
    CallOptions {
        headers,
        idempotency_key: options.idempotency_key,
        body_bytes: body,
    }
}

#[wasm_bindgen]
pub struct WasmClient {
    inner: Client,
}

#[wasm_bindgen]
impl WasmClient {
    #[wasm_bindgen(constructor)]
    pub fn new(options: Ts<WasmClientOptions>) -> Result<WasmClient, JsError> {
        let options = options.to_rust()?;
        let inner =
            Client::new(client_options(options)).map_err(|err| JsError::new(&err.to_string()))?;
        Ok(Self { inner })
    }

    /// Calls `operationId` with `argsJson` (path/query parameters by spec name
    /// plus `body`). Resolves to a `CallOutcome` for API and transport
    /// failures too; rejects only for arguments that cannot be converted.
    #[wasm_bindgen(unchecked_return_type = "Promise<CallOutcome>")]
    pub fn call(
        &self,
        #[wasm_bindgen(js_name = operationId)] operation_id: String,
        #[wasm_bindgen(js_name = argsJson)] args_json: String,
        options: Option<Ts<WasmCallOptions>>,
        body: Option<Vec<u8>>,
    ) -> Result<js_sys::Promise, JsError> {
        let args: serde_json::Value = serde_json::from_str(&args_json)
            .map_err(|err| JsError::new(&format!("arguments are not valid JSON: {err}")))?;
        let options = match options {
            Some(options) => options.to_rust()?,
            None => WasmCallOptions::default(),
        };
        let options = call_options(options, body);
        let client = self.inner.clone();
        Ok(wasm_bindgen_futures::future_to_promise(async move {
            let outcome = match client.call(&operation_id, args, options).await {
                Ok(response) => CallOutcome::success(response),
                Err(err) => CallOutcome::failure(&err),
            };
            Ok(outcome.into_ts().map_err(JsError::from)?.into())
        }))
    }

    /// The operationIds this build of the SDK knows, in spec order.
    #[wasm_bindgen(js_name = operationIds)]
    pub fn operation_ids() -> Vec<String> {
        mismatch_recruiter::operations()
            .iter()
            .map(|op| op.id.to_owned())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millisecond_options_become_durations_and_defaults_stay() {
        let options = client_options(WasmClientOptions {
            base_url: "http://127.0.0.1:1".into(),
            timeout_ms: Some(1500),
            max_retries: Some(0),
            ..WasmClientOptions::default()
        });
        assert_eq!(options.timeout, Duration::from_millis(1500));
        assert_eq!(options.max_retries, 0);
        let defaults = ClientOptions::default();
        assert_eq!(options.max_retry_delay, defaults.max_retry_delay);
        assert_eq!(options.connect_timeout, defaults.connect_timeout);
    }

    #[test]
    fn call_options_sort_headers_and_keep_body() {
        let options = call_options(
            WasmCallOptions {
                headers: Some(HashMap::from([
                    ("x-b".to_owned(), "2".to_owned()),
                    ("x-a".to_owned(), "1".to_owned()),
                ])),
                idempotency_key: Some("k-1".into()),
            },
            Some(vec![1, 2, 3]),
        );
        assert_eq!(
            options.headers,
            vec![("x-a".into(), "1".into()), ("x-b".into(), "2".into())]
        );
        assert_eq!(options.idempotency_key.as_deref(), Some("k-1"));
        assert_eq!(options.body_bytes, Some(vec![1, 2, 3]));
    }

    #[test]
    fn messages_keep_their_first_line_only() {
        let err = Error::new(
            mismatch_recruiter::ErrorKind::Connection,
            "error sending request: JsValue(TypeError: Failed to fetch\nTypeError: Failed to fetch\n    at x (y.js:1:2))",
        );
        let outcome = CallOutcome::failure(&err);
        assert_eq!(
            outcome.message.as_deref(),
            Some("error sending request: JsValue(TypeError: Failed to fetch")
        );
        assert_eq!(outcome.kind, Some(ErrorKind::Connection));
        assert_eq!(summary("one line"), "one line");
        assert_eq!(summary(""), "");
    }

    #[test]
    fn failures_carry_the_problem_fields() {
        let body = serde_json::json!({"code": "not_found", "detail": "no such candidate"});
        let err = Error::from_response(404, Some("req-7".into()), Some(body.clone()));
        let outcome = CallOutcome::failure(&err);
        assert!(!outcome.ok);
        assert_eq!(outcome.status, Some(404));
        assert_eq!(outcome.kind, Some(ErrorKind::NotFound));
        assert_eq!(outcome.code.as_deref(), Some("not_found"));
        assert_eq!(outcome.request_id.as_deref(), Some("req-7"));
        assert_eq!(outcome.message.as_deref(), Some("no such candidate"));
        let decoded: serde_json::Value =
            serde_json::from_str(outcome.body_json.as_deref().unwrap()).unwrap();
        assert_eq!(decoded, body);
    }
}
