//! OpenAPI 3.1 → 3.0 down-conversion, so that progenitor (which reads 3.0
//! through `openapiv3`) can generate a client from the server's 3.1 document.
//!
//! Only what 3.0 cannot say is rewritten; everything else passes through:
//! - `type: [T, "null"]` → `type: T, nullable: true`
//! - `oneOf`/`anyOf` with a `{"type": "null"}` member → the other member(s), nullable
//!   (a lone `$ref` becomes `allOf: [$ref]` because 3.0 ignores `$ref` siblings)
//! - `const: v` → `enum: [v]`
//! - numeric `exclusiveMinimum`/`exclusiveMaximum` → `minimum`/`maximum` + boolean flag
//! - schema `examples: [..]` → `example: first`
//! - `contentMediaType`/`contentEncoding` on strings → `format: binary`/`byte`
//! - `$ref` siblings and 3.1-only keywords are dropped
//! - responses without a description get one (it is required in 3.0)
//! - `application/problem+json` responses are read as `application/json`, so
//!   error bodies are typed (progenitor types only JSON responses)
//! - request bodies keep exactly one content type (progenitor accepts one):
//!   JSON first, else `application/octet-stream`; `multipart/form-data` and
//!   specific binary types (PDF, DOCX) are dropped when another type exists,
//!   and a body with only specific binary types becomes `application/octet-stream`
//! - `openapi: 3.1.x` → `3.0.3`; 3.1-only document fields are dropped.

use serde_json::{Map, Value, json};

/// Errors for documents that cannot be expressed in 3.0.
#[derive(Debug)]
pub struct ConvertError(pub String);

impl std::fmt::Display for ConvertError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConvertError {}

/// Converts a 3.1 document (a 3.0 one passes through unchanged apart from
/// the request-body and problem+json normalisation).
pub fn downconvert(mut doc: Value) -> Result<Value, ConvertError> {
    let root = doc
        .as_object_mut()
        .ok_or_else(|| ConvertError("the OpenAPI document is not a JSON object".into()))?;
    let version = root
        .get("openapi")
        .and_then(Value::as_str)
        .ok_or_else(|| ConvertError("missing `openapi` version field".into()))?
        .to_owned();
    if !(version.starts_with("3.1.") || version.starts_with("3.0.")) {
        return Err(ConvertError(format!(
            "unsupported OpenAPI version {version}"
        )));
    }
    root.insert("openapi".into(), json!("3.0.3"));
    for key in ["webhooks", "jsonSchemaDialect"] {
        root.remove(key);
    }
    if let Some(info) = root.get_mut("info").and_then(Value::as_object_mut) {
        info.remove("summary");
        if let Some(license) = info.get_mut("license").and_then(Value::as_object_mut) {
            license.remove("identifier");
        }
    }

    if let Some(components) = root.get_mut("components").and_then(Value::as_object_mut) {
        components.remove("pathItems");
        for_each_value(components.get_mut("schemas"), convert_schema);
        for_each_value(components.get_mut("parameters"), convert_parameter);
        for_each_value(components.get_mut("requestBodies"), convert_request_body);
        for_each_value(components.get_mut("responses"), convert_response);
        for_each_value(components.get_mut("headers"), convert_parameter);
    }

    if let Some(paths) = root.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            let item = item
                .as_object_mut()
                .ok_or_else(|| ConvertError(format!("path item {path} is not an object")))?;
            if let Some(params) = item.get_mut("parameters").and_then(Value::as_array_mut) {
                params.iter_mut().for_each(convert_parameter);
            }
            for method in [
                "get", "put", "post", "delete", "options", "head", "patch", "trace",
            ] {
                if let Some(op) = item.get_mut(method) {
                    convert_operation(op);
                }
            }
        }
    }
    Ok(doc)
}

fn for_each_value(map: Option<&mut Value>, f: fn(&mut Value)) {
    if let Some(map) = map.and_then(Value::as_object_mut) {
        map.values_mut().for_each(f);
    }
}

fn convert_operation(op: &mut Value) {
    let Some(op) = op.as_object_mut() else { return };
    if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
        params.iter_mut().for_each(convert_parameter);
    }
    if let Some(body) = op.get_mut("requestBody") {
        convert_request_body(body);
    }
    if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
        responses.values_mut().for_each(convert_response);
    }
    op.remove("callbacks");
}

fn convert_parameter(param: &mut Value) {
    let Some(param) = param.as_object_mut() else {
        return;
    };
    if param.contains_key("$ref") {
        strip_ref_siblings(param);
        return;
    }
    if let Some(schema) = param.get_mut("schema") {
        convert_schema(schema);
    }
    if let Some(content) = param.get_mut("content").and_then(Value::as_object_mut) {
        content.values_mut().for_each(convert_media_type);
    }
}

