//! `/v1/jobs`: job postings.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use mismatch_core::skills::SkillVocabulary;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ListParams, is_id};
use crate::auth::{Authorized, scope};
use crate::error::{ApiError, FieldError, Problem};
use crate::extract::{ApiJson, ApiQuery};
use crate::models::{JobStatus, RemotePolicy, Seniority};
use crate::state::{AppState, now_ms, rfc3339};
use crate::storage::JobRecord;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_job, list_jobs))
        .routes(routes!(get_job, update_job, delete_job))
}

const MAX_SKILLS: usize = 100;

/// A new job posting.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateJob {
    /// 1–200 characters.
    pub title: String,
    pub company: Option<String>,
    #[serde(default)]
    pub description: String,
    /// Skills a candidate must have (canonicalised, e.g. `k8s` → `Kubernetes`).
    #[serde(default)]
    pub required_skills: Vec<String>,
    /// Skills that help but are not required.
    #[serde(default)]
    pub nice_to_have_skills: Vec<String>,
    pub seniority: Option<Seniority>,
    /// Minimum years of experience (default 0).
    #[schema(minimum = 0, maximum = 60)]
    pub min_years: Option<f64>,
    pub location: Option<String>,
    /// Default `onsite`.
    pub remote: Option<RemotePolicy>,
    pub salary_min: Option<u32>,
    pub salary_max: Option<u32>,
    /// ISO 4217 code (default `USD`).
    pub currency: Option<String>,
    /// Default `open`.
    pub status: Option<JobStatus>,
}

/// An optional job field that a patch can clear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClearableJobField {
    Company,
    Seniority,
    Location,
    SalaryMin,
    SalaryMax,
}

/// Changes to a job: only the fields present are changed. To remove an
/// optional value, name it in `clear` (or send it as `null`).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JobPatch {
    /// Optional fields to remove. A field may not be both set and cleared.
    /// (Typed clients drop `null` fields, so they clear through this list.)
    #[serde(default)]
    pub clear: Vec<ClearableJobField>,
    pub title: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub company: Option<Option<String>>,
    pub description: Option<String>,
    pub required_skills: Option<Vec<String>>,
    pub nice_to_have_skills: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Seniority>)]
    pub seniority: Option<Option<Seniority>>,
    #[schema(minimum = 0, maximum = 60)]
    pub min_years: Option<f64>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub location: Option<Option<String>>,
    pub remote: Option<RemotePolicy>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u32>)]
    pub salary_min: Option<Option<u32>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u32>)]
    pub salary_max: Option<Option<u32>>,
    pub currency: Option<String>,
    pub status: Option<JobStatus>,
}

/// Distinguishes an absent field (outer `None`, via `default`) from an
/// explicit `null` (`Some(None)`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    de: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(de).map(Some)
}

/// A job posting.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Job {
    /// `job_…`
    pub id: String,
    pub title: String,
    pub company: Option<String>,
    pub description: String,
    pub required_skills: Vec<String>,
    pub nice_to_have_skills: Vec<String>,
    pub seniority: Option<Seniority>,
    pub min_years: f64,
    pub location: Option<String>,
    pub remote: RemotePolicy,
    pub salary_min: Option<u32>,
    pub salary_max: Option<u32>,
    pub currency: String,
    pub status: JobStatus,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// A page of jobs.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct JobPage {
    pub items: Vec<Job>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListJobsParams {
    /// Page size, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Only jobs with this status.
    pub status: Option<JobStatus>,
}

impl From<JobRecord> for Job {
    fn from(r: JobRecord) -> Self {
        Job {
            id: r.id,
            title: r.title,
            company: r.company,
            description: r.description,
            required_skills: r.required_skills,
            nice_to_have_skills: r.nice_to_have_skills,
            seniority: r.seniority.as_deref().and_then(Seniority::parse),
            min_years: r.min_years,
            location: r.location,
            remote: RemotePolicy::parse(&r.remote).unwrap_or(RemotePolicy::Onsite),
            salary_min: r.salary_min.and_then(|v| u32::try_from(v).ok()),
            salary_max: r.salary_max.and_then(|v| u32::try_from(v).ok()),
            currency: r.currency,
            status: JobStatus::parse(&r.status).unwrap_or(JobStatus::Open),
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
        }
    }
}

