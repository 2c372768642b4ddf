//! Native core of the Python SDK (`mismatch_recruiter._native`).
//!
//! Deliberately small and generic: one class wrapping the Rust SDK's
//! `mismatch_recruiter::Client` with a single `call(operation_id, args, ...)`
//! entry point, in a blocking and an asyncio flavour. Every per-operation
//! method and model lives in the Python layer generated from `openapi.json`, so
//! retries, timeouts, idempotency keys and error classification are the Rust
//! SDK's and behave exactly as in the other languages.
//!
//! Errors are raised as instances of the Python exception hierarchy in
//! `mismatch_recruiter._errors` (built by its `_from_native` factory) so that
//! the classes can extend Python built-ins such as `TimeoutError`, which a
//! Rust-defined exception type cannot do.

use std::time::Duration;

use mismatch_recruiter::{
    CallOptions, CallResponse, Client, ClientOptions, Error, LoginOutcome, SessionInfo,
};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyDict, PyList};
use pythonize::{depythonize, pythonize};

/// How often a blocking call wakes up to let Python deliver signals
/// (Ctrl-C must interrupt a long request, as with any Python I/O).
const SIGNAL_CHECK_INTERVAL: Duration = Duration::from_millis(50);

/// The result of one successful operation call.
#[pyclass(module = "mismatch_recruiter._native", frozen, get_all)]
struct NativeResponse {
    /// HTTP status of the final attempt.
    status: u16,
    /// Decoded JSON body (`None` for empty bodies).
    body: Py<PyAny>,
    /// The server's `X-Request-Id`, when it sent one.
    request_id: Option<String>,
    /// Number of HTTP attempts made, retries included.
    attempts: u32,
}

#[pymethods]
impl NativeResponse {
    fn __repr__(&self) -> String {
        format!(
            "NativeResponse(status={}, request_id={:?}, attempts={})",
            self.status, self.request_id, self.attempts
        )
    }
}

/// A configured API client; cheap to share between threads and tasks.
#[pyclass(module = "mismatch_recruiter._native", frozen)]
struct NativeClient {
    inner: Client,
    base_url: String,
}

fn seconds(name: &str, value: f64) -> PyResult<Duration> {
    if !(value.is_finite() && value > 0.0) {
        return Err(PyValueError::new_err(format!(
            "{name} must be a positive number of seconds, got {value}"
        )));
    }
    Duration::try_from_secs_f64(value).map_err(|e| PyValueError::new_err(format!("{name}: {e}")))
}

