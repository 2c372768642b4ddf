//! `/v1/salary-predictions`: expected salary with an interval, from a stored
//! candidate or from explicit features.

use axum::Json;
use axum::extract::State;
use mismatch_core::salary::SalaryFeatures as DomainFeatures;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Authorized, scope};
use crate::error::{ApiError, FieldError, Problem};
use crate::extract::ApiJson;
use crate::ids::{CandidateId, SalaryModelId};
use crate::models::{EducationLevel, round2};
use crate::services::candidates;
use crate::services::salary_models::{self as service, ModelChoice};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(predict_salary))
}

/// What the salary model looks at.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SalaryFeatures {
    /// Years of professional experience, 0–60.
    #[schema(minimum = 0, maximum = 60)]
    pub years_experience: f64,
    pub education: Option<EducationLevel>,
    #[serde(default)]
    #[schema(max_items = 100)]
    pub skills: Vec<String>,
    #[schema(max_length = 200)]
    pub location: Option<String>,
}

/// Predict for a stored candidate (`candidate_id`) or for explicit
/// `features` — exactly one of the two.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SalaryPredictionRequest {
    /// `cand_…`
    #[schema(value_type = Option<String>)]
    pub candidate_id: Option<CandidateId>,
    pub features: Option<SalaryFeatures>,
    /// A customer model (`sm_…`, see `createSalaryModel`), or `default` for
    /// the shipped model. Without it the newest trained customer model is
    /// used, or the shipped model when there is none.
    pub model_id: Option<String>,
    /// A version of `model_id` (default: its newest).
    #[schema(minimum = 1)]
    pub model_version: Option<i64>,
}

/// A yearly salary prediction with an interval.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SalaryPrediction {
    /// Most likely salary.
    pub expected: f64,
    /// Lower end of the interval.
    pub low: f64,
    /// Upper end of the interval.
    pub high: f64,
    /// Coverage of [low, high], e.g. 0.8 for the 10th–90th percentiles.
    pub interval: f64,
    pub currency: String,
    /// `year`.
    pub period: String,
    /// 0–1: how much data supports this prediction.
    pub confidence: f64,
    /// 0–100: where `expected` sits among the model's training salaries.
    pub market_percentile: f64,
    /// The model version that made the prediction: `sm_…@v3` for a customer
    /// model, `salary-…` for the shipped one.
    pub model_version: String,
    /// The customer model used (`sm_…`); null for the shipped model.
    #[schema(value_type = Option<String>)]
    pub model_id: Option<SalaryModelId>,
    /// The features used.
    pub features: SalaryFeatures,
}

/// Predict a salary
#[utoipa::path(
    post,
    path = "/salary-predictions",
    tag = "salary",
    operation_id = "predictSalary",
    request_body = SalaryPredictionRequest,
    responses(
        (status = 200, description = "The prediction", body = SalaryPrediction),
        (status = 404, description = "No such candidate or salary model version", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Neither or both of `candidate_id` and `features`, or an invalid feature", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn predict_salary(
    State(state): State<AppState>,
    _auth: Authorized<scope::SalaryRead>,
    ApiJson(req): ApiJson<SalaryPredictionRequest>,
) -> Result<Json<SalaryPrediction>, ApiError> {
    let choice = model_choice(req.model_id.as_deref(), req.model_version)?;
    let features = match (req.candidate_id, req.features) {
        (Some(id), None) => {
            let c = candidates::get(&state, &id).await?.summary;
            SalaryFeatures {
                years_experience: c.years_experience.unwrap_or(0.0),
                education: c.education.map(Into::into),
                skills: c.skills.into_iter().map(|s| s.name).collect(),
                location: c.location,
            }
        }
        (None, Some(features)) => {
            validate(&features)?;
            features
        }
        _ => {
            let message = "give exactly one of candidate_id or features";
            return Err(ApiError::validation_many(vec![
                FieldError::new("candidate_id", message),
                FieldError::new("features", message),
            ]));
        }
    };
    let domain = DomainFeatures {
        years_experience: features.years_experience as f32,
        education: features.education.map(Into::into),
        skills: features.skills.clone(),
        location: features.location.clone(),
    };
    let (p, model_id) = service::predict(&state, domain, &choice).await?;
    Ok(Json(SalaryPrediction {
        expected: p.expected.round(),
        low: p.low.round(),
        high: p.high.round(),
        interval: round2(p.interval),
        currency: p.currency.to_owned(),
        period: p.period.to_owned(),
        confidence: round2(p.confidence),
        market_percentile: round2(p.market_percentile),
        model_version: p.model_version,
        model_id,
        features,
    }))
}

/// `model_id` and `model_version` as a choice of model.
fn model_choice(model_id: Option<&str>, version: Option<i64>) -> Result<ModelChoice, ApiError> {
    match (model_id, version) {
        (Some("default"), Some(_)) => Err(ApiError::validation(
            "model_version",
            "the default model has no versions",
        )),
        (Some("default"), None) => Ok(ModelChoice::Default),
        (Some(id), version) => {
            let id = SalaryModelId::parse(id).map_err(|_| {
                ApiError::validation("model_id", "not a salary model id (sm_…) or \"default\"")
            })?;
            Ok(ModelChoice::Customer(id, version))
        }
        (None, Some(_)) => Err(ApiError::validation(
            "model_version",
            "give model_id with model_version",
        )),
        (None, None) => Ok(ModelChoice::Newest),
    }
}

fn validate(f: &SalaryFeatures) -> Result<(), ApiError> {
    if !f.years_experience.is_finite() || !(0.0..=60.0).contains(&f.years_experience) {
        return Err(ApiError::validation(
            "features.years_experience",
            "must be between 0 and 60",
        ));
    }
    if let Some(location) = &f.location
        && location
            .chars()
            .nth(crate::services::Limits::LOCATION)
            .is_some()
    {
        return Err(ApiError::validation(
            "features.location",
            "must be at most 200 characters",
        ));
    }
    if f.skills.len() > 100 {
        return Err(ApiError::validation(
            "features.skills",
            "at most 100 skills",
        ));
    }
    Ok(())
}
