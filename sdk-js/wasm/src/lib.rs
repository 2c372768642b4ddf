//! Browser binding of the mismatch-recruiter SDK (wasm-bindgen).
//!
//! The same shape as the Node binding (`sdk-js/napi`): one `WasmClient` with a
//! generic `call(operationId, argsJson, options, body)` resolving to a
//! `CallOutcome` record; the shared JavaScript layer (`sdk-js/src`) adds the
//! generated methods, typed errors and interceptors. Options and outcome are
//! the Rust SDK's `bindings` records, which derive `Tsify` (feature
//! `bindings-tsify`), so the wasm-bindgen `.d.ts` is typed; they cross the
//! boundary as `Ts<…>`, which converts inside the function body and reports a
//! bad value as a thrown error instead of leaking.

use mismatch_recruiter::bindings::{self, BindingCallOptions, BindingClientOptions};
use mismatch_recruiter::{Client, default_user_agent};
use tsify::{Ts, Tsify};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
pub struct WasmClient {
    inner: Client,
}

#[wasm_bindgen]
impl WasmClient {
    #[wasm_bindgen(constructor)]
    pub fn new(options: Ts<BindingClientOptions>) -> Result<WasmClient, JsError> {
        let options = options.to_rust()?.into_client_options(default_user_agent());
        let inner = Client::new(options).map_err(|err| JsError::new(&err.to_string()))?;
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
        options: Option<Ts<BindingCallOptions>>,
        body: Option<Vec<u8>>,
    ) -> Result<js_sys::Promise, JsError> {
        let args = bindings::parse_args(&args_json).map_err(|err| JsError::new(err.message()))?;
        let options = match options {
            Some(options) => options.to_rust()?,
            None => BindingCallOptions::default(),
        }
        .into_call_options(body);
        let client = self.inner.clone();
        Ok(wasm_bindgen_futures::future_to_promise(async move {
            let outcome = bindings::call(&client, &operation_id, args, options).await;
            Ok(outcome.into_ts().map_err(JsError::from)?.into())
        }))
    }

    /// Logs in; resolves to a `CallOutcome` whose `bodyJson` is a
    /// `LoginRecord` (a session, or the challenge of the second step).
    #[wasm_bindgen(unchecked_return_type = "Promise<CallOutcome>")]
    pub fn login(&self, email: String, password: String) -> js_sys::Promise {
        let client = self.inner.clone();
        promise(async move { bindings::login(&client, &email, &password).await })
    }

    /// The second login step; `bodyJson` is a `SessionRecord`.
    #[wasm_bindgen(js_name = loginSecondFactor, unchecked_return_type = "Promise<CallOutcome>")]
    pub fn login_second_factor(
        &self,
        #[wasm_bindgen(js_name = challengeToken)] challenge_token: String,
        code: String,
    ) -> js_sys::Promise {
        let client = self.inner.clone();
        promise(
            async move { bindings::login_second_factor(&client, &challenge_token, &code).await },
        )
    }

    /// Continues a login from a kept refresh token; `bodyJson` is a
    /// `SessionRecord`.
    #[wasm_bindgen(js_name = resumeSession, unchecked_return_type = "Promise<CallOutcome>")]
    pub fn resume_session(
        &self,
        #[wasm_bindgen(js_name = refreshToken)] refresh_token: String,
    ) -> js_sys::Promise {
        let client = self.inner.clone();
        promise(async move { bindings::resume_session(&client, &refresh_token).await })
    }

    /// Ends the session; `bodyJson` is `null`.
    #[wasm_bindgen(unchecked_return_type = "Promise<CallOutcome>")]
    pub fn logout(&self) -> js_sys::Promise {
        let client = self.inner.clone();
        promise(async move { bindings::logout(&client).await })
    }

    /// The session as the JSON text of a `SessionRecord`, or undefined.
    #[wasm_bindgen(js_name = sessionJson)]
    pub fn session_json(&self) -> Option<String> {
        bindings::session_json(&self.inner)
    }

    /// The session's current refresh token (a secret), or undefined.
    #[wasm_bindgen(js_name = sessionRefreshToken)]
    pub fn session_refresh_token(&self) -> Option<String> {
        self.inner.session_refresh_token()
    }

    /// The operationIds this build of the SDK knows, in spec order.
    #[wasm_bindgen(js_name = operationIds)]
    pub fn operation_ids() -> Vec<String> {
        bindings::operation_ids()
    }
}

/// A promise resolving to the outcome `future` produces.
fn promise(
    future: impl std::future::Future<Output = bindings::CallOutcome> + 'static,
) -> js_sys::Promise {
    wasm_bindgen_futures::future_to_promise(async move {
        Ok(future.await.into_ts().map_err(JsError::from)?.into())
    })
}
