//! Candidates: the parsed profile and the resume text it came from.
//!
//! Personal fields (name, email, phone, location, resume text, the source
//! file and its name) are encrypted here, in the row mappers, under the
//! candidate's own data key (see [`super::encryption`]); the rest of the
//! server only ever sees them in clear. The email is found through its blind
//! index (`email_index`).

use mismatch_core::matching::CandidateProfile;
use mismatch_core::resume::DocumentFormat;
use mismatch_core::skills::SkillMention;
use mismatch_core::{EducationLevel, Seniority};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::encryption::{CANDIDATE_EMAIL, FieldCrypto, OpenFields, SealedFields, normalise_email};
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
    /// The uploaded document, when the candidate came from one. Stored
    /// (encrypted) on insert; reads leave it `None` (it can be large): use
    /// [`Storage::candidate_file`].
    pub file: Option<Vec<u8>>,
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
     source_format, created_at, data_key, key_id";
const COLUMNS: &str = "id, name, email, phone, location, skills, years_experience, \
     seniority, education, languages, salary_expectation, source_filename, source_content_type, \
     source_format, created_at, data_key, key_id, resume_text";
const INSERT_COLUMNS: &str = "id, name, email, phone, location, skills, years_experience, \
     seniority, education, languages, salary_expectation, source_filename, source_content_type, \
     source_format, created_at, data_key, key_id, resume_text, source_file, email_index";

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

/// Opens the personal columns of a row (`resume_text` only when selected).
fn open_row(crypto: &FieldCrypto, r: &AnyRow, with_text: bool) -> Result<OpenFields> {
    crypto.open_candidate(SealedFields {
        name: r.try_get("name")?,
        email: r.try_get("email")?,
        phone: r.try_get("phone")?,
        location: r.try_get("location")?,
        text: if with_text {
            Some(r.try_get("resume_text")?)
        } else {
            None
        },
        filename: r.try_get("source_filename")?,
        file: None,
        data_key: r.try_get("data_key")?,
        key_id: r.try_get("key_id")?,
        email_index: None,
    })
}

fn summary_from_row(r: &AnyRow, open: OpenFields) -> Result<CandidateSummary> {
    let skills: String = r.try_get("skills")?;
    let languages: String = r.try_get("languages")?;
    let format: Option<String> = r.try_get("source_format")?;
    Ok(CandidateSummary {
        id: decode(r, "id")?,
        name: open.name,
        email: open.email,
        phone: open.phone,
        location: open.location,
        skills: from_json(&skills, "skills")?,
        years_experience: r.try_get("years_experience")?,
        seniority: decode(r, "seniority")?,
        education: decode_opt(r, "education")?,
        languages: from_json(&languages, "languages")?,
        salary_expectation: to_u32(r.try_get("salary_expectation")?, "salary_expectation")?,
        source: match format {
            Some(format) => Some(SourceRecord {
                filename: open.filename,
                content_type: r.try_get("source_content_type")?,
                format: parse_format(&format)?,
            }),
            None => None,
        },
        created_at: r.try_get("created_at")?,
    })
}

pub(super) fn candidate_from_row(crypto: &FieldCrypto, r: &AnyRow) -> Result<CandidateRecord> {
    let mut open = open_row(crypto, r, true)?;
    let text = std::mem::take(&mut open.text);
    Ok(CandidateRecord {
        summary: summary_from_row(r, open)?,
        text,
        file: None,
    })
}

/// A listed row before its personal columns are opened (listing is generic
/// over rows; opening needs the keys).
struct SealedSummary {
    id: CandidateId,
    row: AnyRow,
}

impl Listed for SealedSummary {
    const TABLE: &'static str = "candidates";
    const COLUMNS: &'static str = SUMMARY_COLUMNS;
    fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(Self {
            id: decode(row, "id")?,
            row: row.clone(),
        })
    }
    fn cursor(&self) -> &str {
        self.id.as_str()
    }
}

/// Every column a full candidate read selects.
pub(super) const CANDIDATE_COLUMNS: &str = COLUMNS;

