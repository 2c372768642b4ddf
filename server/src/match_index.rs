//! The in-memory indexes the two ranking operations search: one of open
//! jobs, one of candidates.
//!
//! They are built from storage at start (before the server listens) and
//! kept current by this process's handlers that create, update and delete
//! candidates and jobs. Storage stays the source of truth: every change is
//! written there first. Other processes sharing the database (replicas) are
//! noticed through [`Storage::ranking_marker`], a cheap fingerprint read
//! before every ranking: when it differs from the one recorded with the
//! indexes, they are rebuilt. After its own change a process records the
//! new fingerprint, so only foreign changes cost a rebuild; a foreign
//! change that lands in the few milliseconds between a local write and that
//! read is caught by the age limit ([`MAX_AGE`]) at the latest.
//!
//! A change racing with a build waits for it (both take the write lock) and
//! is applied on top; applying one the build already read is harmless,
//! since insertion replaces by id.

use std::sync::Arc;
use std::time::{Duration, Instant};

use mismatch_core::matching::index::{CandidateIndex, JobIndex};
use tokio::sync::{OwnedRwLockReadGuard, RwLock};

use crate::error::ApiError;
use crate::storage::Storage;
use crate::storage::candidates::CandidateRecord;
use crate::storage::jobs::JobRecord;
use crate::storage::ranking::RankingMarker;

/// Indexes older than this are rebuilt before the next ranking, whatever
/// the fingerprint says.
pub const MAX_AGE: Duration = Duration::from_secs(300);

/// Both indexes.
pub struct Indexes {
    pub jobs: JobIndex,
    pub candidates: CandidateIndex,
}

/// Indexes with what they reflect; only reachable through [`MatchIndexes`].
pub struct Loaded {
    indexes: Indexes,
    /// Storage's fingerprint the indexes reflect.
    marker: RankingMarker,
    built_at: Instant,
}

impl Loaded {
    fn is_current(&self, marker: &RankingMarker) -> bool {
        self.marker == *marker && self.built_at.elapsed() < MAX_AGE
    }
}

/// Shared [`Indexes`], loaded from storage.
#[derive(Clone, Default)]
pub struct MatchIndexes {
    inner: Arc<RwLock<Option<Loaded>>>,
}

async fn build(storage: &Storage) -> Result<Loaded, ApiError> {
    // The fingerprint first: a change made while the rows are read then
    // shows as a difference next time, never the other way round.
    let marker = storage.ranking_marker().await?;
    let jobs = storage.open_jobs().await?;
    let candidates = storage.all_candidates().await?;
    let indexes = tokio::task::spawn_blocking(move || Indexes {
        jobs: JobIndex::build(jobs.iter().map(JobRecord::profile).collect()),
        candidates: CandidateIndex::build(
            candidates.iter().map(CandidateRecord::profile).collect(),
        ),
    })
    .await
    .map_err(ApiError::internal)?;
    tracing::info!(
        jobs = indexes.jobs.len(),
        candidates = indexes.candidates.len(),
        "match indexes built"
    );
    Ok(Loaded {
        indexes,
        marker,
        built_at: Instant::now(),
    })
}

impl MatchIndexes {
    /// Builds both indexes from storage unless already loaded.
    pub async fn load(&self, storage: &Storage) -> Result<(), ApiError> {
        let mut guard = self.inner.write().await;
        if guard.is_none() {
            *guard = Some(build(storage).await?);
        }
        Ok(())
    }

    /// A read guard on indexes that reflect storage, rebuilding them first
    /// if another process changed what they hold (or they are too old);
    /// owned, so that ranking can run on a blocking thread.
    pub async fn read(
        &self,
        storage: &Storage,
    ) -> Result<OwnedRwLockReadGuard<Option<Loaded>, Indexes>, ApiError> {
        let marker = storage.ranking_marker().await?;
        let guard = self.inner.clone().read_owned().await;
        let guard = if guard.as_ref().is_some_and(|l| l.is_current(&marker)) {
            guard
        } else {
            drop(guard);
            {
                let mut write = self.inner.write().await;
                if !write.as_ref().is_some_and(|l| l.is_current(&marker)) {
                    *write = Some(build(storage).await?);
                }
            }
            self.inner.clone().read_owned().await
        };
        OwnedRwLockReadGuard::try_map(guard, |l| l.as_ref().map(|l| &l.indexes))
            .map_err(|_| ApiError::internal("match indexes not loaded"))
    }

    /// Applies this process's own change if the indexes are loaded (else
    /// the build will read it from storage), then records storage's new
    /// fingerprint so that the change does not look foreign. If that read
    /// fails the old fingerprint stays and the next ranking rebuilds.
    async fn update(&self, storage: &Storage, change: impl FnOnce(&mut Indexes)) {
        let mut guard = self.inner.write().await;
        if let Some(loaded) = guard.as_mut() {
            change(&mut loaded.indexes);
            match storage.ranking_marker().await {
                Ok(marker) => loaded.marker = marker,
                Err(e) => tracing::warn!(error = %e, "cannot read the ranking fingerprint"),
            }
        }
    }

    /// After a candidate was stored.
    pub async fn upsert_candidate(&self, storage: &Storage, record: &CandidateRecord) {
        let profile = record.profile();
        self.update(storage, |i| i.candidates.insert(profile)).await;
    }

    /// After a candidate was deleted.
    pub async fn remove_candidate(&self, storage: &Storage, id: &str) {
        self.update(storage, |i| {
            i.candidates.remove(id);
        })
        .await;
    }

    /// After a job was stored: only open jobs are ranked.
    pub async fn upsert_job(&self, storage: &Storage, record: &JobRecord) {
        let open = record.status == mismatch_core::JobStatus::Open;
        let profile = record.profile();
        self.update(storage, |i| {
            if open {
                i.jobs.insert(profile);
            } else {
                i.jobs.remove(&profile.id);
            }
        })
        .await;
    }

    /// After a job was deleted.
    pub async fn remove_job(&self, storage: &Storage, id: &str) {
        self.update(storage, |i| {
            i.jobs.remove(id);
        })
        .await;
    }
}
