//! Plays tests/scenario/recruiting.json through the SDK's public API.
//!
//! The data format is tests/scenario/README.md; the matcher language and the
//! references live in [`matcher`]. Every call goes through
//! [`Client::call`] (which calls the generated typed method) and
//! [`Client::call_all_pages`] for `paginate`, the way a user of the dynamic
//! API would.

pub mod matcher;
pub mod totp;

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use mismatch_recruiter::{CallOptions, Client, ClientOptions, Error, find_operation};
use serde_json::{Map, Value, json};

use self::matcher::{Failure, ScenarioError, check, resolve, truncate};

/// How much of an actual value a failure report shows.
const SHOWN_BYTES: usize = 2048;

const STEP_KEYS: &[&str] = &[
    "step",
    "client",
    "api_key",
    "base_url",
    "max_retries",
    "call",
    "paginate",
    "proxy_stats",
    "totp",
    "offset_steps",
    "digits",
    "as",
    "path",
    "query",
    "headers",
    "body",
    "body_file",
    "body_text",
    "idempotency_key",
    "save",
    "expect",
    "error",
];

/// Where the scenario runs and who starts it.
pub struct Settings {
    pub base_url: String,
    pub admin_key: String,
    pub flaky_url: String,
    /// Unique per run and runner, e.g. `rust-1733100000000000000`.
    pub stamp: String,
}

/// A step that did not do what the data says, with everything needed to see why.
#[derive(Debug)]
pub struct StepFailure {
    pub number: usize,
    pub step: String,
    /// The action, e.g. `createJob as recruiter`.
    pub action: String,
    pub reason: String,
    pub actual: Option<Value>,
}

impl fmt::Display for StepFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "step {} failed: {}", self.number, self.step)?;
        writeln!(f, "  action: {}", self.action)?;
        writeln!(f, "  reason: {}", self.reason)?;
        if let Some(actual) = &self.actual {
            writeln!(
                f,
                "  actual: {}",
                truncate(&actual.to_string(), SHOWN_BYTES)
            )?;
        }
        Ok(())
    }
}

/// A scenario being played: its clients and the values saved so far.
pub struct Player {
    settings: Settings,
    saved: Map<String, Value>,
    /// Every file of `files`, as bytes, for `body_file`.
    file_bytes: HashMap<String, Vec<u8>>,
    clients: HashMap<String, Client>,
    stats_http: reqwest::Client,
}

impl Player {
    /// Reads the document's files (relative to `root`) and makes the `admin`
    /// client.
    pub fn new(root: &Path, document: &Value, settings: Settings) -> Result<Self, ScenarioError> {
        let mut text_files = Map::new();
        let mut file_bytes = HashMap::new();
        let files = document.get("files").and_then(Value::as_object);
        for (name, file) in files.into_iter().flatten() {
            let (Some(path), Some(kind)) = (
                file.get("path").and_then(Value::as_str),
                file.get("as").and_then(Value::as_str),
            ) else {
                return Err(ScenarioError(format!(
                    "file {name:?} needs `path` and `as`"
                )));
            };
            let bytes = std::fs::read(root.join(path))
                .map_err(|e| ScenarioError(format!("file {name:?} ({path}): {e}")))?;
            match kind {
                "text" => {
                    let text = String::from_utf8(bytes.clone())
                        .map_err(|_| ScenarioError(format!("file {name:?} is not UTF-8")))?;
                    text_files.insert(name.clone(), Value::String(text));
                }
                "bytes" => {}
                other => {
                    return Err(ScenarioError(format!(
                        "file {name:?}: unknown `as` {other:?}"
                    )));
                }
            }
            file_bytes.insert(name.clone(), bytes);
        }
        let mut saved = Map::new();
        saved.insert("stamp".into(), Value::String(settings.stamp.clone()));
        saved.insert(
            "admin_key".into(),
            Value::String(settings.admin_key.clone()),
        );
        saved.insert("files".into(), Value::Object(text_files));

        let admin =
            Client::new(ClientOptions::new(&settings.base_url).with_api_key(&settings.admin_key))
                .map_err(|e| ScenarioError(format!("the admin client: {e}")))?;
        // Built after an SDK client, which installs the TLS crypto provider
        // reqwest is compiled without.
        let stats_http = reqwest::Client::new();
        Ok(Self {
            settings,
            saved,
            file_bytes,
            clients: HashMap::from([("admin".to_owned(), admin)]),
            stats_http,
        })
    }

