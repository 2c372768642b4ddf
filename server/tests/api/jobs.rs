//! Jobs: create (with skill canonicalisation), get, list with status filter,
//! partial update, delete.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::both_backends;
use crate::support::TestApp;

both_backends!(job_lifecycle, |app: TestApp| async move {
    let r = app
        .post(
            "/v1/jobs",
            json!({"title": "  Platform Engineer ", "company": "Acme", "description": "Run our k8s clusters",
                   "required_skills": ["k8s", "postgres", "Python", "python"], "nice_to_have_skills": ["Terraform"],
                   "seniority": "senior", "min_years": 5, "location": "Berlin, Germany", "remote": "hybrid",
                   "salary_min": 80000, "salary_max": 110000, "currency": "EUR"}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&r.bytes)
    );
    let job = r.json();
    let id = job["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("job_"));
    assert_eq!(job["title"], "Platform Engineer");
    assert_eq!(
        job["required_skills"],
        json!(["Kubernetes", "PostgreSQL", "Python"])
    );
    assert_eq!(job["remote"], "hybrid");
    assert_eq!(job["status"], "open");
    assert_eq!(job["currency"], "EUR");
    assert_eq!(job["created_at"], job["updated_at"]);

    assert_eq!(app.get(&format!("/v1/jobs/{id}")).await.json(), job);

    // Defaults.
    let other = app
        .post("/v1/jobs", json!({"title": "Intern"}))
        .await
        .json();
    assert_eq!(other["currency"], "USD");
    assert_eq!(other["remote"], "onsite");
    assert_eq!(other["min_years"], 0.0);

    // Partial update: only what is present changes; null clears.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let r = app
        .call(
            Method::PATCH,
            &format!("/v1/jobs/{id}"),
            Some(&app.admin_key.clone()),
            Some(json!({"status": "closed", "company": null, "nice_to_have_skills": ["golang"]})),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.bytes)
    );
    let updated = r.json();
    assert_eq!(updated["status"], "closed");
    assert_eq!(updated["company"], json!(null));
    assert_eq!(updated["nice_to_have_skills"], json!(["Go"]));
    assert_eq!(updated["title"], "Platform Engineer");
    assert_eq!(updated["salary_max"], 110000);
    assert_ne!(updated["updated_at"], job["updated_at"]);

    // `clear` removes optional values (what typed clients send instead of
    // null); clearing a field that the same patch sets is rejected.
    let r = app
        .call(
            Method::PATCH,
            &format!("/v1/jobs/{id}"),
            Some(&app.admin_key.clone()),
            Some(json!({"clear": ["salary_max", "location"]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let cleared = r.json();
    assert_eq!(cleared["salary_max"], json!(null));
    assert_eq!(cleared["location"], json!(null));
    assert_eq!(cleared["salary_min"], 80000);
    let r = app
        .call(
            Method::PATCH,
            &format!("/v1/jobs/{id}"),
            Some(&app.admin_key.clone()),
            Some(json!({"clear": ["company"], "company": "Acme"})),
        )
        .await;
    assert_eq!(
        r.assert_problem(422, "validation_failed")["errors"][0]["field"],
        "clear[0]"
    );
    app.call(
        Method::PATCH,
        &format!("/v1/jobs/{id}"),
        Some(&app.admin_key.clone()),
        Some(json!({"salary_max": 110000})),
    )
    .await;

    // Status filter.
    let open = app.get("/v1/jobs?status=open").await.json();
    let open_ids: Vec<&str> = open["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    assert_eq!(open_ids, vec![other["id"].as_str().unwrap()]);
    let closed = app.get("/v1/jobs?status=closed").await.json();
    assert_eq!(closed["items"][0]["id"], id.as_str());
    let r = app.get("/v1/jobs?status=paused").await;
    assert_eq!(
        r.assert_problem(422, "validation_failed")["errors"][0]["field"],
        "status"
    );

    // Invalid patches name their fields and change nothing.
    let r = app
        .call(
            Method::PATCH,
            &format!("/v1/jobs/{id}"),
            Some(&app.admin_key.clone()),
            Some(json!({"salary_min": 200000, "currency": "euro"})),
        )
        .await;
    let body = r.assert_problem(422, "validation_failed");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["salary_min", "currency"]);
    assert_eq!(
        app.get(&format!("/v1/jobs/{id}")).await.json()["salary_min"],
        80000
    );

    let r = app
        .call(
            Method::DELETE,
            &format!("/v1/jobs/{id}"),
            Some(&app.admin_key.clone()),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    app.get(&format!("/v1/jobs/{id}"))
        .await
        .assert_problem(404, "not_found");
    app.call(
        Method::PATCH,
        &format!("/v1/jobs/{id}"),
        Some(&app.admin_key.clone()),
        Some(json!({"title": "x"})),
    )
    .await
    .assert_problem(404, "not_found");
});

#[tokio::test]
async fn job_validation_names_fields() {
    let app = TestApp::new(false).await.unwrap();
    let r = app
        .post(
            "/v1/jobs",
            json!({"title": "", "min_years": -1, "required_skills": [""]}),
        )
        .await;
    let body = r.assert_problem(422, "validation_failed");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"title"), "{fields:?}");
    assert!(fields.contains(&"min_years"), "{fields:?}");
    assert!(fields.contains(&"required_skills[0]"), "{fields:?}");
    let r = app
        .post("/v1/jobs", json!({"title": "x", "remote": "moon"}))
        .await;
    assert_eq!(
        r.assert_problem(422, "validation_failed")["errors"][0]["field"],
        "remote"
    );
}
