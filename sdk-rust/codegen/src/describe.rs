//! The normalised operation description: what every SDK emitter needs to know
//! about each operation, read once from `openapi.json`.
//!
//! The Rust emitter ([`crate::generate`]), `sdk-python/generate.py` and
//! `sdk-js/scripts/generate.mjs` all read this description instead of each
//! walking the spec with its own rules. Decided here, once:
//!
//! - parameters: path-item and operation parameters merged (the operation's
//!   win), `$ref`s resolved, `Idempotency-Key` left to the SDK transports
//!   (`keyed` says whether the SDKs send one), path parameters in template
//!   order with a check that each is declared;
//! - the request body: `json`, `text` or `binary`, and whether it is required;
//! - the success response: its status and whether it is `json`, `text`,
//!   `binary` or `none`;
//! - pagination: a `GET` with a `cursor` query parameter whose JSON response
//!   has an `items` array and a `next_cursor`.
//!
//! Schemas (`components.schemas`) are carried verbatim, so an emitter needs
//! no other input.

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Map, Value, json};

/// Methods in the order operations of one path are listed.
const HTTP_METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Methods whose calls carry an Idempotency-Key (the SDKs make one per call
/// and repeat it on every retry).
const KEYED_METHODS: [&str; 3] = ["POST", "PATCH", "DELETE"];

/// Header the SDK transports set themselves; never an operation argument.
const IDEMPOTENCY_HEADER: &str = "idempotency-key";

/// The first line of the written file, as a `$comment` member.
pub const NOTE: &str = "Normalised operation description, written by mismatch-codegen \
(cargo run -p mismatch-codegen); read by sdk-python/generate.py and sdk-js/scripts/generate.mjs. Do not edit.";

/// Whether a media type is JSON (`application/json`, `application/*+json`).
pub fn is_json(content_type: &str) -> bool {
    let base = base_type(content_type);
    base == "application/json" || base.ends_with("+json")
}

fn is_text(content_type: &str) -> bool {
    base_type(content_type).starts_with("text/")
}

fn base_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Builds the description of an OpenAPI 3.1 (or 3.0) document.
pub fn describe(spec: &Value) -> Result<Value> {
    let mut operations = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let paths = spec
        .get("paths")
        .and_then(Value::as_object)
        .ok_or_else(|| anyhow!("the document has no paths"))?;
    for (path, item) in paths {
        let item = resolve(spec, item)?;
        let shared = item
            .get("parameters")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for method in HTTP_METHODS {
            let Some(op) = item.get(method) else { continue };
            let described = operation(spec, path, method, op, &shared)
                .with_context(|| format!("{} {path}", method.to_uppercase()))?;
            let id = described["id"].as_str().unwrap_or_default().to_owned();
            if !seen.insert(id.clone()) {
                bail!("duplicate operationId {id}");
            }
            operations.push(described);
        }
    }
    let info = spec.get("info").cloned().unwrap_or_else(|| json!({}));
    Ok(json!({
        "$comment": NOTE,
        "title": info.get("title").cloned().unwrap_or_else(|| json!("")),
        "version": info.get("version").cloned().unwrap_or_else(|| json!("")),
        "operations": operations,
        "schemas": spec
            .pointer("/components/schemas")
            .cloned()
            .unwrap_or_else(|| json!({})),
    }))
}

fn operation(
    spec: &Value,
    path: &str,
    method: &str,
    op: &Value,
    shared: &[Value],
) -> Result<Value> {
    let id = op
        .get("operationId")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .ok_or_else(|| anyhow!("no operationId"))?;
    if !id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        || id.starts_with(|c: char| c.is_ascii_digit())
    {
        bail!("operationId {id:?} is not an identifier");
    }
    let method_upper = method.to_uppercase();

    // Declared parameters, path-item ones first; the operation's replace a
    // path-item one of the same name and location in its place.
    let mut params: Vec<Value> = Vec::new();
    let own = op
        .get("parameters")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for raw in shared.iter().chain(&own) {
        let param = resolve(spec, raw)?;
        let name = param
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("a parameter has no name"))?;
        let location = param
            .get("in")
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("parameter {name} has no `in`"))?;
        if location == "cookie" {
            continue;
        }
        if location == "header" && name.eq_ignore_ascii_case(IDEMPOTENCY_HEADER) {
            continue;
        }
        if !matches!(location, "path" | "query" | "header") {
            bail!("parameter {name} is in {location:?}");
        }
        let described = json!({
            "name": name,
            "in": location,
            "required": location == "path" || param.get("required") == Some(&Value::Bool(true)),
            "description": param.get("description").cloned().unwrap_or_else(|| json!("")),
            "schema": param.get("schema").cloned().unwrap_or_else(|| json!({})),
        });
        match params
            .iter_mut()
            .find(|p| p["name"] == described["name"] && p["in"] == described["in"])
        {
            Some(slot) => *slot = described,
            None => params.push(described),
        }
    }
    let template = path_template_names(path);
    for name in &template {
        if !params
            .iter()
            .any(|p| p["in"] == "path" && p["name"] == *name)
        {
            bail!("path parameter {{{name}}} is not declared");
        }
    }
    for p in params.iter().filter(|p| p["in"] == "path") {
        let name = p["name"].as_str().unwrap_or_default();
        if !template.iter().any(|t| t == name) {
            bail!("path parameter {name} is not in the path template");
        }
    }

    let body = request_body(spec, op)?;
    let response = success_response(spec, op)?;
    let pagination = pagination(spec, &method_upper, &params, &response)?;
    Ok(json!({
        "id": id,
        "method": method_upper,
        "path": path,
        "summary": op.get("summary").cloned().unwrap_or_else(|| json!("")),
        "description": op.get("description").cloned().unwrap_or_else(|| json!("")),
        "deprecated": op.get("deprecated") == Some(&Value::Bool(true)),
        "keyed": KEYED_METHODS.contains(&method_upper.as_str()),
        "path_params": template,
        "params": params,
        "body": body,
        "response": response,
        "pagination": pagination,
    }))
}

