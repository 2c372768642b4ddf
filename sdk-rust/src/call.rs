//! Dynamic calls by operation id, the entry point of the language bindings.
//!
//! The generated dispatch in `operations.rs` turns `args` into the generated
//! client's typed parameters with the helpers here, calls the typed method,
//! and turns its typed response back into JSON with [`finish`].

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::Error;
use crate::operation::OperationInfo;

/// Per-call options of [`Client::call`](crate::Client::call).
#[derive(Clone, Debug, Default)]
pub struct CallOptions {
    /// Extra request headers; they override the SDK's defaults.
    pub headers: Vec<(String, String)>,
    /// Idempotency key for a POST, PATCH or DELETE; by default the SDK makes
    /// one (UUID v4). Either way the same key is sent on every retry. Other
    /// methods send none.
    pub idempotency_key: Option<String>,
    /// Request body of operations whose body kind is `Binary`.
    pub body_bytes: Option<Vec<u8>>,
}

/// Result of a successful [`Client::call`](crate::Client::call).
#[derive(Clone, Debug, PartialEq)]
pub struct CallResponse {
    /// HTTP status of the final response.
    pub status: u16,
    /// Decoded response body; `Null` for bodiless responses such as 204.
    pub body: Value,
    /// The server's `x-request-id`.
    pub request_id: Option<String>,
    /// HTTP attempts made, including retries (at least 1).
    pub attempts: u32,
}

/// A successful typed call, turned into JSON.
pub(crate) struct Success {
    pub(crate) status: u16,
    pub(crate) body: Value,
    pub(crate) request_id: Option<String>,
}

/// The `args` object of one call, checked against the operation.
pub(crate) struct Args {
    operation: &'static OperationInfo,
    values: Map<String, Value>,
}

impl Args {
    pub(crate) fn new(operation: &'static OperationInfo, args: Value) -> Result<Self, Error> {
        let values = match args {
            Value::Object(map) => map,
            Value::Null => Map::new(),
            other => {
                return Err(Error::invalid_argument(format!(
                    "arguments of {} must be a JSON object, not {}",
                    operation.id,
                    json_type(&other)
                )));
            }
        };
        let known = |name: &str| {
            operation.path_params.contains(&name)
                || operation.query_params.iter().any(|q| q.name == name)
                || operation.header_params.iter().any(|h| h.name == name)
                || (name == "body" && operation.body == crate::BodyKind::Json)
        };
        if let Some(unknown) = values.keys().find(|k| !known(k)) {
            let hint = if unknown == "body" && operation.body == crate::BodyKind::Binary {
                " (its body goes in CallOptions::body_bytes)"
            } else {
                ""
            };
            return Err(Error::invalid_argument(format!(
                "{} has no parameter `{unknown}`{hint}",
                operation.id
            )));
        }
        Ok(Self { operation, values })
    }

    /// A parameter the operation cannot do without.
    pub(crate) fn required<T: DeserializeOwned>(&self, name: &str) -> Result<T, Error> {
        match self.values.get(name) {
            None | Some(Value::Null) => Err(Error::invalid_argument(format!(
                "missing required parameter `{name}` of {}",
                self.operation.id
            ))),
            Some(value) => self.convert(name, value),
        }
    }

    /// A parameter that may be absent (absent and `null` mean the same).
    pub(crate) fn optional<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, Error> {
        match self.values.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => self.convert(name, value).map(Some),
        }
    }

    fn convert<T: DeserializeOwned>(&self, name: &str, value: &Value) -> Result<T, Error> {
        // Scalars in paths and queries may come as strings or numbers from
        // dynamic languages; try the value as given, then a number as text.
        T::deserialize(value).or_else(|err| {
            let retry = match value {
                Value::Number(n) => Some(Value::String(n.to_string())),
                _ => None,
            };
            retry.and_then(|v| T::deserialize(v).ok()).ok_or_else(|| {
                Error::invalid_argument(format!(
                    "invalid value for parameter `{name}` of {}: {err}",
                    self.operation.id
                ))
            })
        })
    }

    /// The raw body of a `Binary` operation.
    pub(crate) fn binary_body(&self, bytes: Option<Vec<u8>>) -> Result<Vec<u8>, Error> {
        bytes.ok_or_else(|| {
            Error::invalid_argument(format!(
                "{} needs the request body in CallOptions::body_bytes",
                self.operation.id
            ))
        })
    }
}

