//! Salary predictions from a candidate or from explicit features.

use axum::http::StatusCode;
use serde_json::json;

use crate::support::{TestApp, fixture};

#[tokio::test]
async fn predicts_from_features_and_from_candidates() {
    let app = TestApp::new(false).await.unwrap();
    let junior = app
        .post(
            "/v1/salary-predictions",
            json!({"features": {"years_experience": 1, "education": "high_school"}}),
        )
        .await;
    assert_eq!(
        junior.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&junior.bytes)
    );
    let junior = junior.json();
    let senior = app
        .post(
            "/v1/salary-predictions",
            json!({"features": {"years_experience": 15, "education": "master", "skills": ["Python", "Kubernetes"]}}),
        )
        .await
        .json();
    for p in [&junior, &senior] {
        let (low, expected, high) = (
            p["low"].as_f64().unwrap(),
            p["expected"].as_f64().unwrap(),
            p["high"].as_f64().unwrap(),
        );
        assert!(low <= expected && expected <= high, "{p}");
        assert_eq!(p["period"], "year");
        assert!(p["currency"].is_string());
        assert!((0.0..=1.0).contains(&p["confidence"].as_f64().unwrap()));
        assert!((0.0..=100.0).contains(&p["market_percentile"].as_f64().unwrap()));
        assert!(p["interval"].as_f64().unwrap() > 0.0);
        assert!(p["model_version"].as_str().unwrap().len() > 3);
    }
    assert!(senior["expected"].as_f64() > junior["expected"].as_f64());
    assert_eq!(senior["features"]["education"], "master");
    assert_eq!(
        senior["features"]["skills"],
        json!(["Python", "Kubernetes"])
    );

    let cand = app
        .post(
            "/v1/candidates",
            json!({"text": String::from_utf8(fixture("resume.txt")).unwrap()}),
        )
        .await
        .json();
    let p = app
        .post(
            "/v1/salary-predictions",
            json!({"candidate_id": cand["id"]}),
        )
        .await;
    assert_eq!(p.status, StatusCode::OK);
    let p = p.json();
    assert_eq!(p["features"]["years_experience"], cand["years_experience"]);
    assert_eq!(p["features"]["education"], cand["education"]);
}

#[tokio::test]
async fn exactly_one_input_is_required() {
    let app = TestApp::new(false).await.unwrap();
    app.post("/v1/salary-predictions", json!({}))
        .await
        .assert_problem(422, "validation_failed");
    app.post(
        "/v1/salary-predictions",
        json!({"candidate_id": "cand_01ARZ3NDEKTSV4RRFFQ69G5FAV", "features": {"years_experience": 2}}),
    )
    .await
    .assert_problem(422, "validation_failed");
    let r = app
        .post(
            "/v1/salary-predictions",
            json!({"features": {"years_experience": 99}}),
        )
        .await;
    assert_eq!(
        r.assert_problem(422, "validation_failed")["errors"][0]["field"],
        "features.years_experience"
    );
    let r = app
        .post("/v1/salary-predictions", json!({"features": {}}))
        .await;
    assert_eq!(
        r.assert_problem(422, "validation_failed")["errors"][0]["field"],
        "features.years_experience"
    );
    app.post(
        "/v1/salary-predictions",
        json!({"candidate_id": "cand_01ARZ3NDEKTSV4RRFFQ69G5FAV"}),
    )
    .await
    .assert_problem(404, "not_found");
}
