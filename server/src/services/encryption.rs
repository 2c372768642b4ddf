//! Online rotation of the keys that encrypt data at rest.
//!
//! An operator makes a new key primary in `MISMATCH_ENCRYPTION_KEYS` (old
//! keys stay listed), restarts the replicas, then starts the rotation from
//! the CLI (`mismatch-server rotate-keys`) or the admin endpoint. It first
//! checks, without changing anything, that every value still to rotate
//! opens under the ring (`encryption_key_missing` otherwise), then
//! re-encrypts small batches while the server serves (see
//! `storage::encryption` for the compare-and-swap updates). The work left is
//! always "rows whose key id is not the primary's", so a rotation stopped
//! at any point is resumed by starting it again. At the end the audit
//! log's checkpoints are re-signed under the primary key, after which the
//! old key can be dropped from the configuration. Each run is a security
//! event in the audit log (`encryption.rotate`, phase `started`, then
//! `completed` or `failed`; a refused start is a `failure`), naming the
//! primary key by its id only.

use std::sync::Mutex;

use crate::error::{ApiError, ErrorCode};
use crate::services::audit::{self, AuditContext, AuditEvent, Outcome};
use crate::state::{AppState, now_ms};
use crate::storage::encryption::EncryptionStatus;
use crate::storage::{Storage, StorageError};

/// Rows re-encrypted per batch: small, so each batch's writes are short and
/// requests running beside the rotation are not held up.
pub const DEFAULT_BATCH: u32 = 100;

/// How a rotation run proceeds.
#[derive(Debug, Clone, Copy)]
pub struct RotationOptions {
    pub batch_size: u32,
    /// Stop after rewriting this many rows (resumed by the next run).
    pub max_rows: Option<u64>,
}

impl Default for RotationOptions {
    fn default() -> Self {
        Self {
            batch_size: DEFAULT_BATCH,
            max_rows: None,
        }
    }
}

/// What a rotation run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotationReport {
    pub rewritten: u64,
    /// The state after the run (`pending == 0`: done).
    pub status: EncryptionStatus,
}

fn key_missing(rows: u64) -> ApiError {
    ApiError::coded(
        ErrorCode::EncryptionKeyMissing,
        format!(
            "{rows} stored row(s) open under no key of MISMATCH_ENCRYPTION_KEYS; add the key \
             they were written under (keep old keys listed after the new primary until the \
             rotation is done). Nothing was changed."
        ),
    )
}

fn storage_error(err: StorageError) -> ApiError {
    match err {
        // A row written under a key the ring lacks appeared mid-run.
        StorageError::Undecryptable(_) => key_missing(1),
        other => other.into(),
    }
}

/// Checks that everything still to rotate opens under the ring; changes
/// nothing. `Err(encryption_key_missing)` names how many rows do not.
pub async fn preflight(storage: &Storage) -> Result<EncryptionStatus, ApiError> {
    let bad = storage.count_unreadable().await.map_err(storage_error)?;
    if bad > 0 {
        return Err(key_missing(bad));
    }
    Ok(storage.encryption_status().await?)
}

/// Re-encrypts every row not yet under the primary key (after `preflight`),
/// calling `progress` after each batch; then re-signs the audit checkpoints.
pub async fn rotate(
    storage: &Storage,
    options: RotationOptions,
    progress: impl FnMut(EncryptionStatus),
) -> Result<RotationReport, ApiError> {
    let status = preflight(storage).await?;
    run_batches(storage, status, options, progress).await
}

