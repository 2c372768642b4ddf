use std::sync::Arc;

use reqwest::header::{HeaderName, HeaderValue};
use serde_json::Value;

use crate::call::{Args, CallOptions, CallResponse};
use crate::error::Error;
use crate::generated;
use crate::options::ClientOptions;
use crate::session::{Endpoint, SessionStore};
use crate::state::{CallContext, HookState, TransportConfig};

/// The mismatch-recruiter API client.
///
/// Cheap to clone: clones share one connection pool, configuration and
/// session. Typed calls go through [`Client::api`]; the language bindings
/// use [`Client::call`]. Both share auth, retries and idempotency keys.
///
/// # Authentication
/// Requests carry the API key ([`ClientOptions::api_key`]) until the client
/// logs in as a user ([`Client::login`], [`Client::login_second_factor`] or
/// [`Client::resume_session`]); from then on they carry the session's access
/// token instead, renewed a minute before it expires and once after a `401`
/// (*Sessions* in the crate README says exactly when), until
/// [`Client::logout`].
///
/// # Idempotency keys and retries
/// Every POST, PATCH and DELETE carries an `Idempotency-Key` (a UUID v4, or
/// [`CallOptions::idempotency_key`](crate::CallOptions::idempotency_key)),
/// the same on every retry of that call, so that the server acts once.
///
/// A call is retried up to [`ClientOptions::max_retries`] times, and only
/// when the server may safely see it twice: GET, HEAD and OPTIONS, and the
/// keyed POST, PATCH and DELETE. Any other method is never retried once it
/// may have been sent. What is retried:
/// - failures to connect (refused, DNS, TLS, connect timeout), for every
///   method, since nothing was sent;
/// - a connection that broke after it was established (in browsers: any
///   failed fetch);
/// - responses 408, 429, 500, 502, 503 and 504;
/// - 409 with `Retry-After`, the server's answer while the first request with
///   the same key is still running (code `idempotency_key_in_use`).
///
/// Nothing else is: not a total (per-attempt) timeout, which already used the
/// whole time budget while the server may still be working, nor any other 4xx
/// or 5xx (a 409 without `Retry-After` is a real conflict). The wait is the
/// response's `Retry-After` (seconds or HTTP date) when it has one, else
/// full-jitter exponential backoff; both are capped by
/// [`ClientOptions::max_retry_delay`]. Streaming bodies cannot be replayed and
/// are sent once.
#[derive(Clone, Debug)]
pub struct Client {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    base_url: String,
    http: reqwest::Client,
    api: generated::Client,
}

impl Client {
    /// Builds a client. An empty `base_url` is taken from `MISMATCH_BASE_URL`
    /// and an `api_key` of `None` from `MISMATCH_API_KEY`, when set (see
    /// [`ClientOptions::with_env_defaults`]; not on `wasm32`).
    ///
    /// Fails with `InvalidArgument` when there is no base URL, for a base URL
    /// that is not http(s), or for an API key that cannot be sent in a header.
    pub fn new(options: ClientOptions) -> Result<Self, Error> {
        let options = options.with_env_defaults();
        if options.base_url.is_empty() {
            return Err(Error::invalid_argument(format!(
                "no base URL: set ClientOptions::base_url or the {} environment variable",
                crate::options::BASE_URL_ENV
            )));
        }
        let url = reqwest::Url::parse(&options.base_url).map_err(|e| {
            Error::invalid_argument(format!("invalid base_url {:?}: {e}", options.base_url))
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Error::invalid_argument(format!(
                "base_url must be http or https, got {:?}",
                options.base_url
            )));
        }
        // The generated client appends paths starting with '/'.
        let base_url = options.base_url.trim_end_matches('/').to_owned();

        let authorization = match &options.api_key {
            Some(key) => {
                let mut value = HeaderValue::from_str(&format!("Bearer {key}"))
                    .map_err(|_| Error::invalid_argument("api_key contains invalid characters"))?;
                value.set_sensitive(true);
                Some(value)
            }
            None => None,
        };
        let user_agent =
            if cfg!(target_arch = "wasm32") || options.user_agent.is_empty() {
                None
            } else {
                Some(HeaderValue::from_str(&options.user_agent).map_err(|_| {
                    Error::invalid_argument("user_agent contains invalid characters")
                })?)
            };
        let config = Arc::new(TransportConfig {
            authorization,
            user_agent,
            max_retries: options.max_retries,
            initial_retry_delay: options.initial_retry_delay,
            max_retry_delay: options.max_retry_delay,
            timeout: options.timeout,
            session: Arc::default(),
        });

        let http = build_http(&options)?;
        let api = generated::Client::new_with_client(
            &base_url,
            http.clone(),
            HookState { config, call: None },
        );
        Ok(Self {
            shared: Arc::new(Shared {
                base_url,
                http,
                api,
            }),
        })
    }

