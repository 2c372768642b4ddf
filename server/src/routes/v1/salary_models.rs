//! `/v1/salary-models`: customers train the salary model on their own offers
//! (a CSV); every training run is a new version, earlier ones are kept, and
//! predictions name the version they used.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::{StatusCode, header};
use mismatch_core::salary::{HoldoutReport, OfferError, OffersSummary, SalaryModel};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ListParams, clean};
use crate::auth::{Authorized, scope};
use crate::error::{ApiError, FieldError, Problem};
use crate::extract::{ApiQuery, bytes_rejection};
use crate::state::{AppState, new_id, now_ms, rfc3339};
use crate::storage::salary_models::SalaryModelRecord;
use crate::storage::{Storage, StorageError};

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

impl From<&HoldoutReport> for SalaryModelEvaluation {
    fn from(r: &HoldoutReport) -> Self {
        Self {
            n_train: r.n_train as u64,
            n_test: r.n_test as u64,
            mae: r.mae.round(),
            baseline_mae: r.baseline_mae.round(),
            interval_coverage: (r.interval_coverage * 1000.0).round() / 1000.0,
        }
    }
}

/// What a fit reported; stored with each version.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredSummary {
    evaluation: Option<SalaryModelEvaluation>,
    locations: Vec<String>,
    skills: Vec<String>,
}

/// One version of a customer salary model.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SalaryModelVersion {
    /// `sm_…`, the same for every version of the model.
    pub id: String,
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

impl TryFrom<SalaryModelRecord> for SalaryModelVersion {
    type Error = ApiError;

    fn try_from(r: SalaryModelRecord) -> Result<Self, ApiError> {
        let summary: StoredSummary = serde_json::from_str(&r.summary)
            .map_err(|e| ApiError::internal(format!("stored salary model summary: {e}")))?;
        Ok(Self {
            model_version: model_version(&r.id, r.version),
            id: r.id,
            version: r.version,
            name: r.name,
            currency: r.currency,
            rows: r.row_count,
            evaluation: summary.evaluation,
            locations: summary.locations,
            skills: summary.skills,
            created_at: rfc3339(r.created_at),
        })
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

/// `sm_…@v3`: what a customer model's predictions report as `model_version`.
pub fn model_version(id: &str, version: i64) -> String {
    format!("{id}@v{version}")
}

/// Most bytes of CSV accepted (about 100,000 offers).
const MAX_CSV_BYTES: usize = 16 * 1024 * 1024;

/// Fits a model on `csv` and stores it as the next version of `name`.
/// Shared by the route and the `salary-models train` command.
pub async fn train_and_store(
    storage: &Storage,
    name: &str,
    csv: String,
    created_by: Option<String>,
) -> Result<SalaryModelVersion, ApiError> {
    let name = name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::validation("name", "must be 1–100 characters"));
    }
    // Fitting also validates; the label is only a placeholder here, since
    // the version number is known once stored, and the stored form is the
    // CSV (refitting is deterministic).
    let fit_csv = csv.clone();
    let (_, summary) =
        tokio::task::spawn_blocking(move || SalaryModel::train_on_offers(&fit_csv, "validation"))
            .await
            .map_err(ApiError::internal)?
            .map_err(offer_problem)?;
    let stored = stored_summary(&summary);
    let record = SalaryModelRecord {
        row_key: new_id("smv"),
        id: new_id("sm"),
        version: 1,
        name,
        currency: summary.currency.clone(),
        row_count: summary.rows as i64,
        summary: serde_json::to_string(&stored).map_err(ApiError::internal)?,
        training_csv: csv,
        created_by,
        created_at: now_ms(),
    };
    // A concurrent training of the same name may take the version first
    // (unique index); the retry reads the new latest version.
    let mut attempt = 0;
    let stored = loop {
        match storage.insert_salary_model_version(record.clone()).await {
            Ok(stored) => break stored,
            Err(StorageError::Database(_)) if attempt < 3 => attempt += 1,
            Err(err) => return Err(err.into()),
        }
    };
    SalaryModelVersion::try_from(stored)
}

fn stored_summary(summary: &OffersSummary) -> StoredSummary {
    StoredSummary {
        evaluation: summary.holdout.as_ref().map(SalaryModelEvaluation::from),
        locations: summary.locations.clone(),
        skills: summary.skills.clone(),
    }
}

