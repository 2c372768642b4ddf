#![warn(missing_docs)]
//! Domain logic of mismatch-recruiter: resume parsing, the skills vocabulary,
//! candidate/job matching and the salary model.
//!
//! This crate knows nothing of HTTP, SQL or JSON wire formats; the server maps
//! these types to its API.

pub mod matching;
pub mod profile;
pub mod resume;
pub mod salary;
pub mod skills;
mod text;

pub use profile::{EducationLevel, RemotePolicy, Seniority, UnknownVariant};

/// Loads the embedded data and fits the salary model now rather than on the
/// first request that needs them (each is otherwise built lazily, once).
pub fn warm_up() {
    let _ = skills::SkillVocabulary::global();
    text::warm_up();
    let _ = salary::SalaryModel::default_model();
}
