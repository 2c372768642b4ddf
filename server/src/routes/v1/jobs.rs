//! `/v1/jobs`: job postings.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ListParams;
use crate::auth::{Authorized, scope};
use crate::error::{ApiError, FieldError, Problem};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::ids::JobId;
use crate::models::{JobStatus, RemotePolicy, Seniority};
use crate::services::candidates::clean;
use crate::services::jobs::{self as service, canonical_skills};
use crate::state::{AppState, now_ms, rfc3339};
use crate::storage::jobs::JobRecord;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_job, list_jobs))
        .routes(routes!(get_job, update_job, delete_job))
}

/// A new job posting.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateJob {
    /// 1–200 characters.
    #[schema(max_length = 200)]
    pub title: String,
    #[schema(max_length = 200)]
    pub company: Option<String>,
    #[serde(default)]
    #[schema(max_length = 50_000)]
    pub description: String,
    /// Skills a candidate must have (canonicalised, e.g. `k8s` → `Kubernetes`).
    #[serde(default)]
    #[schema(max_items = 100)]
    pub required_skills: Vec<String>,
    /// Skills that help but are not required.
    #[serde(default)]
    #[schema(max_items = 100)]
    pub nice_to_have_skills: Vec<String>,
    pub seniority: Option<Seniority>,
    /// Minimum years of experience (default 0).
    #[schema(minimum = 0, maximum = 60)]
    pub min_years: Option<f64>,
    #[schema(max_length = 200)]
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
    #[schema(max_length = 200)]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub company: Option<Option<String>>,
    #[schema(max_length = 50_000)]
    pub description: Option<String>,
    #[schema(max_items = 100)]
    pub required_skills: Option<Vec<String>>,
    #[schema(max_items = 100)]
    pub nice_to_have_skills: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Seniority>)]
    pub seniority: Option<Option<Seniority>>,
    #[schema(minimum = 0, maximum = 60)]
    pub min_years: Option<f64>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 200)]
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
    #[schema(value_type = String)]
    pub id: JobId,
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
    /// 1 when created, one more on every update; also the `ETag` header
    /// (`"3"`), which `If-Match` on an update may name.
    pub version: i64,
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
            seniority: r.seniority.map(Into::into),
            min_years: r.min_years,
            location: r.location,
            remote: r.remote.into(),
            salary_min: r.salary_min,
            salary_max: r.salary_max,
            currency: r.currency,
            status: r.status.into(),
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
            version: r.version,
        }
    }
}

/// The `ETag` of a job version: its number, quoted.
fn etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// A job with its `ETag`.
fn with_etag(status: StatusCode, job: JobRecord) -> Response {
    let tag = etag(job.version);
    let mut response = (status, Json(Job::from(job))).into_response();
    response.headers_mut().insert(header::ETAG, tag);
    response
}

/// The version `If-Match` names: `"3"` (or `W/"3"`); `*` means any.
fn if_match(headers: &HeaderMap) -> Result<Option<i64>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let invalid = || ApiError::validation("If-Match", "must be an ETag of this job, such as \"3\"");
    let text = value.to_str().map_err(|_| invalid())?.trim();
    if text == "*" {
        return Ok(None);
    }
    let text = text.strip_prefix("W/").unwrap_or(text);
    text.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .and_then(|t| t.parse::<i64>().ok())
        .map(Some)
        .ok_or_else(invalid)
}