#[pymethods]
impl NativeClient {
    #[new]
    #[pyo3(signature = (
        base_url,
        *,
        api_key = None,
        timeout = 30.0,
        connect_timeout = 5.0,
        max_retries = 2,
        max_retry_delay = 20.0,
        pool_max_idle_per_host = 16,
        user_agent = None,
    ))]
    #[allow(clippy::too_many_arguments)] // mirrors Python keyword arguments one to one
    fn new(
        py: Python<'_>,
        base_url: String,
        api_key: Option<String>,
        timeout: f64,
        connect_timeout: f64,
        max_retries: u32,
        max_retry_delay: f64,
        pool_max_idle_per_host: usize,
        user_agent: Option<String>,
    ) -> PyResult<Self> {
        let defaults = ClientOptions::default();
        let options = ClientOptions {
            base_url: base_url.clone(),
            api_key,
            timeout: seconds("timeout", timeout)?,
            connect_timeout: seconds("connect_timeout", connect_timeout)?,
            max_retries,
            max_retry_delay: seconds("max_retry_delay", max_retry_delay)?,
            pool_max_idle_per_host,
            user_agent: user_agent.unwrap_or_else(default_user_agent),
            ..defaults
        };
        // reqwest needs a runtime context to build its connection pool.
        let _guard = pyo3_async_runtimes::tokio::get_runtime().enter();
        let inner = Client::new(options).map_err(|e| to_py_err(py, e))?;
        Ok(Self { inner, base_url })
    }

    #[getter]
    fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Calls one operation and blocks (without holding the GIL) until it is done.
    #[pyo3(signature = (operation_id, args, *, idempotency_key = None, body_bytes = None, headers = None))]
    fn call(
        &self,
        py: Python<'_>,
        operation_id: String,
        args: &Bound<'_, PyAny>,
        idempotency_key: Option<String>,
        body_bytes: Option<PyBackedBytes>,
        headers: Option<Vec<(String, String)>>,
    ) -> PyResult<NativeResponse> {
        let args = json_args(args)?;
        let options = call_options(idempotency_key, body_bytes.map(|b| b.to_vec()), headers);
        let client = self.inner.clone();
        let outcome = wait(py, async move {
            client.call(&operation_id, args, options).await
        })?;
        into_response(py, outcome)
    }

    /// Calls one operation and returns an asyncio awaitable. Must be called
    /// while an event loop is running (from inside a coroutine).
    #[pyo3(signature = (operation_id, args, *, idempotency_key = None, body_bytes = None, headers = None))]
    fn call_async<'py>(
        &self,
        py: Python<'py>,
        operation_id: String,
        args: &Bound<'py, PyAny>,
        idempotency_key: Option<String>,
        body_bytes: Option<PyBackedBytes>,
        headers: Option<Vec<(String, String)>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let args = json_args(args)?;
        let options = call_options(idempotency_key, body_bytes.map(|b| b.to_vec()), headers);
        let client = self.inner.clone();
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            let outcome = client.call(&operation_id, args, options).await;
            Python::attach(|py| into_response(py, outcome))
        })
    }

    /// Logs in and blocks until done: a dict with `two_factor_required` and
    /// `session` or `challenge_token` and `challenge_expires_at`.
    fn login(&self, py: Python<'_>, email: String, password: String) -> PyResult<Py<PyAny>> {
        let client = self.inner.clone();
        let outcome = wait(py, async move { client.login(&email, &password).await })?;
        login_dict(py, outcome)
    }

    /// Like `login`, as an asyncio awaitable.
    fn login_async<'py>(
        &self,
        py: Python<'py>,
        email: String,
        password: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let client = self.inner.clone();
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            let outcome = client.login(&email, &password).await;
            Python::attach(|py| login_dict(py, outcome))
        })
    }

    /// The second login step; returns the session dict.
    fn login_second_factor(
        &self,
        py: Python<'_>,
        challenge_token: String,
        code: String,
    ) -> PyResult<Py<PyAny>> {
        let client = self.inner.clone();
        let outcome = wait(py, async move {
            client.login_second_factor(&challenge_token, &code).await
        })?;
        session_result(py, outcome)
    }

    /// Like `login_second_factor`, as an asyncio awaitable.
    fn login_second_factor_async<'py>(
        &self,
        py: Python<'py>,
        challenge_token: String,
        code: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let client = self.inner.clone();
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            let outcome = client.login_second_factor(&challenge_token, &code).await;
            Python::attach(|py| session_result(py, outcome))
        })
    }

    /// Continues a login from a kept refresh token; returns the session dict.
    fn resume_session(&self, py: Python<'_>, refresh_token: String) -> PyResult<Py<PyAny>> {
        let client = self.inner.clone();
        let outcome = wait(
            py,
            async move { client.resume_session(&refresh_token).await },
        )?;
        session_result(py, outcome)
    }

    /// Like `resume_session`, as an asyncio awaitable.
    fn resume_session_async<'py>(
        &self,
        py: Python<'py>,
        refresh_token: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let client = self.inner.clone();
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            let outcome = client.resume_session(&refresh_token).await;
            Python::attach(|py| session_result(py, outcome))
        })
    }

    /// Ends the session on the server and forgets it.
    fn logout(&self, py: Python<'_>) -> PyResult<()> {
        let client = self.inner.clone();
        let outcome = wait(py, async move { client.logout().await })?;
        outcome.map_err(|e| to_py_err(py, e))
    }

    /// Like `logout`, as an asyncio awaitable.
    fn logout_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let client = self.inner.clone();
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            let outcome = client.logout().await;
            Python::attach(|py| outcome.map_err(|e| to_py_err(py, e)))
        })
    }

    /// The current session as a dict, or `None`.
    fn session(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.inner
            .session()
            .map(|info| session_dict(py, &info).map(|d| d.into_any().unbind()))
            .transpose()
    }

    /// The session's current refresh token (a secret), or `None`.
    fn session_refresh_token(&self) -> Option<String> {
        self.inner.session_refresh_token()
    }

    fn __repr__(&self) -> String {
        format!("NativeClient(base_url={:?})", self.base_url)
    }
}

