//! `/v1/candidates`: candidates created from resume text or uploaded
//! documents (PDF, DOCX, plain text).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{StatusCode, header};
use mismatch_core::resume::{self, DocumentFormat as DomainFormat, ParsedResume};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ListParams, clean, is_id};
use crate::auth::{Authorized, scope};
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiQuery, bytes_rejection};
use crate::models::{DocumentFormat, EducationLevel, Seniority, round2};
use crate::state::{AppState, now_ms, rfc3339};
use crate::storage::{CandidateRecord, SkillRecord, SourceRecord};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_candidate, list_candidates))
        .routes(routes!(upload_candidate))
        .routes(routes!(get_candidate, delete_candidate))
}

/// A candidate from resume text. Fields given explicitly override what the
/// parser found in `text`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCandidate {
    /// The resume as plain text.
    pub text: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub location: Option<String>,
    /// Expected yearly salary.
    pub salary_expectation: Option<u32>,
}

/// A skill found in a resume, with years of use when the resume says so.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Skill {
    /// Canonical skill name, e.g. `PostgreSQL`.
    pub name: String,
    pub years: Option<f64>,
}

/// The document a candidate was created from.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CandidateSource {
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub format: DocumentFormat,
}

/// A candidate: the parsed profile and the resume text it came from.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Candidate {
    /// `cand_…`
    pub id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub location: Option<String>,
    pub skills: Vec<Skill>,
    /// Total years of professional experience, when known.
    pub years_experience: Option<f64>,
    pub seniority: Seniority,
    pub education: Option<EducationLevel>,
    /// Human languages spoken.
    pub languages: Vec<String>,
    /// Expected yearly salary.
    pub salary_expectation: Option<u32>,
    /// Null when created from JSON text.
    pub source: Option<CandidateSource>,
    /// The raw resume text.
    pub text: String,
    #[schema(format = DateTime)]
    pub created_at: String,
}

/// A page of candidates.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CandidatePage {
    pub items: Vec<Candidate>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// The resume document, as the raw request body.
// Only describes the body in the OpenAPI document: the handler reads the
// raw bytes itself, so the field is never constructed.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub struct ResumeFile(Vec<u8>);

/// The resume document as an HTML-form upload.
// Documentation only, like `ResumeFile`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ResumeUpload {
    /// The document (PDF, DOCX or plain text).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadParams {
    /// Original file name; its extension helps detect the format.
    pub filename: Option<String>,
}

impl From<CandidateRecord> for Candidate {
    fn from(r: CandidateRecord) -> Self {
        Candidate {
            id: r.id,
            name: r.name,
            email: r.email,
            phone: r.phone,
            location: r.location,
            skills: r
                .skills
                .into_iter()
                .map(|s| Skill {
                    name: s.name,
                    years: s.years,
                })
                .collect(),
            years_experience: r.years_experience,
            seniority: Seniority::parse(&r.seniority).unwrap_or(Seniority::Mid),
            education: r.education.as_deref().and_then(EducationLevel::parse),
            languages: r.languages,
            salary_expectation: r.salary_expectation.and_then(|s| u32::try_from(s).ok()),
            source: r.source.map(|s| CandidateSource {
                filename: s.filename,
                content_type: s.content_type,
                format: DocumentFormat::parse(&s.format).unwrap_or(DocumentFormat::PlainText),
            }),
            text: r.text,
            created_at: rfc3339(r.created_at),
        }
    }
}

fn record_from_parsed(
    id: String,
    parsed: ParsedResume,
    source: Option<SourceRecord>,
) -> CandidateRecord {
    CandidateRecord {
        id,
        name: parsed.name,
        email: parsed.email,
        phone: parsed.phone,
        location: parsed.location,
        skills: parsed
            .skills
            .into_iter()
            .map(|s| SkillRecord {
                name: s.name,
                years: s.years.map(|y| round2(f64::from(y))),
            })
            .collect(),
        years_experience: parsed.years_experience.map(|y| round2(f64::from(y))),
        seniority: Seniority::from(parsed.seniority).as_str().to_owned(),
        education: parsed
            .education
            .map(|e| EducationLevel::from(e).as_str().to_owned()),
        languages: parsed.languages,
        salary_expectation: parsed.salary_expectation.map(i64::from),
        source,
        text: parsed.text,
        created_at: now_ms(),
    }
}

