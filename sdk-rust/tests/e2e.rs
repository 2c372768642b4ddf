//! End-to-end scenario against a live server.
//!
//! Runs when `MISMATCH_BASE_URL` is set (the project's test runner sets it,
//! together with `MISMATCH_ADMIN_API_KEY`, `MISMATCH_FLAKY_URL` — a proxy
//! failing the first attempt of each new POST with 503 — and
//! `MISMATCH_FIXTURES`, a folder with `resume.txt` and `resume.pdf`).
//! Without it the scenario is skipped with a printed reason, except under CI
//! (`CI=true` or `CI=1`), where a missing server fails the test: CI must never
//! pass without having run it.
//! Names carry a timestamp so that several runs can share one server.

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use mismatch_recruiter::{CallOptions, CallResponse, Client, ClientOptions, ErrorKind, types};
use serde_json::{Value, json};

struct Env {
    base_url: String,
    admin_key: String,
    flaky_url: String,
    fixtures: PathBuf,
}

/// Whether `CI` says this is a CI run (`true` or `1`, as CI services set it).
fn in_ci(ci: Option<&str>) -> bool {
    ci.is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// The live server's settings; `None` (skip) without `MISMATCH_BASE_URL`
/// outside CI. Panics in CI without one, and whenever the server is given
/// but the variables that go with it are not.
fn env() -> Option<Env> {
    let Some(base_url) = std::env::var("MISMATCH_BASE_URL")
        .ok()
        .filter(|v| !v.is_empty())
    else {
        let ci = std::env::var("CI").ok();
        assert!(
            !in_ci(ci.as_deref()),
            "MISMATCH_BASE_URL is not set but CI={}: the end-to-end scenario must run in CI \
             (tests/run.sh starts a server and exports it)",
            ci.unwrap_or_default()
        );
        println!(
            "skipped: MISMATCH_BASE_URL not set (set it to a live server to run this scenario)"
        );
        return None;
    };
    let need = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| panic!("{name} must be set with MISMATCH_BASE_URL"))
    };
    Some(Env {
        base_url,
        admin_key: need("MISMATCH_ADMIN_API_KEY"),
        flaky_url: need("MISMATCH_FLAKY_URL"),
        fixtures: PathBuf::from(need("MISMATCH_FIXTURES")),
    })
}

fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix} rust-e2e {nanos}")
}

