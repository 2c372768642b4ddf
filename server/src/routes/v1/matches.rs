//! `/v1/matches` and the two ranking operations: how well candidates fit
//! jobs, explained per factor.

use axum::Json;
use axum::extract::{Path, State};
use mismatch_core::matching::{
    self, CandidateProfile, JobProfile, MatchResult, MatchWeights as DomainWeights,
};
use mismatch_core::skills::SkillMention;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::TopParams;
use super::candidates::load_candidate;
use super::jobs::load_job;
use crate::auth::{Authorized, scope};
use crate::error::{ApiError, FieldError, Problem};
use crate::extract::{ApiJson, ApiQuery};
use crate::models::{RemotePolicy, Seniority, Verdict, round2};
use crate::state::{AppState, now_ms, rfc3339};
use crate::storage::{CandidateRecord, JobRecord};
use utoipa::IntoParams;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_match))
        .routes(routes!(rank_candidates_for_job))
        .routes(routes!(rank_jobs_for_candidate))
}

/// Relative weights of the match factors (normalised by their sum).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
pub struct MatchWeights {
    pub skills: f64,
    pub experience: f64,
    pub seniority: f64,
    pub location: f64,
    pub salary: f64,
    pub text: f64,
}

/// Weights for one request; omitted factors keep the server's defaults.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchWeightsInput {
    #[schema(minimum = 0)]
    pub skills: Option<f64>,
    #[schema(minimum = 0)]
    pub experience: Option<f64>,
    #[schema(minimum = 0)]
    pub seniority: Option<f64>,
    #[schema(minimum = 0)]
    pub location: Option<f64>,
    #[schema(minimum = 0)]
    pub salary: Option<f64>,
    #[schema(minimum = 0)]
    pub text: Option<f64>,
}

/// Parameters of the two ranking operations: how many results, and
/// weights for this request (omitted ones keep the server's defaults).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RankParams {
    /// How many results, 1–100 (default 10).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// Weight of skill coverage, 0–1000.
    #[param(minimum = 0, maximum = 1000)]
    pub weight_skills: Option<f64>,
    /// Weight of experience against the minimum, 0–1000.
    #[param(minimum = 0, maximum = 1000)]
    pub weight_experience: Option<f64>,
    /// Weight of seniority distance, 0–1000.
    #[param(minimum = 0, maximum = 1000)]
    pub weight_seniority: Option<f64>,
    /// Weight of location and remote fit, 0–1000.
    #[param(minimum = 0, maximum = 1000)]
    pub weight_location: Option<f64>,
    /// Weight of salary compatibility, 0–1000.
    #[param(minimum = 0, maximum = 1000)]
    pub weight_salary: Option<f64>,
    /// Weight of text similarity, 0–1000.
    #[param(minimum = 0, maximum = 1000)]
    pub weight_text: Option<f64>,
}

impl RankParams {
    /// The limit and the effective weights; errors name the query
    /// parameter (`weight_skills`, …).
    fn validate(&self, defaults: DomainWeights) -> Result<(usize, DomainWeights), ApiError> {
        let limit = TopParams { limit: self.limit }.validate()?;
        let input = MatchWeightsInput {
            skills: self.weight_skills,
            experience: self.weight_experience,
            seniority: self.weight_seniority,
            location: self.weight_location,
            salary: self.weight_salary,
            text: self.weight_text,
        };
        let weights = effective_weights(defaults, Some(input)).map_err(|mut err| {
            for e in &mut err.errors {
                if let Some(name) = e.field.strip_prefix("weights.") {
                    e.field = format!("weight_{name}");
                }
            }
            err
        })?;
        Ok((limit, weights))
    }
}

/// Score one candidate against one job.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchRequest {
    /// `cand_…`
    pub candidate_id: String,
    /// `job_…`
    pub job_id: String,
    pub weights: Option<MatchWeightsInput>,
}

/// Per-factor scores, each 0–100.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
pub struct MatchBreakdown {
    pub skills: f64,
    pub experience: f64,
    pub seniority: f64,
    pub location: f64,
    pub salary: f64,
    pub text: f64,
}

/// How well a candidate fits a job, and why.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Match {
    pub candidate_id: String,
    pub job_id: String,
    /// 0–100: the weighted blend of the breakdown.
    pub score: f64,
    pub breakdown: MatchBreakdown,
    /// Job skills (required or nice-to-have) the candidate has.
    pub matched_skills: Vec<String>,
    pub missing_required_skills: Vec<String>,
    pub missing_nice_to_have_skills: Vec<String>,
    pub verdict: Verdict,
    /// Human-readable sentences: strongest evidence first, then gaps.
    pub explanation: Vec<String>,
    /// The weights used.
    pub weights: MatchWeights,
    pub model_version: String,
    #[schema(format = DateTime)]
    pub computed_at: String,
}

