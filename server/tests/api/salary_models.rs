//! Customer salary models: training from CSV, versions, predictions naming
//! the version, CSV validation, and the `salary-models train` command.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};

use crate::both_backends;
use crate::support::{TestApp, TestResponse};

/// `n` offers where salary grows with experience and a degree, and
/// New York pays more than Austin; `scale` shifts the whole market.
pub fn offers_csv(n: usize, scale: f64) -> String {
    let mut csv = String::from("salary,years_experience,education,location,skills,currency\n");
    for i in 0..n {
        let years = (i % 12) as f64;
        let (education, degree) = match i % 3 {
            0 => ("bachelor", 1.15),
            1 => ("master", 1.25),
            _ => ("", 1.0),
        };
        let (location, place) = if i % 2 == 0 {
            ("\"New York, NY\"", 1.3)
        } else {
            ("Austin", 1.0)
        };
        // Deterministic ±8 % wobble so the residuals are not all zero.
        let wobble = 1.0 + 0.08 * ((i * 7 % 11) as f64 / 5.0 - 1.0);
        let salary = scale * 60_000.0 * (1.0 + 0.05 * years) * degree * place * wobble;
        csv.push_str(&format!(
            "{salary:.0},{years},{education},{location},Python;k8s,USD\n"
        ));
    }
    csv
}

async fn train(app: &TestApp, name: &str, csv: String) -> TestResponse {
    train_as(app, &app.admin_key, name, "text/csv", csv).await
}

async fn train_as(
    app: &TestApp,
    key: &str,
    name: &str,
    content_type: &str,
    csv: String,
) -> TestResponse {
    app.send(
        Request::post(format!("/v1/salary-models?name={name}"))
            .header("authorization", format!("Bearer {key}"))
            .header("content-type", content_type)
            .body(Body::from(csv))
            .unwrap(),
    )
    .await
}

fn ok(r: &TestResponse, status: StatusCode) -> Value {
    assert_eq!(r.status, status, "{}", String::from_utf8_lossy(&r.bytes));
    r.json()
}

