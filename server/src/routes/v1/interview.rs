//! `/v1/interview-questions`: questions for interviewing a candidate for a
//! job, chosen from the shipped question bank with a reason for each.

use axum::Json;
use axum::extract::State;
use mismatch_core::interview::{
    self, InterviewPlan, MAX_PER_LEVEL, QuestionLevel as DomainLevel, SelectedQuestion,
    SelectionOptions,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Authorized, scope};
use crate::error::{ApiError, Problem};
use crate::extract::ApiJson;
use crate::ids::{CandidateId, JobId};
use crate::services::{candidates, jobs};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_interview_questions))
}

/// Depth of an interview question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionLevel {
    Basic,
    Intermediate,
    Advanced,
}

impl From<DomainLevel> for QuestionLevel {
    fn from(value: DomainLevel) -> Self {
        match value {
            DomainLevel::Basic => QuestionLevel::Basic,
            DomainLevel::Intermediate => QuestionLevel::Intermediate,
            DomainLevel::Advanced => QuestionLevel::Advanced,
        }
    }
}

/// Which candidate, which job, and how many questions.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InterviewQuestionsRequest {
    /// `cand_…`
    #[schema(value_type = String)]
    pub candidate_id: CandidateId,
    /// `job_…`
    #[schema(value_type = String)]
    pub job_id: JobId,
    /// Questions per level, 1–20 (default 3).
    #[schema(minimum = 1, maximum = 20)]
    pub per_level: Option<u32>,
}

/// One interview question and why it was chosen.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InterviewQuestion {
    /// Stable id of the question in the bank.
    pub id: String,
    /// The skill it probes; absent for behavioural questions.
    pub skill: Option<String>,
    pub level: QuestionLevel,
    pub question: String,
    /// What a good answer covers.
    pub good_answer: Vec<String>,
    /// Why this question was chosen for this candidate and job.
    pub reason: String,
}

/// A skill of the job the selection aimed at.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InterviewTarget {
    pub skill: String,
    /// Required by the job (else nice to have).
    pub required: bool,
    /// The candidate names the skill.
    pub candidate_has: bool,
    /// Level its questions are asked at.
    pub level: QuestionLevel,
    pub reason: String,
}

/// Interview questions grouped by level.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InterviewQuestions {
    pub candidate_id: String,
    pub job_id: String,
    pub basic: Vec<InterviewQuestion>,
    pub intermediate: Vec<InterviewQuestion>,
    pub advanced: Vec<InterviewQuestion>,
    /// The job's skills in order of priority (missing required skills
    /// first), each with the level chosen for it.
    pub targets: Vec<InterviewTarget>,
}

fn to_wire(q: SelectedQuestion) -> InterviewQuestion {
    InterviewQuestion {
        id: q.id,
        skill: q.skill,
        level: q.level.into(),
        question: q.question,
        good_answer: q.good_answer,
        reason: q.reason,
    }
}

fn to_response(candidate_id: &str, job_id: &str, plan: InterviewPlan) -> InterviewQuestions {
    InterviewQuestions {
        candidate_id: candidate_id.to_owned(),
        job_id: job_id.to_owned(),
        basic: plan.basic.into_iter().map(to_wire).collect(),
        intermediate: plan.intermediate.into_iter().map(to_wire).collect(),
        advanced: plan.advanced.into_iter().map(to_wire).collect(),
        targets: plan
            .targets
            .into_iter()
            .map(|t| InterviewTarget {
                skill: t.skill,
                required: t.required,
                candidate_has: t.candidate_has,
                level: t.level.into(),
                reason: t.reason,
            })
            .collect(),
    }
}

fn per_level(value: Option<u32>) -> Result<usize, ApiError> {
    let n = value.unwrap_or(3) as usize;
    if !(1..=MAX_PER_LEVEL).contains(&n) {
        return Err(ApiError::validation(
            "per_level",
            format!("must be between 1 and {MAX_PER_LEVEL}"),
        ));
    }
    Ok(n)
}

/// Select interview questions for a candidate and a job
///
/// Questions from the shipped bank aimed at the job's key skills and the
/// skills the candidate lacks, at a level that follows the candidate's years
/// in each skill, each with what a good answer covers and why it was chosen.
/// The same candidate and job always get the same questions. Nothing is
/// stored.
#[utoipa::path(
    post,
    path = "/interview-questions",
    tag = "interviews",
    operation_id = "createInterviewQuestions",
    request_body = InterviewQuestionsRequest,
    responses(
        (status = 200, description = "The questions, grouped by level", body = InterviewQuestions),
        (status = 404, description = "No such candidate or job", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid `per_level`", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn create_interview_questions(
    State(state): State<AppState>,
    _auth: Authorized<scope::InterviewsRead>,
    ApiJson(req): ApiJson<InterviewQuestionsRequest>,
) -> Result<Json<InterviewQuestions>, ApiError> {
    let per_level = per_level(req.per_level)?;
    let candidate = candidates::get(&state, &req.candidate_id).await?.profile();
    let job = jobs::get(&state, &req.job_id).await?.profile();
    let response = tokio::task::spawn_blocking(move || {
        let plan = interview::select_questions(&candidate, &job, SelectionOptions { per_level });
        to_response(&candidate.id, &job.id, plan)
    })
    .await
    .map_err(ApiError::internal)?;
    Ok(Json(response))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_level_is_validated() {
        assert_eq!(per_level(None).unwrap(), 3);
        assert_eq!(per_level(Some(20)).unwrap(), 20);
        for bad in [0, 21] {
            let err = per_level(Some(bad)).unwrap_err();
            assert_eq!(err.errors[0].field, "per_level");
        }
    }
}
