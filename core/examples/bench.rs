//! Rough timings of the domain operations the API serves, on the fixtures:
//! `cargo run --release -p mismatch-core --example bench`

use std::hint::black_box;
use std::time::Instant;

use mismatch_core::matching::{CandidateProfile, JobProfile, MatchWeights, rank_candidates, score};
use mismatch_core::resume::{DocumentFormat, parse_document, parse_text};
use mismatch_core::salary::{SalaryFeatures, SalaryModel};
use mismatch_core::{RemotePolicy, Seniority};

fn time<T>(label: &str, runs: u32, mut f: impl FnMut() -> T) {
    let started = Instant::now();
    for _ in 0..runs {
        black_box(f());
    }
    let per_run = started.elapsed() / runs;
    println!("{label:<44} {:>10.1?} per run ({runs} runs)", per_run);
}

fn main() {
    let fixtures = format!("{}/../tests/fixtures", env!("CARGO_MANIFEST_DIR"));
    let txt = std::fs::read_to_string(format!("{fixtures}/resume.txt")).expect("resume.txt");
    let pdf = std::fs::read(format!("{fixtures}/resume.pdf")).expect("resume.pdf");
    let docx = std::fs::read(format!("{fixtures}/resume.docx")).expect("resume.docx");

    let started = Instant::now();
    mismatch_core::warm_up();
    println!(
        "{:<44} {:>10.1?}",
        "warm_up (vocabulary, IDF, salary fit)",
        started.elapsed()
    );

    time("parse_text(resume.txt)", 200, || parse_text(&txt));
    time("parse_document(resume.pdf)", 200, || {
        parse_document(&pdf, DocumentFormat::Pdf)
    });
    time("parse_document(resume.docx)", 200, || {
        parse_document(&docx, DocumentFormat::Docx)
    });

    let parsed = parse_text(&txt).expect("fixture parses");
    let candidate = CandidateProfile {
        id: "c".into(),
        skills: parsed.skills.clone(),
        years_experience: parsed.years_experience.unwrap_or(0.0),
        seniority: parsed.seniority,
        location: parsed.location.clone(),
        salary_expectation: parsed.salary_expectation,
        text: parsed.text.clone(),
    };
    let job = JobProfile {
        id: "j".into(),
        title: "Senior Backend Engineer".into(),
        description: "Python services on PostgreSQL and Kubernetes in AWS.".into(),
        required_skills: vec!["Python".into(), "PostgreSQL".into(), "Kubernetes".into()],
        nice_to_have_skills: vec!["Terraform".into()],
        seniority: Some(Seniority::Senior),
        min_years: 5.0,
        location: Some("Berlin, Germany".into()),
        remote: RemotePolicy::Hybrid,
        salary_min: Some(80_000),
        salary_max: Some(110_000),
    };
    let weights = MatchWeights::default();
    time("score(candidate, job)", 2_000, || {
        score(&candidate, &job, &weights)
    });

    let pool: Vec<CandidateProfile> = (0..10_000)
        .map(|i| CandidateProfile {
            id: format!("c{i}"),
            years_experience: (i % 15) as f32,
            ..candidate.clone()
        })
        .collect();
    time("rank_candidates(10,000 candidates, k=20)", 3, || {
        rank_candidates(&job, &pool, &weights, 20)
    });

    let features = SalaryFeatures {
        years_experience: 7.0,
        education: parsed.education,
        skills: parsed.skills.iter().map(|s| s.name.clone()).collect(),
        location: parsed.location.clone(),
    };
    time("SalaryModel::predict", 10_000, || {
        SalaryModel::default_model().predict(&features)
    });
}
