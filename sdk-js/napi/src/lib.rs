//! Node.js binding of the mismatch-recruiter SDK.
//!
//! Deliberately small and generic: one `NativeClient` with a `call` that takes
//! an operationId and JSON arguments and resolves to a plain outcome record.
//! The options and the outcome are the Rust SDK's `bindings` records, shared
//! with the browser build (`sdk-js/wasm`); napi converts them through serde.
//! The JavaScript layer (`sdk-js/src`) turns outcomes into typed errors and
//! generates one method per operation from `openapi.json`, so adding an
//! endpoint never touches this crate.

// napi-derive expands to FFI glue (raw `napi_value`s, `extern "C"` registration)
// that needs unsafe code; none is written by hand here.
#![allow(unsafe_code)]

use std::collections::HashMap;

use mismatch_recruiter::bindings::{self, BindingCallOptions, BindingClientOptions};
use mismatch_recruiter::{Client, default_user_agent};
use napi::bindgen_prelude::Uint8Array;
use napi_derive::napi;
use serde_json::Value;

#[napi]
pub struct NativeClient {
    inner: Client,
}

#[napi]
impl NativeClient {
    /// `options` as `BindingClientOptions` (camelCase, milliseconds).
    #[napi(constructor)]
    pub fn new(options: Value) -> napi::Result<Self> {
        let options: BindingClientOptions = serde_json::from_value(options)
            .map_err(|err| napi::Error::from_reason(format!("invalid client options: {err}")))?;
        let user_agent = format!(
            "mismatch-recruiter-node/{} {}",
            env!("CARGO_PKG_VERSION"),
            default_user_agent()
        );
        Client::new(options.into_client_options(user_agent))
            .map(|inner| Self { inner })
            .map_err(|err| napi::Error::from_reason(err.to_string()))
    }

    /// Calls `operation_id` with `args_json` (path/query parameters by spec
    /// name plus `body`) and resolves to a `CallOutcome`. Never rejects for
    /// API or transport failures: those resolve to an outcome with `ok:
    /// false`, so the JS layer owns error types.
    #[napi]
    pub async fn call(
        &self,
        operation_id: String,
        args_json: String,
        headers: Option<HashMap<String, String>>,
        idempotency_key: Option<String>,
        body: Option<Uint8Array>,
    ) -> napi::Result<Value> {
        let args = bindings::parse_args(&args_json)
            .map_err(|err| napi::Error::from_reason(err.message().to_owned()))?;
        let options = BindingCallOptions {
            headers,
            idempotency_key,
        }
        .into_call_options(body.map(|bytes| bytes.to_vec()));
        outcome(bindings::call(&self.inner, &operation_id, args, options).await)
    }

    /// Logs in; resolves to a `CallOutcome` whose `bodyJson` is a
    /// `LoginRecord` (a session, or the challenge of the second step).
    #[napi]
    pub async fn login(&self, email: String, password: String) -> napi::Result<Value> {
        outcome(bindings::login(&self.inner, &email, &password).await)
    }

    /// The second login step; `bodyJson` is a `SessionRecord`.
    #[napi]
    pub async fn login_second_factor(
        &self,
        challenge_token: String,
        code: String,
    ) -> napi::Result<Value> {
        outcome(bindings::login_second_factor(&self.inner, &challenge_token, &code).await)
    }

    /// Continues a login from a kept refresh token; `bodyJson` is a
    /// `SessionRecord`.
    #[napi]
    pub async fn resume_session(&self, refresh_token: String) -> napi::Result<Value> {
        outcome(bindings::resume_session(&self.inner, &refresh_token).await)
    }

    /// Ends the session; `bodyJson` is `null`.
    #[napi]
    pub async fn logout(&self) -> napi::Result<Value> {
        outcome(bindings::logout(&self.inner).await)
    }

    /// The session as the JSON text of a `SessionRecord`, or null.
    #[napi]
    pub fn session_json(&self) -> Option<String> {
        bindings::session_json(&self.inner)
    }

    /// The session's current refresh token (a secret), or null.
    #[napi]
    pub fn session_refresh_token(&self) -> Option<String> {
        self.inner.session_refresh_token()
    }

    /// The operationIds this build of the SDK knows, in spec order.
    #[napi]
    pub fn operation_ids() -> Vec<String> {
        bindings::operation_ids()
    }
}

fn outcome(outcome: bindings::CallOutcome) -> napi::Result<Value> {
    serde_json::to_value(outcome).map_err(|err| napi::Error::from_reason(err.to_string()))
}
