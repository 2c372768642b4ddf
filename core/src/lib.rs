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
