//! A candidate's data-protection rights: export of everything held about
//! them, erasure, and the retention sweep that erases candidates older than
//! `MISMATCH_CANDIDATE_RETENTION_DAYS`.
//!
//! There is one erasure path, [`erase`]: an erasure request, a plain
//! `DELETE /v1/candidates/{id}` and the retention sweep all go through it,
//! so each removes the same things — the candidate's row (with its wrapped
//! data key, which shreds every encrypted field and the original document),
//! the stored idempotent responses that describe it, and its match-index
//! entry (all three through [`candidates::delete`]) — then flushes the
//! SQLite write-ahead log and records an audit event holding only ids.

use std::time::Duration;

use super::candidates;
use crate::error::{ApiError, ErrorCode};
use crate::ids::CandidateId;
use crate::state::{AppState, now_ms};
use crate::storage::candidates::CandidateRecord;

/// Candidates erased per retention batch: one query and at most this many
/// deletions before the next batch is read.
pub const RETENTION_BATCH: u32 = 100;
/// How often the retention sweep runs.
pub const RETENTION_SWEEP_INTERVAL: Duration = Duration::from_secs(3600);
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Why a candidate was erased (kept in the receipt and the audit event).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErasureReason {
    /// `POST /v1/candidates/{id}/erasure`: the data subject asked.
    Request,
    /// `DELETE /v1/candidates/{id}`.
    Deletion,
    /// The retention period ran out.
    Retention,
}

impl ErasureReason {
    pub fn as_str(self) -> &'static str {
        match self {
            ErasureReason::Request => "request",
            ErasureReason::Deletion => "deletion",
            ErasureReason::Retention => "retention",
        }
    }
}

/// What an erasure did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErasureReceipt {
    pub candidate_id: CandidateId,
    pub reason: ErasureReason,
    /// Unix ms.
    pub erased_at: i64,
}

/// Everything held about a candidate.
#[derive(Debug, Clone)]
pub struct CandidateExport {
    pub record: CandidateRecord,
    /// The uploaded document the candidate was created from, as uploaded.
    pub document: Option<Vec<u8>>,
    /// Unix ms.
    pub exported_at: i64,
}

/// Everything held about candidate `id`.
pub async fn export(state: &AppState, id: &CandidateId) -> Result<CandidateExport, ApiError> {
    let record = candidates::get(state, id).await?;
    let document = state.storage().candidate_file(id).await?;
    Ok(CandidateExport {
        record,
        document,
        exported_at: now_ms(),
    })
}

/// Erases candidate `id` (404 when there is none); see the module note for
/// what goes.
pub async fn erase(
    state: &AppState,
    id: &CandidateId,
    reason: ErasureReason,
) -> Result<ErasureReceipt, ApiError> {
    let receipt = erase_unflushed(state, id, reason).await?;
    flush(state).await;
    Ok(receipt)
}

async fn erase_unflushed(
    state: &AppState,
    id: &CandidateId,
    reason: ErasureReason,
) -> Result<ErasureReceipt, ApiError> {
    candidates::delete(state, id).await?;
    let receipt = ErasureReceipt {
        candidate_id: id.clone(),
        reason,
        erased_at: now_ms(),
    };
    tracing::info!(candidate_id = %id, reason = reason.as_str(), "candidate erased");
    Ok(receipt)
}

/// The row is gone whatever this says, so a failure is logged rather than
/// turned into an error the client would read as "not erased".
async fn flush(state: &AppState) {
    match state.storage().flush_erased_pages().await {
        Ok(true) => {}
        Ok(false) => tracing::warn!(
            "erasure: a reader held the WAL checkpoint back; the next checkpoint overwrites the old pages"
        ),
        Err(err) => tracing::warn!(error = %err, "erasure: WAL checkpoint failed"),
    }
}

/// Creation time before which a candidate has outlived the retention
/// period at `now`; `None` when candidates are kept until deleted.
pub fn retention_cutoff(state: &AppState, now: i64) -> Option<i64> {
    state
        .settings()
        .candidate_retention_days
        .map(|days| now.saturating_sub(i64::from(days) * DAY_MS))
}

/// Erases every candidate created before the retention cutoff at `now`, in
/// batches of [`RETENTION_BATCH`]; returns how many. A candidate deleted by
/// someone else meanwhile is skipped.
pub async fn erase_expired_candidates(state: &AppState, now: i64) -> Result<u64, ApiError> {
    let Some(cutoff) = retention_cutoff(state, now) else {
        return Ok(0);
    };
    let mut erased = 0;
    loop {
        let batch = state
            .storage()
            .candidates_created_before(cutoff, RETENTION_BATCH)
            .await?;
        for id in &batch {
            match erase_unflushed(state, id, ErasureReason::Retention).await {
                Ok(_) => erased += 1,
                Err(err) if err.code == ErrorCode::NotFound => {}
                Err(err) => return Err(err),
            }
        }
        if !batch.is_empty() {
            flush(state).await;
        }
        if batch.len() < RETENTION_BATCH as usize {
            break;
        }
        // Let requests waiting on the database in between batches.
        tokio::task::yield_now().await;
    }
    if erased > 0 {
        tracing::info!(erased, "candidates past their retention erased");
    }
    Ok(erased)
}

/// Runs [`erase_expired_candidates`] at start and then every
/// [`RETENTION_SWEEP_INTERVAL`], for as long as the server runs (a
/// background task of `serve`); returns at once when retention is off.
pub async fn retention_sweep(state: AppState) {
    if state.settings().candidate_retention_days.is_none() {
        return;
    }
    let mut ticker = tokio::time::interval(RETENTION_SWEEP_INTERVAL);
    loop {
        ticker.tick().await;
        if let Err(err) = erase_expired_candidates(&state, now_ms()).await {
            tracing::warn!(error = %err.detail, "candidate retention sweep failed; retrying at the next tick");
        }
    }
}
