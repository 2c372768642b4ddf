//! Customer salary models: every training run is a new version of a named
//! model; nothing is overwritten.

use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{
    Page, Result, Storage, audited, decode, decode_opt, from_json, paginate, to_json, where_clause,
};
use crate::ids::{SalaryModelId, UserId};

/// Held-out evaluation stored with a version (JSON in `summary`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelEvaluation {
    pub n_train: u64,
    pub n_test: u64,
    pub mae: f64,
    pub baseline_mae: f64,
    pub interval_coverage: f64,
}

/// What a fit reported, stored with each version (JSON in `summary`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSummary {
    pub evaluation: Option<ModelEvaluation>,
    pub locations: Vec<String>,
    pub skills: Vec<String>,
}

/// One version of a customer salary model.
#[derive(Debug, Clone, PartialEq)]
pub struct SalaryModelRecord {
    /// `smv_…`: orders versions by creation; the list cursor.
    pub row_key: String,
    /// Shared by every version of the model.
    pub id: SalaryModelId,
    pub version: i64,
    pub name: String,
    pub currency: String,
    pub row_count: i64,
    /// What the fit reported (holdout figures, levels used).
    pub summary: ModelSummary,
    /// Empty in listings (see [`Storage::list_salary_models`]).
    pub training_csv: String,
    pub created_by: Option<UserId>,
    pub created_at: i64,
}

const COLUMNS: &str =
    "row_key, id, version, name, currency, row_count, summary, created_by, created_at";

impl Storage {
    /// Stores `record` as the next version of the model called
    /// `record.name`: it takes that model's id and version + 1, or keeps
    /// `record.id` and version 1 for a new name. Returns the stored record.
    /// Two concurrent trainings of one name cannot both get a version: the
    /// unique index rejects the second, which the caller may retry.
    pub async fn insert_salary_model_version(
        &self,
        mut record: SalaryModelRecord,
    ) -> Result<SalaryModelRecord> {
        let mut tx = self.begin_write().await?;
        let latest = sqlx::query(
            "SELECT id, version FROM salary_models WHERE name = $1 ORDER BY version DESC LIMIT 1",
        )
        .bind(&record.name)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = latest {
            record.id = decode(&row, "id")?;
            record.version = row.try_get::<i64, _>("version")? + 1;
        } else {
            record.version = 1;
        }
        sqlx::query(
            "INSERT INTO salary_models (row_key, id, version, name, currency, row_count, summary, \
             training_csv, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&record.row_key)
        .bind(record.id.as_str())
        .bind(record.version)
        .bind(&record.name)
        .bind(&record.currency)
        .bind(record.row_count)
        .bind(to_json(&record.summary)?)
        .bind(&record.training_csv)
        .bind(record.created_by.as_ref().map(UserId::as_str))
        .bind(record.created_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(record)
    }

    /// Every version of every model, newest first, without the training
    /// data.
    pub async fn list_salary_models(
        &self,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<SalaryModelRecord>> {
        let mut conditions = Vec::new();
        if cursor.is_some() {
            conditions.push("row_key < $1".to_owned());
        }
        let sql = format!(
            "SELECT {COLUMNS} FROM salary_models {} ORDER BY row_key DESC LIMIT {}",
            where_clause(&conditions),
            i64::from(limit) + 1
        );
        let mut query = sqlx::query(audited(sql));
        if let Some(cursor) = cursor {
            query = query.bind(cursor);
        }
        let rows = query.fetch_all(&self.pool).await?;
        let items = rows
            .iter()
            .map(|r| from_row(r, false))
            .collect::<Result<Vec<_>>>()?;
        Ok(paginate(items, limit, |m| m.row_key.clone()))
    }

    /// Which stored version a prediction means, without its training data:
    /// `version` of `id`, the newest version of `id`, or (no `id`) the most
    /// recently trained version of any model. Returns `(id, version)`.
    pub async fn find_salary_model_version(
        &self,
        id: Option<&SalaryModelId>,
        version: Option<i64>,
    ) -> Result<Option<(SalaryModelId, i64)>> {
        let mut conditions = Vec::new();
        if id.is_some() {
            conditions.push("id = $1".to_owned());
            if version.is_some() {
                conditions.push("version = $2".to_owned());
            }
        }
        let sql = format!(
            "SELECT id, version FROM salary_models {} ORDER BY row_key DESC LIMIT 1",
            where_clause(&conditions)
        );
        let mut query = sqlx::query(audited(sql));
        if let Some(id) = id {
            query = query.bind(id.as_str());
            if let Some(version) = version {
                query = query.bind(version);
            }
        }
        let row = query.fetch_optional(&self.pool).await?;
        row.map(|r| Ok((decode(&r, "id")?, r.try_get("version")?)))
            .transpose()
    }

    /// One version with its training data.
    pub async fn get_salary_model(
        &self,
        id: &SalaryModelId,
        version: i64,
    ) -> Result<Option<SalaryModelRecord>> {
        let sql = format!(
            "SELECT {COLUMNS}, training_csv FROM salary_models WHERE id = $1 AND version = $2"
        );
        let row = sqlx::query(audited(sql))
            .bind(id.as_str())
            .bind(version)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| from_row(&r, true)).transpose()
    }
}

fn from_row(r: &AnyRow, with_csv: bool) -> Result<SalaryModelRecord> {
    Ok(SalaryModelRecord {
        row_key: r.try_get("row_key")?,
        id: decode(r, "id")?,
        version: r.try_get("version")?,
        name: r.try_get("name")?,
        currency: r.try_get("currency")?,
        row_count: r.try_get("row_count")?,
        summary: from_json(&r.try_get::<String, _>("summary")?, "summary")?,
        training_csv: if with_csv {
            r.try_get("training_csv")?
        } else {
            String::new()
        },
        created_by: decode_opt(r, "created_by")?,
        created_at: r.try_get("created_at")?,
    })
}