    /// The generated, typed client. Its requests carry the API key and go
    /// through the SDK's retry layer.
    pub fn api(&self) -> &generated::Client {
        &self.shared.api
    }

    /// The base URL requests are sent to (without a trailing slash).
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    /// Calls an operation by its `operationId`.
    ///
    /// `args` is a JSON object with the path and query parameters under their
    /// spec names and, for JSON-body operations, the body under `"body"`.
    /// Binary bodies go in `options.body_bytes`. The call goes through the
    /// generated client's typed method for that operation.
    pub async fn call(
        &self,
        operation_id: &str,
        args: Value,
        options: CallOptions,
    ) -> Result<CallResponse, Error> {
        let operation = crate::operations::find_operation(operation_id).ok_or_else(|| {
            Error::invalid_argument(format!("unknown operation {operation_id:?}"))
        })?;
        let args = Args::new(operation, args)?;
        if options.body_bytes.is_some() && operation.body != crate::BodyKind::Binary {
            return Err(Error::invalid_argument(format!(
                "{operation_id} does not take a raw body (body_bytes); JSON bodies go in args[\"body\"]"
            )));
        }
        let context = Arc::new(call_context(&options)?);
        let api = generated::Client::new_with_client(
            &self.shared.base_url,
            self.shared.http.clone(),
            HookState {
                config: self.shared.api.inner.config.clone(),
                call: Some(context.clone()),
            },
        );
        // A raw body is copied only while logged in, for the one resend
        // after a renewal below.
        let sessions = self.sessions();
        let had_body = options.body_bytes.is_some();
        let body_again = options
            .body_bytes
            .as_ref()
            .filter(|_| sessions.is_active())
            .cloned();
        let mut result =
            crate::operations::dispatch(&api, operation_id, &args, options.body_bytes).await;
        // The access token was refused although the client thought it
        // valid (a clock far off, keys rotated, the password changed):
        // renew it once and send the call again. The server acted on
        // nothing it could not authenticate, so any method may be resent.
        if let Err(err) = &result
            && err.status() == Some(401)
            && err.code() == Some("unauthorized")
            && (!had_body || body_again.is_some())
            && let Some(generation) = context.session_generation()
            && sessions
                .renew_after_refusal(self.session_endpoint(), generation)
                .await
        {
            result = crate::operations::dispatch(&api, operation_id, &args, body_again).await;
        }
        match result {
            Ok(success) => Ok(CallResponse {
                status: success.status,
                body: success.body,
                request_id: success.request_id.or_else(|| context.request_id()),
                attempts: context.attempts(),
            }),
            Err(err) => Err(err
                .with_request_id(context.request_id())
                .with_response_status(context.last_status())
                .with_attempts(context.attempts())),
        }
    }
}

impl Client {
    /// Calls a paginated list operation (one with a `cursor` parameter)
    /// page after page, following `next_cursor`, and returns every item.
    ///
    /// `max_items` stops early once that many items were collected (pass
    /// `usize::MAX` for all). Each page is an ordinary [`Client::call`], with
    /// the same retries and errors.
    pub async fn call_all_pages(
        &self,
        operation_id: &str,
        args: Value,
        options: CallOptions,
        max_items: usize,
    ) -> Result<Vec<Value>, Error> {
        let operation = crate::operations::find_operation(operation_id).ok_or_else(|| {
            Error::invalid_argument(format!("unknown operation {operation_id:?}"))
        })?;
        if !operation.query_params.iter().any(|q| q.name == "cursor") {
            return Err(Error::invalid_argument(format!(
                "{operation_id} is not paginated (it has no `cursor` parameter)"
            )));
        }
        let mut args = match args {
            Value::Object(map) => map,
            Value::Null => serde_json::Map::new(),
            _ => return Err(Error::invalid_argument("args must be a JSON object")),
        };
        let mut items = Vec::new();
        loop {
            let page = self
                .call(operation_id, Value::Object(args.clone()), options.clone())
                .await?;
            let page_items = page
                .body
                .get("items")
                .and_then(Value::as_array)
                .ok_or_else(|| {
                    Error::decode(format!("{operation_id} returned no `items` list"), None)
                })?;
            items.extend(page_items.iter().take(max_items - items.len()).cloned());
            match page.body.get("next_cursor").and_then(Value::as_str) {
                Some(cursor) if items.len() < max_items => {
                    args.insert("cursor".into(), Value::String(cursor.to_owned()));
                }
                _ => return Ok(items),
            }
        }
    }
}

