#![warn(missing_docs)]
//! Domain logic of mismatch-recruiter: resume parsing, the skills vocabulary,
//! candidate/job matching and the salary model.
//!
//! This crate knows nothing of HTTP, SQL or JSON wire formats; the server maps
//! these types to its API.
//!
//! ```
//! use mismatch_core::matching::{score, CandidateProfile, JobProfile, MatchWeights};
//! use mismatch_core::resume::parse_text;
//! use mismatch_core::salary::{SalaryFeatures, SalaryModel};
//! use mismatch_core::{RemotePolicy, Seniority};
//!
//! let resume = parse_text(
//!     "Ana Lima\nana@example.org\nBackend engineer, 6 years of experience.\n\
//!      Skills: Python (6 years), Postgres, k8s",
//! )
//! .unwrap();
//! let names: Vec<&str> = resume.skills.iter().map(|s| s.name.as_str()).collect();
//! assert_eq!(names, ["Python", "PostgreSQL", "Kubernetes"]);
//!
//! let candidate = CandidateProfile {
//!     id: "cand_1".into(),
//!     skills: resume.skills.clone(),
//!     years_experience: resume.years_experience.unwrap_or(0.0),
//!     seniority: resume.seniority,
//!     location: resume.location.clone(),
//!     salary_expectation: resume.salary_expectation,
//!     text: resume.text.clone(),
//! };
//! let job = JobProfile {
//!     id: "job_1".into(),
//!     title: "Backend Engineer".into(),
//!     description: "Python APIs on PostgreSQL, deployed to Kubernetes.".into(),
//!     required_skills: vec!["Python".into(), "PostgreSQL".into()],
//!     nice_to_have_skills: vec!["Kubernetes".into()],
//!     seniority: Some(Seniority::Mid),
//!     min_years: 3.0,
//!     location: None,
//!     remote: RemotePolicy::Remote,
//!     salary_min: None,
//!     salary_max: None,
//! };
//! let result = score(&candidate, &job, &MatchWeights::default());
//! assert!(result.score >= 85.0, "{result:?}");
//! assert!(result.missing_required_skills.is_empty());
//!
//! let salary = SalaryModel::default_model().predict(&SalaryFeatures {
//!     years_experience: 6.0,
//!     skills: vec!["Python".into()],
//!     ..SalaryFeatures::default()
//! });
//! assert!(salary.low < salary.expected && salary.expected < salary.high);
//! ```

pub mod analytics;
pub mod interview;
pub mod matching;
pub mod profile;
pub mod resume;
pub mod salary;
pub mod security;
pub mod skills;
mod text;

pub use profile::{EducationLevel, JobStatus, RemotePolicy, Seniority, UnknownVariant};

/// Loads the embedded data and fits the salary model now rather than on the
/// first request that needs them (each is otherwise built lazily, once).
pub fn warm_up() {
    let _ = skills::SkillVocabulary::global();
    text::warm_up();
    let _ = salary::SalaryModel::default_model();
    let _ = interview::QuestionBank::global();
}