/// The best matches, best first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RankedMatches {
    pub items: Vec<Match>,
    pub model_version: String,
}

fn to_wire_weights(w: &DomainWeights) -> MatchWeights {
    MatchWeights {
        skills: round2(f64::from(w.skills)),
        experience: round2(f64::from(w.experience)),
        seniority: round2(f64::from(w.seniority)),
        location: round2(f64::from(w.location)),
        salary: round2(f64::from(w.salary)),
        text: round2(f64::from(w.text)),
    }
}

/// The server defaults overridden by the request's weights, validated.
fn effective_weights(
    defaults: DomainWeights,
    input: Option<MatchWeightsInput>,
) -> Result<DomainWeights, ApiError> {
    let Some(input) = input else {
        return Ok(defaults);
    };
    let mut w = defaults;
    let mut errors = Vec::new();
    let fields: [(&str, Option<f64>, &mut f32); 6] = [
        ("skills", input.skills, &mut w.skills),
        ("experience", input.experience, &mut w.experience),
        ("seniority", input.seniority, &mut w.seniority),
        ("location", input.location, &mut w.location),
        ("salary", input.salary, &mut w.salary),
        ("text", input.text, &mut w.text),
    ];
    for (name, value, slot) in fields {
        if let Some(value) = value {
            if !value.is_finite() || !(0.0..=1000.0).contains(&value) {
                errors.push(FieldError {
                    field: format!("weights.{name}"),
                    message: "must be a number between 0 and 1000".to_owned(),
                });
            } else {
                *slot = value as f32;
            }
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation_many(errors));
    }
    w.validate()
        .map_err(|message| ApiError::validation("weights", message))?;
    Ok(w)
}

pub(crate) fn candidate_profile(c: &CandidateRecord) -> CandidateProfile {
    CandidateProfile {
        id: c.id.clone(),
        skills: c
            .skills
            .iter()
            .map(|s| SkillMention {
                name: s.name.clone(),
                years: s.years.map(|y| y as f32),
            })
            .collect(),
        years_experience: c.years_experience.unwrap_or(0.0) as f32,
        seniority: Seniority::parse(&c.seniority)
            .unwrap_or(Seniority::Mid)
            .into(),
        location: c.location.clone(),
        salary_expectation: c.salary_expectation.and_then(|s| u32::try_from(s).ok()),
        text: c.text.clone(),
    }
}

pub(crate) fn job_profile(j: &JobRecord) -> JobProfile {
    JobProfile {
        id: j.id.clone(),
        title: j.title.clone(),
        description: j.description.clone(),
        required_skills: j.required_skills.clone(),
        nice_to_have_skills: j.nice_to_have_skills.clone(),
        seniority: j
            .seniority
            .as_deref()
            .and_then(Seniority::parse)
            .map(Into::into),
        min_years: j.min_years as f32,
        location: j.location.clone(),
        remote: RemotePolicy::parse(&j.remote)
            .unwrap_or(RemotePolicy::Onsite)
            .into(),
        salary_min: j.salary_min.and_then(|s| u32::try_from(s).ok()),
        salary_max: j.salary_max.and_then(|s| u32::try_from(s).ok()),
    }
}

fn to_match(
    candidate_id: &str,
    job_id: &str,
    r: MatchResult,
    weights: &DomainWeights,
    computed_at: &str,
) -> Match {
    let b = r.breakdown;
    Match {
        candidate_id: candidate_id.to_owned(),
        job_id: job_id.to_owned(),
        score: round2(f64::from(r.score)),
        breakdown: MatchBreakdown {
            skills: round2(f64::from(b.skills)),
            experience: round2(f64::from(b.experience)),
            seniority: round2(f64::from(b.seniority)),
            location: round2(f64::from(b.location)),
            salary: round2(f64::from(b.salary)),
            text: round2(f64::from(b.text)),
        },
        matched_skills: r.matched_skills,
        missing_required_skills: r.missing_required_skills,
        missing_nice_to_have_skills: r.missing_nice_to_have_skills,
        verdict: r.verdict.into(),
        explanation: r.explanation,
        weights: to_wire_weights(weights),
        model_version: matching::MODEL_VERSION.to_owned(),
        computed_at: computed_at.to_owned(),
    }
}

