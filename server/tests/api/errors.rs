//! Error shape, request ids, body limits, CORS and health probes.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use mismatch_server::config::{CorsOrigins, Settings};
use serde_json::json;

use crate::support::TestApp;

#[tokio::test]
async fn liveness_and_readiness() {
    let app = TestApp::new(false).await.unwrap();
    let r = app.call(Method::GET, "/health/live", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["status"], "ok");
    let r = app.call(Method::GET, "/health/ready", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["database"], app.state.storage().backend().as_str());

    // With the database gone, readiness fails while liveness still answers.
    app.state.storage().close().await;
    let r = app.call(Method::GET, "/health/ready", None, None).await;
    r.assert_problem(503, "unavailable");
    let r = app.call(Method::GET, "/health/live", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn not_found_problem_has_code_and_request_id() {
    let app = TestApp::new(false).await.unwrap();
    let r = app
        .get("/v1/candidates/cand_01ARZ3NDEKTSV4RRFFQ69G5FAV")
        .await;
    let body = r.assert_problem(404, "not_found");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("cand_01ARZ3NDEKTSV4RRFFQ69G5FAV")
    );
    assert_eq!(body["errors"], json!([]));

    // Unknown routes and wrong methods use the same shape.
    app.get("/v1/nothing-here")
        .await
        .assert_problem(404, "not_found");
    let r = app
        .call(Method::PUT, "/v1/jobs", Some(&app.admin_key.clone()), None)
        .await;
    r.assert_problem(405, "method_not_allowed");
}

#[tokio::test]
async fn request_id_is_echoed_or_generated() {
    let app = TestApp::new(false).await.unwrap();
    let r = app
        .send(
            Request::get("/health/live")
                .header("x-request-id", "trace-abc-123")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.header("x-request-id"), Some("trace-abc-123"));
    let r = app.call(Method::GET, "/health/live", None, None).await;
    let generated = r.header("x-request-id").unwrap();
    assert!(
        generated.starts_with("req_") && generated.len() > 20,
        "{generated}"
    );

    let r = app
        .send(
            Request::get("/v1/jobs")
                .header("x-request-id", "my-id-7")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let body = r.assert_problem(401, "unauthorized");
    assert_eq!(body["request_id"], "my-id-7");
}

#[tokio::test]
async fn malformed_json_is_400_and_missing_field_is_422_naming_it() {
    let app = TestApp::new(false).await.unwrap();
    let r = app
        .send(
            Request::post("/v1/jobs")
                .header("authorization", format!("Bearer {}", app.admin_key))
                .header("content-type", "application/json")
                .body(Body::from("{\"title\": "))
                .unwrap(),
        )
        .await;
    r.assert_problem(400, "malformed_request");

    let r = app
        .post("/v1/jobs", json!({"description": "no title"}))
        .await;
    let body = r.assert_problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "title");

    let r = app
        .post("/v1/jobs", json!({"title": "x", "min_years": "five"}))
        .await;
    let body = r.assert_problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "min_years");

    let r = app
        .post(
            "/v1/matches",
            json!({"candidate_id": "c", "job_id": "j", "weights": {"skills": "high"}}),
        )
        .await;
    // Ids are checked as they are read: the first bad field is named.
    let body = r.assert_problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "candidate_id");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("is not a candidate id (cand_…)")
    );
    let r = app
        .post(
            "/v1/matches",
            json!({"candidate_id": "cand_01ARZ3NDEKTSV4RRFFQ69G5FAV",
                   "job_id": "job_01ARZ3NDEKTSV4RRFFQ69G5FAV", "weights": {"skills": "high"}}),
        )
        .await;
    let body = r.assert_problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "weights.skills");

    let r = app.get("/v1/candidates?limit=abc").await;
    let body = r.assert_problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "limit");
    let r = app.get("/v1/candidates?limit=1000").await;
    assert_eq!(
        r.assert_problem(422, "validation_failed")["errors"][0]["field"],
        "limit"
    );

    // A JSON endpoint fed something else.
    let r = app
        .send(
            Request::post("/v1/jobs")
                .header("authorization", format!("Bearer {}", app.admin_key))
                .header("content-type", "text/plain")
                .body(Body::from("title"))
                .unwrap(),
        )
        .await;
    r.assert_problem(415, "unsupported_media_type");
}

#[tokio::test]
async fn oversized_body_is_413() {
    let settings = Settings {
        max_body_bytes: 4096,
        ..Settings::default()
    };
    let app = TestApp::with_settings(false, settings).await.unwrap();
    let big = "x".repeat(10_000);
    let r = app.post("/v1/candidates", json!({"text": big})).await;
    r.assert_problem(413, "payload_too_large");

    // Also without a Content-Length (chunked upload of a document).
    let chunks = vec![
        Ok::<_, std::io::Error>(vec![b'a'; 3000]),
        Ok(vec![b'b'; 3000]),
    ];
    let body = Body::from_stream(futures_util::stream::iter(chunks));
    let r = app
        .send(
            Request::post("/v1/candidates/upload?filename=cv.txt")
                .header("authorization", format!("Bearer {}", app.admin_key))
                .header("content-type", "text/plain")
                .body(body)
                .unwrap(),
        )
        .await;
    r.assert_problem(413, "payload_too_large");
}

