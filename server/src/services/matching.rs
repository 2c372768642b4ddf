//! Scoring one candidate against one job, and ranking either side against
//! the in-memory indexes (kept current by the candidate and job services).

use mismatch_core::analytics::{self, JobAnalytics};
use mismatch_core::matching::{self, MatchResult, MatchWeights};
use mismatch_core::salary::SalaryModel;

use super::{candidates, jobs};
use crate::error::ApiError;
use crate::ids::{CandidateId, JobId};
use crate::state::AppState;
use crate::storage::jobs::JobRecord;

/// Scores the candidate against the job with `weights`.
pub async fn score(
    state: &AppState,
    candidate_id: &CandidateId,
    job_id: &JobId,
    weights: &MatchWeights,
) -> Result<MatchResult, ApiError> {
    let candidate = candidates::get(state, candidate_id).await?;
    let job = jobs::get(state, job_id).await?;
    Ok(matching::score(
        &candidate.profile(),
        &job.profile(),
        weights,
    ))
}

/// One ranked entry: the other side's id and the full match.
pub type Ranked = Vec<(String, MatchResult)>;

/// The `limit` best candidates for the job, best first.
pub async fn rank_candidates_for_job(
    state: &AppState,
    job_id: &JobId,
    weights: MatchWeights,
    limit: usize,
) -> Result<Ranked, ApiError> {
    let job = jobs::get(state, job_id).await?.profile();
    let indexes = state.indexes().read(state.storage()).await?;
    tokio::task::spawn_blocking(move || {
        let mut ranked = indexes.candidates.rank(&job, &weights, limit);
        by_score_then_id(&mut ranked, |c| &c.id);
        ranked.into_iter().map(|(c, r)| (c.id.clone(), r)).collect()
    })
    .await
    .map_err(ApiError::internal)
}

/// The `limit` best open jobs for the candidate, best first.
pub async fn rank_jobs_for_candidate(
    state: &AppState,
    candidate_id: &CandidateId,
    weights: MatchWeights,
    limit: usize,
) -> Result<Ranked, ApiError> {
    let candidate = candidates::get(state, candidate_id).await?.profile();
    let indexes = state.indexes().read(state.storage()).await?;
    tokio::task::spawn_blocking(move || {
        let mut ranked = indexes.jobs.rank(&candidate, &weights, limit);
        by_score_then_id(&mut ranked, |j| &j.id);
        ranked.into_iter().map(|(j, r)| (j.id.clone(), r)).collect()
    })
    .await
    .map_err(ApiError::internal)
}

/// Best first; equal scores by id, i.e. oldest first (ids are ULIDs), so
/// that the order does not depend on when a record entered the index.
fn by_score_then_id<T>(ranked: &mut [(&T, MatchResult)], id: impl Fn(&T) -> &String) {
    ranked.sort_by(|a, b| {
        b.1.score
            .total_cmp(&a.1.score)
            .then_with(|| id(a.0).cmp(id(b.0)))
    });
}

/// The job's analytics over every candidate, with the server's default
/// weights. Candidates are read where ranking reads them, from the shared
/// index, without copying a profile, in one streaming pass: memory does not
/// grow with the number of calls or the size of resumes.
pub async fn analyse_job(
    state: &AppState,
    job_id: &JobId,
) -> Result<(JobRecord, JobAnalytics), ApiError> {
    let job = jobs::get(state, job_id).await?;
    let weights = state.settings().match_weights;
    let indexes = state.indexes().read(state.storage()).await?;
    tokio::task::spawn_blocking(move || {
        let a = analytics::analyse_job(
            &job.profile(),
            indexes.candidates.profiles(),
            &weights,
            SalaryModel::default_model(),
        );
        (job, a)
    })
    .await
    .map_err(ApiError::internal)
}
