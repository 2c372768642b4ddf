//! Candidates: parse a resume (text or document), store it, keep the match
//! index current, and delete it with everything that describes it.

use std::time::{Duration, Instant};

use axum::body::Bytes;
use mismatch_core::resume::{self, DocumentFormat, ParseOptions, ParsedResume};

use super::{Limits, round2};
use crate::error::{ApiError, FieldError};
use crate::ids::CandidateId;
use crate::state::{AppState, now_ms};
use crate::storage::Page;
use crate::storage::candidates::{CandidateRecord, CandidateSummary, SkillRecord, SourceRecord};

/// Fields given explicitly with a resume text; they override what the parser
/// finds.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub location: Option<String>,
    pub salary_expectation: Option<u32>,
}

/// Where an uploaded document came from.
#[derive(Debug, Default, Clone)]
pub struct Upload {
    pub filename: Option<String>,
    pub content_type: Option<String>,
}

/// Trims; blank becomes `None`.
pub fn clean(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
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

impl Overrides {
    /// Trims the fields and checks them against their caps.
    fn validated(self) -> Result<Overrides, ApiError> {
        let mut errors = Vec::new();
        let out = Overrides {
            name: clean(self.name),
            email: clean(self.email),
            phone: clean(self.phone),
            location: clean(self.location),
            salary_expectation: self.salary_expectation,
        };
        for (field, value, cap) in [
            ("name", &out.name, Limits::NAME),
            ("email", &out.email, Limits::EMAIL),
            ("phone", &out.phone, Limits::PHONE),
            ("location", &out.location, Limits::LOCATION),
        ] {
            if let Some(v) = value {
                Limits::check(field, v, cap, &mut errors);
            }
        }
        if let Some(email) = &out.email
            && !looks_like_email(email)
        {
            errors.push(FieldError::new("email", "is not an email address"));
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(ApiError::validation_many(errors))
        }
    }
}

/// A parsed value longer than its cap is cut at a character boundary: it
/// came from the document, not from the caller, so there is nobody to
/// refuse.
fn capped(value: Option<String>, cap: usize) -> Option<String> {
    value.map(|v| match v.char_indices().nth(cap) {
        Some((end, _)) => v[..end].trim_end().to_owned(),
        None => v,
    })
}

/// NUL characters cannot be stored by PostgreSQL and mean nothing in a
/// resume; documents sometimes carry them.
fn without_nul(text: String) -> String {
    if text.contains('\0') {
        text.replace('\0', "")
    } else {
        text
    }
}

/// `source` and `file`: the uploaded document's description and bytes
/// (kept, encrypted, for the candidate's export).
fn record_from_parsed(
    parsed: ParsedResume,
    source: Option<SourceRecord>,
    file: Option<Vec<u8>>,
) -> CandidateRecord {
    CandidateRecord {
        summary: CandidateSummary {
            id: CandidateId::generate(),
            name: capped(parsed.name.map(without_nul), Limits::NAME),
            email: capped(parsed.email.map(without_nul), Limits::EMAIL),
            phone: capped(parsed.phone.map(without_nul), Limits::PHONE),
            location: capped(parsed.location.map(without_nul), Limits::LOCATION),
            skills: parsed
                .skills
                .into_iter()
                .map(|s| SkillRecord {
                    name: s.name,
                    years: s.years.map(|y| round2(f64::from(y))),
                })
                .collect(),
            years_experience: parsed.years_experience.map(|y| round2(f64::from(y))),
            seniority: parsed.seniority,
            education: parsed.education,
            languages: parsed.languages,
            salary_expectation: parsed.salary_expectation,
            source,
            created_at: now_ms(),
        },
        text: without_nul(parsed.text),
        file,
    }
}

/// Parsing stops when the request's time is up, so a request answered 503
/// by the timeout leaves no work running.
fn parse_options(state: &AppState) -> ParseOptions {
    ParseOptions::with_deadline(
        Instant::now() + Duration::from_secs(state.settings().request_timeout_secs),
    )
}

/// Stores a new candidate and adds it to the match index.
async fn store(state: &AppState, record: CandidateRecord) -> Result<CandidateRecord, ApiError> {
    state.storage().insert_candidate(&record).await?;
    crate::services::audit::note_created(record.summary.id.as_str());
    state
        .indexes()
        .upsert_candidate(state.storage(), &record)
        .await;
    Ok(record)
}

/// A candidate from resume text; `overrides` replace parsed fields.
pub async fn create_from_text(
    state: &AppState,
    text: String,
    overrides: Overrides,
) -> Result<CandidateRecord, ApiError> {
    if text.trim().is_empty() {
        return Err(ApiError::validation("text", "must not be empty"));
    }
    if text.len() > Limits::TEXT_BYTES {
        return Err(ApiError::validation(
            "text",
            format!("must be at most {} bytes", Limits::TEXT_BYTES),
        ));
    }
    let overrides = overrides.validated()?;
    let options = parse_options(state);
    let mut parsed = tokio::task::spawn_blocking(move || resume::parse_text_with(&text, &options))
        .await
        .map_err(ApiError::internal)??;
    if overrides.name.is_some() {
        parsed.name = overrides.name;
    }
    if overrides.email.is_some() {
        parsed.email = overrides.email;
    }
    if overrides.phone.is_some() {
        parsed.phone = overrides.phone;
    }
    if overrides.location.is_some() {
        parsed.location = overrides.location;
    }
    if let Some(salary) = overrides.salary_expectation {
        parsed.salary_expectation = Some(salary);
    }
    store(state, record_from_parsed(parsed, None, None)).await
}

/// A candidate from an uploaded document (PDF, DOCX or text); the format is
/// detected from the content, then the content type and file name.
pub async fn create_from_document(
    state: &AppState,
    bytes: Bytes,
    upload: Upload,
) -> Result<CandidateRecord, ApiError> {
    if bytes.is_empty() {
        return Err(ApiError::coded(
            crate::error::ErrorCode::EmptyDocument,
            "the uploaded document is empty",
        ));
    }
    let mut errors = Vec::new();
    let filename = clean(upload.filename);
    if let Some(f) = &filename {
        Limits::check("filename", f, Limits::FILENAME, &mut errors);
    }
    let content_type = upload
        .content_type
        .map(|ct| ct.split(';').next().unwrap_or("").trim().to_owned())
        .filter(|ct| !ct.is_empty());
    if let Some(ct) = &content_type {
        Limits::check("Content-Type", ct, Limits::CONTENT_TYPE, &mut errors);
    }
    if !errors.is_empty() {
        return Err(ApiError::validation_many(errors));
    }
    let format = DocumentFormat::detect(&bytes, filename.as_deref(), content_type.as_deref())?;
    let options = parse_options(state);
    let original = bytes.to_vec();
    let parsed =
        tokio::task::spawn_blocking(move || resume::parse_document_with(&bytes, format, &options))
            .await
            .map_err(ApiError::internal)??;
    let source = SourceRecord {
        filename: filename.map(without_nul),
        content_type,
        format,
    };
    store(
        state,
        record_from_parsed(parsed, Some(source), Some(original)),
    )
    .await
}

pub async fn get(state: &AppState, id: &CandidateId) -> Result<CandidateRecord, ApiError> {
    state
        .storage()
        .get_candidate(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("candidate {id} does not exist")))
}

/// A page of candidates without their resume texts.
pub async fn list(
    state: &AppState,
    cursor: Option<&CandidateId>,
    limit: u32,
) -> Result<Page<CandidateSummary>, ApiError> {
    Ok(state.storage().list_candidates(cursor, limit).await?)
}

/// Deletes the candidate, its stored replays and its index entry.
pub async fn delete(state: &AppState, id: &CandidateId) -> Result<(), ApiError> {
    if !state.storage().delete_candidate(id).await? {
        return Err(ApiError::not_found(format!(
            "candidate {id} does not exist"
        )));
    }
    state
        .indexes()
        .remove_candidate(state.storage(), id.as_str())
        .await;
    Ok(())
}
