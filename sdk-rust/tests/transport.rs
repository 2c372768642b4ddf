//! Retries, idempotency keys, auth and error mapping, through the generated
//! client, against a scripted local server.

mod support;

use std::time::{Duration, Instant};

use mismatch_recruiter::{CallOptions, Client, ClientOptions, ErrorKind};
use serde_json::{Value, json};
use support::{Reply, ScriptedServer, sample_request, sample_response, spec};

fn client(server: &ScriptedServer, configure: impl FnOnce(&mut ClientOptions)) -> Client {
    let mut options = ClientOptions::new(&server.url).with_api_key("mm_test_key");
    // Fast backoff so that retry tests measure Retry-After, not backoff.
    options.initial_retry_delay = Duration::from_millis(1);
    configure(&mut options);
    Client::new(options).unwrap()
}

fn success(operation_id: &str) -> Reply {
    match sample_response(&spec(), operation_id) {
        (status, Some(body)) => Reply::json(status, body),
        (status, None) => Reply::empty(status),
    }
}

fn create_job_args() -> Value {
    json!({ "body": sample_request(&spec(), "createJob") })
}

#[tokio::test]
async fn retries_503_then_succeeds_reusing_the_idempotency_key() {
    let server = ScriptedServer::start(vec![
        Reply::problem(503, "unavailable", "warming up").header("retry-after", "0"),
        success("createJob"),
    ])
    .await;
    let response = client(&server, |_| {})
        .call("createJob", create_job_args(), CallOptions::default())
        .await
        .unwrap();
    assert_eq!(response.attempts, 2);
    assert_eq!(response.status, sample_response(&spec(), "createJob").0);

    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    let keys: Vec<_> = seen.iter().map(|s| s.header("idempotency-key")).collect();
    let key = keys[0].expect("an Idempotency-Key on the first attempt");
    assert_eq!(keys[1], Some(key), "the retry must reuse the key");
    assert!(uuid::Uuid::parse_str(key).is_ok(), "{key} is a UUID");
    assert_eq!(seen[0].body, seen[1].body, "the retry sends the same body");
    for s in &seen {
        assert_eq!(s.header("authorization"), Some("Bearer mm_test_key"));
        assert!(
            s.header("user-agent")
                .unwrap()
                .starts_with("mismatch-recruiter-rust/")
        );
    }
}

#[tokio::test]
async fn each_post_gets_its_own_key_and_a_caller_key_wins() {
    let server = ScriptedServer::start(vec![
        success("createJob"),
        success("createJob"),
        Reply::problem(502, "bad_gateway", "proxy"),
        success("createJob"),
    ])
    .await;
    let client = client(&server, |_| {});
    client
        .call("createJob", create_job_args(), CallOptions::default())
        .await
        .unwrap();
    client
        .call("createJob", create_job_args(), CallOptions::default())
        .await
        .unwrap();
    let options = CallOptions {
        idempotency_key: Some("caller-key-1".into()),
        headers: vec![("x-trace-id".into(), "t-1".into())],
        ..CallOptions::default()
    };
    let response = client
        .call("createJob", create_job_args(), options)
        .await
        .unwrap();
    assert_eq!(response.attempts, 2);

    let seen = server.seen();
    let keys: Vec<_> = seen.iter().map(|s| s.header("idempotency-key")).collect();
    assert_ne!(keys[0], keys[1], "separate calls get separate keys");
    assert_eq!(keys[2], Some("caller-key-1"));
    assert_eq!(keys[3], Some("caller-key-1"));
    assert_eq!(seen[3].header("x-trace-id"), Some("t-1"));
}

