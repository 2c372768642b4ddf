//! Interview questions for a candidate × job, and job analytics.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both_backends;
use crate::support::{TestApp, fixture};

/// Jane (Python, PostgreSQL, Kubernetes, … no Go), a painter, and a job
/// that requires Go besides Jane's skills.
async fn seed(app: &TestApp) -> (String, String, String) {
    let jane = app
        .post(
            "/v1/candidates",
            json!({"text": String::from_utf8(fixture("resume.txt")).unwrap()}),
        )
        .await
        .json();
    let painter = app
        .post(
            "/v1/candidates",
            json!({"text": "Sam Painter\nWatercolour artist. 1 year of experience painting landscapes.\nLocation: Lima, Peru"}),
        )
        .await
        .json();
    let job = app
        .post(
            "/v1/jobs",
            json!({"title": "Senior Platform Engineer", "description": "Go and Python services on Kubernetes",
                   "required_skills": ["Python", "Go", "Kubernetes"], "nice_to_have_skills": ["Rust"],
                   "seniority": "senior", "min_years": 5, "remote": "remote",
                   "salary_min": 20000, "salary_max": 30000, "currency": "USD"}),
        )
        .await
        .json();
    let id = |v: &Value| v["id"].as_str().unwrap().to_owned();
    (id(&jane), id(&painter), id(&job))
}

fn questions(body: &Value) -> Vec<&Value> {
    ["basic", "intermediate", "advanced"]
        .iter()
        .flat_map(|level| body[level].as_array().unwrap())
        .collect()
}

both_backends!(
    questions_target_missing_and_key_skills,
    |app: TestApp| async move {
        questions_target_missing_and_key_skills_deterministically(app).await;
    }
);

async fn questions_target_missing_and_key_skills_deterministically(app: TestApp) {
    let (jane, _, job) = seed(&app).await;
    let request = json!({"candidate_id": jane, "job_id": job, "per_level": 2});
    let r = app.post("/v1/interview-questions", request.clone()).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.bytes)
    );
    let body = r.json();
    assert_eq!(body["candidate_id"], jane.as_str());
    for level in ["basic", "intermediate", "advanced"] {
        let qs = body[level].as_array().unwrap();
        assert!(qs.len() <= 2, "{level}: {}", qs.len());
        assert!(qs.iter().all(|q| q["level"] == level));
    }
    let all = questions(&body);
    assert!(!all.is_empty());
    for q in &all {
        assert!(!q["reason"].as_str().unwrap().is_empty());
        assert!(!q["question"].as_str().unwrap().is_empty());
        assert!(!q["good_answer"].as_array().unwrap().is_empty());
    }
    // Go, which Jane lacks, is the first target and is asked at basic level.
    assert_eq!(body["targets"][0]["skill"], "Go");
    assert_eq!(body["targets"][0]["candidate_has"], false);
    let go: Vec<_> = all.iter().filter(|q| q["skill"] == "Go").collect();
    assert!(!go.is_empty());
    assert!(go.iter().all(|q| q["level"] == "basic"));
    assert!(
        go[0]["reason"]
            .as_str()
            .unwrap()
            .contains("required skill the candidate lacks")
    );
    // Seven years of Python → advanced.
    assert!(
        body["advanced"]
            .as_array()
            .unwrap()
            .iter()
            .any(|q| q["skill"] == "Python" && q["reason"].as_str().unwrap().contains("7 years"))
    );
    // Same input, same questions.
    let again = app.post("/v1/interview-questions", request).await.json();
    assert_eq!(again, body);
}

#[tokio::test]
async fn interview_questions_need_a_recruiter_and_valid_input() {
    let app = TestApp::new(false).await.unwrap();
    let (jane, _, job) = seed(&app).await;
    let viewer = app.key_with_role("viewer").await;
    let request = json!({"candidate_id": jane, "job_id": job});
    let r = app
        .call(
            Method::POST,
            "/v1/interview-questions",
            Some(&viewer),
            Some(request.clone()),
        )
        .await;
    let problem = r.assert_problem(403, "forbidden");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("interviews:read")
    );
    let recruiter = app.key_with_role("recruiter").await;
    let r = app
        .call(
            Method::POST,
            "/v1/interview-questions",
            Some(&recruiter),
            Some(request),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);

    let r = app
        .post(
            "/v1/interview-questions",
            json!({"candidate_id": jane, "job_id": job, "per_level": 0}),
        )
        .await;
    let problem = r.assert_problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "per_level");
    let r = app
        .post(
            "/v1/interview-questions",
            json!({"candidate_id": "cand_01ARZ3NDEKTSV4RRFFQ69G5FAV", "job_id": job}),
        )
        .await;
    r.assert_problem(404, "not_found");
    let r = app
        .post("/v1/interview-questions", json!({"candidate_id": jane}))
        .await;
    assert!(r.status.is_client_error());
}

both_backends!(analytics, |app: TestApp| async move {
    analytics_rank_skills_and_describe_scores_and_salary(app).await;
});

async fn analytics_rank_skills_and_describe_scores_and_salary(app: TestApp) {
    let (_, _, job) = seed(&app).await;
    let viewer = app.key_with_role("viewer").await;
    let r = app
        .call(
            Method::GET,
            &format!("/v1/jobs/{job}/analytics"),
            Some(&viewer),
            None,
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.bytes)
    );
    let a = r.json();
    assert_eq!(a["job_id"], job.as_str());
    let skills: Vec<&str> = a["required_skills"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["skill"].as_str().unwrap())
        .collect();
    // Nobody has Go; only Jane has Python and Kubernetes.
    assert_eq!(skills, ["Go", "Python", "Kubernetes"]);
    assert_eq!(a["required_skills"][0]["candidates_with"], 0);
    assert_eq!(a["required_skills"][1]["candidates_with"], 1);
    assert_eq!(a["required_skills"][1]["share"], 0.5);

    let d = &a["score_distribution"];
    assert_eq!(d["count"], 2);
    let banded: u64 = d["by_verdict"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_u64().unwrap())
        .sum();
    assert_eq!(banded, 2);
    let binned: u64 = d["bins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_u64().unwrap())
        .sum();
    assert_eq!(binned, 2);
    assert_eq!(d["bins"].as_array().unwrap().len(), 10);
    let (min, p50, max) = (
        d["min"].as_f64().unwrap(),
        d["p50"].as_f64().unwrap(),
        d["max"].as_f64().unwrap(),
    );
    assert!(min <= p50 && p50 <= max);

    let s = &a["salary_benchmark"];
    assert!(s["low"].as_f64().unwrap() < s["expected"].as_f64().unwrap());
    assert!(s["expected"].as_f64().unwrap() < s["high"].as_f64().unwrap());
    // 20–30k a year is far below any market estimate for a senior role.
    assert_eq!(s["position"], "below", "{s}");
    assert_eq!(s["years_assumed"], 6.0);

    let r = app
        .get("/v1/jobs/job_01ARZ3NDEKTSV4RRFFQ69G5FAV/analytics")
        .await;
    r.assert_problem(404, "not_found");
    let r = app
        .call(
            Method::GET,
            &format!("/v1/jobs/{job}/analytics"),
            None,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}
