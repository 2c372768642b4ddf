//! The `/v1` API: one module per resource, each ending in `pub fn router()`.

pub mod analytics;
pub mod api_keys;
pub mod audit_events;
pub mod auth;
pub mod candidates;
pub mod encryption;
pub mod interview;
pub mod jobs;
pub mod matches;
pub mod salary;
pub mod salary_models;
pub mod users;

use std::str::FromStr;

use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;

use crate::error::ApiError;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(auth::router())
        .merge(users::router())
        .merge(api_keys::router())
        .merge(candidates::router())
        .merge(jobs::router())
        .merge(matches::router())
        .merge(salary::router())
        .merge(salary_models::router())
        .merge(interview::router())
        .merge(analytics::router())
        .merge(encryption::router())
        .merge(audit_events::router())
}

pub const DEFAULT_PAGE_SIZE: u32 = 20;
pub const MAX_PAGE_SIZE: u32 = 100;

/// Cursor pagination parameters shared by every list operation.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Page size, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl ListParams {
    /// The validated page size and cursor; cursors are ids of the listed
    /// resource.
    pub fn validate<T: FromStr>(&self) -> Result<(u32, Option<T>), ApiError> {
        let limit = self.limit.unwrap_or(DEFAULT_PAGE_SIZE);
        if !(1..=MAX_PAGE_SIZE).contains(&limit) {
            return Err(ApiError::validation(
                "limit",
                format!("must be between 1 and {MAX_PAGE_SIZE}"),
            ));
        }
        let cursor = match self.cursor.as_deref() {
            None | Some("") => None,
            Some(c) => Some(c.parse().map_err(|_| {
                ApiError::validation(
                    "cursor",
                    "not a cursor returned by this list (use next_cursor)",
                )
            })?),
        };
        Ok((limit, cursor))
    }
}

/// Top-N parameter of the ranking operations.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TopParams {
    /// How many results, 1–100 (default 10).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

impl TopParams {
    pub fn validate(&self) -> Result<usize, ApiError> {
        let limit = self.limit.unwrap_or(10);
        if !(1..=MAX_PAGE_SIZE).contains(&limit) {
            return Err(ApiError::validation(
                "limit",
                format!("must be between 1 and {MAX_PAGE_SIZE}"),
            ));
        }
        Ok(limit as usize)
    }
}