fn request_body(spec: &Value, op: &Value) -> Result<Value> {
    let Some(body) = op.get("requestBody") else {
        return Ok(Value::Null);
    };
    let body = resolve(spec, body)?;
    let required = body.get("required") == Some(&Value::Bool(true));
    let content = content_of(&body);
    if let Some((ct, schema)) = json_media(&content) {
        return Ok(
            json!({ "kind": "json", "content_type": ct, "required": required, "schema": schema }),
        );
    }
    // Raw bytes: the first media type that is not a form encoding.
    let Some((ct, _)) = content.iter().find(|(ct, _)| {
        let base = base_type(ct);
        base != "multipart/form-data" && base != "application/x-www-form-urlencoded"
    }) else {
        bail!(
            "no supported request body media type in {:?}",
            content.keys().collect::<Vec<_>>()
        );
    };
    Ok(json!({
        "kind": if is_text(ct) { "text" } else { "binary" },
        "content_type": ct,
        "required": required,
        "schema": Value::Null,
    }))
}

/// The `content` map of a request body or response.
fn content_of(value: &Value) -> Map<String, Value> {
    value
        .get("content")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// The first JSON media type of a `content` map, with its schema.
fn json_media(content: &Map<String, Value>) -> Option<(&String, Value)> {
    content
        .iter()
        .find(|(ct, _)| is_json(ct))
        .map(|(ct, media)| {
            let schema = media.get("schema").cloned().unwrap_or_else(|| json!({}));
            (ct, schema)
        })
}

/// The first 2xx response (by status, then `2XX`), and what its body is.
fn success_response(spec: &Value, op: &Value) -> Result<Value> {
    let responses = op
        .get("responses")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut codes: Vec<&String> = responses
        .keys()
        .filter(|code| code.len() == 3 && code.starts_with('2'))
        .collect();
    codes.sort_by_key(|code| (code.eq_ignore_ascii_case("2XX"), code.to_string()));
    let Some(code) = codes.first() else {
        return Ok(json!({ "status": 200, "kind": "none", "content_type": null, "schema": null }));
    };
    let status: u16 = code.parse().unwrap_or(200);
    let content = content_of(&resolve(spec, &responses[code.as_str()])?);
    if let Some((ct, schema)) = json_media(&content) {
        return Ok(
            json!({ "status": status, "kind": "json", "content_type": ct, "schema": schema }),
        );
    }
    let Some(ct) = content.keys().next() else {
        return Ok(
            json!({ "status": status, "kind": "none", "content_type": null, "schema": null }),
        );
    };
    let textual = content.keys().all(|ct| is_text(ct));
    Ok(json!({
        "status": status,
        "kind": if textual { "text" } else { "binary" },
        "content_type": ct,
        "schema": null,
    }))
}

/// The API's cursor convention: `GET`, a `cursor` query parameter, and a JSON
/// response object with an `items` array and a `next_cursor`.
fn pagination(spec: &Value, method: &str, params: &[Value], response: &Value) -> Result<Value> {
    let has_cursor = params
        .iter()
        .any(|p| p["in"] == "query" && p["name"] == "cursor");
    if method != "GET" || !has_cursor || response["kind"] != "json" {
        return Ok(Value::Null);
    }
    let page = resolve(spec, &response["schema"])?;
    let Some(properties) = page.get("properties").and_then(Value::as_object) else {
        return Ok(Value::Null);
    };
    let (Some(items), Some(_)) = (properties.get("items"), properties.get("next_cursor")) else {
        return Ok(Value::Null);
    };
    let items = resolve(spec, items)?;
    let is_array = match items.get("type") {
        Some(Value::String(t)) => t == "array",
        Some(Value::Array(types)) => types.iter().any(|t| t == "array"),
        _ => false,
    };
    if !is_array {
        return Ok(Value::Null);
    }
    Ok(json!({
        "cursor_param": "cursor",
        "items_field": "items",
        "next_field": "next_cursor",
        "item_schema": items.get("items").cloned().unwrap_or_else(|| json!({})),
    }))
}

/// Follows `$ref`s of parameters, request bodies, responses and path items.
fn resolve(spec: &Value, value: &Value) -> Result<Value> {
    let mut current = value.clone();
    for _ in 0..32 {
        let Some(reference) = current.get("$ref").and_then(Value::as_str) else {
            return Ok(current);
        };
        current = pointer(spec, reference)?.clone();
    }
    bail!("$ref cycle at {value}")
}

fn pointer<'a>(spec: &'a Value, reference: &str) -> Result<&'a Value> {
    // `Value::pointer` undoes the `~0` / `~1` escapes of JSON Pointer.
    let path = reference
        .strip_prefix('#')
        .ok_or_else(|| anyhow!("only local $refs are supported, not {reference}"))?;
    spec.pointer(path)
        .ok_or_else(|| anyhow!("dangling $ref {reference}"))
}