impl Args {
    /// The body of a `text/*` operation, given as bytes that must be UTF-8.
    #[allow(
        dead_code,
        reason = "used by generated dispatch only when the spec has text bodies"
    )]
    pub(crate) fn text_body(&self, bytes: Option<Vec<u8>>) -> Result<String, Error> {
        String::from_utf8(self.binary_body(bytes)?).map_err(|_| {
            Error::invalid_argument(format!(
                "the body of {} must be UTF-8 text",
                self.operation.id
            ))
        })
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[allow(
    dead_code,
    reason = "used by the generated dispatch whenever the spec has JSON responses"
)]
/// Converts the generated method's result. Errors are converted with the
/// typed `From` impl, except undocumented responses, whose body is read here
/// (asynchronously) so that their problem document is not lost.
pub(crate) async fn finish<T, E>(
    result: Result<progenitor_client::ResponseValue<T>, progenitor_client::Error<E>>,
) -> Result<Success, Error>
where
    T: Serialize,
    E: Serialize,
{
    match result {
        Ok(value) => {
            let status = value.status().as_u16();
            let request_id = crate::transport::request_id_of(value.headers());
            let body = serde_json::to_value(value.into_inner()).map_err(|e| {
                Error::decode(format!("cannot represent the response as JSON: {e}"), None)
            })?;
            Ok(Success {
                status,
                body,
                request_id,
            })
        }
        Err(progenitor_client::Error::UnexpectedResponse(response)) => {
            Err(error_from_response(response).await)
        }
        Err(err) => Err(err.into()),
    }
}

#[allow(
    dead_code,
    reason = "used by the generated dispatch only when the spec has non-JSON responses"
)]
/// Like [`finish`] for operations whose success body is not JSON-typed:
/// the bytes are returned as JSON when they parse, else as a string.
pub(crate) async fn finish_stream<E: Serialize>(
    result: Result<
        progenitor_client::ResponseValue<progenitor_client::ByteStream>,
        progenitor_client::Error<E>,
    >,
) -> Result<Success, Error> {
    match result {
        Ok(value) => {
            let status = value.status().as_u16();
            let request_id = crate::transport::request_id_of(value.headers());
            let bytes = collect(value.into_inner()).await?;
            Ok(Success {
                status,
                body: bytes_to_json(&bytes),
                request_id,
            })
        }
        Err(progenitor_client::Error::UnexpectedResponse(response)) => {
            Err(error_from_response(response).await)
        }
        Err(err) => Err(err.into()),
    }
}

async fn collect(stream: progenitor_client::ByteStream) -> Result<Vec<u8>, Error> {
    use futures_core::Stream;
    let mut inner = stream.into_inner();
    let mut out = Vec::new();
    loop {
        let next = std::future::poll_fn(|cx| Stream::poll_next(inner.as_mut(), cx)).await;
        match next {
            Some(Ok(chunk)) => out.extend_from_slice(&chunk),
            Some(Err(err)) => return Err(Error::from_reqwest(err)),
            None => return Ok(out),
        }
    }
}

fn bytes_to_json(bytes: &[u8]) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    serde_json::from_slice(bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
}

/// The error for a response the generated code did not expect (or a failed
/// session refresh): its problem document is read here.
pub(crate) async fn error_from_response(response: reqwest::Response) -> Error {
    let status = response.status().as_u16();
    let request_id = crate::transport::request_id_of(response.headers());
    if response.status().is_success() {
        return Error::decode(format!("undocumented success status {status}"), None)
            .with_status(status)
            .with_request_id(request_id);
    }
    let body = match response.bytes().await {
        Ok(bytes) if !bytes.is_empty() => Some(bytes_to_json(&bytes)),
        _ => None,
    };
    Error::from_response(status, request_id, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operation::{BodyKind, QueryParam};
    use serde_json::json;

    static OP: OperationInfo = OperationInfo {
        id: "listThings",
        method_name: "list_things",
        method: "GET",
        path: "/v1/things/{thing_id}",
        path_params: &["thing_id"],
        query_params: &[QueryParam {
            name: "limit",
            required: false,
        }],
        header_params: &[],
        body: BodyKind::None,
        body_required: false,
        success_status: 200,
        summary: "",
    };

    #[test]
    fn args_convert_and_name_bad_parameters() {
        let args = Args::new(&OP, json!({"thing_id": "t_1", "limit": 5})).unwrap();
        assert_eq!(args.required::<String>("thing_id").unwrap(), "t_1");
        assert_eq!(args.optional::<u32>("limit").unwrap(), Some(5));

        let args = Args::new(&OP, json!({"limit": "many"})).unwrap();
        let err = args.optional::<u32>("limit").unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidArgument);
        assert!(err.message().contains("`limit`"), "{}", err.message());
        let err = args.required::<String>("thing_id").unwrap_err();
        assert!(
            err.message()
                .contains("missing required parameter `thing_id`")
        );
    }

    #[test]
    fn numbers_are_accepted_for_string_parameters() {
        let args = Args::new(&OP, json!({"thing_id": 42})).unwrap();
        assert_eq!(args.required::<String>("thing_id").unwrap(), "42");
    }

    #[test]
    fn unknown_parameters_and_non_objects_are_rejected() {
        let err = Args::new(&OP, json!({"nope": 1})).err().unwrap();
        assert!(err.message().contains("`nope`"));
        let err = Args::new(&OP, json!([1])).err().unwrap();
        assert!(err.message().contains("JSON object"));
        assert!(Args::new(&OP, Value::Null).is_ok());
    }

    #[test]
    fn raw_bodies_become_json_or_text() {
        assert_eq!(bytes_to_json(b""), Value::Null);
        assert_eq!(bytes_to_json(br#"{"a":1}"#), json!({"a": 1}));
        assert_eq!(bytes_to_json(b"plain"), json!("plain"));
    }
}
