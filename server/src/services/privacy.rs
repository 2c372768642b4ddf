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
//!
//! Audit: an export is recorded as `gdpr.export` before the document is
//! handed out (no record, no export); an erasure as `gdpr.erasure` with its
//! reason once it is done, by the requester or, for the sweep, by the
//! system context `retention`. Both name the candidate as resource
//! `candidates`/`cand_…`, like the per-request events, and nothing else
//! about them.

use std::time::Duration;

use super::audit::{self, AuditContext, AuditEvent};
use super::candidates;
use crate::error::{ApiError, ErrorCode};
use crate::ids::CandidateId;
use crate::state::{AppState, now_ms};
use crate::storage::audit::AuditFilter;
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
    /// The sequence numbers of the audit events about the candidate, oldest
    /// first (this export's own event last).
    pub audit_event_ids: Vec<i64>,
    /// Unix ms.
    pub exported_at: i64,
}

/// Audit events read per page while collecting an export's event ids.
const AUDIT_PAGE: u32 = 1_000;

/// Everything held about candidate `id`, recorded in the audit log (as
/// done in `context`) before it is returned.
pub async fn export(
    state: &AppState,
    context: &AuditContext,
    id: &CandidateId,
) -> Result<CandidateExport, ApiError> {
    let record = candidates::get(state, id).await?;
    let document = state.storage().candidate_file(id).await?;
    audit::record_with(
        state,
        context,
        AuditEvent::new("gdpr.export").resource("candidates", id.as_str()),
    )
    .await?;
    let audit_event_ids = audit_event_ids(state, id).await?;
    Ok(CandidateExport {
        record,
        document,
        audit_event_ids,
        exported_at: now_ms(),
    })
}

/// The sequence numbers of every audit event naming candidate `id`, oldest
/// first (ids are unique across resource types, so the id alone selects).
async fn audit_event_ids(state: &AppState, id: &CandidateId) -> Result<Vec<i64>, ApiError> {
    // The per-request events of this caller's earlier requests may still
    // be queued.
    audit::flush(state).await;
    let filter = AuditFilter {
        resource_id: Some(id.as_str().to_owned()),
        ..AuditFilter::default()
    };
    let mut ids = Vec::new();
    let mut cursor = None;
    loop {
        let page = state
            .storage()
            .list_audit_events(&filter, cursor, AUDIT_PAGE)
            .await?;
        ids.extend(page.items.iter().map(|e| e.seq));
        match page.next_cursor.and_then(|c| c.parse().ok()) {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    ids.reverse();
    Ok(ids)
}

/// Erases candidate `id` (404 when there is none), audited as done in
/// `context`; see the module note for what goes.
pub async fn erase(
    state: &AppState,
    context: &AuditContext,
    id: &CandidateId,
    reason: ErasureReason,
) -> Result<ErasureReceipt, ApiError> {
    let receipt = erase_unflushed(state, context, id, reason).await?;
    flush(state).await;
    Ok(receipt)
}

async fn erase_unflushed(
    state: &AppState,
    context: &AuditContext,
    id: &CandidateId,
    reason: ErasureReason,
) -> Result<ErasureReceipt, ApiError> {
    candidates::delete(state, id).await?;
    let receipt = ErasureReceipt {
        candidate_id: id.clone(),
        reason,
        erased_at: now_ms(),
    };
    // The log line is the record that survives a restore of an older
    // backup (the runbook re-applies erasures from it): ids only.
    tracing::info!(candidate_id = %id, reason = reason.as_str(), "candidate erased");
    let event = AuditEvent::new("gdpr.erasure")
        .resource("candidates", id.as_str())
        .detail("reason", reason.as_str());
    // The candidate is gone whatever the audit log says: an error here must
    // not tell the client the erasure failed (record_with has logged it).
    let _ = audit::record_with(state, context, event).await;
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
    let context = AuditContext::system("retention");
    let mut erased = 0;
    loop {
        let batch = state
            .storage()
            .candidates_created_before(cutoff, RETENTION_BATCH)
            .await?;
        for id in &batch {
            match erase_unflushed(state, &context, id, ErasureReason::Retention).await {
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