/// Names of `{…}` segments in a path template, in order.
pub fn path_template_names(path: &str) -> Vec<String> {
    path.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_owned()))
        .collect()
}

/// The description as written to disk: pretty JSON and a final newline.
pub fn to_text(description: &Value) -> String {
    let mut text = serde_json::to_string_pretty(description).expect("JSON values serialise");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(paths: Value) -> Value {
        json!({
            "openapi": "3.1.0",
            "info": { "title": "t", "version": "1" },
            "paths": paths,
            "components": {
                "schemas": {
                    "Page": {
                        "type": "object",
                        "properties": {
                            "items": { "type": "array", "items": { "$ref": "#/components/schemas/Item" } },
                            "next_cursor": { "type": ["string", "null"] }
                        }
                    },
                    "Item": { "type": "object", "properties": { "id": { "type": "string" } } }
                },
                "parameters": {
                    "Limit": { "name": "limit", "in": "query", "schema": { "type": "integer" } }
                }
            }
        })
    }

    #[test]
    fn parameters_are_merged_resolved_and_stripped_of_the_idempotency_key() {
        let doc = spec(json!({
            "/v1/things/{thing_id}": {
                "parameters": [
                    { "name": "thing_id", "in": "path", "required": true, "schema": { "type": "string" } },
                    { "name": "mode", "in": "query", "description": "shared", "schema": { "type": "string" } }
                ],
                "patch": {
                    "operationId": "updateThing",
                    "parameters": [
                        { "$ref": "#/components/parameters/Limit" },
                        { "name": "mode", "in": "query", "required": true, "schema": { "type": "string" } },
                        { "name": "Idempotency-Key", "in": "header", "schema": { "type": "string" } },
                        { "name": "If-Match", "in": "header", "schema": { "type": "string" } }
                    ],
                    "requestBody": { "required": true, "content": { "application/merge-patch+json": { "schema": {} } } },
                    "responses": { "200": { "description": "ok", "content": { "application/json": { "schema": {} } } } }
                }
            }
        }));
        let described = describe(&doc).unwrap();
        let op = &described["operations"][0];
        let names: Vec<_> = op["params"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                format!(
                    "{}:{}:{}",
                    p["in"].as_str().unwrap(),
                    p["name"].as_str().unwrap(),
                    p["required"]
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                "path:thing_id:true",
                "query:mode:true",
                "query:limit:false",
                "header:If-Match:false"
            ]
        );
        assert_eq!(op["keyed"], true);
        assert_eq!(op["body"]["kind"], "json");
        assert_eq!(op["body"]["required"], true);
        assert_eq!(op["pagination"], Value::Null);
    }

    #[test]
    fn pagination_bodies_and_responses_are_classified() {
        let doc = spec(json!({
            "/v1/things": {
                "get": {
                    "operationId": "listThings",
                    "parameters": [{ "name": "cursor", "in": "query", "schema": { "type": "string" } }],
                    "responses": { "200": { "description": "ok", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Page" } } } } }
                },
                "post": {
                    "operationId": "uploadThing",
                    "requestBody": { "content": { "multipart/form-data": {}, "text/csv": {} } },
                    "responses": { "204": { "description": "none" } }
                }
            },
            "/v1/report.csv": {
                "get": {
                    "operationId": "getReport",
                    "responses": { "200": { "description": "csv", "content": { "text/csv": {} } } }
                }
            }
        }));
        let described = describe(&doc).unwrap();
        let ops = described["operations"].as_array().unwrap();
        assert_eq!(
            ops[0]["pagination"]["item_schema"]["$ref"],
            "#/components/schemas/Item"
        );
        assert_eq!(ops[0]["keyed"], false);
        assert_eq!(ops[1]["body"]["kind"], "text");
        assert_eq!(ops[1]["body"]["content_type"], "text/csv");
        assert_eq!(ops[1]["response"]["kind"], "none");
        assert_eq!(ops[1]["response"]["status"], 204);
        assert_eq!(ops[2]["response"]["kind"], "text");
        assert_eq!(described["schemas"]["Item"]["type"], "object");
    }

    #[test]
    fn what_no_sdk_can_express_is_refused() {
        let missing_id = spec(json!({ "/a": { "get": { "responses": {} } } }));
        assert!(format!("{:#}", describe(&missing_id).unwrap_err()).contains("no operationId"));
        let undeclared =
            spec(json!({ "/a/{id}": { "get": { "operationId": "getA", "responses": {} } } }));
        assert!(format!("{:#}", describe(&undeclared).unwrap_err()).contains("not declared"));
        let twice = spec(json!({
            "/a": { "get": { "operationId": "same", "responses": {} } },
            "/b": { "get": { "operationId": "same", "responses": {} } }
        }));
        assert!(format!("{:#}", describe(&twice).unwrap_err()).contains("duplicate"));
        let form_only = spec(json!({ "/a": { "post": {
            "operationId": "formOnly",
            "requestBody": { "content": { "multipart/form-data": {} } },
            "responses": {}
        } } }));
        assert!(format!("{:#}", describe(&form_only).unwrap_err()).contains("media type"));
    }
}
