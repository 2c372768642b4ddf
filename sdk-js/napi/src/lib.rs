//! Node.js binding of the mismatch-recruiter SDK.
//!
//! Deliberately small and generic: one `NativeClient` with a `call` that takes
//! an operationId and JSON arguments and resolves to a plain outcome record.
//! The JavaScript layer (`sdk-js/src`) turns outcomes into typed errors and
//! generates one method per operation from `openapi.json`, so adding an
//! endpoint never touches this crate.

// napi-derive expands to FFI glue (raw `napi_value`s, `extern "C"` registration)
// that needs unsafe code; none is written by hand here.
#![allow(unsafe_code)]

use std::collections::HashMap;
use std::time::Duration;

use mismatch_recruiter::{CallOptions, Client, ClientOptions, Error};
use napi::bindgen_prelude::Uint8Array;
use napi_derive::napi;

/// Client options as passed from JavaScript (camelCase there).
#[napi(object)]
pub struct NativeClientOptions {
    pub base_url: String,
    pub api_key: Option<String>,
    pub timeout_ms: Option<u32>,
    pub connect_timeout_ms: Option<u32>,
    pub max_retries: Option<u32>,
    pub max_retry_delay_ms: Option<u32>,
    pub user_agent: Option<String>,
}

/// Result of one call: `ok` with status/body, or the error's fields.
///
/// Bodies cross as JSON text so Node and the browser build (which does the
/// same) decode them with the same `JSON.parse`.
#[napi(object)]
pub struct NativeOutcome {
    pub ok: bool,
    pub status: Option<u32>,
    pub body_json: Option<String>,
    pub request_id: Option<String>,
    pub attempts: Option<u32>,
    pub kind: Option<String>,
    pub code: Option<String>,
    pub message: Option<String>,
}

impl NativeOutcome {
    fn failure(err: &Error) -> Self {
        Self {
            ok: false,
            status: err.status().map(u32::from),
            body_json: err.body().map(|b| b.to_string()),
            request_id: err.request_id().map(str::to_owned),
            attempts: err.attempts(),
            kind: Some(err.kind().as_str().to_owned()),
            code: err.code().map(str::to_owned),
            message: Some(err.message().to_owned()),
        }
    }
}

fn client_options(options: NativeClientOptions) -> ClientOptions {
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
        user_agent: options.user_agent.unwrap_or_else(|| {
            format!(
                "mismatch-recruiter-node/{} {}",
                env!("CARGO_PKG_VERSION"),
                defaults.user_agent
            )
        }),
        ..defaults
    }
}

#[napi]
pub struct NativeClient {
    inner: Client,
}

#[napi]
impl NativeClient {
    #[napi(constructor)]
    pub fn new(options: NativeClientOptions) -> napi::Result<Self> {
        Client::new(client_options(options))
            .map(|inner| Self { inner })
            .map_err(|err| napi::Error::from_reason(err.to_string()))
    }

    /// Calls `operation_id` with `args_json` (path/query parameters by spec
    /// name plus `body`). Never rejects for API or transport failures: those
    /// resolve to an outcome with `ok: false`, so the JS layer owns error types.
    #[napi]
    pub async fn call(
        &self,
        operation_id: String,
        args_json: String,
        headers: Option<HashMap<String, String>>,
        idempotency_key: Option<String>,
        body: Option<Uint8Array>,
    ) -> napi::Result<NativeOutcome> {
        let args: serde_json::Value = serde_json::from_str(&args_json).map_err(|err| {
            napi::Error::from_reason(format!("arguments are not valid JSON: {err}"))
        })?;
        let options = CallOptions {
            headers: headers.unwrap_or_default().into_iter().collect(),
            idempotency_key,
            body_bytes: body.map(|bytes| bytes.to_vec()),
        };
        Ok(match self.inner.call(&operation_id, args, options).await {
            Ok(response) => NativeOutcome {
                ok: true,
                status: Some(u32::from(response.status)),
                body_json: Some(response.body.to_string()),
                request_id: response.request_id,
                attempts: Some(response.attempts),
                kind: None,
                code: None,
                message: None,
            },
            Err(err) => NativeOutcome::failure(&err),
        })
    }

    /// The operationIds this build of the SDK knows, in spec order.
    #[napi]
    pub fn operation_ids() -> Vec<String> {
        mismatch_recruiter::operations()
            .iter()
            .map(|op| op.id.to_owned())
            .collect()
    }
}
