//! Salary models and predictions: customers train the model on their own
//! offers (every training run is a new version, earlier ones are kept), and
//! predictions use the shipped model or a stored version, refitted from its
//! CSV on first use and kept fitted in memory.

use std::sync::Arc;

use mismatch_core::salary::{
    HoldoutReport, OfferError, OffersSummary, SalaryFeatures, SalaryModel, SalaryPrediction,
};

use super::Limits;
use crate::error::{ApiError, FieldError};
use crate::ids::{SalaryModelId, UserId, new_id};
use crate::state::{AppState, now_ms};
use crate::storage::salary_models::{ModelEvaluation, ModelSummary, SalaryModelRecord};
use crate::storage::{Page, Storage, StorageError};

/// `sm_…@v3`: what a customer model's predictions report as `model_version`.
pub fn model_version(id: &SalaryModelId, version: i64) -> String {
    format!("{id}@v{version}")
}

/// Most bytes of CSV accepted (about 100,000 offers).
pub const MAX_CSV_BYTES: usize = 16 * 1024 * 1024;

fn evaluation(r: &HoldoutReport) -> ModelEvaluation {
    ModelEvaluation {
        n_train: r.n_train as u64,
        n_test: r.n_test as u64,
        mae: r.mae.round(),
        baseline_mae: r.baseline_mae.round(),
        interval_coverage: (r.interval_coverage * 1000.0).round() / 1000.0,
    }
}

fn summary(s: &OffersSummary) -> ModelSummary {
    ModelSummary {
        evaluation: s.holdout.as_ref().map(evaluation),
        locations: s.locations.clone(),
        skills: s.skills.clone(),
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

/// Fits a model on `csv` and stores it as the next version of `name`.
/// Used by the route and the `salary-models train` command.
pub async fn train_and_store(
    storage: &Storage,
    name: &str,
    csv: String,
    created_by: Option<UserId>,
) -> Result<SalaryModelRecord, ApiError> {
    let name = name.trim().to_owned();
    let mut errors = Vec::new();
    Limits::check("name", &name, Limits::MODEL_NAME, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::validation_many(errors));
    }
    if csv.len() > MAX_CSV_BYTES {
        return Err(ApiError::payload_too_large(MAX_CSV_BYTES));
    }
    // Fitting also validates; the label is only a placeholder here, since
    // the version number is known once stored, and the stored form is the
    // CSV (refitting is deterministic).
    let fit_csv = csv.clone();
    let (_, fitted) =
        tokio::task::spawn_blocking(move || SalaryModel::train_on_offers(&fit_csv, "validation"))
            .await
            .map_err(ApiError::internal)?
            .map_err(offer_problem)?;
    let record = SalaryModelRecord {
        row_key: new_id("smv"),
        id: SalaryModelId::generate(),
        version: 1,
        name,
        currency: fitted.currency.clone(),
        row_count: fitted.rows as i64,
        summary: summary(&fitted),
        training_csv: csv,
        created_by,
        created_at: now_ms(),
    };
    // A concurrent training of the same name may take the version first
    // (unique index); the retry reads the new latest version.
    let mut attempt = 0;
    loop {
        match storage.insert_salary_model_version(record.clone()).await {
            Ok(stored) => {
                crate::services::audit::note_created(stored.id.as_str());
                return Ok(stored);
            }
            Err(StorageError::Database(_)) if attempt < 3 => attempt += 1,
            Err(err) => return Err(err.into()),
        }
    }
}

/// [`train_and_store`] for a request: the caller is recorded as the author.
pub async fn train(
    state: &AppState,
    name: &str,
    csv: String,
    created_by: &UserId,
) -> Result<SalaryModelRecord, ApiError> {
    train_and_store(state.storage(), name, csv, Some(created_by.clone())).await
}

/// Every version of every model, newest first, without training data.
pub async fn list(
    state: &AppState,
    cursor: Option<&str>,
    limit: u32,
) -> Result<Page<SalaryModelRecord>, ApiError> {
    Ok(state.storage().list_salary_models(cursor, limit).await?)
}

/// Which model a prediction asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelChoice {
    /// The newest trained customer model, or the shipped one if none.
    Newest,
    /// The shipped model.
    Default,
    /// A customer model, at a version or its newest.
    Customer(SalaryModelId, Option<i64>),
}

/// The customer model version a prediction should use, fitted; `None`
/// means the shipped model.
async fn resolve(
    state: &AppState,
    choice: &ModelChoice,
) -> Result<Option<(SalaryModelId, String, Arc<SalaryModel>)>, ApiError> {
    let storage = state.storage();
    let found = match choice {
        ModelChoice::Default => return Ok(None),
        ModelChoice::Customer(id, version) => {
            let found = storage
                .find_salary_model_version(Some(id), *version)
                .await?;
            Some(found.ok_or_else(|| {
                ApiError::not_found(match version {
                    Some(v) => format!("no salary model {id} version {v}"),
                    None => format!("no salary model {id}"),
                })
            })?)
        }
        ModelChoice::Newest => storage.find_salary_model_version(None, None).await?,
    };
    let Some((id, version)) = found else {
        return Ok(None);
    };
    let label = model_version(&id, version);
    if let Some(model) = state.fitted_models().get(&label) {
        return Ok(Some((id, label, model)));
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
    state
        .fitted_models()
        .insert(label.clone(), Arc::clone(&model));
    Ok(Some((id, label, model)))
}

/// Predicts with the chosen model; also returns the customer model used.
pub async fn predict(
    state: &AppState,
    features: SalaryFeatures,
    choice: &ModelChoice,
) -> Result<(SalaryPrediction, Option<SalaryModelId>), ApiError> {
    let customer = resolve(state, choice).await?;
    let (model_id, model) = match customer {
        Some((id, _, model)) => (Some(id), Some(model)),
        None => (None, None),
    };
    let prediction = tokio::task::spawn_blocking(move || match model {
        Some(model) => model.predict(&features),
        None => SalaryModel::default_model().predict(&features),
    })
    .await
    .map_err(ApiError::internal)?;
    Ok((prediction, model_id))
}
