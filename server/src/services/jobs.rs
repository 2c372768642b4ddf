//! Job postings: validate, store, keep the match index current; updates are
//! conditional on the version read, so concurrent changes never overwrite
//! each other.

use mismatch_core::JobStatus;
use mismatch_core::skills::SkillVocabulary;

use super::Limits;
use crate::error::{ApiError, ErrorCode, FieldError};
use crate::ids::JobId;
use crate::state::{AppState, now_ms};
use crate::storage::Page;
use crate::storage::jobs::{JobRecord, JobUpdate};

/// Canonical skill names (known synonyms mapped, e.g. `k8s` → `Kubernetes`),
/// deduplicated case-insensitively, in the given order.
pub fn canonical_skills(
    field: &str,
    skills: &[String],
    errors: &mut Vec<FieldError>,
) -> Vec<String> {
    if skills.len() > Limits::SKILLS {
        errors.push(FieldError::new(
            field,
            format!("at most {} skills", Limits::SKILLS),
        ));
        return Vec::new();
    }
    let vocabulary = SkillVocabulary::global();
    let mut out: Vec<String> = Vec::new();
    for (i, raw) in skills.iter().enumerate() {
        let name = raw.trim();
        let before = errors.len();
        Limits::check(&format!("{field}[{i}]"), name, Limits::SKILL, errors);
        if errors.len() > before {
            continue;
        }
        let canonical = vocabulary.canonical(name).unwrap_or(name).to_owned();
        if !out.iter().any(|s| s.eq_ignore_ascii_case(&canonical)) {
            out.push(canonical);
        }
    }
    out
}

/// Checks the fields of a complete job and collects every problem.
pub fn validate(job: &JobRecord, errors: &mut Vec<FieldError>) {
    Limits::check("title", &job.title, Limits::TITLE, errors);
    if let Some(company) = &job.company {
        Limits::check("company", company, Limits::COMPANY, errors);
    }
    if let Some(location) = &job.location {
        Limits::check("location", location, Limits::LOCATION, errors);
    }
    if job.description.chars().nth(Limits::DESCRIPTION).is_some() {
        errors.push(FieldError::new(
            "description",
            format!("must be at most {} characters", Limits::DESCRIPTION),
        ));
    }
    if !job.min_years.is_finite() || !(0.0..=60.0).contains(&job.min_years) {
        errors.push(FieldError::new("min_years", "must be between 0 and 60"));
    }
    if let (Some(min), Some(max)) = (job.salary_min, job.salary_max)
        && min > max
    {
        errors.push(FieldError::new("salary_min", "must not exceed salary_max"));
    }
    if job.currency.len() != 3 || !job.currency.bytes().all(|b| b.is_ascii_uppercase()) {
        errors.push(FieldError::new(
            "currency",
            "must be a three-letter ISO 4217 code such as USD",
        ));
    }
}

/// Stores a new job (built by the caller with `id`, version 1 and
/// timestamps) after validating it, and indexes it if open.
pub async fn create(
    state: &AppState,
    job: JobRecord,
    mut errors: Vec<FieldError>,
) -> Result<JobRecord, ApiError> {
    validate(&job, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::validation_many(errors));
    }
    state.storage().insert_job(&job).await?;
    crate::services::audit::note_created(job.id.as_str());
    state.indexes().upsert_job(state.storage(), &job).await;
    Ok(job)
}

pub async fn get(state: &AppState, id: &JobId) -> Result<JobRecord, ApiError> {
    state
        .storage()
        .get_job(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("job {id} does not exist")))
}

pub async fn list(
    state: &AppState,
    status: Option<JobStatus>,
    cursor: Option<&JobId>,
    limit: u32,
) -> Result<Page<JobRecord>, ApiError> {
    Ok(state.storage().list_jobs(status, cursor, limit).await?)
}

/// How many times a change is re-applied on a fresh read when another
/// writer got in between, before giving up with 409.
const UPDATE_ATTEMPTS: usize = 16;

/// Applies `change` to the current job and stores it if nobody changed the
/// job in between; otherwise reads it again and re-applies `change` (it
/// names only the fields the client sent, so no other field is lost). With
/// `if_match`, the job must still be at that version: 412 otherwise.
pub async fn update(
    state: &AppState,
    id: &JobId,
    if_match: Option<i64>,
    change: impl Fn(&mut JobRecord, &mut Vec<FieldError>),
) -> Result<JobRecord, ApiError> {
    for _ in 0..UPDATE_ATTEMPTS {
        let current = get(state, id).await?;
        if let Some(expected) = if_match
            && current.version != expected
        {
            return Err(precondition_failed(id, current.version));
        }
        let mut job = current.clone();
        let mut errors = Vec::new();
        change(&mut job, &mut errors);
        validate(&job, &mut errors);
        if !errors.is_empty() {
            return Err(ApiError::validation_many(errors));
        }
        job.updated_at = now_ms().max(current.updated_at);
        job.version = current.version + 1;
        match state.storage().update_job(&job, current.version).await? {
            JobUpdate::Updated => {
                state.indexes().upsert_job(state.storage(), &job).await;
                return Ok(job);
            }
            JobUpdate::Missing => {
                return Err(ApiError::not_found(format!("job {id} does not exist")));
            }
            JobUpdate::VersionMismatch if if_match.is_some() => {
                let now = get(state, id).await?;
                return Err(precondition_failed(id, now.version));
            }
            JobUpdate::VersionMismatch => continue,
        }
    }
    Err(ApiError::conflict(format!(
        "job {id} is being changed by others too often; retry"
    )))
}

fn precondition_failed(id: &JobId, current: i64) -> ApiError {
    ApiError::coded(
        ErrorCode::PreconditionFailed,
        format!("job {id} is at version \"{current}\", not the one If-Match names; read it again"),
    )
}

/// Deletes the job, its stored replays and its index entry.
pub async fn delete(state: &AppState, id: &JobId) -> Result<(), ApiError> {
    if !state.storage().delete_job(id).await? {
        return Err(ApiError::not_found(format!("job {id} does not exist")));
    }
    state
        .indexes()
        .remove_job(state.storage(), id.as_str())
        .await;
    Ok(())
}
