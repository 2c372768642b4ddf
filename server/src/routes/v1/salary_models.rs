//! `/v1/salary-models`: customers train the salary model on their own offers
//! (a CSV); every training run is a new version, earlier ones are kept, and
//! predictions name the version they used.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::{StatusCode, header};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ListParams;
use crate::auth::{Authorized, scope};
use crate::error::{ApiError, Problem};
use crate::extract::{ApiQuery, bytes_rejection};
use crate::ids::{SalaryModelId, SalaryModelVersionKey};
use crate::services::candidates::clean;
use crate::services::salary_models::{self as service, MAX_CSV_BYTES, model_version};
use crate::state::{AppState, rfc3339};
use crate::storage::salary_models::{ModelEvaluation, SalaryModelRecord};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_salary_model, list_salary_models))
}

/// Held-out evaluation of a customer model (seeded 80/20 split of its
/// offers), present when it was trained on at least 50 offers.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SalaryModelEvaluation {
    pub n_train: u64,
    pub n_test: u64,
    /// Mean absolute error on the held-out offers.
    pub mae: f64,
    /// Mean absolute error of predicting the training mean.
    pub baseline_mae: f64,
    /// Share of held-out offers inside the predicted 80 % interval.
    pub interval_coverage: f64,
}

impl From<ModelEvaluation> for SalaryModelEvaluation {
    fn from(r: ModelEvaluation) -> Self {
        Self {
            n_train: r.n_train,
            n_test: r.n_test,
            mae: r.mae,
            baseline_mae: r.baseline_mae,
            interval_coverage: r.interval_coverage,
        }
    }
}

/// One version of a customer salary model.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SalaryModelVersion {
    /// `sm_…`, the same for every version of the model.
    #[schema(value_type = String)]
    pub id: SalaryModelId,
    /// 1 for the first training run, then 2, 3, …
    pub version: i64,
    pub name: String,
    /// What predictions with this version report as `model_version`.
    pub model_version: String,
    /// ISO 4217 code of the offers and the predictions.
    pub currency: String,
    /// Offers it was trained on.
    pub rows: i64,
    pub evaluation: Option<SalaryModelEvaluation>,
    /// Locations (lower case, before any comma) with their own coefficient.
    pub locations: Vec<String>,
    /// Skills with their own coefficient.
    pub skills: Vec<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<SalaryModelRecord> for SalaryModelVersion {
    fn from(r: SalaryModelRecord) -> Self {
        Self {
            model_version: model_version(&r.id, r.version),
            id: r.id,
            version: r.version,
            name: r.name,
            currency: r.currency,
            rows: r.row_count,
            evaluation: r.summary.evaluation.map(Into::into),
            locations: r.summary.locations,
            skills: r.summary.skills,
            created_at: rfc3339(r.created_at),
        }
    }
}

/// A page of model versions.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SalaryModelPage {
    pub items: Vec<SalaryModelVersion>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CreateSalaryModelParams {
    /// Name of the model; training a name again adds a version to it.
    #[param(max_length = 100)]
    pub name: String,
}

/// The offers, as CSV (documentation only; the handler reads the raw body).
#[derive(ToSchema)]
#[schema(value_type = String)]
#[allow(dead_code)]
pub struct OffersCsv(String);

/// The same CSV sent as bytes (documentation only).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub struct OffersFile(Vec<u8>);

/// Train a salary model on your offers
///
/// The body is a CSV file (`text/csv`) with a header row. Columns:
/// `salary` (yearly amount, required), `years_experience` (0–60, required),
/// `education` (`high_school`, `associate`, `bachelor`, `master`,
/// `doctorate`, or a usual degree name such as `BSc`, `MBA`, `PhD`; may be
/// empty), `location` (free text; the part before the first comma is the
/// level), `skills` (separated by `;`), `currency` (ISO 4217, the same on
/// every row; USD when absent). At least 20 offers. The fit is the shipped
/// model's algorithm (least squares on log salary with an 80 % interval from
/// the residual quantiles); with 50 offers or more it is first evaluated on a
/// 20 % holdout. Training an existing `name` again adds a version; earlier
/// versions are kept. New predictions use the newest trained version unless
/// they name one.
#[utoipa::path(
    post,
    path = "/salary-models",
    tag = "salary",
    operation_id = "createSalaryModel",
    params(CreateSalaryModelParams),
    request_body(
        description = "The offers (CSV; `application/octet-stream` is accepted too)",
        content((OffersCsv = "text/csv"), (OffersFile = "application/octet-stream"))
    ),
    responses(
        (status = 201, description = "The new model version", body = SalaryModelVersion),
        (status = 400, description = "Unreadable body", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body larger than the limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not text/csv", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid CSV: the field names the row and column (`rows[3].salary`), or `name`", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn create_salary_model(
    State(state): State<AppState>,
    auth: Authorized<scope::SalaryModelsWrite>,
    ApiQuery(params): ApiQuery<CreateSalaryModelParams>,
    request: Request,
) -> Result<(StatusCode, Json<SalaryModelVersion>), ApiError> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let is_text = [
        "text/csv",
        "text/plain",
        "application/csv",
        "application/octet-stream",
    ]
    .iter()
    .any(|t| content_type.starts_with(t));
    if !is_text {
        return Err(ApiError::unsupported_media_type(
            "send the offers as text/csv",
        ));
    }
    let bytes = Bytes::from_request(request, &state)
        .await
        .map_err(bytes_rejection)?;
    if bytes.len() > MAX_CSV_BYTES {
        return Err(ApiError::payload_too_large(MAX_CSV_BYTES));
    }
    let csv = String::from_utf8(bytes.to_vec())
        .map_err(|_| ApiError::validation("body", "the CSV is not UTF-8 text"))?;
    let csv = csv
        .strip_prefix('\u{feff}')
        .map(str::to_owned)
        .unwrap_or(csv);
    let name = clean(Some(params.name)).unwrap_or_default();
    let created = service::train(&state, &name, csv, &auth.principal().user_id).await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// List salary model versions, newest first
#[utoipa::path(
    get,
    path = "/salary-models",
    tag = "salary",
    operation_id = "listSalaryModels",
    params(ListParams),
    responses(
        (status = 200, description = "A page of model versions, newest first", body = SalaryModelPage),
        (status = 422, description = "Invalid `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn list_salary_models(
    State(state): State<AppState>,
    _auth: Authorized<scope::SalaryRead>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<SalaryModelPage>, ApiError> {
    let (limit, cursor) = params.validate::<SalaryModelVersionKey>()?;
    let page = service::list(
        &state,
        cursor.as_ref().map(SalaryModelVersionKey::as_str),
        limit,
    )
    .await?;
    Ok(Json(SalaryModelPage {
        items: page
            .items
            .into_iter()
            .map(SalaryModelVersion::from)
            .collect(),
        next_cursor: page.next_cursor,
    }))
}
