//! `/v1/candidates`: candidates created from resume text or uploaded
//! documents (PDF, DOCX, plain text).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{StatusCode, header};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ListParams;
use crate::auth::{Authorized, scope};
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiPath, ApiQuery, bytes_rejection};
use crate::ids::CandidateId;
use crate::models::{DocumentFormat, EducationLevel, Seniority};
use crate::services::audit::AuditContext;
use crate::services::candidates::{self as service, Overrides, Upload};
use crate::services::privacy::{self, ErasureReason as DomainErasureReason};
use crate::state::{AppState, rfc3339};
use crate::storage::candidates::{CandidateRecord, CandidateSummary as SummaryRecord};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_candidate, list_candidates))
        .routes(routes!(upload_candidate))
        .routes(routes!(get_candidate, delete_candidate))
        .routes(routes!(export_candidate))
        .routes(routes!(erase_candidate))
}

/// A candidate from resume text. Fields given explicitly override what the
/// parser found in `text`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCandidate {
    /// The resume as plain text (at most 1,000,000 bytes of UTF-8).
    #[schema(max_length = 1_000_000)]
    pub text: String,
    #[schema(max_length = 200)]
    pub name: Option<String>,
    #[schema(max_length = 254)]
    pub email: Option<String>,
    #[schema(max_length = 50)]
    pub phone: Option<String>,
    #[schema(max_length = 200)]
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
    #[schema(value_type = String)]
    pub id: CandidateId,
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

/// A candidate as listed: everything but the resume text (get the
/// candidate for it).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CandidateSummary {
    /// `cand_…`
    #[schema(value_type = String)]
    pub id: CandidateId,
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
    #[schema(format = DateTime)]
    pub created_at: String,
}

/// A page of candidates.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CandidatePage {
    pub items: Vec<CandidateSummary>,
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
    #[param(max_length = 255)]
    pub filename: Option<String>,
}

impl From<SummaryRecord> for CandidateSummary {
    fn from(r: SummaryRecord) -> Self {
        CandidateSummary {
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
            seniority: r.seniority.into(),
            education: r.education.map(Into::into),
            languages: r.languages,
            salary_expectation: r.salary_expectation,
            source: r.source.map(|s| CandidateSource {
                filename: s.filename,
                content_type: s.content_type,
                format: s.format.into(),
            }),
            created_at: rfc3339(r.created_at),
        }
    }
}

