//! What the in-memory match indexes are built from, and the fingerprint
//! that tells a replica another process changed it.

use sqlx::Row;

use super::candidates::{CANDIDATE_COLUMNS, CandidateRecord, candidate_from_row};
use super::jobs::{JOB_COLUMNS, JobRecord, job_from_row};
use super::{Result, Storage, audited};

/// See [`Storage::ranking_marker`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankingMarker {
    pub candidates: i64,
    pub last_candidate: Option<String>,
    pub jobs: i64,
    pub last_job_update: Option<i64>,
}

impl Storage {
    /// Every candidate, oldest first (for ranking).
    pub async fn all_candidates(&self) -> Result<Vec<CandidateRecord>> {
        let sql = format!("SELECT {CANDIDATE_COLUMNS} FROM candidates ORDER BY id");
        let rows = sqlx::query(audited(sql)).fetch_all(&self.pool).await?;
        let crypto = self.require_crypto()?;
        rows.iter().map(|r| candidate_from_row(crypto, r)).collect()
    }

    /// Every open job, oldest first (for ranking).
    pub async fn open_jobs(&self) -> Result<Vec<JobRecord>> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE status = 'open' ORDER BY id");
        let rows = sqlx::query(audited(sql)).fetch_all(&self.pool).await?;
        rows.iter().map(job_from_row).collect()
    }

    /// A cheap fingerprint of what the rankings read: it changes when any
    /// process creates or deletes a candidate, or creates, updates or
    /// deletes a job (ids and `updated_at` only grow).
    pub async fn ranking_marker(&self) -> Result<RankingMarker> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM candidates) AS candidates, \
                    (SELECT MAX(id) FROM candidates) AS last_candidate, \
                    (SELECT COUNT(*) FROM jobs) AS jobs, \
                    (SELECT MAX(updated_at) FROM jobs) AS last_job_update",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(RankingMarker {
            candidates: row.try_get("candidates")?,
            last_candidate: row.try_get("last_candidate")?,
            jobs: row.try_get("jobs")?,
            last_job_update: row.try_get("last_job_update")?,
        })
    }
}