/// A CSV problem as a 422 naming the row and the column:
/// `rows[3].salary`, `columns.years`, or `body` for the file as a whole.
fn offer_problem(err: OfferError) -> ApiError {
    let field = match (err.row, err.column.as_str()) {
        (0, "") => "body".to_owned(),
        (0, column) => format!("columns.{column}"),
        (row, "") => format!("rows[{row}]"),
        (row, column) => format!("rows[{row}].{column}"),
    };
    let message = if err.row > 0 {
        // Line numbers are what a spreadsheet or editor shows.
        format!("{} (row {}, line {})", err.message, err.row, err.row + 1)
    } else {
        err.message
    };
    ApiError::validation_many(vec![FieldError { field, message }])
}

/// Fitted customer models by `sm_…@vN`. Versions never change once stored,
/// so an entry never goes stale; the cap bounds memory, and a model evicted
/// is refitted from its stored CSV on next use.
static FITTED: LazyLock<Mutex<HashMap<String, Arc<SalaryModel>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));
const FITTED_CAP: usize = 32;

/// The model version a prediction should use: the given one, else the
/// newest customer model; `None` means the shipped model.
pub async fn resolve(
    storage: &Storage,
    model_id: Option<&str>,
    version: Option<i64>,
) -> Result<Option<(String, Arc<SalaryModel>)>, ApiError> {
    let found = match model_id {
        Some("default") => {
            if version.is_some() {
                return Err(ApiError::validation(
                    "model_version",
                    "the default model has no versions",
                ));
            }
            return Ok(None);
        }
        Some(id) => {
            if !super::is_id(id, "sm") {
                return Err(ApiError::validation(
                    "model_id",
                    "not a salary model id (sm_…) or \"default\"",
                ));
            }
            let found = storage.find_salary_model_version(Some(id), version).await?;
            Some(found.ok_or_else(|| {
                ApiError::not_found(match version {
                    Some(v) => format!("no salary model {id} version {v}"),
                    None => format!("no salary model {id}"),
                })
            })?)
        }
        None if version.is_some() => {
            return Err(ApiError::validation(
                "model_version",
                "give model_id with model_version",
            ));
        }
        None => storage.find_salary_model_version(None, None).await?,
    };
    let Some((id, version)) = found else {
        return Ok(None);
    };
    let label = model_version(&id, version);
    let cached = fitted_cache().get(&label).cloned();
    if let Some(model) = cached {
        return Ok(Some((label, model)));
    }
    let record = storage
        .get_salary_model(&id, version)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no salary model {label}")))?;
    let fit_label = label.clone();
    // The CSV was validated when stored, so a failure here means the stored
    // data or the fitting code changed.
    let model = tokio::task::spawn_blocking(move || {
        SalaryModel::train_on_offers(&record.training_csv, &fit_label)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(|e| ApiError::internal(format!("stored salary model {label}: {e}")))?
    .0;
    let model = Arc::new(model);
    let mut cache = fitted_cache();
    if cache.len() >= FITTED_CAP {
        cache.clear();
    }
    cache.insert(label.clone(), Arc::clone(&model));
    Ok(Some((label, model)))
}

fn fitted_cache() -> std::sync::MutexGuard<'static, HashMap<String, Arc<SalaryModel>>> {
    FITTED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

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
        (status = 401, description = "Missing, invalid, revoked or expired API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks the salary_models:write scope", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body larger than the limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not text/csv", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid CSV: the field names the row and column (`rows[3].salary`), or `name`", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("api_key" = []))
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
    let created = train_and_store(
        state.storage(),
        &name,
        csv,
        Some(auth.principal().user_id.clone()),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(created)))
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
        (status = 401, description = "Missing, invalid, revoked or expired API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks the salary:read scope", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn list_salary_models(
    State(state): State<AppState>,
    _auth: Authorized<scope::SalaryRead>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<SalaryModelPage>, ApiError> {
    let (limit, cursor) = params.validate("smv")?;
    let page = state.storage().list_salary_models(cursor, limit).await?;
    Ok(Json(SalaryModelPage {
        items: page
            .items
            .into_iter()
            .map(SalaryModelVersion::try_from)
            .collect::<Result<_, _>>()?,
        next_cursor: page.next_cursor,
    }))
}