impl Client {
    /// The session shared by this client and its clones.
    pub(crate) fn sessions(&self) -> &Arc<SessionStore> {
        &self.shared.api.inner.config.session
    }

    /// Where this client sends a session refresh.
    pub(crate) fn session_endpoint(&self) -> Endpoint {
        let config = &self.shared.api.inner.config;
        Endpoint {
            http: self.shared.http.clone(),
            base_url: self.shared.base_url.clone(),
            user_agent: config.user_agent.clone(),
            timeout: config.timeout,
        }
    }
}

fn call_context(options: &CallOptions) -> Result<CallContext, Error> {
    let mut headers = Vec::with_capacity(options.headers.len());
    for (name, value) in &options.headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| Error::invalid_argument(format!("invalid header name {name:?}")))?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| Error::invalid_argument(format!("invalid value for header {name}")))?;
        headers.push((name, value));
    }
    let idempotency_key =
        match &options.idempotency_key {
            Some(key) if key.is_empty() || key.len() > 255 => {
                return Err(Error::invalid_argument(
                    "idempotency_key must be 1 to 255 characters",
                ));
            }
            Some(key) => Some(HeaderValue::from_str(key).map_err(|_| {
                Error::invalid_argument("idempotency_key contains invalid characters")
            })?),
            None => None,
        };
    Ok(CallContext {
        headers,
        idempotency_key,
        ..CallContext::default()
    })
}

#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn build_http(options: &ClientOptions) -> Result<reqwest::Client, Error> {
    #[cfg(feature = "rustls")]
    {
        // reqwest is built without a default crypto provider; an application
        // that installed its own keeps it (install_default then fails, fine).
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    reqwest::Client::builder()
        .timeout(options.timeout)
        .connect_timeout(options.connect_timeout)
        .pool_max_idle_per_host(options.pool_max_idle_per_host)
        .build()
        .map_err(Error::from_reqwest)
}

#[cfg(target_arch = "wasm32")]
fn build_http(_options: &ClientOptions) -> Result<reqwest::Client, Error> {
    // fetch() manages connections itself; the timeout is set per request.
    reqwest::Client::builder()
        .build()
        .map_err(Error::from_reqwest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_base_urls_and_keys() {
        let err = Client::new(ClientOptions::new("ftp://x")).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidArgument);
        assert!(Client::new(ClientOptions::new("not a url")).is_err());
        let err = Client::new(ClientOptions::new("http://x").with_api_key("bad\nkey")).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidArgument);
        let c = Client::new(ClientOptions::new("http://localhost:1/")).unwrap();
        assert_eq!(c.base_url(), "http://localhost:1");
    }

    #[test]
    fn call_options_are_validated() {
        let bad_header = CallOptions {
            headers: vec![("bad header".into(), "v".into())],
            ..CallOptions::default()
        };
        assert!(call_context(&bad_header).is_err());
        let long_key = CallOptions {
            idempotency_key: Some("k".repeat(256)),
            ..CallOptions::default()
        };
        assert!(call_context(&long_key).is_err());
        let ok = CallOptions {
            idempotency_key: Some("key-1".into()),
            headers: vec![("x-trace".into(), "1".into())],
            ..CallOptions::default()
        };
        let ctx = call_context(&ok).unwrap();
        assert_eq!(ctx.headers.len(), 1);
        assert_eq!(ctx.idempotency_key.unwrap(), "key-1");
    }
}