    /// Values saved by the steps played so far.
    pub fn saved(&self) -> &Map<String, Value> {
        &self.saved
    }

    /// A client defined by a `client` step (or `admin`).
    pub fn client(&self, name: &str) -> Option<&Client> {
        self.clients.get(name)
    }

    /// Plays every step in order, stopping at the first failure. `progress`
    /// hears each step that passed.
    pub async fn play(
        &mut self,
        document: &Value,
        mut progress: impl FnMut(usize, &str),
    ) -> Result<(), StepFailure> {
        let steps = document
            .get("steps")
            .and_then(Value::as_array)
            .ok_or_else(|| StepFailure {
                number: 0,
                step: "(document)".into(),
                action: "read the steps".into(),
                reason: "the document has no `steps` array".into(),
                actual: None,
            })?;
        for (index, step) in steps.iter().enumerate() {
            let sentence = step
                .get("step")
                .and_then(Value::as_str)
                .unwrap_or("(a step without `step`)");
            self.play_step(step).await.map_err(|problem| StepFailure {
                number: index + 1,
                step: sentence.to_owned(),
                action: problem.action,
                reason: problem.reason,
                actual: problem.actual,
            })?;
            progress(index + 1, sentence);
        }
        Ok(())
    }

    async fn play_step(&mut self, step: &Value) -> Result<(), Problem> {
        let (fields, action) =
            step_shape(step).map_err(|e| Problem::new("(none)".into(), e, None))?;
        if action == "client" {
            let name = fields["client"].as_str().unwrap_or_default();
            return self
                .define_client(name, fields)
                .map_err(|e| Problem::new(format!("client {name}"), e, None));
        }

        let caller = fields.get("as").and_then(Value::as_str).unwrap_or("admin");
        let label = match action {
            "proxy_stats" | "totp" => action.to_owned(),
            _ => format!(
                "{action} {} as {caller}",
                fields[action].as_str().unwrap_or("?")
            ),
        };
        let scenario_error = |e: ScenarioError| Problem::new(label.clone(), e, None);
        let result = if action == "totp" {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .expect("the clock is after 1970")
                .as_secs();
            let now = i64::try_from(now).expect("a clock within i64");
            Ok(Value::String(
                totp::step_code(fields, &self.saved, now).map_err(scenario_error)?,
            ))
        } else if action == "proxy_stats" {
            Ok(self
                .proxy_stats()
                .await
                .map_err(|e| Problem::new(label.clone(), e, None))?)
        } else {
            let request = self.request(action, fields).map_err(scenario_error)?;
            let client = self.clients.get(caller).ok_or_else(|| {
                scenario_error(ScenarioError(format!("no client named {caller:?}")))
            })?;
            request.send(client).await
        };

        let (actual, matcher, at) = match (result, fields.get("error")) {
            (Ok(value), None) => (value, fields.get("expect"), "expect"),
            (Ok(value), Some(_)) => {
                let reason = "the call succeeded but the step expects an error";
                return Err(Problem::new(label, reason, Some(value)));
            }
            (Err(err), None) => {
                let facts = error_facts(&err);
                return Err(Problem::new(
                    label,
                    format!("the call failed: {err}"),
                    Some(facts),
                ));
            }
            (Err(err), Some(matcher)) => (error_facts(&err), Some(matcher), "error"),
        };
        if let Some(name) = fields.get("save") {
            let name = name
                .as_str()
                .ok_or_else(|| scenario_error(ScenarioError("`save` must be a name".into())))?;
            self.saved.insert(name.to_owned(), actual.clone());
        }
        if let Some(matcher) = matcher {
            let matcher = resolve(matcher, &self.saved).map_err(scenario_error)?;
            if let Err(failure) = check(Some(&actual), &matcher, at) {
                let reason = match failure {
                    Failure::Mismatch(m) => format!("matcher {m}"),
                    Failure::Scenario(e) => e.to_string(),
                };
                return Err(Problem::new(label, reason, Some(actual)));
            }
        }
        Ok(())
    }