#[tokio::test]
async fn patch_and_delete_carry_a_key_and_are_retried_with_it() {
    let server = ScriptedServer::start(vec![
        Reply::problem(503, "unavailable", "restarting").header("retry-after", "0"),
        success("updateJob"),
        Reply::text(502, "Bad Gateway"),
        Reply::empty(204),
    ])
    .await;
    let client = client(&server, |_| {});
    let patch = client
        .call(
            "updateJob",
            json!({"job_id": "job_1", "body": sample_request(&spec(), "updateJob")}),
            CallOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(patch.attempts, 2);
    let delete = client
        .call(
            "deleteJob",
            json!({"job_id": "job_1"}),
            CallOptions {
                idempotency_key: Some("delete-job-1".into()),
                ..CallOptions::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((delete.status, delete.attempts), (204, 2));

    let seen = server.seen();
    let methods: Vec<_> = seen.iter().map(|s| s.method.as_str()).collect();
    assert_eq!(methods, ["PATCH", "PATCH", "DELETE", "DELETE"]);
    let keys: Vec<_> = seen.iter().map(|s| s.header("idempotency-key")).collect();
    let patch_key = keys[0].expect("a PATCH carries an Idempotency-Key");
    assert!(uuid::Uuid::parse_str(patch_key).is_ok(), "{patch_key}");
    assert_eq!(keys[1], Some(patch_key), "the retry reuses the key");
    assert_eq!(seen[0].body, seen[1].body);
    assert_eq!(keys[2..], [Some("delete-job-1"); 2]);
}

#[tokio::test]
async fn an_in_flight_duplicate_409_is_retried_after_retry_after() {
    let server = ScriptedServer::start(vec![
        Reply::problem(
            409,
            "idempotency_key_in_use",
            "a request with this Idempotency-Key is still being processed",
        )
        .header("retry-after", "1"),
        success("createJob"),
    ])
    .await;
    let started = Instant::now();
    let response = client(&server, |_| {})
        .call("createJob", create_job_args(), CallOptions::default())
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(response.attempts, 2);
    assert!(elapsed >= Duration::from_millis(950), "waited {elapsed:?}");
    let seen = server.seen();
    assert_eq!(
        seen[0].header("idempotency-key"),
        seen[1].header("idempotency-key")
    );
}

#[tokio::test]
async fn a_409_without_retry_after_is_a_conflict_and_not_retried() {
    let server = ScriptedServer::start(vec![
        Reply::problem(409, "conflict", "a job with this title exists"),
        success("createJob"),
    ])
    .await;
    let err = client(&server, |_| {})
        .call("createJob", create_job_args(), CallOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(err.attempts(), Some(1));
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn get_requests_carry_no_idempotency_key() {
    let server = ScriptedServer::start(vec![success("getLiveness")]).await;
    let response = client(&server, |_| {})
        .call("getLiveness", Value::Null, CallOptions::default())
        .await
        .unwrap();
    assert_eq!(response.attempts, 1);
    assert_eq!(server.seen()[0].header("idempotency-key"), None);
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let server = ScriptedServer::start(vec![
        Reply::problem(429, "rate_limited", "slow down").header("retry-after", "1"),
        success("getLiveness"),
    ])
    .await;
    let started = Instant::now();
    let response = client(&server, |_| {})
        .call("getLiveness", Value::Null, CallOptions::default())
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(response.attempts, 2);
    assert!(elapsed >= Duration::from_millis(950), "waited {elapsed:?}");
    assert!(elapsed < Duration::from_secs(5), "waited {elapsed:?}");
}

#[tokio::test]
async fn retry_after_is_capped_by_max_retry_delay() {
    let server = ScriptedServer::start(vec![
        Reply::problem(503, "unavailable", "maintenance").header("retry-after", "3600"),
        success("getLiveness"),
    ])
    .await;
    let started = Instant::now();
    let response = client(&server, |o| o.max_retry_delay = Duration::from_millis(300))
        .call("getLiveness", Value::Null, CallOptions::default())
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(response.attempts, 2);
    assert!(elapsed >= Duration::from_millis(280), "waited {elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "waited {elapsed:?}");
}

#[tokio::test]
async fn max_retries_zero_gives_a_server_error_after_one_attempt() {
    let server = ScriptedServer::start(vec![
        Reply::problem(503, "unavailable", "down").header("x-request-id", "req-503"),
        success("createJob"),
    ])
    .await;
    let err = client(&server, |o| o.max_retries = 0)
        .call("createJob", create_job_args(), CallOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(err.status(), Some(503));
    assert_eq!(err.code(), Some("unavailable"));
    assert_eq!(err.request_id(), Some("req-503"));
    assert_eq!(server.seen().len(), 1);
    assert_eq!(err.attempts(), Some(1));
}

#[tokio::test]
async fn retries_stop_after_max_retries() {
    let server = ScriptedServer::start(vec![
        Reply::problem(500, "internal", "boom"),
        Reply::problem(504, "timeout", "gateway"),
        Reply::problem(500, "internal", "still broken"),
        success("getLiveness"),
    ])
    .await;
    let err = client(&server, |o| o.max_retries = 2)
        .call("getLiveness", Value::Null, CallOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(err.message(), "still broken");
    assert_eq!(server.seen().len(), 3, "1 attempt + 2 retries");
    assert_eq!(err.attempts(), Some(3));
}

#[tokio::test]
async fn non_retryable_errors_are_not_retried() {
    let server = ScriptedServer::start(vec![
        Reply::problem(422, "validation_failed", "title must not be empty"),
        success("createJob"),
    ])
    .await;
    let err = client(&server, |_| {})
        .call("createJob", create_job_args(), CallOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(err.code(), Some("validation_failed"));
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn not_found_problem_maps_to_not_found_with_code_and_request_id() {
    let server = ScriptedServer::start(vec![
        Reply::problem(404, "not_found", "candidate cand_x does not exist")
            .header("x-request-id", "req-404"),
    ])
    .await;
    let err = client(&server, |_| {})
        .call(
            "getCandidate",
            json!({"candidate_id": "cand_x"}),
            CallOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.code(), Some("not_found"));
    assert_eq!(err.request_id(), Some("req-404"));
    assert_eq!(err.message(), "candidate cand_x does not exist");
    assert_eq!(err.body().unwrap()["code"], "not_found");
    assert_eq!(server.seen()[0].uri.path(), "/v1/candidates/cand_x");
}

#[tokio::test]
async fn typed_calls_share_auth_retries_and_error_mapping() {
    let server = ScriptedServer::start(vec![
        Reply::problem(503, "unavailable", "once").header("retry-after", "0"),
        Reply::problem(404, "not_found", "nope").header("x-request-id", "req-typed"),
    ])
    .await;
    let client = client(&server, |_| {});
    let err: mismatch_recruiter::Error = client
        .api()
        .get_candidate("cand_typed")
        .await
        .unwrap_err()
        .into();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.request_id(), Some("req-typed"));
    let seen = server.seen();
    assert_eq!(seen.len(), 2, "the typed call was retried once");
    assert_eq!(seen[1].header("authorization"), Some("Bearer mm_test_key"));
}

#[tokio::test]
async fn total_timeout_maps_to_timeout_and_is_not_retried() {
    let server = ScriptedServer::start(vec![
        success("getLiveness").delayed(Duration::from_secs(3)),
        success("getLiveness"),
    ])
    .await;
    let started = Instant::now();
    let err = client(&server, |o| o.timeout = Duration::from_millis(300))
        .call("getLiveness", Value::Null, CallOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn connection_refused_is_retried_then_reported_as_connection() {
    // A port that was just free: nothing listens there.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut options = ClientOptions::new(format!("http://127.0.0.1:{port}"));
    options.initial_retry_delay = Duration::from_millis(100);
    options.max_retries = 2;
    let started = Instant::now();
    let err = Client::new(options)
        .unwrap()
        .call("getLiveness", Value::Null, CallOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connection, "{err}");
    assert!(err.status().is_none());
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn bad_arguments_fail_before_any_request() {
    let server = ScriptedServer::start(vec![]).await;
    let client = client(&server, |_| {});
    let err = client
        .call("noSuchOperation", Value::Null, CallOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.message().contains("noSuchOperation"));
    assert_eq!(err.attempts(), None, "nothing was sent");

    let err = client
        .call("getCandidate", json!({}), CallOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.message().contains("candidate_id"), "{}", err.message());

    let err = client
        .call(
            "createJob",
            json!({"body": {"title": 5}}),
            CallOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.message().contains("`body`"), "{}", err.message());

    let err = client
        .call(
            "uploadCandidate",
            json!({"body": "text"}),
            CallOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(err.message().contains("body_bytes"), "{}", err.message());
    let err = client
        .call("uploadCandidate", json!({}), CallOptions::default())
        .await
        .unwrap_err();
    assert!(err.message().contains("body_bytes"), "{}", err.message());
    let err = client
        .call(
            "createJob",
            create_job_args(),
            CallOptions {
                body_bytes: Some(b"{}".to_vec()),
                ..CallOptions::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(server.seen().is_empty());
}

#[tokio::test]
async fn binary_upload_sends_the_bytes_and_query() {
    let server = ScriptedServer::start(vec![success("uploadCandidate")]).await;
    let pdf = b"%PDF-1.4 not really".to_vec();
    let response = client(&server, |_| {})
        .call(
            "uploadCandidate",
            json!({"filename": "resume.pdf"}),
            CallOptions {
                body_bytes: Some(pdf.clone()),
                ..CallOptions::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        response.status,
        sample_response(&spec(), "uploadCandidate").0
    );
    let seen = &server.seen()[0];
    assert_eq!(seen.body.as_ref(), pdf.as_slice());
    assert_eq!(seen.uri.query(), Some("filename=resume.pdf"));
    assert_eq!(
        seen.header("content-type"),
        Some("application/octet-stream")
    );
    assert!(seen.header("idempotency-key").is_some());
}

#[tokio::test]
async fn bodiless_success_is_null() {
    let server = ScriptedServer::start(vec![Reply::empty(204)]).await;
    let response = client(&server, |_| {})
        .call(
            "deleteCandidate",
            json!({"candidate_id": "cand_1"}),
            CallOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(response.status, 204);
    assert_eq!(response.body, Value::Null);
    assert_eq!(server.seen()[0].method, "DELETE");
}

#[tokio::test]
async fn undocumented_error_statuses_keep_their_problem_body() {
    let server = ScriptedServer::start(vec![
        Reply::problem(409, "conflict", "already exists").header("x-request-id", "req-409"),
    ])
    .await;
    let err = client(&server, |_| {})
        .call(
            "getCandidate",
            json!({"candidate_id": "cand_1"}),
            CallOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(err.code(), Some("conflict"));
    assert_eq!(err.message(), "already exists");
    assert_eq!(err.request_id(), Some("req-409"));
}

#[tokio::test]
async fn error_bodies_that_are_not_problems_keep_status_and_kind() {
    let server = ScriptedServer::start(vec![
        Reply::text(502, "Bad Gateway").header("x-request-id", "req-lb"),
        Reply::text(404, "no route"),
    ])
    .await;
    let client = client(&server, |o| o.max_retries = 0);
    let err = client
        .call("getLiveness", Value::Null, CallOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server, "{err}");
    assert_eq!(err.status(), Some(502));
    assert_eq!(err.request_id(), Some("req-lb"));
    let err = client
        .call(
            "getCandidate",
            json!({"candidate_id": "c"}),
            CallOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert_eq!(err.status(), Some(404));
}

#[test]
fn operation_table_matches_the_spec() {
    let spec = spec();
    let mut ids: Vec<String> = spec["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter_map(|op| op.get("operationId").and_then(Value::as_str))
        .map(str::to_owned)
        .collect();
    ids.sort();
    let mut table: Vec<String> = mismatch_recruiter::operations()
        .iter()
        .map(|op| op.id.to_owned())
        .collect();
    table.sort();
    assert_eq!(ids, table);
    let upload = mismatch_recruiter::find_operation("uploadCandidate").unwrap();
    assert_eq!(upload.body, mismatch_recruiter::BodyKind::Binary);
    let get = mismatch_recruiter::find_operation("getCandidate").unwrap();
    assert_eq!(get.path_params, ["candidate_id"]);
    assert_eq!(get.method, "GET");
}

#[test]
fn futures_are_send_for_multithreaded_runtimes() {
    // The Python and Node bindings drive calls on multi-threaded runtimes.
    fn assert_send<T: Send>(_: &T) {}
    let client = Client::new(ClientOptions::new("http://127.0.0.1:9")).unwrap();
    let call = client.call("getLiveness", Value::Null, CallOptions::default());
    assert_send(&call);
    let typed = client.api().get_liveness();
    assert_send(&typed);
    fn assert_sync_clone<T: Send + Sync + Clone>(_: &T) {}
    assert_sync_clone(&client);
}

#[tokio::test]
async fn every_operation_dispatches_to_its_method_and_path() {
    let spec = spec();
    for op in mismatch_recruiter::operations() {
        let server = ScriptedServer::start(vec![success(op.id)]).await;
        let mut args = serde_json::Map::new();
        let mut path = op.path.to_owned();
        for name in op.path_params {
            let value = format!("x_{name}");
            path = path.replace(&format!("{{{name}}}"), &value);
            args.insert((*name).to_owned(), json!(value));
        }
        for param in op.query_params.iter().filter(|p| p.required) {
            args.insert(param.name.to_owned(), json!(format!("q_{}", param.name)));
        }
        let mut options = CallOptions::default();
        match op.body {
            mismatch_recruiter::BodyKind::Json => {
                args.insert("body".into(), sample_request(&spec, op.id));
            }
            mismatch_recruiter::BodyKind::Binary => options.body_bytes = Some(b"raw".to_vec()),
            mismatch_recruiter::BodyKind::None => {}
        }
        let response = client(&server, |_| {})
            .call(op.id, Value::Object(args), options)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", op.id));
        assert_eq!(response.status, op.success_status, "{}", op.id);
        let seen = server.seen();
        assert_eq!(seen.len(), 1, "{}", op.id);
        assert_eq!(seen[0].method.as_str(), op.method, "{}", op.id);
        assert_eq!(seen[0].uri.path(), path, "{}", op.id);
        // The session requests carry their credentials in the body: no
        // Authorization, and no Idempotency-Key (see src/session.rs).
        let session_request = matches!(
            op.id,
            "createSession" | "verifySessionSecondFactor" | "refreshSession" | "endSession"
        );
        assert_eq!(
            seen[0].header("idempotency-key").is_some(),
            matches!(op.method, "POST" | "PATCH" | "DELETE") && !session_request,
            "{}",
            op.id
        );
        assert_eq!(
            seen[0].header("authorization").is_some(),
            !session_request,
            "{}",
            op.id
        );
    }
}

#[tokio::test]
async fn all_pages_follow_next_cursor() {
    let page = |ids: &[&str], next: Option<&str>| {
        let items: Vec<Value> = ids
            .iter()
            .map(|id| {
                let mut job = sample_response(&spec(), "getJob").1.unwrap();
                job["id"] = json!(id);
                job
            })
            .collect();
        Reply::json(200, json!({"items": items, "next_cursor": next}))
    };
    let server = ScriptedServer::start(vec![
        page(&["job_1", "job_2"], Some("c2")),
        page(&["job_3"], Some("c3")),
        page(&["job_4"], None),
        page(&["job_5", "job_6"], Some("c6")),
    ])
    .await;
    let client = client(&server, |_| {});
    let all = client
        .call_all_pages(
            "listJobs",
            json!({"limit": 2}),
            CallOptions::default(),
            usize::MAX,
        )
        .await
        .unwrap();
    let ids: Vec<_> = all.iter().map(|j| j["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["job_1", "job_2", "job_3", "job_4"]);
    let queries: Vec<_> = server
        .seen()
        .iter()
        .map(|s| s.uri.query().unwrap_or_default().to_owned())
        .collect();
    assert!(!queries[0].contains("cursor"), "{queries:?}");
    assert!(queries[1].contains("cursor=c2") && queries[2].contains("cursor=c3"));
    assert!(queries.iter().all(|q| q.contains("limit=2")));

    // max_items stops without fetching further pages.
    let first = client
        .call_all_pages("listJobs", Value::Null, CallOptions::default(), 1)
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(server.seen().len(), 4);

    let err = client
        .call_all_pages("getLiveness", Value::Null, CallOptions::default(), 10)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
}

/// Runs `test` of this binary in a child process with `vars` set and
/// `MISMATCH_BASE_URL`/`MISMATCH_API_KEY` otherwise removed, so that tests can
/// change the environment without racing the other tests' threads.
fn run_child(test: &str, vars: &[(&str, &str)]) -> std::process::Output {
    let mut command = std::process::Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "--exact",
            test,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env_remove("MISMATCH_BASE_URL")
        .env_remove("MISMATCH_API_KEY");
    for (name, value) in vars {
        command.env(name, value);
    }
    command.output().unwrap()
}

fn assert_child_passed(output: &std::process::Output) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
async fn the_environment_gives_the_base_url_and_key_unless_options_do() {
    let from_env = ScriptedServer::start(vec![success("getLiveness")]).await;
    let explicit =
        ScriptedServer::start(vec![success("getLiveness"), success("getLiveness")]).await;
    let output = tokio::task::spawn_blocking({
        let env_url = from_env.url.clone();
        let explicit_url = explicit.url.clone();
        move || {
            run_child(
                "env_child_calls_with_options_from_the_environment",
                &[
                    ("MISMATCH_BASE_URL", &env_url),
                    ("MISMATCH_API_KEY", "mm_from_env"),
                    ("MISMATCH_TEST_EXPLICIT_URL", &explicit_url),
                ],
            )
        }
    })
    .await
    .unwrap();
    assert_child_passed(&output);
    let seen = from_env.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].header("authorization"), Some("Bearer mm_from_env"));
    let seen = explicit.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].header("authorization"), Some("Bearer mm_explicit"));
    assert_eq!(seen[1].header("authorization"), Some("Bearer mm_from_env"));
}

#[test]
fn without_base_url_or_environment_the_error_names_both() {
    let output = run_child("env_child_without_base_url", &[]);
    assert_child_passed(&output);
}

#[tokio::test]
#[ignore = "child half of the_environment_gives_the_base_url_and_key_unless_options_do"]
async fn env_child_calls_with_options_from_the_environment() {
    let explicit_url =
        std::env::var("MISMATCH_TEST_EXPLICIT_URL").expect("run by its parent test only");
    let client = Client::new(ClientOptions::default()).unwrap();
    assert_eq!(
        client.base_url(),
        std::env::var("MISMATCH_BASE_URL").unwrap()
    );
    client
        .call("getLiveness", Value::Null, CallOptions::default())
        .await
        .unwrap();
    // Explicit values win; the key alone still comes from the environment.
    let options = ClientOptions::new(&explicit_url).with_api_key("mm_explicit");
    Client::new(options)
        .unwrap()
        .call("getLiveness", Value::Null, CallOptions::default())
        .await
        .unwrap();
    Client::new(ClientOptions::new(&explicit_url))
        .unwrap()
        .call("getLiveness", Value::Null, CallOptions::default())
        .await
        .unwrap();
    assert_eq!(
        ClientOptions::from_env().api_key.as_deref(),
        Some("mm_from_env")
    );
}

#[test]
#[ignore = "child half of without_base_url_or_environment_the_error_names_both"]
fn env_child_without_base_url() {
    let err = Client::new(ClientOptions::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.message().contains("base_url"), "{err}");
    assert!(err.message().contains("MISMATCH_BASE_URL"), "{err}");
    assert_eq!(ClientOptions::from_env().api_key, None);
}