/// Create a candidate from resume text
///
/// Parses `text` (contact details, skills, experience, education,
/// languages, salary expectation); explicit fields override parsed ones.
#[utoipa::path(
    post,
    path = "/candidates",
    tag = "candidates",
    operation_id = "createCandidate",
    request_body = CreateCandidate,
    responses(
        (status = 201, description = "The candidate", body = Candidate),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, invalid, revoked or expired API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks the candidates:write scope", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body larger than the limit", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field, or `text` holds no resume (`empty_document`)", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn create_candidate(
    State(state): State<AppState>,
    _auth: Authorized<scope::CandidatesWrite>,
    ApiJson(req): ApiJson<CreateCandidate>,
) -> Result<(StatusCode, Json<Candidate>), ApiError> {
    if req.text.trim().is_empty() {
        return Err(ApiError::validation("text", "must not be empty"));
    }
    let email = clean(req.email);
    if let Some(email) = &email
        && !looks_like_email(email)
    {
        return Err(ApiError::validation("email", "is not an email address"));
    }
    let text = req.text;
    let mut parsed = tokio::task::spawn_blocking(move || resume::parse_text(&text))
        .await
        .map_err(ApiError::internal)??;
    if let Some(name) = clean(req.name) {
        parsed.name = Some(name);
    }
    if email.is_some() {
        parsed.email = email;
    }
    if let Some(phone) = clean(req.phone) {
        parsed.phone = Some(phone);
    }
    if let Some(location) = clean(req.location) {
        parsed.location = Some(location);
    }
    if let Some(salary) = req.salary_expectation {
        parsed.salary_expectation = Some(salary);
    }
    let record = record_from_parsed(state.new_id("cand"), parsed, None);
    state.storage().insert_candidate(&record).await?;
    state
        .indexes()
        .upsert_candidate(state.storage(), &record)
        .await;
    Ok((StatusCode::CREATED, Json(record.into())))
}

fn looks_like_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.contains(char::is_whitespace)
        }
        None => false,
    }
}

/// Upload a resume document
///
/// The body is the document itself (`application/pdf`, DOCX,
/// `text/plain` or `application/octet-stream`), or `multipart/form-data`
/// with a `file` field. The format is detected from the content (magic
/// bytes), then the content type and `filename`.
#[utoipa::path(
    post,
    path = "/candidates/upload",
    tag = "candidates",
    operation_id = "uploadCandidate",
    params(UploadParams),
    request_body(
        description = "The resume document",
        content(
            (ResumeFile = "application/octet-stream"),
            (ResumeUpload = "multipart/form-data"),
        )
    ),
    responses(
        (status = 201, description = "The candidate", body = Candidate),
        (status = 400, description = "Malformed multipart body", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, invalid, revoked or expired API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks the candidates:write scope", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Document larger than the limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not a PDF, DOCX or text document", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`empty_document`, `encrypted_document` or `unreadable_document`", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn upload_candidate(
    State(state): State<AppState>,
    _auth: Authorized<scope::CandidatesWrite>,
    ApiQuery(params): ApiQuery<UploadParams>,
    request: Request,
) -> Result<(StatusCode, Json<Candidate>), ApiError> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let is_multipart = content_type.as_deref().is_some_and(|ct| {
        ct.trim()
            .to_ascii_lowercase()
            .starts_with("multipart/form-data")
    });
    let mut filename = clean(params.filename);
    let (bytes, content_type) = if is_multipart {
        let mut multipart = Multipart::from_request(request, &state)
            .await
            .map_err(|e| {
                ApiError::malformed(format!("invalid multipart body: {}", e.body_text()))
            })?;
        let mut file = None;
        while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
            if field.name() == Some("file") {
                if filename.is_none() {
                    filename = clean(field.file_name().map(str::to_owned));
                }
                let field_type = field.content_type().map(str::to_owned);
                let data = field.bytes().await.map_err(multipart_error)?;
                file = Some((data, field_type));
                break;
            }
        }
        file.ok_or_else(|| ApiError::validation("file", "the multipart body has no `file` field"))?
    } else {
        let bytes = Bytes::from_request(request, &state)
            .await
            .map_err(bytes_rejection)?;
        (bytes, content_type)
    };
    if bytes.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "empty_document",
            "the uploaded document is empty",
        ));
    }
    let format = DomainFormat::detect(&bytes, filename.as_deref(), content_type.as_deref())?;
    let parsed = {
        let bytes = bytes.clone();
        tokio::task::spawn_blocking(move || resume::parse_document(&bytes, format))
            .await
            .map_err(ApiError::internal)??
    };
    let source = SourceRecord {
        filename,
        content_type: content_type.map(|ct| ct.split(';').next().unwrap_or("").trim().to_owned()),
        format: DocumentFormat::from(format).as_str().to_owned(),
    };
    let record = record_from_parsed(state.new_id("cand"), parsed, Some(source));
    state.storage().insert_candidate(&record).await?;
    state
        .indexes()
        .upsert_candidate(state.storage(), &record)
        .await;
    Ok((StatusCode::CREATED, Json(record.into())))
}