async fn call(client: &Client, operation: &str, args: Value) -> CallResponse {
    client
        .call(operation, args, CallOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{operation} failed: {e}"))
}

fn skill_names(candidate: &Value) -> Vec<String> {
    candidate["skills"]
        .as_array()
        .expect("candidate.skills is an array")
        .iter()
        .map(|s| match s {
            Value::String(name) => name.to_lowercase(),
            other => other["name"].as_str().unwrap_or_default().to_lowercase(),
        })
        .collect()
}

fn ids_in(ranked: &Value, field: &str) -> Vec<String> {
    ranked["items"]
        .as_array()
        .expect("a ranked list has items")
        .iter()
        .map(|m| m[field].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn flaky_stats(flaky_url: &str) -> Value {
    reqwest::get(format!("{}/__flaky/stats", flaky_url.trim_end_matches('/')))
        .await
        .expect("flaky proxy stats")
        .json()
        .await
        .expect("stats are JSON")
}

#[tokio::test]
async fn recruiting_scenario() {
    let Some(env) = env() else {
        return;
    };

    // 1. A recruiter key, created with the admin key.
    let admin = Client::new(ClientOptions::new(&env.base_url).with_api_key(&env.admin_key))
        .expect("admin client");
    let created = call(
        &admin,
        "createApiKey",
        json!({"body": {"name": unique("recruiter"), "role": "recruiter"}}),
    )
    .await;
    assert_eq!(created.status, 201);
    assert!(created.request_id.is_some(), "responses carry x-request-id");
    let secret = created.body["key"]
        .as_str()
        .or_else(|| created.body["secret"].as_str())
        .expect("the new key's secret")
        .to_owned();
    assert!(secret.starts_with("mm_"));
    let client = Client::new(ClientOptions::new(&env.base_url).with_api_key(&secret))
        .expect("recruiter client");

    // Rotation: by default the old key keeps working for an overlap; with
    // overlap_seconds=0 it stops at once.
    let spare = call(
        &admin,
        "createApiKey",
        json!({"body": {"name": unique("spare"), "role": "viewer"}}),
    )
    .await;
    let spare_id = spare.body["id"].as_str().unwrap().to_owned();
    let spare_secret = spare.body["key"].as_str().unwrap().to_owned();
    let renewed = call(&admin, "rotateApiKey", json!({"key_id": spare_id})).await;
    assert_eq!(renewed.body["previous_key_id"], spare_id.as_str());
    assert!(renewed.body["previous_key_expires_at"].is_string());
    let old_spare = Client::new(ClientOptions::new(&env.base_url).with_api_key(&spare_secret))
        .expect("old key client");
    call(&old_spare, "listJobs", json!({"limit": 1})).await;
    let renewed_id = renewed.body["id"].as_str().unwrap().to_owned();
    let renewed_secret = renewed.body["key"].as_str().unwrap().to_owned();
    call(
        &admin,
        "rotateApiKey",
        json!({"key_id": renewed_id, "overlap_seconds": 0}),
    )
    .await;
    let gone = Client::new(ClientOptions::new(&env.base_url).with_api_key(&renewed_secret))
        .expect("rotated key client")
        .call("listJobs", json!({"limit": 1}), CallOptions::default())
        .await
        .unwrap_err();
    assert_eq!(gone.status(), Some(401));
    assert_eq!(gone.kind(), ErrorKind::Authentication);

    // 2. A candidate from resume text, and one from a PDF upload.
    let resume_text = std::fs::read_to_string(env.fixtures.join("resume.txt")).unwrap();
    let candidate = call(
        &client,
        "createCandidate",
        json!({"body": {"text": resume_text, "name": unique("Candidate")}}),
    )
    .await;
    assert_eq!(candidate.status, 201);
    let candidate_id = candidate.body["id"].as_str().unwrap().to_owned();
    let skills = skill_names(&candidate.body);
    for wanted in ["python", "postgresql", "kubernetes"] {
        assert!(skills.iter().any(|s| s == wanted), "{wanted} in {skills:?}");
    }

    // The typed client decodes the same resource.
    let typed = client
        .api()
        .get_candidate(&candidate_id)
        .await
        .expect("typed getCandidate")
        .into_inner();
    assert_eq!(typed.id, candidate_id);
    assert!(
        typed
            .skills
            .iter()
            .any(|s| s.name.eq_ignore_ascii_case("python"))
    );

    let pdf = std::fs::read(env.fixtures.join("resume.pdf")).unwrap();
    let uploaded = client
        .call(
            "uploadCandidate",
            json!({"filename": "resume.pdf"}),
            CallOptions {
                body_bytes: Some(pdf),
                ..CallOptions::default()
            },
        )
        .await
        .expect("uploadCandidate");
    assert_eq!(uploaded.status, 201);
    assert!(uploaded.body["id"].as_str().unwrap().starts_with("cand_"));
    assert!(
        !skill_names(&uploaded.body).is_empty(),
        "the PDF's skills were extracted"
    );

    // 3. Two jobs: one that fits, one that does not.
    let backend = call(
        &client,
        "createJob",
        json!({"body": {
            "title": unique("Backend Engineer (Python/PostgreSQL)"),
            "description": "Build Python services on PostgreSQL, deployed to Kubernetes.",
            "required_skills": ["Python", "PostgreSQL"],
        }}),
    )
    .await;
    let backend_id = backend.body["id"].as_str().unwrap().to_owned();
    // Optional fields are cleared through `clear` (typed clients drop nulls).
    let placed = call(
        &client,
        "updateJob",
        json!({"job_id": backend_id, "body": {"location": "Berlin, Germany", "salary_max": 150000}}),
    )
    .await;
    assert_eq!(placed.body["location"], "Berlin, Germany");
    let cleared = call(
        &client,
        "updateJob",
        json!({"job_id": backend_id, "body": {"clear": ["location", "salary_max"]}}),
    )
    .await;
    assert_eq!(cleared.body["location"], Value::Null);
    assert_eq!(cleared.body["salary_max"], Value::Null);
    // Optimistic concurrency: If-Match names the version read; a stale one is 412.
    let version = cleared.body["version"].as_i64().unwrap();
    let guarded = call(
        &client,
        "updateJob",
        json!({"job_id": backend_id, "If-Match": format!("\"{version}\""),
               "body": {"min_years": 2}}),
    )
    .await;
    assert_eq!(guarded.body["version"], version + 1);
    let stale = client
        .call(
            "updateJob",
            json!({"job_id": backend_id, "If-Match": format!("\"{version}\""),
                   "body": {"min_years": 9}}),
            CallOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(stale.status(), Some(412));
    assert_eq!(stale.code(), Some("precondition_failed"));
    assert_eq!(stale.kind(), ErrorKind::Conflict);
    let unrelated = call(
        &client,
        "createJob",
        json!({"body": {
            "title": unique("Pastry Chef"),
            "description": "Laminated doughs, viennoiserie and plated desserts.",
            "required_skills": ["Baking", "Food Safety"],
        }}),
    )
    .await;
    let unrelated_id = unrelated.body["id"].as_str().unwrap().to_owned();

    let open_jobs = client
        .api()
        .list_jobs(
            None,
            std::num::NonZeroU32::new(100),
            Some(types::JobStatus::Open),
        )
        .await
        .expect("typed listJobs")
        .into_inner();
    assert!(!open_jobs.items.is_empty());
    assert!(
        open_jobs
            .items
            .iter()
            .all(|job| job.status == types::JobStatus::Open)
    );

    // 4. Matching and ranking in both directions.
    let matched = call(
        &client,
        "createMatch",
        json!({"body": {"candidate_id": candidate_id, "job_id": backend_id}}),
    )
    .await;
    let score = matched.body["score"].as_f64().expect("a score");
    assert!(score > 0.0, "score {score}");

    let for_job = call(
        &client,
        "rankCandidatesForJob",
        json!({"job_id": backend_id, "limit": 100}),
    )
    .await;
    assert!(
        ids_in(&for_job.body, "candidate_id").contains(&candidate_id),
        "{for_job:?}"
    );
    let for_candidate = call(
        &client,
        "rankJobsForCandidate",
        json!({"candidate_id": candidate_id, "limit": 100}),
    )
    .await;
    let ranked_jobs = ids_in(&for_candidate.body, "job_id");
    let backend_rank = ranked_jobs.iter().position(|id| *id == backend_id);
    let unrelated_rank = ranked_jobs.iter().position(|id| *id == unrelated_id);
    assert!(
        backend_rank.is_some(),
        "backend job ranked: {ranked_jobs:?}"
    );
    if let Some(unrelated_rank) = unrelated_rank {
        assert!(backend_rank.unwrap() < unrelated_rank, "{ranked_jobs:?}");
    }

    // 5. Salary prediction for the candidate.
    let salary = call(
        &client,
        "predictSalary",
        json!({"body": {"candidate_id": candidate_id}}),
    )
    .await;
    let (low, expected, high) = (
        salary.body["low"].as_f64().unwrap(),
        salary.body["expected"].as_f64().unwrap(),
        salary.body["high"].as_f64().unwrap(),
    );
    assert!(
        low <= expected && expected <= high,
        "{low} ≤ {expected} ≤ {high}"
    );
    assert_eq!(salary.body["currency"], "USD");
    assert!(!salary.body["model_version"].as_str().unwrap().is_empty());

    // 5a. A customer salary model trained on offers, twice (two versions),
    //     and predictions naming the version they used.
    let name = unique("offers");
    let mut offers = String::from("salary,years_experience,education,location,skills,currency\n");
    for i in 0..60u32 {
        let years = f64::from(i % 12);
        let degree = if i % 2 == 1 { 1.2 } else { 1.0 };
        let education = if i % 2 == 1 { "master" } else { "bachelor" };
        let wobble = 1.0 + 0.05 * (f64::from(i * 7 % 11) / 5.0 - 1.0);
        let salary = 60_000.0 * (1.0 + 0.05 * years) * degree * wobble;
        offers.push_str(&format!(
            "{salary:.0},{years},{education},Austin,Python;SQL,USD\n"
        ));
    }
    let train = |body: String| {
        let client = &client;
        let name = name.clone();
        async move {
            client
                .call(
                    "createSalaryModel",
                    json!({"name": name}),
                    CallOptions {
                        body_bytes: Some(body.into_bytes()),
                        ..CallOptions::default()
                    },
                )
                .await
                .expect("createSalaryModel")
        }
    };
    let v1 = train(offers.clone()).await;
    assert_eq!(v1.status, 201);
    let model_id = v1.body["id"].as_str().unwrap().to_owned();
    assert!(model_id.starts_with("sm_"));
    assert_eq!(v1.body["version"], 1);
    assert_eq!(v1.body["rows"], 60);
    assert_eq!(v1.body["evaluation"]["n_test"], 12);
    let v2 = train(offers).await;
    assert_eq!(
        (v2.body["id"].as_str(), v2.body["version"].as_i64()),
        (Some(model_id.as_str()), Some(2))
    );
    let listed = call(&client, "listSalaryModels", json!({"limit": 100})).await;
    let versions: Vec<i64> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["id"] == model_id.as_str())
        .map(|m| m["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, [2, 1]);
    let features = json!({"years_experience": 4, "education": "master"});
    let custom = call(
        &client,
        "predictSalary",
        json!({"body": {"features": features, "model_id": model_id, "model_version": 1}}),
    )
    .await;
    assert_eq!(custom.body["model_id"], model_id.as_str());
    assert_eq!(custom.body["model_version"], format!("{model_id}@v1"));
    // 60k · 1.2 (4 years) · 1.2 (master) ≈ 86k in these offers.
    let expected = custom.body["expected"].as_f64().unwrap();
    assert!((78_000.0..95_000.0).contains(&expected), "{}", custom.body);
    let shipped = call(
        &client,
        "predictSalary",
        json!({"body": {"features": features, "model_id": "default"}}),
    )
    .await;
    assert!(shipped.body["model_id"].is_null());
    assert!(
        shipped.body["model_version"]
            .as_str()
            .unwrap()
            .starts_with("salary-")
    );
    let bad = client
        .call(
            "createSalaryModel",
            json!({"name": name}),
            CallOptions {
                body_bytes: Some(b"salary,years_experience\n50000,old\n".to_vec()),
                ..CallOptions::default()
            },
        )
        .await
        .expect_err("a bad CSV is rejected");
    assert!(
        bad.to_string().contains("rows[1].years_experience"),
        "{bad}"
    );

    // 5b. Interview questions for a job needing Go, which the candidate
    //     lacks, besides their Python.
    let platform = call(
        &client,
        "createJob",
        json!({"body": {
            "title": unique("Platform Engineer (Go/Python)"),
            "description": "Go and Python services on Kubernetes.",
            "required_skills": ["Go", "Python"],
            "nice_to_have_skills": ["Rust"],
            "seniority": "senior",
        }}),
    )
    .await;
    let platform_id = platform.body["id"].as_str().unwrap().to_owned();
    let request =
        json!({"body": {"candidate_id": candidate_id, "job_id": platform_id, "per_level": 3}});
    let interview = call(&client, "createInterviewQuestions", request.clone()).await;
    assert_eq!(interview.status, 200);
    let questions: Vec<&Value> = ["basic", "intermediate", "advanced"]
        .iter()
        .flat_map(|level| {
            interview.body[level]
                .as_array()
                .expect("questions per level")
        })
        .collect();
    assert!(!questions.is_empty(), "{interview:?}");
    for q in &questions {
        assert!(!q["reason"].as_str().unwrap_or_default().is_empty(), "{q}");
        assert!(!q["good_answer"].as_array().unwrap().is_empty(), "{q}");
    }
    let go: Vec<&&Value> = questions.iter().filter(|q| q["skill"] == "Go").collect();
    assert!(
        !go.is_empty(),
        "the missing skill Go is targeted: {interview:?}"
    );
    assert!(go.iter().all(|q| q["level"] == "basic"));
    assert!(
        go[0]["reason"]
            .as_str()
            .unwrap()
            .contains("the candidate lacks")
    );
    assert!(
        questions.iter().any(|q| q["skill"] == "Python"),
        "the key skill Python is targeted"
    );
    let again = call(&client, "createInterviewQuestions", request).await;
    assert_eq!(again.body, interview.body, "same input, same questions");

    // 5c. Analytics for the job: Go is the rarest required skill here, and
    //     every scored candidate is counted once in each histogram.
    let analytics = call(&client, "getJobAnalytics", json!({"job_id": platform_id})).await;
    let required: Vec<&str> = analytics.body["required_skills"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["skill"].as_str().unwrap())
        .collect();
    assert_eq!(required.len(), 2, "{required:?}");
    assert!(required.contains(&"Go") && required.contains(&"Python"));
    let shares: Vec<f64> = analytics.body["required_skills"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["share"].as_f64().unwrap())
        .collect();
    assert!(shares[0] <= shares[1], "rarest first: {shares:?}");
    let distribution = &analytics.body["score_distribution"];
    let count = distribution["count"].as_u64().unwrap();
    assert!(count >= 2, "our two candidates at least: {distribution}");
    let sum = |field: &str| -> u64 {
        distribution[field]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["count"].as_u64().unwrap())
            .sum()
    };
    assert_eq!(sum("by_verdict"), count);
    assert_eq!(sum("bins"), count);
    let benchmark = &analytics.body["salary_benchmark"];
    assert!(benchmark["low"].as_f64() <= benchmark["high"].as_f64());
    assert_eq!(benchmark["position"], "unknown", "the job states no salary");

    // 6. Errors: typed, with stable codes and request ids.
    let err = client
        .call(
            "getCandidate",
            json!({"candidate_id": "cand_does_not_exist"}),
            CallOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.code(), Some("not_found"));
    assert!(err.request_id().is_some(), "{err}");

    let typed: mismatch_recruiter::Error = client
        .api()
        .get_candidate("cand_does_not_exist")
        .await
        .unwrap_err()
        .into();
    assert_eq!(typed.kind(), ErrorKind::NotFound);
    assert!(typed.request_id().is_some());

    let err = client
        .call(
            "createJob",
            json!({"body": {"title": "", "description": "no title"}}),
            CallOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation, "{err}");
    assert_eq!(err.status(), Some(422));
    assert_eq!(err.code(), Some("validation_failed"));

    // 7. Through the flaky proxy: the first attempt fails with 503, the SDK
    //    retries with the same Idempotency-Key, and exactly one job exists.
    let before = flaky_stats(&env.flaky_url).await;
    let flaky = Client::new(ClientOptions::new(&env.flaky_url).with_api_key(&secret))
        .expect("client through the proxy");
    let title = unique("Flaky Proxy Job");
    let response = call(
        &flaky,
        "createJob",
        json!({"body": {"title": title, "description": "created through a failing proxy"}}),
    )
    .await;
    assert_eq!(response.status, 201);
    assert_eq!(response.attempts, 2, "one 503, one success");
    let after = flaky_stats(&env.flaky_url).await;
    assert!(
        after["failed"].as_u64() > before["failed"].as_u64(),
        "the proxy failed an attempt: {before} → {after}"
    );

    let same_title = client
        .call_all_pages(
            "listJobs",
            json!({"limit": 100}),
            CallOptions::default(),
            usize::MAX,
        )
        .await
        .expect("listJobs, every page")
        .iter()
        .filter(|job| job["title"] == title.as_str())
        .count();
    assert_eq!(same_title, 1, "exactly one job titled {title:?}");
    println!("rust e2e scenario passed against {}", env.base_url);
}

/// Runs `recruiting_scenario` of this binary in a child process without a
/// server and with `CI` set to `ci` (or unset).
fn scenario_without_server(ci: Option<&str>) -> std::process::Output {
    let mut command = std::process::Command::new(std::env::current_exe().unwrap());
    command
        .args(["--exact", "recruiting_scenario", "--nocapture"])
        .env_remove("MISMATCH_BASE_URL")
        .env_remove("CI");
    if let Some(ci) = ci {
        command.env("CI", ci);
    }
    command.output().unwrap()
}

#[test]
fn without_a_server_ci_fails_and_a_developer_run_skips() {
    for ci in ["true", "1", "TRUE"] {
        let output = scenario_without_server(Some(ci));
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!output.status.success(), "CI={ci} must fail:\n{text}");
        assert!(
            text.contains("MISMATCH_BASE_URL is not set but CI="),
            "{text}"
        );
    }
    for ci in [None, Some("false"), Some("")] {
        let output = scenario_without_server(ci);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "CI={ci:?} skips:\n{stdout}");
        assert!(
            stdout.contains("skipped: MISMATCH_BASE_URL not set"),
            "{stdout}"
        );
    }
    assert!(in_ci(Some("true")) && in_ci(Some("1")) && !in_ci(Some("0")) && !in_ci(None));
}