fn convert_media_type(media: &mut Value) {
    if let Some(schema) = media.get_mut("schema") {
        convert_schema(schema);
    }
}

const BINARY_FALLBACK: &str = "application/octet-stream";

fn convert_request_body(body: &mut Value) {
    let Some(body) = body.as_object_mut() else {
        return;
    };
    if body.contains_key("$ref") {
        strip_ref_siblings(body);
        return;
    }
    let Some(content) = body.get_mut("content").and_then(Value::as_object_mut) else {
        return;
    };
    content.values_mut().for_each(convert_media_type);
    if content.len() <= 1 && !content.keys().any(|k| is_specific_binary(k)) {
        return;
    }
    let chosen = ["application/json", BINARY_FALLBACK, "text/plain"]
        .into_iter()
        .find(|k| content.contains_key(*k))
        .map(str::to_owned)
        .or_else(|| content.keys().find(|k| is_json(k)).cloned());
    let (name, mut media) = match chosen {
        Some(name) => {
            let media = content.remove(&name).unwrap_or(Value::Null);
            (name, media)
        }
        None => match content.keys().find(|k| is_specific_binary(k)).cloned() {
            Some(specific) => {
                let mut media = content.remove(&specific).unwrap_or(Value::Null);
                media["schema"] = json!({"type": "string", "format": "binary"});
                (BINARY_FALLBACK.to_owned(), media)
            }
            // Only multipart or form content: leave it for progenitor to judge.
            None => return,
        },
    };
    if name == BINARY_FALLBACK {
        // progenitor expects exactly `{type: string, format: binary}` here.
        media["schema"] = json!({"type": "string", "format": "binary"});
    }
    content.clear();
    content.insert(name, media);
}

fn is_json(media_type: &str) -> bool {
    let essence = media_type.split(';').next().unwrap_or("").trim();
    essence == "application/json" || essence.ends_with("+json")
}

/// Binary uploads of one specific format; sending them as
/// `application/octet-stream` is what the server also accepts.
fn is_specific_binary(media_type: &str) -> bool {
    let essence = media_type.split(';').next().unwrap_or("").trim();
    !(is_json(essence)
        || essence.starts_with("text/")
        || essence.starts_with("multipart/")
        || essence == "application/x-www-form-urlencoded"
        || essence == BINARY_FALLBACK)
}

fn convert_response(response: &mut Value) {
    let Some(response) = response.as_object_mut() else {
        return;
    };
    if response.contains_key("$ref") {
        strip_ref_siblings(response);
        return;
    }
    let has_description = response
        .get("description")
        .and_then(Value::as_str)
        .is_some_and(|d| !d.is_empty());
    if !has_description {
        response.insert("description".into(), json!("Response"));
    }
    if let Some(headers) = response.get_mut("headers").and_then(Value::as_object_mut) {
        headers.values_mut().for_each(convert_parameter);
    }
    if let Some(content) = response.get_mut("content").and_then(Value::as_object_mut) {
        content.values_mut().for_each(convert_media_type);
        if !content.contains_key("application/json") {
            let problem = content
                .keys()
                .find(|k| k.starts_with("application/problem+json"))
                .cloned();
            if let Some(key) = problem
                && let Some(media) = content.remove(&key)
            {
                content.insert("application/json".into(), media);
            }
        }
    }
}

fn strip_ref_siblings(object: &mut Map<String, Value>) {
    object.retain(|k, _| k == "$ref");
}

/// Keywords of JSON Schema 2020-12 that 3.0 schema objects do not have.
const DROPPED_KEYWORDS: &[&str] = &[
    "$schema",
    "$id",
    "$anchor",
    "$comment",
    "$defs",
    "$dynamicRef",
    "$dynamicAnchor",
    "unevaluatedProperties",
    "unevaluatedItems",
    "dependentRequired",
    "dependentSchemas",
    "patternProperties",
    "propertyNames",
    "prefixItems",
    "contains",
    "minContains",
    "maxContains",
    "if",
    "then",
    "else",
    "contentSchema",
];