/// Runs `future` on the SDK's runtime without holding the GIL, waking up
/// every [`SIGNAL_CHECK_INTERVAL`] so that Ctrl-C interrupts it (dropping the
/// future cancels the request).
fn wait<F>(py: Python<'_>, future: F) -> PyResult<F::Output>
where
    F: Future + Send,
    F::Output: Send,
{
    let runtime = pyo3_async_runtimes::tokio::get_runtime();
    py.detach(|| {
        runtime.block_on(async move {
            tokio::pin!(future);
            loop {
                tokio::select! {
                    biased;
                    result = &mut future => break Ok(result),
                    () = tokio::time::sleep(SIGNAL_CHECK_INTERVAL) => {
                        Python::attach(|py| py.check_signals())?;
                    }
                }
            }
        })
    })
}

/// RFC 3339 in UTC with milliseconds, as the server writes times.
const RFC3339: &str = "%Y-%m-%dT%H:%M:%S%.3fZ";

/// `SessionInfo` as the dict `mismatch_recruiter._session` reads.
fn session_dict<'py>(py: Python<'py>, info: &SessionInfo) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item(
        "access_token_expires_at",
        info.access_token_expires_at.format(RFC3339).to_string(),
    )?;
    dict.set_item(
        "refresh_token_expires_at",
        info.refresh_token_expires_at.format(RFC3339).to_string(),
    )?;
    dict.set_item("renewable", info.renewable)?;
    Ok(dict)
}

fn session_result(py: Python<'_>, outcome: Result<SessionInfo, Error>) -> PyResult<Py<PyAny>> {
    let info = outcome.map_err(|e| to_py_err(py, e))?;
    Ok(session_dict(py, &info)?.into_any().unbind())
}

fn login_dict(py: Python<'_>, outcome: Result<LoginOutcome, Error>) -> PyResult<Py<PyAny>> {
    let dict = PyDict::new(py);
    match outcome.map_err(|e| to_py_err(py, e))? {
        LoginOutcome::LoggedIn(info) => {
            dict.set_item("two_factor_required", false)?;
            dict.set_item("session", session_dict(py, &info)?)?;
        }
        LoginOutcome::SecondFactorRequired(challenge) => {
            dict.set_item("two_factor_required", true)?;
            dict.set_item("challenge_token", challenge.challenge_token)?;
            dict.set_item(
                "challenge_expires_at",
                challenge.expires_at.format(RFC3339).to_string(),
            )?;
        }
    }
    Ok(dict.into_any().unbind())
}

fn default_user_agent() -> String {
    format!(
        "mismatch-recruiter-python/{} {}",
        env!("CARGO_PKG_VERSION"),
        mismatch_recruiter::default_user_agent()
    )
}

fn json_args(args: &Bound<'_, PyAny>) -> PyResult<serde_json::Value> {
    let value: serde_json::Value = depythonize(args)
        .map_err(|e| PyValueError::new_err(format!("arguments are not JSON-compatible: {e}")))?;
    if !value.is_object() {
        return Err(PyValueError::new_err("arguments must be a dict"));
    }
    Ok(value)
}

