//! The generator on whole documents: the development spec and the server's
//! real `openapi.json`.

use mismatch_codegen::downconvert::downconvert;
use mismatch_codegen::generate::{HEADER, generate_from_json};
use mismatch_codegen::workspace_root;
use serde_json::Value;

fn read(path: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn operation_ids(spec: &Value) -> Vec<String> {
    spec["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter_map(|op| op.get("operationId").and_then(Value::as_str))
        .map(str::to_owned)
        .collect()
}

/// Every place a 3.1-only construct could survive the conversion.
fn leftovers(value: &Value, at: &str, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Array(_)) = map.get("type") {
                found.push(format!("{at}: type array"));
            }
            if map.contains_key("const") {
                found.push(format!("{at}: const"));
            }
            for key in ["exclusiveMinimum", "exclusiveMaximum"] {
                if map.get(key).is_some_and(Value::is_number) {
                    found.push(format!("{at}: numeric {key}"));
                }
            }
            if map.get("type") == Some(&Value::String("null".into())) {
                found.push(format!("{at}: null type"));
            }
            if map.contains_key("$ref") && map.len() > 1 {
                found.push(format!("{at}: $ref with siblings"));
            }
            for (key, child) in map {
                leftovers(child, &format!("{at}/{key}"), found);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                leftovers(child, &format!("{at}/{i}"), found);
            }
        }
        _ => {}
    }
}

fn check_document(spec: Value) {
    let ids = operation_ids(&spec);
    assert!(!ids.is_empty());

    let converted = downconvert(spec.clone()).expect("down-conversion");
    assert_eq!(converted["openapi"], "3.0.3");
    let mut found = Vec::new();
    leftovers(&converted["paths"], "#/paths", &mut found);
    leftovers(&converted["components"], "#/components", &mut found);
    assert!(found.is_empty(), "3.1 constructs left: {found:#?}");
    let parsed: openapiv3::OpenAPI =
        serde_json::from_value(converted).expect("a valid OpenAPI 3.0 document");
    assert_eq!(
        parsed.paths.paths.len(),
        spec["paths"].as_object().unwrap().len()
    );

    let output = generate_from_json(spec).expect("progenitor accepts the converted spec");
    assert!(output.generated_rs.starts_with(HEADER));
    assert!(output.operations_rs.starts_with(HEADER));
    for id in &ids {
        assert!(
            output.operations_rs.contains(&format!("id: \"{id}\"")),
            "{id} missing from the operation table"
        );
        assert!(
            output.operations_rs.contains(&format!("\"{id}\" =>")),
            "{id} missing from the dispatch"
        );
    }
    // Both files are valid Rust.
    syn::parse_file(&output.generated_rs).unwrap();
    syn::parse_file(&output.operations_rs).unwrap();
}

#[test]
fn development_spec_generates_a_complete_client() {
    let path = workspace_root().join("sdk-rust/codegen/tests/fixtures/api-3.1.json");
    let spec = read(&path);
    check_document(spec.clone());
    let output = generate_from_json(spec).unwrap();
    // The upload keeps its raw body; multipart and PDF forms are dropped.
    assert!(output.generated_rs.contains("B: Into<reqwest::Body>"));
    assert!(output.operations_rs.contains("body: BodyKind::Binary"));
    // problem+json error bodies are typed.
    assert!(output.generated_rs.contains("Error<types::Problem>"));
}

#[test]
fn the_servers_openapi_json_generates_a_complete_client() {
    let path = workspace_root().join("openapi.json");
    check_document(read(&path));
}

#[test]
fn generation_is_deterministic() {
    let path = workspace_root().join("sdk-rust/codegen/tests/fixtures/api-3.1.json");
    let a = generate_from_json(read(&path)).unwrap();
    let b = generate_from_json(read(&path)).unwrap();
    assert_eq!(a.generated_rs, b.generated_rs);
    assert_eq!(a.operations_rs, b.operations_rs);
}

