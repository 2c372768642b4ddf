//! Quickstart: parse a resume, post a job, see how well they match and what
//! the candidate may earn.
//!
//! ```sh
//! MISMATCH_BASE_URL=http://127.0.0.1:8080 MISMATCH_API_KEY=mm_… \
//!     cargo run -p mismatch-recruiter --example quickstart
//! ```

use std::process::ExitCode;

use mismatch_recruiter::{CallOptions, Client, ClientOptions, Error, ErrorKind};
use serde_json::json;

const RESUME: &str = "Ada Lovelace\nSenior backend engineer, 8 years of experience.\n\
Skills: Python, PostgreSQL, Kubernetes, Docker, Rust.\n\
Built data pipelines and REST APIs for a payments company in London.";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let (Ok(base_url), Ok(api_key)) = (
        std::env::var("MISMATCH_BASE_URL"),
        std::env::var("MISMATCH_API_KEY"),
    ) else {
        eprintln!("set MISMATCH_BASE_URL and MISMATCH_API_KEY");
        return ExitCode::from(2);
    };
    match run(&base_url, &api_key).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run(base_url: &str, api_key: &str) -> Result<(), Error> {
    let client = Client::new(ClientOptions::new(base_url).with_api_key(api_key))?;

    // Typed call through the generated client.
    let live = client.api().get_liveness().await?;
    println!(
        "server is live: {}",
        serde_json::to_string(live.as_ref()).unwrap_or_default()
    );

    // Dynamic calls by operation id take and return JSON.
    let candidate = client
        .call(
            "createCandidate",
            json!({"body": {"text": RESUME, "name": "Ada Lovelace"}}),
            CallOptions::default(),
        )
        .await?;
    let candidate_id = candidate.body["id"].as_str().unwrap_or_default().to_owned();
    let skills: Vec<_> = candidate.body["skills"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["name"].as_str().or_else(|| s.as_str()))
        .collect();
    println!("candidate {candidate_id}: skills {skills:?}");

    let job = client
        .call(
            "createJob",
            json!({"body": {
                "title": "Backend Engineer",
                "description": "Python services on PostgreSQL, running on Kubernetes.",
                "required_skills": ["Python", "PostgreSQL"],
            }}),
            CallOptions::default(),
        )
        .await?;
    let job_id = job.body["id"].as_str().unwrap_or_default().to_owned();
    println!("job {job_id} ({} attempt(s))", job.attempts);

    let matched = client
        .call(
            "createMatch",
            json!({"body": {"candidate_id": candidate_id, "job_id": job_id}}),
            CallOptions::default(),
        )
        .await?;
    println!(
        "match score {} ({}), matched skills {}",
        matched.body["score"], matched.body["verdict"], matched.body["matched_skills"]
    );

    let salary = client
        .call(
            "predictSalary",
            json!({"body": {"candidate_id": candidate_id}}),
            CallOptions::default(),
        )
        .await?;
    println!(
        "salary {} {} (range {} – {}, model {})",
        salary.body["expected"],
        salary.body["currency"],
        salary.body["low"],
        salary.body["high"],
        salary.body["model_version"]
    );

    // Errors are typed: kind, status, stable code and the server's request id.
    match client
        .call(
            "getCandidate",
            json!({"candidate_id": "cand_missing"}),
            CallOptions::default(),
        )
        .await
    {
        Err(err) if err.kind() == ErrorKind::NotFound => println!(
            "missing candidate → {} (code {:?}, request id {:?})",
            err.kind(),
            err.code(),
            err.request_id()
        ),
        Err(err) => return Err(err),
        Ok(_) => println!("unexpectedly found cand_missing"),
    }

    // Clean up what the example created.
    client
        .call(
            "deleteJob",
            json!({"job_id": job_id}),
            CallOptions::default(),
        )
        .await?;
    client
        .call(
            "deleteCandidate",
            json!({"candidate_id": candidate_id}),
            CallOptions::default(),
        )
        .await?;
    println!("done");
    Ok(())
}
