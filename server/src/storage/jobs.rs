//! Job postings, with a version for optimistic concurrency.

use mismatch_core::matching::JobProfile;
use mismatch_core::{JobStatus, RemotePolicy, Seniority};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{
    Listed, Page, Result, Storage, audited, decode, decode_opt, from_json, to_json, to_u32,
};
use crate::ids::JobId;

#[derive(Debug, Clone, PartialEq)]
pub struct JobRecord {
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
    pub created_at: i64,
    pub updated_at: i64,
    /// 1 when created, one more on every update (the job's ETag).
    pub version: i64,
}

impl JobRecord {
    /// What matching needs to know about the job.
    pub fn profile(&self) -> JobProfile {
        JobProfile {
            id: self.id.as_str().to_owned(),
            title: self.title.clone(),
            description: self.description.clone(),
            required_skills: self.required_skills.clone(),
            nice_to_have_skills: self.nice_to_have_skills.clone(),
            seniority: self.seniority,
            min_years: self.min_years as f32,
            location: self.location.clone(),
            remote: self.remote,
            salary_min: self.salary_min,
            salary_max: self.salary_max,
        }
    }
}

/// The outcome of a conditional update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobUpdate {
    Updated,
    /// The job exists at another version: someone else changed it first.
    VersionMismatch,
    Missing,
}

const COLUMNS: &str = "id, title, company, description, required_skills, nice_to_have_skills, \
     seniority, min_years, location, remote, salary_min, salary_max, currency, status, created_at, \
     updated_at, version";

pub(super) fn job_from_row(r: &AnyRow) -> Result<JobRecord> {
    let required: String = r.try_get("required_skills")?;
    let nice: String = r.try_get("nice_to_have_skills")?;
    Ok(JobRecord {
        id: decode(r, "id")?,
        title: r.try_get("title")?,
        company: r.try_get("company")?,
        description: r.try_get("description")?,
        required_skills: from_json(&required, "required_skills")?,
        nice_to_have_skills: from_json(&nice, "nice_to_have_skills")?,
        seniority: decode_opt(r, "seniority")?,
        min_years: r.try_get("min_years")?,
        location: r.try_get("location")?,
        remote: decode(r, "remote")?,
        salary_min: to_u32(r.try_get("salary_min")?, "salary_min")?,
        salary_max: to_u32(r.try_get("salary_max")?, "salary_max")?,
        currency: r.try_get("currency")?,
        status: decode(r, "status")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        version: r.try_get("version")?,
    })
}

impl Listed for JobRecord {
    const TABLE: &'static str = "jobs";
    const COLUMNS: &'static str = COLUMNS;
    fn from_row(row: &AnyRow) -> Result<Self> {
        job_from_row(row)
    }
    fn cursor(&self) -> &str {
        self.id.as_str()
    }
}

/// Every column a job read selects.
pub(super) const JOB_COLUMNS: &str = COLUMNS;

impl Storage {
    pub async fn insert_job(&self, j: &JobRecord) -> Result<()> {
        let sql = format!(
            "INSERT INTO jobs ({COLUMNS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
        );
        sqlx::query(audited(sql))
            .bind(j.id.as_str())
            .bind(&j.title)
            .bind(&j.company)
            .bind(&j.description)
            .bind(to_json(&j.required_skills)?)
            .bind(to_json(&j.nice_to_have_skills)?)
            .bind(j.seniority.map(|s| s.as_str()))
            .bind(j.min_years)
            .bind(&j.location)
            .bind(j.remote.as_str())
            .bind(j.salary_min.map(i64::from))
            .bind(j.salary_max.map(i64::from))
            .bind(&j.currency)
            .bind(j.status.as_str())
            .bind(j.created_at)
            .bind(j.updated_at)
            .bind(j.version)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Replaces every mutable column of the job if it is still at
    /// `expected_version`, and sets its version to `j.version`. One
    /// statement, so two concurrent updates cannot both succeed from the
    /// same read: the loser sees [`JobUpdate::VersionMismatch`].
    pub async fn update_job(&self, j: &JobRecord, expected_version: i64) -> Result<JobUpdate> {
        let done = sqlx::query(
            "UPDATE jobs SET title = $1, company = $2, description = $3, required_skills = $4, \
             nice_to_have_skills = $5, seniority = $6, min_years = $7, location = $8, remote = $9, \
             salary_min = $10, salary_max = $11, currency = $12, status = $13, updated_at = $14, \
             version = $15 WHERE id = $16 AND version = $17",
        )
        .bind(&j.title)
        .bind(&j.company)
        .bind(&j.description)
        .bind(to_json(&j.required_skills)?)
        .bind(to_json(&j.nice_to_have_skills)?)
        .bind(j.seniority.map(|s| s.as_str()))
        .bind(j.min_years)
        .bind(&j.location)
        .bind(j.remote.as_str())
        .bind(j.salary_min.map(i64::from))
        .bind(j.salary_max.map(i64::from))
        .bind(&j.currency)
        .bind(j.status.as_str())
        .bind(j.updated_at)
        .bind(j.version)
        .bind(j.id.as_str())
        .bind(expected_version)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 1 {
            return Ok(JobUpdate::Updated);
        }
        let exists = sqlx::query("SELECT 1 AS one FROM jobs WHERE id = $1")
            .bind(j.id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        Ok(if exists.is_some() {
            JobUpdate::VersionMismatch
        } else {
            JobUpdate::Missing
        })
    }

    pub async fn get_job(&self, id: &JobId) -> Result<Option<JobRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM jobs WHERE id = $1");
        let row = sqlx::query(audited(sql))
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(job_from_row).transpose()
    }

    pub async fn list_jobs(
        &self,
        status: Option<JobStatus>,
        cursor: Option<&JobId>,
        limit: u32,
    ) -> Result<Page<JobRecord>> {
        let filters: Vec<_> = status
            .map(|st| ("status", st.as_str()))
            .into_iter()
            .collect();
        self.page(&filters, cursor.map(JobId::as_str), limit).await
    }

    /// Deletes the job and every stored response that describes it.
    pub async fn delete_job(&self, id: &JobId) -> Result<bool> {
        self.delete_with_replays("jobs", id.as_str()).await
    }
}