both_backends!(versions_and_predictions, |app: TestApp| async move {
    let features = json!({"years_experience": 6, "education": "master", "location": "New York"});
    let shipped = ok(
        &app.post("/v1/salary-predictions", json!({"features": features}))
            .await,
        StatusCode::OK,
    );
    assert!(shipped["model_id"].is_null());
    assert!(
        shipped["model_version"]
            .as_str()
            .unwrap()
            .starts_with("salary-")
    );

    let v1 = ok(
        &train(&app, "us-offers", offers_csv(80, 1.0)).await,
        StatusCode::CREATED,
    );
    let id = v1["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("sm_"), "{v1}");
    assert_eq!(v1["version"], 1);
    assert_eq!(v1["name"], "us-offers");
    assert_eq!(v1["rows"], 80);
    assert_eq!(v1["currency"], "USD");
    assert_eq!(v1["model_version"], format!("{id}@v1"));
    assert_eq!(v1["locations"], json!(["austin", "new york"]));
    let eval = &v1["evaluation"];
    assert_eq!(eval["n_test"], 16);
    assert!(eval["mae"].as_f64().unwrap() < eval["baseline_mae"].as_f64().unwrap());
    assert!((0.0..=1.0).contains(&eval["interval_coverage"].as_f64().unwrap()));

    // The same name again: a new version of the same model.
    let v2 = ok(
        &train(&app, "us-offers", offers_csv(80, 2.0)).await,
        StatusCode::CREATED,
    );
    assert_eq!(
        (v2["id"].as_str(), v2["version"].as_i64()),
        (Some(id.as_str()), Some(2))
    );
    // Another name: another model.
    let other = ok(
        &train(&app, "small", offers_csv(30, 1.0)).await,
        StatusCode::CREATED,
    );
    assert_ne!(other["id"], v1["id"]);
    assert_eq!(other["version"], 1);
    assert!(
        other["evaluation"].is_null(),
        "too few offers for a holdout"
    );

    // Listing: every version, newest first, paginated.
    let page = ok(&app.get("/v1/salary-models?limit=2").await, StatusCode::OK);
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(
        (items[0]["name"].as_str(), items[1]["version"].as_i64()),
        (Some("small"), Some(2))
    );
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest = ok(
        &app.get(&format!("/v1/salary-models?cursor={cursor}")).await,
        StatusCode::OK,
    );
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert_eq!(rest["items"][0]["version"], 1);
    assert!(rest["next_cursor"].is_null());

    let predict = |body: Value| {
        let app = &app;
        async move { app.post("/v1/salary-predictions", body).await }
    };
    // Without a model: the newest trained version of any model.
    let newest = ok(
        &predict(json!({"features": features})).await,
        StatusCode::OK,
    );
    assert_eq!(newest["model_id"], other["id"]);
    assert_eq!(newest["model_version"], other["model_version"]);
    // A model without a version: its newest; with one: that version.
    let p2 = ok(
        &predict(json!({"features": features, "model_id": id})).await,
        StatusCode::OK,
    );
    assert_eq!(p2["model_version"], format!("{id}@v2"));
    let p1 = ok(
        &predict(json!({"features": features, "model_id": id, "model_version": 1})).await,
        StatusCode::OK,
    );
    assert_eq!(p1["model_version"], format!("{id}@v1"));
    assert_eq!(p1["currency"], "USD");
    // Version 2 was trained on offers twice as high.
    let ratio = p2["expected"].as_f64().unwrap() / p1["expected"].as_f64().unwrap();
    assert!((1.8..2.2).contains(&ratio), "{ratio}");
    // The customer model learnt New York's premium and the master's.
    let expected = p1["expected"].as_f64().unwrap();
    // 60k · 1.3 (6 years) · 1.25 (master) · 1.3 (New York) ≈ 126.8k.
    assert!((115_000.0..138_000.0).contains(&expected), "{p1}");
    let austin = ok(
        &predict(json!({"features": {"years_experience": 6, "education": "master", "location": "Austin"}, "model_id": id, "model_version": 1})).await,
        StatusCode::OK,
    );
    let premium = expected / austin["expected"].as_f64().unwrap();
    assert!((1.2..1.4).contains(&premium), "{premium}");
    // The shipped model on request.
    let default = ok(
        &predict(json!({"features": features, "model_id": "default"})).await,
        StatusCode::OK,
    );
    assert_eq!(default["model_version"], shipped["model_version"]);
    assert_eq!(default["expected"], shipped["expected"]);

    predict(json!({"features": features, "model_id": id, "model_version": 9}))
        .await
        .assert_problem(404, "not_found");
    predict(json!({"features": features, "model_id": "sm_01ARZ3NDEKTSV4RRFFQ69G5FAV"}))
        .await
        .assert_problem(404, "not_found");
    predict(json!({"features": features, "model_id": "nope"}))
        .await
        .assert_problem(422, "validation_failed");
    predict(json!({"features": features, "model_version": 1}))
        .await
        .assert_problem(422, "validation_failed");
});

both_backends!(bad_csv_names_row_and_column, |app: TestApp| async move {
    let mut lines: Vec<String> = offers_csv(40, 1.0).lines().map(str::to_owned).collect();
    lines[3] = "a lot,4,bachelor,Austin,Python,USD".into();
    let body = train(&app, "bad", lines.join("\n"))
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "rows[3].salary", "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("line 4"),
        "{body}"
    );

    let mut lines: Vec<String> = offers_csv(40, 1.0).lines().map(str::to_owned).collect();
    lines[10] = "50000,4,bachelor,Austin,Python,EUR".into();
    let body = train(&app, "bad", lines.join("\n"))
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "rows[10].currency", "{body}");

    let body = train(&app, "bad", "salary,years,skills\n1,2,3\n".into())
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "columns.years", "{body}");
    let body = train(&app, "bad", offers_csv(5, 1.0))
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "body", "{body}");
    let body = train(&app, "%20", offers_csv(40, 1.0))
        .await
        .assert_problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "name", "{body}");
    train_as(
        &app,
        &app.admin_key.clone(),
        "x",
        "application/json",
        "{}".into(),
    )
    .await
    .assert_problem(415, "unsupported_media_type");
    // Nothing was stored.
    let page = ok(&app.get("/v1/salary-models").await, StatusCode::OK);
    assert_eq!(page["items"], json!([]));

    // Viewers may list but not train.
    let viewer = app.key_with_role("viewer").await;
    train_as(&app, &viewer, "v", "text/csv", offers_csv(40, 1.0))
        .await
        .assert_problem(403, "forbidden");

    // Training needs its own scope: a key narrowed to writing jobs may not,
    // a key narrowed to salary_models:write may.
    for (scopes, expected) in [
        (json!(["jobs:write"]), 403),
        (json!(["salary_models:write"]), 201),
    ] {
        let created = app
            .post("/v1/api-keys", json!({"name": "narrow", "scopes": scopes}))
            .await;
        let key = ok(&created, StatusCode::CREATED)["key"]
            .as_str()
            .unwrap()
            .to_owned();
        let r = train_as(&app, &key, "narrow", "text/csv", offers_csv(40, 1.0)).await;
        if expected == 403 {
            r.assert_problem(403, "forbidden");
        } else {
            ok(&r, StatusCode::CREATED);
        }
    }
});

#[test]
fn train_command_adds_versions() {
    const BIN: &str = env!("CARGO_BIN_EXE_mismatch-server");
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("offers.csv");
    std::fs::write(&csv, offers_csv(60, 1.0)).unwrap();
    let run = |file: &std::path::Path| {
        std::process::Command::new(BIN)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("MISMATCH_DATA_DIR", dir.path())
            .env("MISMATCH_LOG", "warn")
            .args(["salary-models", "train", "--name", "cli-offers", "--csv"])
            .arg(file)
            .output()
            .unwrap()
    };
    let first = run(&csv);
    let out = String::from_utf8_lossy(&first.stdout);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(out.contains("version 1 on 60 offers (USD)"), "{out}");
    assert!(out.contains("Holdout (12 offers)"), "{out}");
    let second = run(&csv);
    let out = String::from_utf8_lossy(&second.stdout);
    assert!(out.contains("version 2"), "{out}");
    assert!(out.contains("@v2"), "{out}");

    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "salary,years_experience\n50000,old\n").unwrap();
    let failed = run(&bad);
    assert!(!failed.status.success());
    let err = String::from_utf8_lossy(&failed.stderr);
    assert!(err.contains("rows[1].years_experience"), "{err}");
}