/// Converts one schema and, recursively, every schema inside it.
pub fn convert_schema(schema: &mut Value) {
    let Some(object) = schema.as_object_mut() else {
        // `true` / `false` schemas: 3.0 has only objects; `true` is `{}`.
        if *schema == Value::Bool(true) {
            *schema = json!({});
        }
        return;
    };
    if object.contains_key("$ref") {
        strip_ref_siblings(object);
        return;
    }
    for key in DROPPED_KEYWORDS {
        object.remove(*key);
    }

    // Children first, so that nullable members are recognised as such below.
    for key in ["items", "not", "additionalProperties"] {
        if let Some(child) = object.get_mut(key)
            && child.is_object()
        {
            convert_schema(child);
        }
    }
    if let Some(props) = object.get_mut("properties").and_then(Value::as_object_mut) {
        props.values_mut().for_each(convert_schema);
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(members) = object.get_mut(key).and_then(Value::as_array_mut) {
            members.iter_mut().for_each(convert_schema);
        }
    }

    convert_type_array(object);
    for key in ["oneOf", "anyOf"] {
        convert_null_member(object, key);
    }
    if let Some(value) = object.remove("const") {
        object.insert("enum".into(), Value::Array(vec![value]));
    }
    for (exclusive, inclusive) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        if let Some(bound) = object.get(exclusive).filter(|v| v.is_number()).cloned() {
            object.insert(inclusive.into(), bound);
            object.insert(exclusive.into(), Value::Bool(true));
        }
    }
    if let Some(examples) = object.remove("examples") {
        let first = match examples {
            Value::Array(mut list) if !list.is_empty() => Some(list.swap_remove(0)),
            Value::Array(_) => None,
            other => Some(other),
        };
        if let Some(first) = first {
            object.entry("example").or_insert(first);
        }
    }
    let encoding = object.remove("contentEncoding");
    let media_type = object.remove("contentMediaType");
    if object.get("type") == Some(&json!("string")) && !object.contains_key("format") {
        match (encoding.as_ref().and_then(Value::as_str), media_type) {
            (Some("base64"), _) => {
                object.insert("format".into(), json!("byte"));
            }
            (Some(_), _) | (None, Some(_)) => {
                object.insert("format".into(), json!("binary"));
            }
            (None, None) => {}
        }
    }
}

fn convert_type_array(object: &mut Map<String, Value>) {
    let Some(Value::Array(types)) = object.get("type") else {
        return;
    };
    let nullable = types.iter().any(|t| t == "null");
    let rest: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
    match rest.len() {
        0 => {
            object.remove("type");
        }
        1 => {
            object.insert("type".into(), rest[0].clone());
        }
        _ => {
            // Several non-null types: 3.0 expresses this as anyOf.
            object.remove("type");
            let members = rest.into_iter().map(|t| json!({ "type": t })).collect();
            object.insert("anyOf".into(), Value::Array(members));
        }
    }
    if nullable {
        object.insert("nullable".into(), Value::Bool(true));
    }
}

fn is_null_schema(schema: &Value) -> bool {
    schema.get("type") == Some(&json!("null"))
        || (schema.get("nullable") == Some(&json!(true))
            && schema.get("enum") == Some(&json!([null])))
}

