//! Matching one pair, ranking both ways, weights.

use axum::http::StatusCode;
use mismatch_server::config::Settings;
use serde_json::{Value, json};

use crate::support::{TestApp, fixture};

async fn seed(app: &TestApp) -> (String, String, String, String) {
    let strong = app
        .post(
            "/v1/candidates",
            json!({"text": String::from_utf8(fixture("resume.txt")).unwrap()}),
        )
        .await
        .json();
    let weak = app
        .post(
            "/v1/candidates",
            json!({"text": "Sam Painter\nWatercolour artist. 1 year of experience painting landscapes.\nLocation: Lima, Peru"}),
        )
        .await
        .json();
    let backend = app
        .post(
            "/v1/jobs",
            json!({"title": "Senior Backend Engineer", "description": "Build Python APIs on PostgreSQL and Kubernetes in AWS",
                   "required_skills": ["Python", "PostgreSQL", "Kubernetes"], "nice_to_have_skills": ["Terraform"],
                   "seniority": "senior", "min_years": 5, "remote": "remote"}),
        )
        .await
        .json();
    let chef = app
        .post(
            "/v1/jobs",
            json!({"title": "Head Chef", "description": "Run a restaurant kitchen", "required_skills": ["cooking"],
                   "min_years": 10, "location": "Paris, France"}),
        )
        .await
        .json();
    let id = |v: &Value| v["id"].as_str().unwrap().to_owned();
    (id(&strong), id(&weak), id(&backend), id(&chef))
}