impl From<CandidateRecord> for Candidate {
    fn from(r: CandidateRecord) -> Self {
        let s = CandidateSummary::from(r.summary);
        Candidate {
            id: s.id,
            name: s.name,
            email: s.email,
            phone: s.phone,
            location: s.location,
            skills: s.skills,
            years_experience: s.years_experience,
            seniority: s.seniority,
            education: s.education,
            languages: s.languages,
            salary_expectation: s.salary_expectation,
            source: s.source,
            text: r.text,
            created_at: s.created_at,
        }
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
        (status = 413, description = "Body larger than the limit", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field, or `text` holds no resume (`empty_document`)", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn create_candidate(
    State(state): State<AppState>,
    _auth: Authorized<scope::CandidatesWrite>,
    ApiJson(req): ApiJson<CreateCandidate>,
) -> Result<(StatusCode, Json<Candidate>), ApiError> {
    let overrides = Overrides {
        name: req.name,
        email: req.email,
        phone: req.phone,
        location: req.location,
        salary_expectation: req.salary_expectation,
    };
    let record = service::create_from_text(&state, req.text, overrides).await?;
    Ok((StatusCode::CREATED, Json(record.into())))
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
        (status = 413, description = "Document larger than the limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not a PDF, DOCX or text document", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`empty_document`, `encrypted_document` or `unreadable_document`", body = Problem, content_type = "application/problem+json"),
    ),
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
    let mut filename = service::clean(params.filename);
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
                    filename = service::clean(field.file_name().map(str::to_owned));
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
    let record = service::create_from_document(
        &state,
        bytes,
        Upload {
            filename,
            content_type,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(record.into())))
}

fn multipart_error(err: axum::extract::multipart::MultipartError) -> ApiError {
    if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::coded(
            crate::error::ErrorCode::PayloadTooLarge,
            "the uploaded document is larger than the configured limit",
        )
    } else {
        ApiError::malformed(format!("invalid multipart body: {}", err.body_text()))
    }
}

/// List candidates
///
/// Newest first, paginated with `limit` and `cursor`. Items are summaries
/// without the resume text.
#[utoipa::path(
    get,
    path = "/candidates",
    tag = "candidates",
    operation_id = "listCandidates",
    params(ListParams),
    responses(
        (status = 200, description = "A page of candidates, newest first", body = CandidatePage),
        (status = 422, description = "Invalid `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn list_candidates(
    State(state): State<AppState>,
    _auth: Authorized<scope::CandidatesRead>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<CandidatePage>, ApiError> {
    let (limit, cursor) = params.validate::<CandidateId>()?;
    let page = service::list(&state, cursor.as_ref(), limit).await?;
    Ok(Json(CandidatePage {
        items: page.items.into_iter().map(CandidateSummary::from).collect(),
        next_cursor: page.next_cursor,
    }))
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
        (status = 404, description = "No such candidate", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn get_candidate(
    State(state): State<AppState>,
    _auth: Authorized<scope::CandidatesRead>,
    ApiPath(candidate_id): ApiPath<CandidateId>,
) -> Result<Json<Candidate>, ApiError> {
    Ok(Json(service::get(&state, &candidate_id).await?.into()))
}

/// Delete a candidate
///
/// The same erasure as `POST /v1/candidates/{candidate_id}/erasure`
/// (recorded with reason `deletion`), answered without a receipt.
#[utoipa::path(
    delete,
    path = "/candidates/{candidate_id}",
    tag = "candidates",
    operation_id = "deleteCandidate",
    params(("candidate_id" = String, Path, description = "`cand_…` id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such candidate", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn delete_candidate(
    State(state): State<AppState>,
    _auth: Authorized<scope::CandidatesWrite>,
    context: AuditContext,
    ApiPath(candidate_id): ApiPath<CandidateId>,
) -> Result<StatusCode, ApiError> {
    privacy::erase(
        &state,
        &context,
        &candidate_id,
        DomainErasureReason::Deletion,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Everything the service holds about a candidate, for a data subject's
/// access request.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CandidateExport {
    /// The candidate's record, resume text included.
    pub candidate: Candidate,
    /// The uploaded document the candidate was created from, byte for byte,
    /// in standard base64; null for a candidate created from JSON text.
    #[schema(content_encoding = "base64")]
    pub original_document: Option<String>,
    /// Ids (`seq`) of the audit events about the candidate, oldest first,
    /// this export's own event included; an admin reads them through
    /// `GET /v1/audit-events?resource_id=…`.
    pub audit_event_ids: Vec<i64>,
    #[schema(format = DateTime)]
    pub exported_at: String,
}

/// Why a candidate was erased.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErasureReason {
    /// `POST /v1/candidates/{candidate_id}/erasure`.
    Request,
    /// `DELETE /v1/candidates/{candidate_id}`.
    Deletion,
    /// `MISMATCH_CANDIDATE_RETENTION_DAYS` ran out.
    Retention,
}

impl From<DomainErasureReason> for ErasureReason {
    fn from(r: DomainErasureReason) -> Self {
        match r {
            DomainErasureReason::Request => ErasureReason::Request,
            DomainErasureReason::Deletion => ErasureReason::Deletion,
            DomainErasureReason::Retention => ErasureReason::Retention,
        }
    }
}

/// What an erasure removed, named by ids only.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErasureReceipt {
    /// The erased candidate (`cand_…`); it no longer exists.
    pub candidate_id: String,
    pub reason: ErasureReason,
    #[schema(format = DateTime)]
    pub erased_at: String,
}

impl From<privacy::ErasureReceipt> for ErasureReceipt {
    fn from(r: privacy::ErasureReceipt) -> Self {
        ErasureReceipt {
            candidate_id: r.candidate_id.as_str().to_owned(),
            reason: r.reason.into(),
            erased_at: rfc3339(r.erased_at),
        }
    }
}

/// Export everything held about a candidate
///
/// One JSON document with the candidate's record (every field, skills,
/// source and resume text), the original uploaded document (base64) and
/// the ids of the audit events about the candidate. Match results and rankings are computed on
/// request and never stored, so there are none to export. Admins only
/// (scope `candidates:export`).
#[utoipa::path(
    get,
    path = "/candidates/{candidate_id}/export",
    tag = "candidates",
    operation_id = "exportCandidate",
    params(("candidate_id" = String, Path, description = "`cand_…` id")),
    responses(
        (status = 200, description = "Everything held about the candidate", body = CandidateExport),
        (status = 404, description = "No such candidate", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn export_candidate(
    State(state): State<AppState>,
    _auth: Authorized<scope::CandidatesExport>,
    context: AuditContext,
    ApiPath(candidate_id): ApiPath<CandidateId>,
) -> Result<Json<CandidateExport>, ApiError> {
    let export = privacy::export(&state, &context, &candidate_id).await?;
    Ok(Json(CandidateExport {
        candidate: export.record.into(),
        original_document: export
            .document
            .map(|bytes| base64::engine::general_purpose::STANDARD.encode(bytes)),
        audit_event_ids: export.audit_event_ids,
        exported_at: rfc3339(export.exported_at),
    }))
}

/// Erase a candidate
///
/// Removes the candidate's record, resume text and original document
/// (their per-candidate data key goes with the row), the stored idempotent
/// responses that describe it and its place in every ranking; the audit
/// trail keeps only ids. Answers a receipt. `DELETE
/// /v1/candidates/{candidate_id}` does the same without one.
#[utoipa::path(
    post,
    path = "/candidates/{candidate_id}/erasure",
    tag = "candidates",
    operation_id = "eraseCandidate",
    params(("candidate_id" = String, Path, description = "`cand_…` id")),
    responses(
        (status = 200, description = "Erased", body = ErasureReceipt),
        (status = 404, description = "No such candidate", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn erase_candidate(
    State(state): State<AppState>,
    _auth: Authorized<scope::CandidatesWrite>,
    context: AuditContext,
    ApiPath(candidate_id): ApiPath<CandidateId>,
) -> Result<Json<ErasureReceipt>, ApiError> {
    let receipt = privacy::erase(
        &state,
        &context,
        &candidate_id,
        DomainErasureReason::Request,
    )
    .await?;
    Ok(Json(receipt.into()))
}
