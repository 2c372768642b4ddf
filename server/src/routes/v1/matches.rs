//! `/v1/matches` and the two ranking operations: how well candidates fit
//! jobs, explained per factor.

use axum::Json;
use axum::extract::State;
use mismatch_core::matching::{self, MatchResult, MatchWeights as DomainWeights};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::TopParams;
use crate::auth::{Authorized, scope};
use crate::error::{ApiError, FieldError, Problem};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::ids::{CandidateId, JobId};
use crate::models::{Verdict, round2};
use crate::services::matching as service;
use crate::state::{AppState, now_ms, rfc3339};

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
    #[schema(value_type = String)]
    pub candidate_id: CandidateId,
    /// `job_…`
    #[schema(value_type = String)]
    pub job_id: JobId,
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
        (status = 404, description = "No such candidate or job", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field, e.g. a negative weight", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn create_match(
    State(state): State<AppState>,
    _auth: Authorized<scope::MatchesRead>,
    ApiJson(req): ApiJson<MatchRequest>,
) -> Result<Json<Match>, ApiError> {
    let weights = effective_weights(state.settings().match_weights, req.weights)?;
    let result = service::score(&state, &req.candidate_id, &req.job_id, &weights).await?;
    Ok(Json(to_match(
        req.candidate_id.as_str(),
        req.job_id.as_str(),
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
        (status = 404, description = "No such job", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid `limit` or weight", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn rank_candidates_for_job(
    State(state): State<AppState>,
    _auth: Authorized<scope::MatchesRead>,
    ApiPath(job_id): ApiPath<JobId>,
    ApiQuery(params): ApiQuery<RankParams>,
) -> Result<Json<RankedMatches>, ApiError> {
    let (limit, weights) = params.validate(state.settings().match_weights)?;
    let ranked = service::rank_candidates_for_job(&state, &job_id, weights, limit).await?;
    let now = rfc3339(now_ms());
    Ok(Json(RankedMatches {
        items: ranked
            .into_iter()
            .map(|(candidate_id, r)| to_match(&candidate_id, job_id.as_str(), r, &weights, &now))
            .collect(),
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
        (status = 404, description = "No such candidate", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid `limit` or weight", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn rank_jobs_for_candidate(
    State(state): State<AppState>,
    _auth: Authorized<scope::MatchesRead>,
    ApiPath(candidate_id): ApiPath<CandidateId>,
    ApiQuery(params): ApiQuery<RankParams>,
) -> Result<Json<RankedMatches>, ApiError> {
    let (limit, weights) = params.validate(state.settings().match_weights)?;
    let ranked = service::rank_jobs_for_candidate(&state, &candidate_id, weights, limit).await?;
    let now = rfc3339(now_ms());
    Ok(Json(RankedMatches {
        items: ranked
            .into_iter()
            .map(|(job_id, r)| to_match(candidate_id.as_str(), &job_id, r, &weights, &now))
            .collect(),
        model_version: matching::MODEL_VERSION.to_owned(),
    }))
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
        assert_eq!(err.code, crate::error::ErrorCode::ValidationFailed);
    }
}