#[test]
fn header_parameters_text_bodies_and_raw_responses_are_dispatched() {
    let spec = serde_json::json!({
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "9.9.9"},
        "paths": {
            "/notes/{note_id}": {"put": {
                "operationId": "putNote",
                "parameters": [
                    {"name": "note_id", "in": "path", "required": true, "schema": {"type": "string"}},
                    {"name": "X-Trace-Id", "in": "header", "required": false, "schema": {"type": "string"}},
                    {"name": "dry_run", "in": "query", "required": true, "schema": {"type": "boolean"}}
                ],
                "requestBody": {"required": true, "content": {"text/plain": {"schema": {"type": "string"}}}},
                "responses": {"200": {"description": "the note as stored",
                    "content": {"text/csv": {"schema": {"type": "string"}}}}}
            }}
        }
    });
    let output = generate_from_json(spec).unwrap();
    let ops = &output.operations_rs;
    assert!(ops.contains("pub const API_VERSION: &str = \"9.9.9\";"));
    assert!(ops.contains("name: \"X-Trace-Id\""), "{ops}");
    assert!(
        ops.contains("name: \"dry_run\",\n                required: true"),
        "{ops}"
    );
    assert!(ops.contains("args.text_body(body_bytes)"), "{ops}");
    assert!(ops.contains("finish_stream(api.put_note("), "{ops}");
    assert!(ops.contains("args.optional(\"X-Trace-Id\")"), "{ops}");
    assert!(ops.contains("args.required(\"dry_run\")"), "{ops}");
}

#[test]
fn the_committed_description_is_that_of_openapi_json() {
    let spec = read(&workspace_root().join("openapi.json"));
    let described = mismatch_codegen::describe::describe(&spec).unwrap();
    let committed =
        std::fs::read_to_string(workspace_root().join("sdk-rust/codegen/operations.json"))
            .expect("sdk-rust/codegen/operations.json is committed");
    assert_eq!(
        committed,
        mismatch_codegen::describe::to_text(&described),
        "run `cargo run -p mismatch-codegen`"
    );
    // Every emitter reads the same facts: one entry per operation of the
    // spec, in spec order, and the component schemas verbatim.
    let ids: Vec<_> = described["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|op| op["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, operation_ids(&spec));
    assert_eq!(described["schemas"], spec["components"]["schemas"]);
    // Every list operation of the API follows the cursor convention, and
    // nothing else does.
    let paginated: Vec<_> = described["operations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|op| !op["pagination"].is_null())
        .map(|op| op["id"].as_str().unwrap().to_owned())
        .collect();
    let lists: Vec<_> = ids
        .iter()
        .filter(|id| id.starts_with("list"))
        .cloned()
        .collect();
    assert!(lists.len() >= 5, "{lists:?}");
    assert_eq!(paginated, lists);
}

/// `--check` on another document: fresh after a write, stale after an edit,
/// and it never writes.
#[test]
fn check_reports_a_stale_output_and_writes_nothing() {
    let exe = env!("CARGO_BIN_EXE_mismatch-codegen");
    let spec = workspace_root().join("sdk-rust/codegen/tests/fixtures/api-3.1.json");
    let out = std::env::temp_dir().join(format!("mismatch-codegen-check-{}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    let run = |check: bool| {
        let mut command = std::process::Command::new(exe);
        command.arg("--spec").arg(&spec).arg("--out").arg(&out);
        if check {
            command.arg("--check");
        }
        command.output().unwrap()
    };
    assert!(run(false).status.success());
    assert!(run(true).status.success());
    let description = out.join("operations.json");
    let edited = std::fs::read_to_string(&description)
        .unwrap()
        .replace("\"GET\"", "\"PUT\"");
    std::fs::write(&description, &edited).unwrap();
    let stale = run(true);
    assert_eq!(stale.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&stale.stderr).contains("operations.json is out of date"));
    assert_eq!(std::fs::read_to_string(&description).unwrap(), edited);
    std::fs::remove_dir_all(&out).unwrap();
}