impl Storage {
    pub async fn insert_candidate(&self, record: &CandidateRecord) -> Result<()> {
        let crypto = self.require_crypto()?;
        let c = &record.summary;
        let sql = format!(
            "INSERT INTO candidates ({INSERT_COLUMNS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
              $19, $20)"
        );
        let (content_type, format) = match &c.source {
            Some(s) => (s.content_type.as_deref(), Some(s.format.as_str())),
            None => (None, None),
        };
        let sealed = crypto.seal_candidate(&OpenFields {
            name: c.name.clone(),
            email: c.email.clone(),
            phone: c.phone.clone(),
            location: c.location.clone(),
            text: record.text.clone(),
            filename: c.source.as_ref().and_then(|s| s.filename.clone()),
            file: record.file.clone(),
        });
        sqlx::query(audited(sql))
            .bind(c.id.as_str())
            .bind(&sealed.name)
            .bind(&sealed.email)
            .bind(&sealed.phone)
            .bind(&sealed.location)
            .bind(to_json(&c.skills)?)
            .bind(c.years_experience)
            .bind(c.seniority.as_str())
            .bind(c.education.map(|e| e.as_str()))
            .bind(to_json(&c.languages)?)
            .bind(c.salary_expectation.map(i64::from))
            .bind(&sealed.filename)
            .bind(content_type)
            .bind(format)
            .bind(c.created_at)
            .bind(&sealed.data_key)
            .bind(&sealed.key_id)
            .bind(&sealed.text)
            .bind(&sealed.file)
            .bind(&sealed.email_index)
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
        let crypto = self.require_crypto()?;
        row.as_ref()
            .map(|r| candidate_from_row(crypto, r))
            .transpose()
    }

    /// The uploaded document a candidate came from, if it was kept (only
    /// documents uploaded since field encryption are).
    pub async fn candidate_file(&self, id: &CandidateId) -> Result<Option<Vec<u8>>> {
        let crypto = self.require_crypto()?;
        let row = sqlx::query("SELECT source_file, data_key, key_id FROM candidates WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        let Some(r) = row else { return Ok(None) };
        let open = crypto.open_candidate(SealedFields {
            file: r.try_get("source_file")?,
            data_key: r.try_get("data_key")?,
            key_id: r.try_get("key_id")?,
            ..SealedFields::default()
        })?;
        Ok(open.file)
    }

    /// The candidates whose email is `email` (compared lower-cased), through
    /// the blind index under every key of the ring, so rows not yet
    /// re-encrypted by a rotation are found too; rows from before
    /// encryption are compared in clear.
    pub async fn find_candidates_by_email(&self, email: &str) -> Result<Vec<CandidateId>> {
        let crypto = self.require_crypto()?;
        let normalised = normalise_email(email);
        let indexes = crypto.keyring().blind_indexes(CANDIDATE_EMAIL, &normalised);
        let placeholders: Vec<String> = (0..indexes.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT id FROM candidates WHERE email_index IN ({}) \
             OR (key_id IS NULL AND LOWER(TRIM(email)) = $1) ORDER BY id",
            placeholders.join(", ")
        );
        let mut q = sqlx::query(audited(sql)).bind(&normalised);
        for index in &indexes {
            q = q.bind(index);
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter().map(|r| decode(r, "id")).collect()
    }

    /// A page of candidates without their resume texts.
    pub async fn list_candidates(
        &self,
        cursor: Option<&CandidateId>,
        limit: u32,
    ) -> Result<Page<CandidateSummary>> {
        let crypto = self.require_crypto()?;
        let page: Page<SealedSummary> = self
            .page(&[], cursor.map(CandidateId::as_str), limit)
            .await?;
        Ok(Page {
            items: page
                .items
                .iter()
                .map(|s| summary_from_row(&s.row, open_row(crypto, &s.row, false)?))
                .collect::<Result<_>>()?,
            next_cursor: page.next_cursor,
        })
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
