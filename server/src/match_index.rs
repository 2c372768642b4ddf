//! The in-memory indexes the two ranking operations search: one of open
//! jobs, one of candidates.
//!
//! They are built from storage on first use (the server loads them at start,
//! before listening) and kept current by the handlers that create, update
//! and delete candidates and jobs. Storage stays the source of truth: every
//! change is written there first, and an index that is not loaded yet
//! simply picks it up when it is built. A change that races with the build
//! waits for it (both take the write lock) and is applied on top;
//! applying one that the build already read is harmless, since insertion
//! replaces by id.
//!
//! Another server process writing to the same database is not seen until
//! this one restarts; see ARCHITECTURE.md.

use std::sync::Arc;

use mismatch_core::matching::index::{CandidateIndex, JobIndex};
use tokio::sync::{OwnedRwLockReadGuard, RwLock};

use crate::error::ApiError;
use crate::routes::v1::matches::{candidate_profile, job_profile};
use crate::storage::{CandidateRecord, JobRecord, Storage};

/// Both indexes.
pub struct Indexes {
    pub jobs: JobIndex,
    pub candidates: CandidateIndex,
}

/// Shared, lazily loaded [`Indexes`].
#[derive(Clone, Default)]
pub struct MatchIndexes {
    inner: Arc<RwLock<Option<Indexes>>>,
}

impl MatchIndexes {
    /// Builds both indexes from storage unless already loaded.
    pub async fn load(&self, storage: &Storage) -> Result<(), ApiError> {
        let mut guard = self.inner.write().await;
        if guard.is_none() {
            let jobs = storage.open_jobs().await?;
            let candidates = storage.all_candidates().await?;
            let built = tokio::task::spawn_blocking(move || Indexes {
                jobs: JobIndex::build(jobs.iter().map(job_profile).collect()),
                candidates: CandidateIndex::build(
                    candidates.iter().map(candidate_profile).collect(),
                ),
            })
            .await
            .map_err(ApiError::internal)?;
            tracing::info!(
                jobs = built.jobs.len(),
                candidates = built.candidates.len(),
                "match indexes built"
            );
            *guard = Some(built);
        }
        Ok(())
    }

    /// A read guard on the loaded indexes, loading them first if needed;
    /// owned, so that ranking can run on a blocking thread.
    pub async fn read(
        &self,
        storage: &Storage,
    ) -> Result<OwnedRwLockReadGuard<Option<Indexes>, Indexes>, ApiError> {
        loop {
            let guard = self.inner.clone().read_owned().await;
            if let Ok(loaded) = OwnedRwLockReadGuard::try_map(guard, Option::as_ref) {
                return Ok(loaded);
            }
            self.load(storage).await?;
        }
    }

    /// Applies `change` if the indexes are loaded (otherwise the build will
    /// read the change from storage).
    async fn update(&self, change: impl FnOnce(&mut Indexes)) {
        if let Some(indexes) = self.inner.write().await.as_mut() {
            change(indexes);
        }
    }

    /// After a candidate was stored.
    pub async fn upsert_candidate(&self, record: &CandidateRecord) {
        let profile = candidate_profile(record);
        self.update(|i| i.candidates.insert(profile)).await;
    }

    /// After a candidate was deleted.
    pub async fn remove_candidate(&self, id: &str) {
        self.update(|i| {
            i.candidates.remove(id);
        })
        .await;
    }

    /// After a job was stored: only open jobs are ranked.
    pub async fn upsert_job(&self, record: &JobRecord) {
        let open = record.status == "open";
        let profile = job_profile(record);
        self.update(|i| {
            if open {
                i.jobs.insert(profile);
            } else {
                i.jobs.remove(&profile.id);
            }
        })
        .await;
    }

    /// After a job was deleted.
    pub async fn remove_job(&self, id: &str) {
        self.update(|i| {
            i.jobs.remove(id);
        })
        .await;
    }
}