#[tokio::test]
async fn cors_allows_configured_origins_and_exposes_headers() {
    let settings = Settings {
        cors_origins: CorsOrigins::Any,
        ..Settings::default()
    };
    let app = TestApp::with_settings(false, settings).await.unwrap();
    let r = app
        .send(
            Request::builder()
                .method(Method::OPTIONS)
                .uri("/v1/candidates")
                .header("origin", "http://localhost:5173")
                .header("access-control-request-method", "POST")
                .header(
                    "access-control-request-headers",
                    "authorization, idempotency-key, content-type, x-api-key, x-request-id",
                )
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.status);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    let allowed = r
        .header("access-control-allow-headers")
        .unwrap()
        .to_ascii_lowercase();
    for h in [
        "authorization",
        "x-api-key",
        "idempotency-key",
        "content-type",
        "x-request-id",
    ] {
        assert!(allowed.contains(h), "{allowed}");
    }
    let r = app
        .send(
            Request::get("/v1/jobs")
                .header("origin", "http://localhost:5173")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let exposed = r
        .header("access-control-expose-headers")
        .unwrap()
        .to_ascii_lowercase();
    for h in ["x-request-id", "retry-after", "idempotent-replayed"] {
        assert!(exposed.contains(h), "{exposed}");
    }

    // A list only admits its origins.
    let settings = Settings {
        cors_origins: CorsOrigins::List(vec!["https://app.example".into()]),
        ..Settings::default()
    };
    let app = TestApp::with_settings(false, settings).await.unwrap();
    let r = app
        .send(
            Request::get("/health/live")
                .header("origin", "https://evil.example")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.header("access-control-allow-origin"), None);
    let r = app
        .send(
            Request::get("/health/live")
                .header("origin", "https://app.example")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://app.example")
    );
}

#[tokio::test]
async fn docs_and_spec_are_served() {
    let app = TestApp::new(false).await.unwrap();
    let r = app.call(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["openapi"], "3.1.0");
    let r = app.call(Method::GET, "/docs/", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    let html = String::from_utf8_lossy(&r.bytes).into_owned();
    // Every script and stylesheet the page loads is served from the vendored
    // copy (nothing from a CDN), and the initializer points at our spec.
    let mut assets: Vec<String> = Vec::new();
    for attr in ["src=\"", "href=\""] {
        for part in html.split(attr).skip(1) {
            let target = part.split('"').next().unwrap();
            assert!(
                !target.starts_with("http"),
                "/docs loads {target} from outside the server"
            );
            if target.ends_with(".js") || target.ends_with(".css") {
                assets.push(target.trim_start_matches("./").to_owned());
            }
        }
    }
    assert!(
        assets.iter().any(|a| a.contains("swagger-ui-bundle")),
        "{assets:?}"
    );
    assert!(assets.iter().any(|a| a.ends_with(".css")), "{assets:?}");
    let mut initializer_points_at_spec = false;
    for asset in &assets {
        let r = app
            .call(Method::GET, &format!("/docs/{asset}"), None, None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "/docs/{asset}");
        let content_type = r.header("content-type").unwrap_or_default().to_owned();
        assert!(
            content_type.contains("javascript") || content_type.contains("css"),
            "/docs/{asset}: {content_type}"
        );
        assert!(r.bytes.len() > 100, "/docs/{asset} is nearly empty");
        if String::from_utf8_lossy(&r.bytes).contains("/openapi.json") {
            initializer_points_at_spec = true;
        }
    }
    assert!(
        initializer_points_at_spec,
        "no /docs asset loads /openapi.json"
    );
}

crate::both_backends!(
    a_database_without_its_schema_is_unavailable_not_an_internal_error,
    |app: TestApp| async move {
        let ready = app.get("/health/ready").await;
        assert_eq!(ready.status, StatusCode::OK);
        // As if the database were recreated empty behind the server's back.
        for table in [
            "idempotency_keys",
            "api_keys",
            "backup_codes",
            "refresh_tokens",
            "users",
            "candidates",
            "jobs",
            "salary_models",
            "_sqlx_migrations",
        ] {
            app.execute_raw(&format!("DROP TABLE {table}")).await;
        }
        let ready = app.get("/health/ready").await;
        ready.assert_problem(503, "unavailable");
        assert_eq!(ready.header("retry-after"), Some("5"));
        let r = app.get("/v1/jobs").await;
        r.assert_problem(503, "unavailable");
        assert_eq!(r.header("retry-after"), Some("5"));
    }
);