    fn define_client(
        &mut self,
        name: &str,
        fields: &Map<String, Value>,
    ) -> Result<(), ScenarioError> {
        if name.is_empty() {
            return Err(ScenarioError("`client` must be a name".into()));
        }
        let mut options = match fields.get("base_url").and_then(Value::as_str) {
            Some("server") => ClientOptions::new(&self.settings.base_url),
            Some("flaky") => ClientOptions::new(&self.settings.flaky_url),
            other => {
                return Err(ScenarioError(format!(
                    "base_url must be \"server\" or \"flaky\", not {other:?}"
                )));
            }
        };
        match fields
            .get("api_key")
            .map(|k| resolve(k, &self.saved))
            .transpose()?
        {
            Some(Value::String(key)) => options = options.with_api_key(key),
            None => {}
            Some(other) => {
                return Err(ScenarioError(format!(
                    "api_key must be a string, not {other}"
                )));
            }
        }
        if let Some(retries) = fields.get("max_retries") {
            options.max_retries = retries
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| {
                    ScenarioError(format!("max_retries must be a count, not {retries}"))
                })?;
        }
        let client =
            Client::new(options).map_err(|e| ScenarioError(format!("client {name}: {e}")))?;
        self.clients.insert(name.to_owned(), client);
        Ok(())
    }

    /// The SDK call a `call` or `paginate` step makes, its references resolved.
    fn request(&self, action: &str, fields: &Map<String, Value>) -> Result<Request, ScenarioError> {
        let operation_id = fields[action]
            .as_str()
            .ok_or_else(|| ScenarioError(format!("`{action}` must be an operationId")))?;
        let operation = find_operation(operation_id)
            .ok_or_else(|| ScenarioError(format!("unknown operation {operation_id:?}")))?;
        let input = |key: &str| fields.get(key).map(|v| resolve(v, &self.saved)).transpose();
        let object = |key: &str| -> Result<Map<String, Value>, ScenarioError> {
            match input(key)? {
                None => Ok(Map::new()),
                Some(Value::Object(map)) => Ok(map),
                Some(other) => Err(ScenarioError(format!(
                    "`{key}` must be an object, not {other}"
                ))),
            }
        };

        let mut args = object("path")?;
        args.extend(object("query")?);
        let mut options = CallOptions::default();
        for (name, value) in object("headers")? {
            let value = match value {
                Value::String(text) => text,
                other => other.to_string(),
            };
            // Headers the operation declares are parameters of its typed
            // method; any other header is an extra of the call.
            if operation.header_params.iter().any(|h| h.name == name) {
                args.insert(name, Value::String(value));
            } else {
                options.headers.push((name, value));
            }
        }
        if action == "paginate" {
            if [
                "path",
                "body",
                "body_file",
                "body_text",
                "headers",
                "idempotency_key",
            ]
            .iter()
            .any(|k| fields.contains_key(*k))
            {
                return Err(ScenarioError(
                    "`paginate` takes `as` and `query` only".into(),
                ));
            }
            return Ok(Request::Paginate {
                operation_id: operation_id.to_owned(),
                args: Value::Object(args),
            });
        }
        if let Some(body) = input("body")? {
            args.insert("body".into(), body);
        }
        if let Some(name) = fields.get("body_file") {
            let bytes = name
                .as_str()
                .and_then(|name| self.file_bytes.get(name))
                .ok_or_else(|| ScenarioError(format!("body_file {name} is not in `files`")))?;
            options.body_bytes = Some(bytes.clone());
        }
        match input("body_text")? {
            Some(Value::String(text)) => options.body_bytes = Some(text.into_bytes()),
            Some(other) => {
                return Err(ScenarioError(format!(
                    "body_text must be a string, not {other}"
                )));
            }
            None => {}
        }
        match input("idempotency_key")? {
            Some(Value::String(key)) => options.idempotency_key = Some(key),
            Some(other) => {
                return Err(ScenarioError(format!(
                    "idempotency_key must be a string, not {other}"
                )));
            }
            None => {}
        }
        Ok(Request::Call {
            operation_id: operation_id.to_owned(),
            args: Value::Object(args),
            options,
        })
    }

    async fn proxy_stats(&self) -> Result<Value, String> {
        let url = format!(
            "{}/__flaky/stats",
            self.settings.flaky_url.trim_end_matches('/')
        );
        let response = self
            .stats_http
            .get(&url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| format!("GET {url}: {e}"))?;
        response
            .json()
            .await
            .map_err(|e| format!("GET {url}: not JSON: {e}"))
    }
}

