//! The domain pipeline end to end, on the shared fixtures: upload → parse →
//! match and rank → salary, as the server runs it.

use mismatch_core::matching::{
    CandidateProfile, JobProfile, MatchWeights, Verdict, rank_candidates, rank_jobs, score,
};
use mismatch_core::resume::{DocumentFormat, ParseError, ParsedResume, parse_document};
use mismatch_core::salary::{SalaryFeatures, SalaryModel};
use mismatch_core::{RemotePolicy, Seniority};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn upload(name: &str) -> Result<ParsedResume, ParseError> {
    let bytes = fixture(name);
    let format = DocumentFormat::detect(&bytes, Some(name), None)?;
    parse_document(&bytes, format)
}

fn profile(id: &str, r: &ParsedResume) -> CandidateProfile {
    CandidateProfile {
        id: id.to_owned(),
        skills: r.skills.clone(),
        years_experience: r.years_experience.unwrap_or(0.0),
        seniority: r.seniority,
        location: r.location.clone(),
        salary_expectation: r.salary_expectation,
        text: r.text.clone(),
    }
}

fn backend_job() -> JobProfile {
    JobProfile {
        id: "job_backend".into(),
        title: "Senior Backend Engineer (Python)".into(),
        description: "You will design APIs in Python with FastAPI, model data in PostgreSQL, \
                      and run services on Kubernetes in AWS, managed with Terraform."
            .into(),
        required_skills: vec!["Python".into(), "PostgreSQL".into(), "Kubernetes".into()],
        nice_to_have_skills: vec!["Terraform".into(), "Kafka".into()],
        seniority: Some(Seniority::Senior),
        min_years: 5.0,
        location: Some("Berlin, Germany".into()),
        remote: RemotePolicy::Hybrid,
        salary_min: Some(85_000),
        salary_max: Some(105_000),
    }
}

fn data_job() -> JobProfile {
    JobProfile {
        id: "job_data".into(),
        title: "Data Engineer".into(),
        description: "Batch and streaming pipelines with Spark, Airflow and Kafka on AWS.".into(),
        required_skills: vec!["Apache Spark".into(), "Airflow".into(), "SQL".into()],
        nice_to_have_skills: vec!["Kafka".into(), "dbt".into()],
        seniority: Some(Seniority::Mid),
        min_years: 3.0,
        location: Some("Lisbon, Portugal".into()),
        remote: RemotePolicy::Remote,
        salary_min: Some(60_000),
        salary_max: Some(80_000),
    }
}

#[test]
fn text_resume_has_the_skills_every_sdk_test_expects() {
    let r = upload("resume.txt").unwrap();
    let names: Vec<&str> = r.skills.iter().map(|s| s.name.as_str()).collect();
    for skill in ["Python", "PostgreSQL", "Kubernetes"] {
        assert!(names.contains(&skill), "{skill} not in {names:?}");
    }
}

#[test]
fn pdf_and_docx_resumes_are_parsed() {
    let pdf = upload("resume.pdf").unwrap();
    assert_eq!(pdf.name.as_deref(), Some("Carlos Mendes"));
    assert_eq!(pdf.email.as_deref(), Some("carlos.mendes@example.org"));
    assert_eq!(pdf.location.as_deref(), Some("Lisbon, Portugal"));
    assert_eq!(pdf.years_experience, Some(5.0));
    assert_eq!(pdf.languages, vec!["Portuguese", "English", "Spanish"]);
    assert_eq!(pdf.salary_expectation, Some(70_000));
    let spark = pdf
        .skills
        .iter()
        .find(|s| s.name == "Apache Spark")
        .unwrap();
    assert_eq!(spark.years, Some(4.0));

    let docx = upload("resume.docx").unwrap();
    assert_eq!(docx.name.as_deref(), Some("Amira Haddad"));
    assert_eq!(docx.phone.as_deref(), Some("+44 20 7946 0321"));
    assert_eq!(docx.location.as_deref(), Some("London, United Kingdom"));
    let names: Vec<&str> = docx.skills.iter().map(|s| s.name.as_str()).collect();
    for skill in ["React", "TypeScript", "Next.js", "GraphQL"] {
        assert!(names.contains(&skill), "{skill} not in {names:?}");
    }
}

#[test]
fn unreadable_uploads_are_rejected_with_their_codes() {
    assert_eq!(
        upload("encrypted.pdf").unwrap_err().code(),
        "encrypted_document"
    );
    assert_eq!(
        upload("corrupt.pdf").unwrap_err().code(),
        "unreadable_document"
    );
    assert!(upload("restricted.pdf").is_ok());
}

#[test]
fn each_candidate_ranks_first_for_the_job_that_fits_them() {
    let backend = profile("jane", &upload("resume.txt").unwrap());
    let data = profile("carlos", &upload("resume.pdf").unwrap());
    let frontend = profile("amira", &upload("resume.docx").unwrap());
    let candidates = vec![frontend, data, backend];
    let weights = MatchWeights::default();

    let for_backend = rank_candidates(&backend_job(), &candidates, &weights, 3);
    assert_eq!(for_backend[0].0, 2, "{for_backend:#?}");
    assert!(
        matches!(for_backend[0].1.verdict, Verdict::Strong | Verdict::Good),
        "{for_backend:#?}"
    );
    let for_data = rank_candidates(&data_job(), &candidates, &weights, 3);
    assert_eq!(for_data[0].0, 1, "{for_data:#?}");

    let jobs = vec![backend_job(), data_job()];
    assert_eq!(rank_jobs(&candidates[2], &jobs, &weights, 2)[0].0, 0);
    assert_eq!(rank_jobs(&candidates[1], &jobs, &weights, 2)[0].0, 1);

    let explained = score(&candidates[0], &backend_job(), &weights);
    assert_eq!(
        explained.missing_required_skills,
        vec!["Python", "PostgreSQL", "Kubernetes"]
    );
    assert!(
        explained
            .explanation
            .iter()
            .any(|e| e.starts_with("Has 0 of 3 required skills")),
        "{:?}",
        explained.explanation
    );
}

#[test]
fn salary_for_a_parsed_resume() {
    let r = upload("resume.txt").unwrap();
    let features = SalaryFeatures {
        years_experience: r.years_experience.unwrap_or(0.0),
        education: r.education,
        skills: r.skills.iter().map(|s| s.name.clone()).collect(),
        location: r.location.clone(),
    };
    let p = SalaryModel::default_model().predict(&features);
    assert!(p.low < p.expected && p.expected < p.high);
    assert!(p.expected > 60_000.0 && p.expected < 250_000.0, "{p:?}");
    assert!(p.market_percentile > 50.0, "{p:?}");
    assert_eq!(p.model_version, SalaryModel::default_model().version());
}