#[tokio::test]
async fn match_explains_and_ranks() {
    let app = TestApp::new(false).await.unwrap();
    let (strong, weak, backend, chef) = seed(&app).await;

    let r = app
        .post(
            "/v1/matches",
            json!({"candidate_id": strong, "job_id": backend}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.bytes)
    );
    let m = r.json();
    let score = m["score"].as_f64().unwrap();
    assert!((0.0..=100.0).contains(&score));
    for factor in [
        "skills",
        "experience",
        "seniority",
        "location",
        "salary",
        "text",
    ] {
        let v = m["breakdown"][factor].as_f64().unwrap();
        assert!((0.0..=100.0).contains(&v), "{factor}={v}");
    }
    assert_eq!(m["missing_required_skills"], json!([]));
    assert!(
        m["matched_skills"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "Kubernetes")
    );
    assert!(["strong", "good", "possible", "weak"].contains(&m["verdict"].as_str().unwrap()));
    assert!(!m["explanation"].as_array().unwrap().is_empty());
    assert!(m["model_version"].as_str().unwrap().len() > 3);
    assert_eq!(m["candidate_id"], strong.as_str());

    let poor = app
        .post(
            "/v1/matches",
            json!({"candidate_id": weak, "job_id": backend}),
        )
        .await
        .json();
    assert!(poor["score"].as_f64().unwrap() < score);
    assert_eq!(poor["missing_required_skills"].as_array().unwrap().len(), 3);

    // Top candidates for the backend job: the engineer first.
    let ranked = app
        .get(&format!("/v1/jobs/{backend}/matches?limit=10"))
        .await
        .json();
    let items = ranked["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["candidate_id"], strong.as_str());
    assert!(items[0]["score"].as_f64() >= items[1]["score"].as_f64());
    assert_eq!(ranked["model_version"], m["model_version"]);
    assert_eq!(
        app.get(&format!("/v1/jobs/{backend}/matches?limit=1"))
            .await
            .json()["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Top jobs for the engineer: only open ones, backend first.
    let ranked = app
        .get(&format!("/v1/candidates/{strong}/matches"))
        .await
        .json();
    assert_eq!(ranked["items"][0]["job_id"], backend.as_str());
    app.call(
        axum::http::Method::PATCH,
        &format!("/v1/jobs/{backend}"),
        Some(&app.admin_key.clone()),
        Some(json!({"status": "closed"})),
    )
    .await;
    let ranked = app
        .get(&format!("/v1/candidates/{strong}/matches"))
        .await
        .json();
    let jobs: Vec<&str> = ranked["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["job_id"].as_str().unwrap())
        .collect();
    assert_eq!(jobs, vec![chef.as_str()]);

    app.post(
        "/v1/matches",
        json!({"candidate_id": strong, "job_id": "job_01ARZ3NDEKTSV4RRFFQ69G5FAV"}),
    )
    .await
    .assert_problem(404, "not_found");
    app.get("/v1/jobs/job_01ARZ3NDEKTSV4RRFFQ69G5FAV/matches")
        .await
        .assert_problem(404, "not_found");
    let r = app
        .get(&format!("/v1/jobs/{backend}/matches?limit=0"))
        .await;
    assert_eq!(
        r.assert_problem(422, "validation_failed")["errors"][0]["field"],
        "limit"
    );
}

#[tokio::test]
async fn weights_are_applied_and_validated() {
    let app = TestApp::new(false).await.unwrap();
    let (strong, _, backend, _) = seed(&app).await;
    let only_skills = json!({"skills": 1, "experience": 0, "seniority": 0, "location": 0, "salary": 0, "text": 0});
    let m = app
        .post(
            "/v1/matches",
            json!({"candidate_id": strong, "job_id": backend, "weights": only_skills}),
        )
        .await
        .json();
    assert_eq!(m["weights"]["experience"], 0.0);
    assert!(
        (m["score"].as_f64().unwrap() - m["breakdown"]["skills"].as_f64().unwrap()).abs() < 0.1,
        "{m}"
    );

    let r = app
        .post(
            "/v1/matches",
            json!({"candidate_id": strong, "job_id": backend, "weights": {"salary": -2}}),
        )
        .await;
    assert_eq!(
        r.assert_problem(422, "validation_failed")["errors"][0]["field"],
        "weights.salary"
    );
    let zeros = json!({"skills": 0, "experience": 0, "seniority": 0, "location": 0, "salary": 0, "text": 0});
    let r = app
        .post(
            "/v1/matches",
            json!({"candidate_id": strong, "job_id": backend, "weights": zeros}),
        )
        .await;
    r.assert_problem(422, "validation_failed");
}

#[tokio::test]
async fn server_default_weights_are_configurable() {
    let mut settings = Settings::default();
    settings.match_weights.skills = 0.0;
    settings.match_weights.experience = 0.0;
    settings.match_weights.seniority = 0.0;
    settings.match_weights.location = 1.0;
    settings.match_weights.salary = 0.0;
    settings.match_weights.text = 0.0;
    let app = TestApp::with_settings(false, settings).await.unwrap();
    let (strong, _, backend, _) = seed(&app).await;
    let m = app
        .post(
            "/v1/matches",
            json!({"candidate_id": strong, "job_id": backend}),
        )
        .await
        .json();
    assert_eq!(m["weights"]["location"], 1.0);
    assert_eq!(m["weights"]["skills"], 0.0);
    assert!(
        (m["score"].as_f64().unwrap() - m["breakdown"]["location"].as_f64().unwrap()).abs() < 0.1,
        "{m}"
    );
}

/// The ranking indexes follow creations and deletions made after they were
/// loaded (the first ranking request loads them).
#[tokio::test]
async fn rankings_follow_new_and_deleted_records() {
    let app = TestApp::new(false).await.unwrap();
    let (strong, weak, backend, _chef) = seed(&app).await;
    let ids = |v: Value, field: &str| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m[field].as_str().unwrap().to_owned())
            .collect()
    };
    let before = ids(
        app.get(&format!("/v1/jobs/{backend}/matches")).await.json(),
        "candidate_id",
    );
    assert_eq!(before, [strong.clone(), weak.clone()]);

    let newcomer: Value = app
        .post(
            "/v1/candidates",
            json!({"text": "Kim Backend\nSenior backend engineer, 9 years of experience.\nSkills: Python (9 years), PostgreSQL, Kubernetes, Terraform"}),
        )
        .await
        .json();
    let newcomer = newcomer["id"].as_str().unwrap().to_owned();
    let after = ids(
        app.get(&format!("/v1/jobs/{backend}/matches")).await.json(),
        "candidate_id",
    );
    assert_eq!(after.len(), 3);
    assert!(after.contains(&newcomer));
    assert_eq!(after.last(), Some(&weak));

    let r = app
        .call(
            axum::http::Method::DELETE,
            &format!("/v1/candidates/{strong}"),
            Some(&app.admin_key.clone()),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let after = ids(
        app.get(&format!("/v1/jobs/{backend}/matches")).await.json(),
        "candidate_id",
    );
    assert_eq!(after, [newcomer.clone(), weak]);

    let extra: Value = app
        .post(
            "/v1/jobs",
            json!({"title": "Platform Engineer", "description": "Kubernetes and Terraform on AWS",
                   "required_skills": ["Kubernetes", "Terraform"], "remote": "remote"}),
        )
        .await
        .json();
    let extra = extra["id"].as_str().unwrap().to_owned();
    let jobs = ids(
        app.get(&format!("/v1/candidates/{newcomer}/matches"))
            .await
            .json(),
        "job_id",
    );
    assert!(jobs.contains(&extra), "{jobs:?}");
    app.call(
        axum::http::Method::DELETE,
        &format!("/v1/jobs/{extra}"),
        Some(&app.admin_key.clone()),
        None,
    )
    .await;
    let jobs = ids(
        app.get(&format!("/v1/candidates/{newcomer}/matches"))
            .await
            .json(),
        "job_id",
    );
    assert!(!jobs.contains(&extra), "{jobs:?}");
}

#[tokio::test]
async fn ranking_takes_weights_in_the_query() {
    let app = TestApp::new(false).await.unwrap();
    let (strong, _weak, backend, _chef) = seed(&app).await;
    let r = app
        .get(&format!(
            "/v1/jobs/{backend}/matches?limit=1&weight_skills=0&weight_experience=0&weight_seniority=0&weight_location=0&weight_salary=0&weight_text=2"
        ))
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.bytes)
    );
    let m = &r.json()["items"][0];
    assert_eq!(m["candidate_id"], strong.as_str());
    assert_eq!(m["weights"]["text"], 2.0);
    assert_eq!(m["weights"]["skills"], 0.0);
    // Text alone decides the score now.
    assert_eq!(m["score"], m["breakdown"]["text"]);

    let r = app
        .get(&format!("/v1/candidates/{strong}/matches?weight_salary=-1"))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let problem = r.json();
    assert_eq!(problem["code"], "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "weight_salary");
    let r = app
        .get(&format!("/v1/candidates/{strong}/matches?weight_text=abc"))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// Two server processes on one database: a change made through one shows in
/// the other's rankings (its indexes notice the storage fingerprint moved).
#[tokio::test]
async fn rankings_see_changes_made_by_another_process() {
    for postgres in [false, true] {
        if let Some(app) = TestApp::new(postgres).await {
            two_processes(app).await;
        }
    }
}

async fn two_processes(mut app: TestApp) {
    let (strong, weak, backend, _chef) = seed(&app).await;
    let primary = app.router.clone();
    let replica = mismatch_server::app(mismatch_server::AppState::new(
        app.state.storage().clone(),
        Settings::default(),
    ));
    let ranked = |v: Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["candidate_id"].as_str().unwrap().to_owned())
            .collect()
    };
    let path = format!("/v1/jobs/{backend}/matches");
    assert_eq!(
        ranked(app.get(&path).await.json()),
        [strong.clone(), weak.clone()]
    );
    app.router = replica.clone();
    assert_eq!(
        ranked(app.get(&path).await.json()),
        [strong.clone(), weak.clone()]
    );

    // Created through the primary, seen by the replica.
    app.router = primary.clone();
    let newcomer: Value = app
        .post(
            "/v1/candidates",
            json!({"text": "Kim Backend\nSenior backend engineer, 9 years of experience.\nSkills: Python (9 years), PostgreSQL, Kubernetes, Terraform"}),
        )
        .await
        .json();
    let newcomer = newcomer["id"].as_str().unwrap().to_owned();
    app.router = replica.clone();
    assert!(ranked(app.get(&path).await.json()).contains(&newcomer));

    // Deleted through the replica, gone from the primary.
    let r = app
        .call(
            axum::http::Method::DELETE,
            &format!("/v1/candidates/{strong}"),
            Some(&app.admin_key.clone()),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    app.router = primary;
    let after = ranked(app.get(&path).await.json());
    assert!(!after.contains(&strong), "{after:?}");
    assert_eq!(after.len(), 2);
}