/// Score a candidate against a job
///
/// Nothing is stored: the match is computed on demand with the server's
/// default weights, or the ones given.
#[utoipa::path(
    post,
    path = "/matches",
    tag = "matches",
    operation_id = "createMatch",
    request_body = MatchRequest,
    responses(
        (status = 200, description = "The match", body = Match),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, invalid, revoked or expired API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks the matches:read scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such candidate or job", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field, e.g. a negative weight", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn create_match(
    State(state): State<AppState>,
    _auth: Authorized<scope::MatchesRead>,
    ApiJson(req): ApiJson<MatchRequest>,
) -> Result<Json<Match>, ApiError> {
    let weights = effective_weights(state.settings().match_weights, req.weights)?;
    let candidate = load_candidate(&state, &req.candidate_id).await?;
    let job = load_job(&state, &req.job_id).await?;
    let result = matching::score(&candidate_profile(&candidate), &job_profile(&job), &weights);
    Ok(Json(to_match(
        &candidate.id,
        &job.id,
        result,
        &weights,
        &rfc3339(now_ms()),
    )))
}

/// Rank candidates for a job
///
/// The `limit` best-fitting candidates, best first, with the server's
/// default weights or the `weight_*` given.
#[utoipa::path(
    get,
    path = "/jobs/{job_id}/matches",
    tag = "matches",
    operation_id = "rankCandidatesForJob",
    params(("job_id" = String, Path, description = "`job_…` id"), RankParams),
    responses(
        (status = 200, description = "The best candidates, best first", body = RankedMatches),
        (status = 401, description = "Missing, invalid, revoked or expired API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks the matches:read scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such job", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid `limit` or weight", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn rank_candidates_for_job(
    State(state): State<AppState>,
    _auth: Authorized<scope::MatchesRead>,
    Path(job_id): Path<String>,
    ApiQuery(params): ApiQuery<RankParams>,
) -> Result<Json<RankedMatches>, ApiError> {
    let (limit, weights) = params.validate(state.settings().match_weights)?;
    let job = load_job(&state, &job_id).await?;
    let indexes = state.indexes().read(state.storage()).await?;
    let ranked = tokio::task::spawn_blocking(move || {
        let now = rfc3339(now_ms());
        let mut ranked = indexes.candidates.rank(&job_profile(&job), &weights, limit);
        by_score_then_id(&mut ranked, |c| &c.id);
        ranked
            .into_iter()
            .map(|(c, r)| to_match(&c.id, &job.id, r, &weights, &now))
            .collect::<Vec<_>>()
    })
    .await
    .map_err(ApiError::internal)?;
    Ok(Json(RankedMatches {
        items: ranked,
        model_version: matching::MODEL_VERSION.to_owned(),
    }))
}

/// Rank open jobs for a candidate
///
/// The `limit` best-fitting open jobs, best first, with the server's
/// default weights or the `weight_*` given.
#[utoipa::path(
    get,
    path = "/candidates/{candidate_id}/matches",
    tag = "matches",
    operation_id = "rankJobsForCandidate",
    params(("candidate_id" = String, Path, description = "`cand_…` id"), RankParams),
    responses(
        (status = 200, description = "The best open jobs, best first", body = RankedMatches),
        (status = 401, description = "Missing, invalid, revoked or expired API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks the matches:read scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such candidate", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid `limit` or weight", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn rank_jobs_for_candidate(
    State(state): State<AppState>,
    _auth: Authorized<scope::MatchesRead>,
    Path(candidate_id): Path<String>,
    ApiQuery(params): ApiQuery<RankParams>,
) -> Result<Json<RankedMatches>, ApiError> {
    let (limit, weights) = params.validate(state.settings().match_weights)?;
    let candidate = load_candidate(&state, &candidate_id).await?;
    let indexes = state.indexes().read(state.storage()).await?;
    let ranked = tokio::task::spawn_blocking(move || {
        let now = rfc3339(now_ms());
        let mut ranked = indexes
            .jobs
            .rank(&candidate_profile(&candidate), &weights, limit);
        by_score_then_id(&mut ranked, |j| &j.id);
        ranked
            .into_iter()
            .map(|(j, r)| to_match(&candidate.id, &j.id, r, &weights, &now))
            .collect::<Vec<_>>()
    })
    .await
    .map_err(ApiError::internal)?;
    Ok(Json(RankedMatches {
        items: ranked,
        model_version: matching::MODEL_VERSION.to_owned(),
    }))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_weights_override_defaults_and_are_validated() {
        let defaults = DomainWeights::default();
        let w = effective_weights(
            defaults,
            Some(MatchWeightsInput {
                skills: Some(5.0),
                ..Default::default()
            }),
        )
        .unwrap();
        assert_eq!(w.skills, 5.0);
        assert_eq!(w.text, defaults.text);
        let err = effective_weights(
            defaults,
            Some(MatchWeightsInput {
                salary: Some(-1.0),
                ..Default::default()
            }),
        )
        .unwrap_err();
        assert_eq!(err.errors[0].field, "weights.salary");
        let zero = MatchWeightsInput {
            skills: Some(0.0),
            experience: Some(0.0),
            seniority: Some(0.0),
            location: Some(0.0),
            salary: Some(0.0),
            text: Some(0.0),
        };
        let err = effective_weights(defaults, Some(zero)).unwrap_err();
        assert_eq!(err.code, "validation_failed");
    }
}