fn multipart_error(err: axum::extract::multipart::MultipartError) -> ApiError {
    if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "the uploaded document is larger than the configured limit",
        )
    } else {
        ApiError::malformed(format!("invalid multipart body: {}", err.body_text()))
    }
}

/// List candidates
///
/// Newest first, paginated with `limit` and `cursor`.
#[utoipa::path(
    get,
    path = "/candidates",
    tag = "candidates",
    operation_id = "listCandidates",
    params(ListParams),
    responses(
        (status = 200, description = "A page of candidates, newest first", body = CandidatePage),
        (status = 401, description = "Missing, invalid, revoked or expired API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks the candidates:read scope", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn list_candidates(
    State(state): State<AppState>,
    _auth: Authorized<scope::CandidatesRead>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<CandidatePage>, ApiError> {
    let (limit, cursor) = params.validate("cand")?;
    let page = state.storage().list_candidates(cursor, limit).await?;
    Ok(Json(CandidatePage {
        items: page.items.into_iter().map(Candidate::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// Loads a candidate or answers 404.
pub async fn load_candidate(state: &AppState, id: &str) -> Result<CandidateRecord, ApiError> {
    let not_found = || ApiError::not_found(format!("candidate {id} does not exist"));
    if !is_id(id, "cand") {
        return Err(not_found());
    }
    state
        .storage()
        .get_candidate(id)
        .await?
        .ok_or_else(not_found)
}

/// Get a candidate
#[utoipa::path(
    get,
    path = "/candidates/{candidate_id}",
    tag = "candidates",
    operation_id = "getCandidate",
    params(("candidate_id" = String, Path, description = "`cand_…` id")),
    responses(
        (status = 200, description = "The candidate", body = Candidate),
        (status = 401, description = "Missing, invalid, revoked or expired API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks the candidates:read scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such candidate", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn get_candidate(
    State(state): State<AppState>,
    _auth: Authorized<scope::CandidatesRead>,
    Path(candidate_id): Path<String>,
) -> Result<Json<Candidate>, ApiError> {
    Ok(Json(load_candidate(&state, &candidate_id).await?.into()))
}

/// Delete a candidate
#[utoipa::path(
    delete,
    path = "/candidates/{candidate_id}",
    tag = "candidates",
    operation_id = "deleteCandidate",
    params(("candidate_id" = String, Path, description = "`cand_…` id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Missing, invalid, revoked or expired API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks the candidates:write scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such candidate", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn delete_candidate(
    State(state): State<AppState>,
    _auth: Authorized<scope::CandidatesWrite>,
    Path(candidate_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let not_found = || ApiError::not_found(format!("candidate {candidate_id} does not exist"));
    if !is_id(&candidate_id, "cand") || !state.storage().delete_candidate(&candidate_id).await? {
        return Err(not_found());
    }
    state
        .indexes()
        .remove_candidate(state.storage(), &candidate_id)
        .await;
    Ok(StatusCode::NO_CONTENT)
}