fn convert_null_member(object: &mut Map<String, Value>, key: &str) {
    let Some(Value::Array(members)) = object.get(key) else {
        return;
    };
    if !members.iter().any(is_null_schema) {
        return;
    }
    let mut rest: Vec<Value> = members
        .iter()
        .filter(|m| !is_null_schema(m))
        .cloned()
        .collect();
    object.remove(key);
    object.insert("nullable".into(), Value::Bool(true));
    match rest.len() {
        0 => {}
        1 => {
            let only = rest.remove(0);
            if only.get("$ref").is_some() {
                object.insert("allOf".into(), Value::Array(vec![only]));
            } else if let Value::Object(inline) = only {
                for (k, v) in inline {
                    object.entry(k).or_insert(v);
                }
            }
        }
        _ => {
            object.insert(key.into(), Value::Array(rest));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(mut s: Value) -> Value {
        convert_schema(&mut s);
        s
    }

    #[test]
    fn type_arrays_with_null_become_nullable() {
        assert_eq!(
            schema(json!({"type": ["string", "null"], "format": "date-time"})),
            json!({"type": "string", "format": "date-time", "nullable": true})
        );
        assert_eq!(
            schema(json!({"type": ["integer"]})),
            json!({"type": "integer"})
        );
        assert_eq!(
            schema(json!({"type": ["integer", "string"]})),
            json!({"anyOf": [{"type": "integer"}, {"type": "string"}]})
        );
    }

    #[test]
    fn one_of_with_null_member_becomes_nullable() {
        assert_eq!(
            schema(json!({"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Role"}]})),
            json!({"nullable": true, "allOf": [{"$ref": "#/components/schemas/Role"}]})
        );
        assert_eq!(
            schema(
                json!({"anyOf": [{"type": "string", "minLength": 1}, {"type": "null"}],
                          "description": "d"})
            ),
            json!({"nullable": true, "type": "string", "minLength": 1, "description": "d"})
        );
        assert_eq!(
            schema(json!({"oneOf": [{"type": "null"}, {"type": "string"}, {"type": "integer"}]})),
            json!({"nullable": true, "oneOf": [{"type": "string"}, {"type": "integer"}]})
        );
    }

    #[test]
    fn const_exclusive_bounds_and_examples() {
        assert_eq!(
            schema(json!({"type": "string", "const": "ok"})),
            json!({"type": "string", "enum": ["ok"]})
        );
        assert_eq!(
            schema(json!({"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1.5})),
            json!({"type": "number", "minimum": 0, "exclusiveMinimum": true,
                   "maximum": 1.5, "exclusiveMaximum": true})
        );
        assert_eq!(
            schema(json!({"type": "string", "examples": ["a", "b"]})),
            json!({"type": "string", "example": "a"})
        );
    }

    #[test]
    fn nested_schemas_are_converted() {
        let out = schema(json!({
            "type": "object",
            "properties": {
                "tags": {"type": ["array", "null"], "items": {"type": ["string", "null"]}},
                "meta": {"type": "object", "additionalProperties": {"const": 1}},
                "both": {"allOf": [{"type": "object", "properties": {"x": {"type": ["number", "null"]}}}]}
            },
            "$defs": {"unused": {}},
            "unevaluatedProperties": false
        }));
        assert_eq!(
            out,
            json!({
                "type": "object",
                "properties": {
                    "tags": {"type": "array", "nullable": true,
                             "items": {"type": "string", "nullable": true}},
                    "meta": {"type": "object", "additionalProperties": {"enum": [1]}},
                    "both": {"allOf": [{"type": "object",
                              "properties": {"x": {"type": "number", "nullable": true}}}]}
                }
            })
        );
    }

    #[test]
    fn ref_siblings_dropped_and_binary_content_keywords_mapped() {
        assert_eq!(
            schema(json!({"$ref": "#/components/schemas/A", "description": "x"})),
            json!({"$ref": "#/components/schemas/A"})
        );
        assert_eq!(
            schema(json!({"type": "string", "contentMediaType": "application/octet-stream"})),
            json!({"type": "string", "format": "binary"})
        );
        assert_eq!(
            schema(json!({"type": "string", "contentEncoding": "base64"})),
            json!({"type": "string", "format": "byte"})
        );
    }

    fn doc(paths: Value) -> Value {
        json!({"openapi": "3.1.0",
               "info": {"title": "t", "version": "1", "license": {"name": "MIT", "identifier": "MIT"}},
               "paths": paths})
    }

    #[test]
    fn document_level_rewrites() {
        let out = downconvert(doc(json!({
            "/x": {"post": {
                "operationId": "upload",
                "requestBody": {"content": {
                    "multipart/form-data": {"schema": {"type": "object"}},
                    "application/pdf": {"schema": {"type": "string", "contentMediaType": "application/pdf"}},
                    "application/octet-stream": {"schema": {"type": "string", "contentMediaType": "application/octet-stream"}}
                }},
                "responses": {
                    "201": {"description": "", "content": {"application/json": {"schema": {"type": ["string", "null"]}}}},
                    "404": {"description": "nf", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/P"}}}}
                }
            }}
        })))
        .unwrap();
        assert_eq!(out["openapi"], "3.0.3");
        assert!(out["info"]["license"].get("identifier").is_none());
        let op = &out["paths"]["/x"]["post"];
        assert_eq!(
            op["requestBody"]["content"],
            json!({"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}})
        );
        assert_eq!(op["responses"]["201"]["description"], "Response");
        assert_eq!(
            op["responses"]["201"]["content"]["application/json"]["schema"],
            json!({"type": "string", "nullable": true})
        );
        assert_eq!(
            op["responses"]["404"]["content"],
            json!({"application/json": {"schema": {"$ref": "#/components/schemas/P"}}})
        );
    }

    #[test]
    fn json_body_wins_and_lone_specific_binary_becomes_octet_stream() {
        let out = downconvert(doc(json!({
            "/a": {"post": {"operationId": "a", "responses": {},
                "requestBody": {"content": {
                    "multipart/form-data": {"schema": {"type": "object"}},
                    "application/json": {"schema": {"type": "object"}}}}}},
            "/b": {"put": {"operationId": "b", "responses": {},
                "requestBody": {"content": {"application/pdf": {"schema": {"type": "string"}}}}}}
        })))
        .unwrap();
        assert_eq!(
            out["paths"]["/a"]["post"]["requestBody"]["content"],
            json!({"application/json": {"schema": {"type": "object"}}})
        );
        assert_eq!(
            out["paths"]["/b"]["put"]["requestBody"]["content"],
            json!({"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}})
        );
    }

    #[test]
    fn rejects_other_versions() {
        let mut d = doc(json!({}));
        d["openapi"] = json!("2.0");
        assert!(downconvert(d).is_err());
        assert!(downconvert(json!([1])).is_err());
    }
}
