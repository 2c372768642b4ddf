//! Jobs: create (with skill canonicalisation), get, list with status filter,
//! partial update, delete.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};

use crate::both_backends;
use crate::support::{TestApp, TestResponse};

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

async fn patch(app: &TestApp, path: &str, body: Value, if_match: Option<&str>) -> TestResponse {
    let mut b = Request::builder()
        .method(Method::PATCH)
        .uri(path)
        .header("authorization", format!("Bearer {}", app.admin_key))
        .header("content-type", "application/json");
    if let Some(tag) = if_match {
        b = b.header("if-match", tag);
    }
    app.send(
        b.body(Body::from(serde_json::to_vec(&body).unwrap()))
            .unwrap(),
    )
    .await
}

both_backends!(
    concurrent_patches_lose_no_field,
    |app: TestApp| async move {
        for trial in 0..20 {
            let job = app
                .post("/v1/jobs", json!({"title": format!("Job {trial}")}))
                .await
                .json();
            let path = format!("/v1/jobs/{}", job["id"].as_str().unwrap());
            let (a, b, c) = tokio::join!(
                patch(&app, &path, json!({"company": "Acme"}), None),
                patch(&app, &path, json!({"location": "Berlin"}), None),
                patch(&app, &path, json!({"min_years": 3}), None),
            );
            for r in [&a, &b, &c] {
                assert_eq!(
                    r.status,
                    StatusCode::OK,
                    "{}",
                    String::from_utf8_lossy(&r.bytes)
                );
            }
            let now = app.get(&path).await.json();
            assert_eq!(now["company"], "Acme", "trial {trial}: {now}");
            assert_eq!(now["location"], "Berlin", "trial {trial}: {now}");
            assert_eq!(now["min_years"], 3.0, "trial {trial}: {now}");
            assert_eq!(now["version"], 4);
        }
    }
);

both_backends!(
    if_match_makes_updates_conditional,
    |app: TestApp| async move {
        let created = app.post("/v1/jobs", json!({"title": "Platform"})).await;
        assert_eq!(created.header("etag"), Some("\"1\""));
        let path = format!("/v1/jobs/{}", created.json()["id"].as_str().unwrap());
        let got = app.get(&path).await;
        assert_eq!(got.header("etag"), Some("\"1\""));
        let first = patch(&app, &path, json!({"title": "Platform II"}), Some("\"1\"")).await;
        assert_eq!(first.status, StatusCode::OK);
        assert_eq!(first.header("etag"), Some("\"2\""));
        // A writer still holding version 1 is refused, and changes nothing.
        let stale = patch(&app, &path, json!({"title": "Stale"}), Some("\"1\"")).await;
        stale.assert_problem(412, "precondition_failed");
        assert_eq!(app.get(&path).await.json()["title"], "Platform II");
        // Weak tags and * are accepted; garbage is a clear 422.
        let weak = patch(
            &app,
            &path,
            json!({"title": "Platform III"}),
            Some("W/\"2\""),
        )
        .await;
        assert_eq!(weak.status, StatusCode::OK);
        let any = patch(&app, &path, json!({"title": "Platform IV"}), Some("*")).await;
        assert_eq!(any.status, StatusCode::OK);
        let bad = patch(&app, &path, json!({"title": "x"}), Some("soon")).await;
        assert_eq!(
            bad.assert_problem(422, "validation_failed")["errors"][0]["field"],
            "If-Match"
        );
    }
);

both_backends!(
    nul_characters_are_refused_alike_on_every_engine,
    |app: TestApp| async move {
        let r = app
            .post("/v1/jobs", json!({"title": "Bad\u{0}title"}))
            .await;
        r.assert_problem(422, "validation_failed");
        let r = app
            .post("/v1/candidates", json!({"text": "Jane\u{0}Doe\nRust"}))
            .await;
        r.assert_problem(422, "validation_failed");
        // An escaped backslash followed by "u0000" is ordinary text.
        let r = app
            .post("/v1/jobs", json!({"title": "Path C:\\u0000 ok"}))
            .await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "{}",
            String::from_utf8_lossy(&r.bytes)
        );
        let r = app.get("/v1/jobs?cursor=%00").await;
        r.assert_problem(422, "validation_failed");
    }
);

both_backends!(every_text_field_is_capped, |app: TestApp| async move {
    let long = "x".repeat(201);
    let r = app
        .post(
            "/v1/jobs",
            json!({"title": "ok", "company": long, "location": long}),
        )
        .await;
    let errors = r.assert_problem(422, "validation_failed")["errors"].clone();
    let fields: Vec<&str> = errors
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["company", "location"]);
    for (field, len) in [
        ("name", 201),
        ("email", 255),
        ("phone", 51),
        ("location", 201),
    ] {
        let mut body = json!({"text": "Jane Doe\nRust"});
        body[field] = json!(format!("{}@example.org", "a".repeat(len)));
        let r = app.post("/v1/candidates", body).await;
        assert!(
            r.assert_problem(422, "validation_failed")["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"] == field),
            "{field}"
        );
    }
    let r = app
        .post("/v1/candidates", json!({"text": "a ".repeat(600_000)}))
        .await;
    r.assert_problem(422, "validation_failed");
});