/// Create a job
#[utoipa::path(
    post,
    path = "/jobs",
    tag = "jobs",
    operation_id = "createJob",
    request_body = CreateJob,
    responses(
        (status = 201, description = "The job", body = Job, headers(("ETag" = String, description = "The job's version, quoted"))),
        (status = 422, description = "Invalid field (see `errors`)", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn create_job(
    State(state): State<AppState>,
    _auth: Authorized<scope::JobsWrite>,
    ApiJson(req): ApiJson<CreateJob>,
) -> Result<Response, ApiError> {
    let mut errors = Vec::new();
    let now = now_ms();
    let job = JobRecord {
        id: JobId::generate(),
        title: req.title.trim().to_owned(),
        company: clean(req.company),
        description: req.description.trim().to_owned(),
        required_skills: canonical_skills("required_skills", &req.required_skills, &mut errors),
        nice_to_have_skills: canonical_skills(
            "nice_to_have_skills",
            &req.nice_to_have_skills,
            &mut errors,
        ),
        seniority: req.seniority.map(Into::into),
        min_years: req.min_years.unwrap_or(0.0),
        location: clean(req.location),
        remote: req.remote.unwrap_or(RemotePolicy::Onsite).into(),
        salary_min: req.salary_min,
        salary_max: req.salary_max,
        currency: req
            .currency
            .map(|c| c.trim().to_owned())
            .unwrap_or_else(|| "USD".to_owned()),
        status: req.status.unwrap_or(JobStatus::Open).into(),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let job = service::create(&state, job, errors).await?;
    Ok(with_etag(StatusCode::CREATED, job))
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
        (status = 422, description = "Invalid `limit`, `cursor` or `status`", body = Problem, content_type = "application/problem+json"),
    ),
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
    let (limit, cursor) = list.validate::<JobId>()?;
    let page = service::list(
        &state,
        params.status.map(Into::into),
        cursor.as_ref(),
        limit,
    )
    .await?;
    Ok(Json(JobPage {
        items: page.items.into_iter().map(Job::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// Get a job
#[utoipa::path(
    get,
    path = "/jobs/{job_id}",
    tag = "jobs",
    operation_id = "getJob",
    params(("job_id" = String, Path, description = "`job_…` id")),
    responses(
        (status = 200, description = "The job", body = Job, headers(("ETag" = String, description = "The job's version, quoted"))),
        (status = 404, description = "No such job", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn get_job(
    State(state): State<AppState>,
    _auth: Authorized<scope::JobsRead>,
    ApiPath(job_id): ApiPath<JobId>,
) -> Result<Response, ApiError> {
    Ok(with_etag(
        StatusCode::OK,
        service::get(&state, &job_id).await?,
    ))
}

/// Update a job
///
/// Changes only the fields present in the body; `null` clears an optional
/// field. Concurrent updates never lose each other's fields. With
/// `If-Match: "<version>"` (the job's `ETag`) the update applies only if
/// the job is still at that version, else `412 precondition_failed`.
#[utoipa::path(
    patch,
    path = "/jobs/{job_id}",
    tag = "jobs",
    operation_id = "updateJob",
    params(
        ("job_id" = String, Path, description = "`job_…` id"),
        ("If-Match" = Option<String>, Header, nullable = false, description = "Apply only if the job is still at this version: its `ETag`, e.g. `\"3\"`"),
    ),
    request_body = JobPatch,
    responses(
        (status = 200, description = "The updated job", body = Job, headers(("ETag" = String, description = "The job's new version, quoted"))),
        (status = 412, description = "`If-Match` names another version (`precondition_failed`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such job", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field (see `errors`)", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn update_job(
    State(state): State<AppState>,
    _auth: Authorized<scope::JobsWrite>,
    ApiPath(job_id): ApiPath<JobId>,
    headers: HeaderMap,
    ApiJson(mut patch): ApiJson<JobPatch>,
) -> Result<Response, ApiError> {
    let expected = if_match(&headers)?;
    let mut clear_errors = Vec::new();
    for (i, field) in patch.clear.iter().enumerate() {
        let also_set = match field {
            ClearableJobField::Company => matches!(patch.company, Some(Some(_))),
            ClearableJobField::Seniority => matches!(patch.seniority, Some(Some(_))),
            ClearableJobField::Location => matches!(patch.location, Some(Some(_))),
            ClearableJobField::SalaryMin => matches!(patch.salary_min, Some(Some(_))),
            ClearableJobField::SalaryMax => matches!(patch.salary_max, Some(Some(_))),
        };
        if also_set {
            clear_errors.push(FieldError::new(
                format!("clear[{i}]"),
                "this field is also set in the same patch",
            ));
        }
    }
    if !clear_errors.is_empty() {
        return Err(ApiError::validation_many(clear_errors));
    }
    for field in &patch.clear {
        match field {
            ClearableJobField::Company => patch.company = Some(None),
            ClearableJobField::Seniority => patch.seniority = Some(None),
            ClearableJobField::Location => patch.location = Some(None),
            ClearableJobField::SalaryMin => patch.salary_min = Some(None),
            ClearableJobField::SalaryMax => patch.salary_max = Some(None),
        }
    }
    // Applied to the job as currently stored, again if another writer got
    // in first: only the fields the client sent change.
    let apply = |job: &mut JobRecord, errors: &mut Vec<FieldError>| {
        if let Some(title) = &patch.title {
            job.title = title.trim().to_owned();
        }
        if let Some(company) = &patch.company {
            job.company = clean(company.clone());
        }
        if let Some(description) = &patch.description {
            job.description = description.trim().to_owned();
        }
        if let Some(skills) = &patch.required_skills {
            job.required_skills = canonical_skills("required_skills", skills, errors);
        }
        if let Some(skills) = &patch.nice_to_have_skills {
            job.nice_to_have_skills = canonical_skills("nice_to_have_skills", skills, errors);
        }
        if let Some(seniority) = patch.seniority {
            job.seniority = seniority.map(Into::into);
        }
        if let Some(min_years) = patch.min_years {
            job.min_years = min_years;
        }
        if let Some(location) = &patch.location {
            job.location = clean(location.clone());
        }
        if let Some(remote) = patch.remote {
            job.remote = remote.into();
        }
        if let Some(salary_min) = patch.salary_min {
            job.salary_min = salary_min;
        }
        if let Some(salary_max) = patch.salary_max {
            job.salary_max = salary_max;
        }
        if let Some(currency) = &patch.currency {
            job.currency = currency.trim().to_owned();
        }
        if let Some(status) = patch.status {
            job.status = status.into();
        }
    };
    let job = service::update(&state, &job_id, expected, apply).await?;
    Ok(with_etag(StatusCode::OK, job))
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
        (status = 404, description = "No such job", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn delete_job(
    State(state): State<AppState>,
    _auth: Authorized<scope::JobsWrite>,
    ApiPath(job_id): ApiPath<JobId>,
) -> Result<StatusCode, ApiError> {
    service::delete(&state, &job_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
