//! A scripted HTTP server on 127.0.0.1:0 and schema-valid sample bodies, so
//! that the transport tests exercise the generated client end to end without
//! depending on the exact shapes of today's spec.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode, Uri};
use axum::response::Response;
use serde_json::{Map, Value, json};

/// One scripted answer.
#[derive(Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<Value>,
    pub delay: Duration,
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            headers: vec![("content-type", "application/json".into())],
            body: Some(body),
            delay: Duration::ZERO,
        }
    }

    pub fn empty(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: None,
            delay: Duration::ZERO,
        }
    }

    pub fn problem(status: u16, code: &str, detail: &str) -> Self {
        Self {
            status,
            headers: vec![("content-type", "application/problem+json".into())],
            body: Some(json!({
                "type": format!("https://docs.mismatch.dev/errors/{code}"),
                "title": code, "status": status, "code": code, "detail": detail,
                "request_id": "req-in-body", "errors": [],
            })),
            delay: Duration::ZERO,
        }
    }

    /// An error answer whose body is not a problem document (as a proxy
    /// or load balancer might send).
    pub fn text(status: u16, body: &str) -> Self {
        Self {
            status,
            headers: vec![("content-type", "text/plain".into())],
            body: Some(Value::String(body.into())),
            delay: Duration::ZERO,
        }
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// What the server saw.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

#[derive(Default)]
struct State {
    script: Mutex<VecDeque<Reply>>,
    seen: Mutex<Vec<Seen>>,
}

/// A server answering every request with the next scripted reply (and 599
/// when the script is exhausted, so extra attempts are visible).
pub struct ScriptedServer {
    pub url: String,
    state: Arc<State>,
}

impl ScriptedServer {
    pub async fn start(script: Vec<Reply>) -> Self {
        let state = Arc::new(State {
            script: Mutex::new(script.into()),
            seen: Mutex::default(),
        });
        let handler_state = state.clone();
        let app = axum::Router::new().fallback(move |request: Request<Body>| {
            let state = handler_state.clone();
            async move { answer(state, request).await }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            url: format!("http://{addr}"),
            state,
        }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }
}

async fn answer(state: Arc<State>, request: Request<Body>) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    state.seen.lock().unwrap().push(Seen {
        method: parts.method,
        uri: parts.uri,
        headers: parts.headers,
        body,
    });
    let reply = state.script.lock().unwrap().pop_front();
    let reply = reply.unwrap_or_else(|| Reply::problem(599, "script_exhausted", "no reply left"));
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let mut response = Response::builder().status(StatusCode::from_u16(reply.status).unwrap());
    for (name, value) in &reply.headers {
        response = response.header(*name, value);
    }
    let body = match reply.body {
        Some(value) => Body::from(serde_json::to_vec(&value).unwrap()),
        None => Body::empty(),
    };
    response.body(body).unwrap()
}

/// The spec the generated code was built from: the server's `openapi.json`,
/// or the development spec before the server existed.
pub fn spec() -> Value {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        root.join("../openapi.json"),
        root.join("codegen/tests/fixtures/api-3.1.json"),
    ];
    let path = candidates.iter().find(|p| p.exists()).expect("a spec file");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn operation<'a>(spec: &'a Value, operation_id: &str) -> &'a Value {
    spec["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .find(|op| op["operationId"] == operation_id)
        .unwrap_or_else(|| panic!("{operation_id} is not in the spec"))
}

/// A minimal valid JSON request body of `operation_id`.
pub fn sample_request(spec: &Value, operation_id: &str) -> Value {
    let schema =
        &operation(spec, operation_id)["requestBody"]["content"]["application/json"]["schema"];
    sample(spec, schema)
}

/// A minimal valid JSON success response of `operation_id`, with its status.
pub fn sample_response(spec: &Value, operation_id: &str) -> (u16, Option<Value>) {
    let responses = operation(spec, operation_id)["responses"]
        .as_object()
        .unwrap();
    let (status, response) = responses
        .iter()
        .find(|(code, _)| code.starts_with('2'))
        .expect("a success response");
    let status: u16 = status.parse().unwrap();
    let body = response
        .get("content")
        .and_then(|c| c.get("application/json"))
        .map(|media| sample(spec, &media["schema"]));
    (status, body)
}

/// A small instance of `schema`: required properties only, first enum value,
/// lower bounds for numbers.
pub fn sample(spec: &Value, schema: &Value) -> Value {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.rsplit('/').next().unwrap();
        return sample(spec, &spec["components"]["schemas"][name]);
    }
    if let Some(value) = schema.get("const") {
        return value.clone();
    }
    if let Some(first) = schema.get("enum").and_then(|e| e.get(0)) {
        return first.clone();
    }
    if let Some(members) = schema.get("allOf").and_then(Value::as_array) {
        let mut merged = Map::new();
        for member in members {
            if let Value::Object(part) = sample(spec, member) {
                merged.extend(part);
            }
        }
        if let Value::Object(own) = sample_object(spec, schema) {
            merged.extend(own);
        }
        return Value::Object(merged);
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(members) = schema.get(key).and_then(Value::as_array) {
            let member = members
                .iter()
                .find(|m| m.get("type") != Some(&json!("null")))
                .expect("a non-null member");
            return sample(spec, member);
        }
    }
    let ty = match schema.get("type") {
        Some(Value::Array(types)) => types
            .iter()
            .find(|t| *t != "null")
            .and_then(Value::as_str)
            .unwrap_or("null"),
        Some(Value::String(t)) => t.as_str(),
        _ if schema.get("properties").is_some() => "object",
        _ => "null",
    };
    match ty {
        "object" => sample_object(spec, schema),
        "array" => {
            let n = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0);
            let item = sample(spec, &schema["items"]);
            Value::Array((0..n).map(|_| item.clone()).collect())
        }
        "string" => match schema.get("format").and_then(Value::as_str) {
            Some("date-time") => json!("2026-01-02T03:04:05Z"),
            Some("date") => json!("2026-01-02"),
            Some("uuid") => json!("6f1f7a9e-8a4b-4c55-9d0e-1a2b3c4d5e6f"),
            Some("email") => json!("ada@example.com"),
            Some("uri") | Some("url") => json!("https://example.com/"),
            _ => {
                let n = schema.get("minLength").and_then(Value::as_u64).unwrap_or(1);
                json!("x".repeat(n.max(1) as usize))
            }
        },
        "integer" => json!(
            schema
                .get("minimum")
                .and_then(Value::as_i64)
                .unwrap_or(1)
                .max(1)
        ),
        "number" => json!(
            schema
                .get("minimum")
                .and_then(Value::as_f64)
                .unwrap_or(0.0)
                .max(0.0)
                + 1.0
        ),
        "boolean" => json!(false),
        _ => Value::Null,
    }
}

fn sample_object(spec: &Value, schema: &Value) -> Value {
    let mut out = Map::new();
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (name, prop) in props {
            if required.contains(&name.as_str()) {
                out.insert(name.clone(), sample(spec, prop));
            }
        }
    }
    Value::Object(out)
}
