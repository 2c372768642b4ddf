//! The workflows of the API, one module per concern. Each owns its side
//! effects — the storage write, the match-index update, and the audit,
//! cache and task work the enterprise layer adds — so that routes and the
//! CLI call one function and nothing is forgotten on some path.
//!
//! Services speak in storage records and domain types and answer
//! [`ApiError`](crate::error::ApiError)s; wire types stay in the routes.

pub mod accounts;
pub mod audit;
pub mod candidates;
pub mod encryption;
pub mod jobs;
pub mod matching;
pub mod privacy;
pub mod salary_models;
pub mod sessions;
pub mod users;

use crate::error::{ApiError, FieldError};
use crate::state::AppState;

/// For the readiness probe: the storage backend's name when the database
/// answers and holds this build's schema.
pub async fn readiness(state: &AppState) -> Result<&'static str, ApiError> {
    match state.storage().check_schema().await {
        Ok(()) => Ok(state.storage().backend().as_str()),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed");
            Err(ApiError::unavailable(
                "the database is not reachable or lacks its schema",
            ))
        }
    }
}

/// Caps on the size of every stored field, declared in `openapi.json` as
/// `maxLength` / `maxItems` too. Lengths are in characters (Unicode scalar
/// values) unless the name says bytes.
pub struct Limits;

impl Limits {
    pub const NAME: usize = 200;
    /// RFC 5321's limit on a path.
    pub const EMAIL: usize = 254;
    pub const PHONE: usize = 50;
    pub const LOCATION: usize = 200;
    pub const FILENAME: usize = 255;
    pub const CONTENT_TYPE: usize = 255;
    pub const TITLE: usize = 200;
    pub const COMPANY: usize = 200;
    pub const DESCRIPTION: usize = 50_000;
    pub const SKILL: usize = 100;
    pub const SKILLS: usize = 100;
    pub const KEY_NAME: usize = 100;
    pub const MODEL_NAME: usize = 100;
    /// A resume's text, in UTF-8 bytes (the parser's bound, 1 MiB): far
    /// more than any resume, and what bounds a candidate's row and its index
    /// entry.
    pub const TEXT_BYTES: usize = mismatch_core::resume::MAX_TEXT_BYTES;

    /// Adds an error unless `value` is 1..=`cap` characters.
    pub fn check(field: &str, value: &str, cap: usize, errors: &mut Vec<FieldError>) {
        if value.is_empty() || value.chars().nth(cap).is_some() {
            errors.push(FieldError::new(
                field,
                format!("must be 1–{cap} characters"),
            ));
        }
    }
}

/// Rounds a score or amount for presentation and storage (f32 noise such as
/// 72.30000305 is not information).
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