/// Canonical skill names (known synonyms mapped, e.g. `k8s` → `Kubernetes`),
/// deduplicated case-insensitively, in the given order.
pub fn canonical_skills(
    field: &str,
    skills: &[String],
    errors: &mut Vec<FieldError>,
) -> Vec<String> {
    if skills.len() > MAX_SKILLS {
        errors.push(FieldError {
            field: field.to_owned(),
            message: format!("at most {MAX_SKILLS} skills"),
        });
        return Vec::new();
    }
    let vocabulary = SkillVocabulary::global();
    let mut out: Vec<String> = Vec::new();
    for (i, raw) in skills.iter().enumerate() {
        let name = raw.trim();
        if name.is_empty() || name.chars().count() > 100 {
            errors.push(FieldError {
                field: format!("{field}[{i}]"),
                message: "must be 1–100 characters".to_owned(),
            });
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
fn validate_job(job: &JobRecord, errors: &mut Vec<FieldError>) {
    let mut push = |field: &str, message: &str| {
        errors.push(FieldError {
            field: field.to_owned(),
            message: message.to_owned(),
        })
    };
    if job.title.is_empty() || job.title.chars().count() > 200 {
        push("title", "must be 1–200 characters");
    }
    if job.description.chars().count() > 50_000 {
        push("description", "must be at most 50000 characters");
    }
    if !job.min_years.is_finite() || !(0.0..=60.0).contains(&job.min_years) {
        push("min_years", "must be between 0 and 60");
    }
    if let (Some(min), Some(max)) = (job.salary_min, job.salary_max)
        && min > max
    {
        push("salary_min", "must not exceed salary_max");
    }
    if job.currency.len() != 3 || !job.currency.bytes().all(|b| b.is_ascii_uppercase()) {
        push(
            "currency",
            "must be a three-letter ISO 4217 code such as USD",
        );
    }
}

fn trimmed(value: Option<String>) -> Option<String> {
    super::clean(value)
}

/// Create a job
#[utoipa::path(
    post,
    path = "/jobs",
    tag = "jobs",
    operation_id = "createJob",
    request_body = CreateJob,
    responses(
        (status = 201, description = "The job", body = Job),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, invalid, revoked or expired API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks the jobs:write scope", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field (see `errors`)", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn create_job(
    State(state): State<AppState>,
    _auth: Authorized<scope::JobsWrite>,
    ApiJson(req): ApiJson<CreateJob>,
) -> Result<(StatusCode, Json<Job>), ApiError> {
    let mut errors = Vec::new();
    let now = now_ms();
    let job = JobRecord {
        id: state.new_id("job"),
        title: req.title.trim().to_owned(),
        company: trimmed(req.company),
        description: req.description.trim().to_owned(),
        required_skills: canonical_skills("required_skills", &req.required_skills, &mut errors),
        nice_to_have_skills: canonical_skills(
            "nice_to_have_skills",
            &req.nice_to_have_skills,
            &mut errors,
        ),
        seniority: req.seniority.map(|s| s.as_str().to_owned()),
        min_years: req.min_years.unwrap_or(0.0),
        location: trimmed(req.location),
        remote: req
            .remote
            .unwrap_or(RemotePolicy::Onsite)
            .as_str()
            .to_owned(),
        salary_min: req.salary_min.map(i64::from),
        salary_max: req.salary_max.map(i64::from),
        currency: req
            .currency
            .map(|c| c.trim().to_owned())
            .unwrap_or_else(|| "USD".to_owned()),
        status: req.status.unwrap_or_default().as_str().to_owned(),
        created_at: now,
        updated_at: now,
    };
    validate_job(&job, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::validation_many(errors));
    }
    state.storage().insert_job(&job).await?;
    state.indexes().upsert_job(state.storage(), &job).await;
    Ok((StatusCode::CREATED, Json(job.into())))
}

/// List jobs
///
/// Newest first, paginated with `limit` and `cursor`, optionally only
/// `open` or `closed` ones.
#[utoipa::path(
    get,
    path = "/jobs",
    tag = "jobs",
    operation_id = "listJobs",
    params(ListJobsParams),
    responses(
        (status = 200, description = "A page of jobs, newest first", body = JobPage),
        (status = 401, description = "Missing, invalid, revoked or expired API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks the jobs:read scope", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid `limit`, `cursor` or `status`", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn list_jobs(
    State(state): State<AppState>,
    _auth: Authorized<scope::JobsRead>,
    ApiQuery(params): ApiQuery<ListJobsParams>,
) -> Result<Json<JobPage>, ApiError> {
    let list = ListParams {
        limit: params.limit,
        cursor: params.cursor,
    };
    let (limit, cursor) = list.validate("job")?;
    let page = state
        .storage()
        .list_jobs(params.status.map(JobStatus::as_str), cursor, limit)
        .await?;
    Ok(Json(JobPage {
        items: page.items.into_iter().map(Job::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// Loads a job or answers 404.
pub async fn load_job(state: &AppState, id: &str) -> Result<JobRecord, ApiError> {
    let not_found = || ApiError::not_found(format!("job {id} does not exist"));
    if !is_id(id, "job") {
        return Err(not_found());
    }
    state.storage().get_job(id).await?.ok_or_else(not_found)
}

/// Get a job
#[utoipa::path(
    get,
    path = "/jobs/{job_id}",
    tag = "jobs",
    operation_id = "getJob",
    params(("job_id" = String, Path, description = "`job_…` id")),
    responses(
        (status = 200, description = "The job", body = Job),
        (status = 401, description = "Missing, invalid, revoked or expired API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks the jobs:read scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such job", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn get_job(
    State(state): State<AppState>,
    _auth: Authorized<scope::JobsRead>,
    Path(job_id): Path<String>,
) -> Result<Json<Job>, ApiError> {
    Ok(Json(load_job(&state, &job_id).await?.into()))
}

/// Update a job
///
/// Changes only the fields present in the body; `null` clears an optional
/// field.
#[utoipa::path(
    patch,
    path = "/jobs/{job_id}",
    tag = "jobs",
    operation_id = "updateJob",
    params(("job_id" = String, Path, description = "`job_…` id")),
    request_body = JobPatch,
    responses(
        (status = 200, description = "The updated job", body = Job),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, invalid, revoked or expired API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks the jobs:write scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such job", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field (see `errors`)", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn update_job(
    State(state): State<AppState>,
    _auth: Authorized<scope::JobsWrite>,
    Path(job_id): Path<String>,
    ApiJson(mut patch): ApiJson<JobPatch>,
) -> Result<Json<Job>, ApiError> {
    let mut job = load_job(&state, &job_id).await?;
    let mut errors = Vec::new();
    for (i, field) in patch.clear.iter().enumerate() {
        let also_set = match field {
            ClearableJobField::Company => matches!(patch.company, Some(Some(_))),
            ClearableJobField::Seniority => matches!(patch.seniority, Some(Some(_))),
            ClearableJobField::Location => matches!(patch.location, Some(Some(_))),
            ClearableJobField::SalaryMin => matches!(patch.salary_min, Some(Some(_))),
            ClearableJobField::SalaryMax => matches!(patch.salary_max, Some(Some(_))),
        };
        if also_set {
            errors.push(FieldError {
                field: format!("clear[{i}]"),
                message: "this field is also set in the same patch".to_owned(),
            });
        }
        match field {
            ClearableJobField::Company => patch.company = Some(None),
            ClearableJobField::Seniority => patch.seniority = Some(None),
            ClearableJobField::Location => patch.location = Some(None),
            ClearableJobField::SalaryMin => patch.salary_min = Some(None),
            ClearableJobField::SalaryMax => patch.salary_max = Some(None),
        }
    }
    if let Some(title) = patch.title {
        job.title = title.trim().to_owned();
    }
    if let Some(company) = patch.company {
        job.company = trimmed(company);
    }
    if let Some(description) = patch.description {
        job.description = description.trim().to_owned();
    }
    if let Some(skills) = patch.required_skills {
        job.required_skills = canonical_skills("required_skills", &skills, &mut errors);
    }
    if let Some(skills) = patch.nice_to_have_skills {
        job.nice_to_have_skills = canonical_skills("nice_to_have_skills", &skills, &mut errors);
    }
    if let Some(seniority) = patch.seniority {
        job.seniority = seniority.map(|s| s.as_str().to_owned());
    }
    if let Some(min_years) = patch.min_years {
        job.min_years = min_years;
    }
    if let Some(location) = patch.location {
        job.location = trimmed(location);
    }
    if let Some(remote) = patch.remote {
        job.remote = remote.as_str().to_owned();
    }
    if let Some(salary_min) = patch.salary_min {
        job.salary_min = salary_min.map(i64::from);
    }
    if let Some(salary_max) = patch.salary_max {
        job.salary_max = salary_max.map(i64::from);
    }
    if let Some(currency) = patch.currency {
        job.currency = currency.trim().to_owned();
    }
    if let Some(status) = patch.status {
        job.status = status.as_str().to_owned();
    }
    job.updated_at = now_ms().max(job.updated_at);
    validate_job(&job, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::validation_many(errors));
    }
    if !state.storage().update_job(&job).await? {
        return Err(ApiError::not_found(format!("job {job_id} does not exist")));
    }
    state.indexes().upsert_job(state.storage(), &job).await;
    Ok(Json(job.into()))
}

/// Delete a job
#[utoipa::path(
    delete,
    path = "/jobs/{job_id}",
    tag = "jobs",
    operation_id = "deleteJob",
    params(("job_id" = String, Path, description = "`job_…` id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Missing, invalid, revoked or expired API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks the jobs:write scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such job", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn delete_job(
    State(state): State<AppState>,
    _auth: Authorized<scope::JobsWrite>,
    Path(job_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if !is_id(&job_id, "job") || !state.storage().delete_job(&job_id).await? {
        return Err(ApiError::not_found(format!("job {job_id} does not exist")));
    }
    state.indexes().remove_job(state.storage(), &job_id).await;
    Ok(StatusCode::NO_CONTENT)
}