/// What went wrong in a step, before [`Player::play`] numbers it.
struct Problem {
    action: String,
    reason: String,
    actual: Option<Value>,
}

impl Problem {
    fn new(action: String, reason: impl fmt::Display, actual: Option<Value>) -> Self {
        Self {
            action,
            reason: reason.to_string(),
            actual,
        }
    }
}

/// A step's fields and its one action, or why the step is ill-formed.
fn step_shape(step: &Value) -> Result<(&Map<String, Value>, &'static str), ScenarioError> {
    let fields = step
        .as_object()
        .ok_or_else(|| ScenarioError("a step must be an object".into()))?;
    if !fields.get("step").is_some_and(Value::is_string) {
        return Err(ScenarioError("no `step` sentence".into()));
    }
    if let Some(key) = fields.keys().find(|k| !STEP_KEYS.contains(&k.as_str())) {
        return Err(ScenarioError(format!("unknown step key {key:?}")));
    }
    if fields.contains_key("error") && fields.contains_key("expect") {
        return Err(ScenarioError(
            "a step has `error` or `expect`, not both".into(),
        ));
    }
    let actions: Vec<&'static str> = ["client", "call", "paginate", "proxy_stats", "totp"]
        .into_iter()
        .filter(|k| fields.contains_key(*k))
        .collect();
    match actions[..] {
        ["totp"] if fields.contains_key("error") => Err(ScenarioError(
            "a `totp` step has `save` and `expect` only".into(),
        )),
        [action] => Ok((fields, action)),
        _ => Err(ScenarioError(format!(
            "a step has exactly one of client, call, paginate, proxy_stats, totp; this one has {actions:?}"
        ))),
    }
}

enum Request {
    Call {
        operation_id: String,
        args: Value,
        options: CallOptions,
    },
    Paginate {
        operation_id: String,
        args: Value,
    },
}

impl Request {
    /// The response body (`null` when empty), or every item of every page.
    async fn send(self, client: &Client) -> Result<Value, Error> {
        match self {
            Self::Call {
                operation_id,
                args,
                options,
            } => Ok(client.call(&operation_id, args, options).await?.body),
            Self::Paginate { operation_id, args } => Ok(Value::Array(
                client
                    .call_all_pages(&operation_id, args, CallOptions::default(), usize::MAX)
                    .await?,
            )),
        }
    }
}

/// The facts an `error` matcher sees (tests/scenario/README.md, Outcomes).
pub fn error_facts(err: &Error) -> Value {
    let fields: Vec<Value> = err
        .body()
        .and_then(|body| body.get("errors"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| e.get("field").cloned())
        .collect();
    json!({
        "kind": err.kind().as_str(),
        "status": err.status(),
        "code": err.code(),
        "request_id": err.request_id(),
        "attempts": err.attempts(),
        "fields": fields,
    })
}
