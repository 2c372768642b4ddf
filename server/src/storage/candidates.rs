//! Candidates: the parsed profile and the resume text it came from.

use mismatch_core::matching::CandidateProfile;
use mismatch_core::resume::DocumentFormat;
use mismatch_core::skills::SkillMention;
use mismatch_core::{EducationLevel, Seniority};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{
    Listed, Page, Result, Storage, StorageError, audited, decode, decode_opt, from_json, to_json,
    to_u32,
};
use crate::ids::CandidateId;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkillRecord {
    pub name: String,
    pub years: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SourceRecord {
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub format: DocumentFormat,
}

/// Everything but the resume text: what listings return.
#[derive(Debug, Clone, PartialEq)]
pub struct CandidateSummary {
    pub id: CandidateId,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub location: Option<String>,
    pub skills: Vec<SkillRecord>,
    pub years_experience: Option<f64>,
    pub seniority: Seniority,
    pub education: Option<EducationLevel>,
    pub languages: Vec<String>,
    pub salary_expectation: Option<u32>,
    pub source: Option<SourceRecord>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CandidateRecord {
    pub summary: CandidateSummary,
    /// The resume text.
    pub text: String,
}

impl CandidateRecord {
    /// What matching needs to know about the candidate.
    pub fn profile(&self) -> CandidateProfile {
        let c = &self.summary;
        CandidateProfile {
            id: c.id.as_str().to_owned(),
            skills: c
                .skills
                .iter()
                .map(|s| SkillMention {
                    name: s.name.clone(),
                    years: s.years.map(|y| y as f32),
                })
                .collect(),
            years_experience: c.years_experience.unwrap_or(0.0) as f32,
            seniority: c.seniority,
            location: c.location.clone(),
            salary_expectation: c.salary_expectation,
            text: self.text.clone(),
        }
    }
}

const SUMMARY_COLUMNS: &str = "id, name, email, phone, location, skills, years_experience, \
     seniority, education, languages, salary_expectation, source_filename, source_content_type, \
     source_format, created_at";
const COLUMNS: &str = "id, name, email, phone, location, skills, years_experience, \
     seniority, education, languages, salary_expectation, source_filename, source_content_type, \
     source_format, created_at, resume_text";

fn parse_format(text: &str) -> Result<DocumentFormat> {
    [
        DocumentFormat::PlainText,
        DocumentFormat::Pdf,
        DocumentFormat::Docx,
    ]
    .into_iter()
    .find(|f| f.as_str() == text)
    .ok_or_else(|| StorageError::Corrupt(format!("source_format: unknown {text:?}")))
}

fn summary_from_row(r: &AnyRow) -> Result<CandidateSummary> {
    let skills: String = r.try_get("skills")?;
    let languages: String = r.try_get("languages")?;
    let format: Option<String> = r.try_get("source_format")?;
    Ok(CandidateSummary {
        id: decode(r, "id")?,
        name: r.try_get("name")?,
        email: r.try_get("email")?,
        phone: r.try_get("phone")?,
        location: r.try_get("location")?,
        skills: from_json(&skills, "skills")?,
        years_experience: r.try_get("years_experience")?,
        seniority: decode(r, "seniority")?,
        education: decode_opt(r, "education")?,
        languages: from_json(&languages, "languages")?,
        salary_expectation: to_u32(r.try_get("salary_expectation")?, "salary_expectation")?,
        source: match format {
            Some(format) => Some(SourceRecord {
                filename: r.try_get("source_filename")?,
                content_type: r.try_get("source_content_type")?,
                format: parse_format(&format)?,
            }),
            None => None,
        },
        created_at: r.try_get("created_at")?,
    })
}

pub(super) fn candidate_from_row(r: &AnyRow) -> Result<CandidateRecord> {
    Ok(CandidateRecord {
        summary: summary_from_row(r)?,
        text: r.try_get("resume_text")?,
    })
}

impl Listed for CandidateSummary {
    const TABLE: &'static str = "candidates";
    const COLUMNS: &'static str = SUMMARY_COLUMNS;
    fn from_row(row: &AnyRow) -> Result<Self> {
        summary_from_row(row)
    }
    fn cursor(&self) -> &str {
        self.id.as_str()
    }
}

/// Every column a full candidate read selects.
pub(super) const CANDIDATE_COLUMNS: &str = COLUMNS;

impl Storage {
    pub async fn insert_candidate(&self, record: &CandidateRecord) -> Result<()> {
        let c = &record.summary;
        let sql = format!(
            "INSERT INTO candidates ({COLUMNS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
        );
        let (filename, content_type, format) = match &c.source {
            Some(s) => (
                s.filename.as_deref(),
                s.content_type.as_deref(),
                Some(s.format.as_str()),
            ),
            None => (None, None, None),
        };
        sqlx::query(audited(sql))
            .bind(c.id.as_str())
            .bind(&c.name)
            .bind(&c.email)
            .bind(&c.phone)
            .bind(&c.location)
            .bind(to_json(&c.skills)?)
            .bind(c.years_experience)
            .bind(c.seniority.as_str())
            .bind(c.education.map(|e| e.as_str()))
            .bind(to_json(&c.languages)?)
            .bind(c.salary_expectation.map(i64::from))
            .bind(filename)
            .bind(content_type)
            .bind(format)
            .bind(c.created_at)
            .bind(&record.text)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn get_candidate(&self, id: &CandidateId) -> Result<Option<CandidateRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM candidates WHERE id = $1");
        let row = sqlx::query(audited(sql))
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(candidate_from_row).transpose()
    }

    /// A page of candidates without their resume texts.
    pub async fn list_candidates(
        &self,
        cursor: Option<&CandidateId>,
        limit: u32,
    ) -> Result<Page<CandidateSummary>> {
        self.page(&[], cursor.map(CandidateId::as_str), limit).await
    }

    /// Deletes the candidate and every stored response that describes it.
    pub async fn delete_candidate(&self, id: &CandidateId) -> Result<bool> {
        self.delete_with_replays("candidates", id.as_str()).await
    }

    pub async fn count_candidates(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM candidates")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<i64, _>("n")?)
    }
}