fn call_options(
    idempotency_key: Option<String>,
    body_bytes: Option<Vec<u8>>,
    headers: Option<Vec<(String, String)>>,
) -> CallOptions {
    CallOptions {
        headers: headers.unwrap_or_default(),
        idempotency_key,
        body_bytes,
    }
}

fn into_response(py: Python<'_>, outcome: Result<CallResponse, Error>) -> PyResult<NativeResponse> {
    let response = outcome.map_err(|e| to_py_err(py, e))?;
    let body = pythonize(py, &response.body)
        .map_err(|e| PyRuntimeError::new_err(format!("cannot convert response body: {e}")))?
        .unbind();
    Ok(NativeResponse {
        status: response.status,
        body,
        request_id: response.request_id,
        attempts: response.attempts,
    })
}

fn to_py_err(py: Python<'_>, err: Error) -> PyErr {
    build_exception(py, &err).unwrap_or_else(|conversion_error| {
        // Only reachable if the Python package is broken; keep the original message.
        PyRuntimeError::new_err(format!(
            "{} (while raising it: {conversion_error})",
            err.message()
        ))
    })
}

fn build_exception(py: Python<'_>, err: &Error) -> PyResult<PyErr> {
    let body = match err.body() {
        Some(body) => pythonize(py, body)
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))?
            .unbind(),
        None => py.None(),
    };
    let kwargs = PyDict::new(py);
    // `ErrorKind::as_str` names are the keys of `_errors._BY_KIND`.
    kwargs.set_item("kind", err.kind().as_str())?;
    kwargs.set_item("message", err.message())?;
    kwargs.set_item("status", err.status())?;
    kwargs.set_item("code", err.code())?;
    kwargs.set_item("request_id", err.request_id())?;
    kwargs.set_item("body", body)?;
    kwargs.set_item("attempts", err.attempts())?;
    let exception = py
        .import("mismatch_recruiter._errors")?
        .getattr("_from_native")?
        .call((), Some(&kwargs))?;
    Ok(PyErr::from_value(exception))
}

/// The Rust SDK's `ClientOptions::default()`, in Python units (seconds), so
/// tests can prove the Python signatures use the same defaults.
#[pyfunction]
fn default_options(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let defaults = ClientOptions::default();
    let dict = PyDict::new(py);
    dict.set_item("timeout", defaults.timeout.as_secs_f64())?;
    dict.set_item("connect_timeout", defaults.connect_timeout.as_secs_f64())?;
    dict.set_item("max_retries", defaults.max_retries)?;
    dict.set_item("max_retry_delay", defaults.max_retry_delay.as_secs_f64())?;
    dict.set_item("pool_max_idle_per_host", defaults.pool_max_idle_per_host)?;
    Ok(dict)
}

/// The operations the Rust SDK can dispatch, as dicts (used by tests to prove
/// the generated Python layer and the Rust operation table agree).
#[pyfunction]
fn operations(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    let list = PyList::empty(py);
    for op in mismatch_recruiter::operations() {
        let item = PyDict::new(py);
        item.set_item("operation_id", op.id)?;
        item.set_item("method", op.method)?;
        item.set_item("path", op.path)?;
        item.set_item("path_params", op.path_params.to_vec())?;
        let query: Vec<&str> = op.query_params.iter().map(|q| q.name).collect();
        item.set_item("query_params", query)?;
        item.set_item("body", op.body.as_str())?;
        list.append(item)?;
    }
    Ok(list)
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NativeClient>()?;
    m.add_class::<NativeResponse>()?;
    m.add_function(wrap_pyfunction!(operations, m)?)?;
    m.add_function(wrap_pyfunction!(default_options, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("API_VERSION", mismatch_recruiter::API_VERSION)?;
    Ok(())
}