async fn run_batches(
    storage: &Storage,
    mut status: EncryptionStatus,
    options: RotationOptions,
    mut progress: impl FnMut(EncryptionStatus),
) -> Result<RotationReport, ApiError> {
    progress(status);
    let mut rewritten = 0u64;
    let batch = options.batch_size.max(1);
    while status.pending > 0 {
        let limit = match options.max_rows {
            Some(max) if rewritten >= max => break,
            Some(max) => u32::try_from(max - rewritten)
                .unwrap_or(u32::MAX)
                .min(batch),
            None => batch,
        };
        let outcome = storage
            .reencrypt_batch(limit)
            .await
            .map_err(storage_error)?;
        rewritten += outcome.rewritten;
        status = storage.encryption_status().await?;
        progress(status);
        if outcome.examined == 0 {
            break;
        }
        if outcome.rewritten == 0 {
            // Every row of the batch was changed by another writer between
            // the read and the update; give that writer a moment.
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
    if status.pending == 0 {
        let crypto = storage.require_crypto()?;
        storage.remac_audit_checkpoints(crypto.keyring()).await?;
    }
    Ok(RotationReport { rewritten, status })
}

fn event(state: &AppState, outcome: Outcome, phase: &str) -> AuditEvent {
    AuditEvent::new("encryption.rotate")
        .resource(
            "encryption_key",
            state.secrets().encryption().primary_id().as_str(),
        )
        .outcome(outcome)
        .detail("phase", phase)
}

/// Records the end of a run (a failure to record is logged: the data is
/// re-encrypted either way).
async fn record_end(
    state: &AppState,
    context: &AuditContext,
    result: &Result<RotationReport, ApiError>,
) {
    let event = match result {
        Ok(report) if report.status.pending == 0 => {
            event(state, Outcome::Success, "completed").detail("rows_rewritten", report.rewritten)
        }
        Ok(report) => event(state, Outcome::Failure, "stopped")
            .detail("rows_rewritten", report.rewritten)
            .detail("rows_pending", report.status.pending),
        Err(err) => event(state, Outcome::Error, "failed").detail("code", err.code.as_str()),
    };
    if let Err(err) = audit::record_with(state, context, event).await {
        tracing::error!(error = %err.detail, "key rotation not recorded in the audit log");
    }
}

/// Checks, records the start, then re-encrypts (the CLI's `rotate-keys`):
/// a refused start is recorded as a failure; the run is refused if its
/// start cannot be recorded.
pub async fn rotate_recorded(
    state: &AppState,
    context: &AuditContext,
    options: RotationOptions,
    progress: impl FnMut(EncryptionStatus),
) -> Result<RotationReport, ApiError> {
    let status = checked_start(state, context).await?;
    let result = run_batches(state.storage(), status, options, progress).await;
    record_end(state, context, &result).await;
    result
}

/// `preflight`, recorded: a refusal as a failure, a start as `started`.
async fn checked_start(
    state: &AppState,
    context: &AuditContext,
) -> Result<EncryptionStatus, ApiError> {
    match preflight(state.storage()).await {
        Ok(status) => {
            audit::record_with(
                state,
                context,
                event(state, Outcome::Success, "started").detail("rows_pending", status.pending),
            )
            .await?;
            Ok(status)
        }
        Err(err) => {
            if err.code == ErrorCode::EncryptionKeyMissing {
                let refused =
                    event(state, Outcome::Failure, "refused").detail("code", err.code.as_str());
                if let Err(e) = audit::record_with(state, context, refused).await {
                    tracing::error!(error = %e.detail, "refused key rotation not recorded");
                }
            }
            Err(err)
        }
    }
}

/// Where the rotation started by this process stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    /// None started by this process.
    Idle,
    Running,
    Completed,
    Failed,
}

/// The rotation run by this process (the admin endpoint starts at most one
/// at a time).
#[derive(Debug, Clone)]
pub struct RotationRun {
    pub state: RunState,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub rewritten: u64,
    /// Why it failed (no key material or personal data).
    pub error: Option<String>,
}

impl Default for RotationRun {
    fn default() -> Self {
        Self {
            state: RunState::Idle,
            started_at: None,
            finished_at: None,
            rewritten: 0,
            error: None,
        }
    }
}

/// The state of this process's rotation.
#[derive(Debug, Default)]
pub struct RotationJob {
    run: Mutex<RotationRun>,
}

impl RotationJob {
    pub fn snapshot(&self) -> RotationRun {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, RotationRun> {
        self.run.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Progress of the rotation: the database's rows under the primary key and
/// this process's run.
#[derive(Debug, Clone)]
pub struct Progress {
    pub status: EncryptionStatus,
    pub primary_key_id: String,
    pub run: RotationRun,
}

pub async fn progress(state: &AppState) -> Result<Progress, ApiError> {
    let storage = state.storage();
    Ok(Progress {
        status: storage.encryption_status().await?,
        primary_key_id: state.secrets().encryption().primary_id().to_string(),
        run: state.rotation().snapshot(),
    })
}

/// Starts a rotation in the background unless one runs already; refuses
/// (changing nothing) when a value opens under no key of the ring.
pub async fn start(state: &AppState) -> Result<Progress, ApiError> {
    // Claimed before the check, so two requests cannot both start a run;
    // a refused start gives the claim back.
    let previous = {
        let mut run = state.rotation().lock();
        if run.state == RunState::Running {
            None
        } else {
            let previous = run.clone();
            *run = RotationRun {
                state: RunState::Running,
                started_at: Some(now_ms()),
                ..RotationRun::default()
            };
            Some(previous)
        }
    };
    let Some(previous) = previous else {
        return progress(state).await;
    };
    let context = AuditContext::current();
    let status = match checked_start(state, &context).await {
        Ok(status) => status,
        Err(err) => {
            *state.rotation().lock() = previous;
            return Err(err);
        }
    };
    tracing::info!(
        key_id = %state.secrets().encryption().primary_id(),
        "encryption key rotation started"
    );
    let task_state = state.clone();
    tokio::spawn(async move {
        let result = run_batches(
            task_state.storage(),
            status,
            RotationOptions::default(),
            |_| {},
        )
        .await;
        record_end(&task_state, &context, &result).await;
        let mut run = task_state.rotation().lock();
        run.finished_at = Some(now_ms());
        match result {
            Ok(report) => {
                run.rewritten = report.rewritten;
                run.state = if report.status.pending == 0 {
                    RunState::Completed
                } else {
                    RunState::Failed
                };
                if report.status.pending > 0 {
                    run.error = Some(format!(
                        "{} row(s) were still changing; start the rotation again",
                        report.status.pending
                    ));
                }
                tracing::info!(rows = report.rewritten, "encryption key rotation finished");
            }
            Err(err) => {
                tracing::error!(error = %err.detail, "encryption key rotation failed");
                run.state = RunState::Failed;
                run.error = Some(err.detail);
            }
        }
    });
    progress(state).await
}
