//! `/v1/jobs/{job_id}/analytics`: how the stored candidates measure up to a
//! job — rarest required skills, score distribution, salary benchmark.

use axum::Json;
use axum::extract::State;
use mismatch_core::analytics::{self, JobAnalytics as DomainAnalytics, SkillRarity};
use mismatch_core::matching;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Authorized, scope};
use crate::error::{ApiError, Problem};
use crate::extract::ApiPath;
use crate::ids::JobId;
use crate::models::{Verdict, round2};
use crate::services::matching as service;
use crate::state::{AppState, now_ms, rfc3339};
use crate::storage::jobs::JobRecord;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_job_analytics))
}

/// How many candidates have one of the job's skills.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SkillCoverage {
    /// The skill, as the job spells it.
    pub skill: String,
    /// Candidates who name it or a skill implying it.
    pub candidates_with: u64,
    /// `candidates_with` / number of candidates, 0–1 (0 without candidates).
    pub share: f64,
}

/// Candidates in one verdict band.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VerdictCount {
    pub verdict: Verdict,
    pub count: u64,
}

/// Scores in `[from, to)`; the last bin includes 100.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ScoreBin {
    pub from: f64,
    pub to: f64,
    pub count: u64,
}

/// Distribution of the candidates' match scores for the job. The statistics
/// are absent when there are no candidates.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ScoreDistribution {
    /// Candidates scored.
    pub count: u64,
    pub mean: Option<f64>,
    pub min: Option<f64>,
    pub p25: Option<f64>,
    pub p50: Option<f64>,
    pub p75: Option<f64>,
    pub p90: Option<f64>,
    pub max: Option<f64>,
    /// Every verdict band, strongest first.
    pub by_verdict: Vec<VerdictCount>,
    /// Ten bins of ten points, 0–10 first.
    pub bins: Vec<ScoreBin>,
}

/// Where the job's salary range sits against the market interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MarketPosition {
    Below,
    Within,
    Above,
    /// The job states no salary.
    Unknown,
}

/// The salary model's estimate for the role, against the job's range.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SalaryBenchmark {
    /// Expected yearly salary for the role.
    pub expected: f64,
    /// Lower end of the interval.
    pub low: f64,
    /// Upper end of the interval.
    pub high: f64,
    /// Coverage of [low, high], e.g. 0.8.
    pub interval: f64,
    pub currency: String,
    /// `year`.
    pub period: String,
    /// 0–1: how much data supports the estimate.
    pub confidence: f64,
    /// Years of experience assumed for the role: the job's minimum or its
    /// seniority's typical years, whichever is more.
    pub years_assumed: f64,
    pub job_salary_min: Option<i64>,
    pub job_salary_max: Option<i64>,
    /// Currency of the job's range; compared only when it is the model's.
    pub job_currency: String,
    pub position: MarketPosition,
    /// One sentence comparing the job's range with the market.
    pub explanation: String,
    pub model_version: String,
}

/// How the stored candidates measure up to a job.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct JobAnalytics {
    pub job_id: String,
    /// Required skills, rarest among the candidates first.
    pub required_skills: Vec<SkillCoverage>,
    /// Nice-to-have skills, rarest first.
    pub nice_to_have_skills: Vec<SkillCoverage>,
    pub score_distribution: ScoreDistribution,
    pub salary_benchmark: SalaryBenchmark,
    /// Version of the matching rules behind the scores.
    pub model_version: String,
    #[schema(format = DateTime)]
    pub computed_at: String,
}

fn coverage(list: Vec<SkillRarity>) -> Vec<SkillCoverage> {
    list.into_iter()
        .map(|r| SkillCoverage {
            skill: r.skill,
            candidates_with: r.candidates_with as u64,
            share: round2(r.share),
        })
        .collect()
}

fn opt(x: Option<f32>) -> Option<f64> {
    x.map(|v| round2(f64::from(v)))
}

fn to_response(job: &JobRecord, a: DomainAnalytics) -> JobAnalytics {
    let d = a.scores;
    let s = a.salary;
    let states_salary = job.salary_min.is_some() || job.salary_max.is_some();
    // Amounts in different currencies are not compared: no exchange rates.
    let (position, explanation) = if states_salary && job.currency != s.prediction.currency {
        (
            MarketPosition::Unknown,
            format!(
                "The job's salary is in {} and the model's in {}, so they are not compared; \
                 the model expects {}–{} {} for {} years of experience.",
                job.currency,
                s.prediction.currency,
                s.prediction.low.round(),
                s.prediction.high.round(),
                s.prediction.currency,
                round2(f64::from(s.years_assumed))
            ),
        )
    } else {
        let position = match s.position {
            analytics::MarketPosition::Below => MarketPosition::Below,
            analytics::MarketPosition::Within => MarketPosition::Within,
            analytics::MarketPosition::Above => MarketPosition::Above,
            analytics::MarketPosition::Unknown => MarketPosition::Unknown,
        };
        (position, s.explanation)
    };
    JobAnalytics {
        job_id: job.id.as_str().to_owned(),
        required_skills: coverage(a.required_skills),
        nice_to_have_skills: coverage(a.nice_to_have_skills),
        score_distribution: ScoreDistribution {
            count: d.count as u64,
            mean: opt(d.mean),
            min: opt(d.min),
            p25: opt(d.p25),
            p50: opt(d.p50),
            p75: opt(d.p75),
            p90: opt(d.p90),
            max: opt(d.max),
            by_verdict: d
                .by_verdict
                .into_iter()
                .map(|(v, n)| VerdictCount {
                    verdict: v.into(),
                    count: n as u64,
                })
                .collect(),
            bins: d
                .bins
                .into_iter()
                .map(|b| ScoreBin {
                    from: f64::from(b.from),
                    to: f64::from(b.to),
                    count: b.count as u64,
                })
                .collect(),
        },
        salary_benchmark: SalaryBenchmark {
            expected: s.prediction.expected.round(),
            low: s.prediction.low.round(),
            high: s.prediction.high.round(),
            interval: round2(s.prediction.interval),
            currency: s.prediction.currency.to_string(),
            period: s.prediction.period.to_string(),
            confidence: round2(s.prediction.confidence),
            years_assumed: round2(f64::from(s.years_assumed)),
            job_salary_min: job.salary_min.map(i64::from),
            job_salary_max: job.salary_max.map(i64::from),
            job_currency: job.currency.clone(),
            position,
            explanation,
            model_version: s.prediction.model_version,
        },
        model_version: matching::MODEL_VERSION.to_owned(),
        computed_at: rfc3339(now_ms()),
    }
}

/// Analytics for a job
///
/// Over every stored candidate: which of the job's skills are rarest, how
/// their match scores (server default weights) are distributed, and what the
/// salary model expects the role to pay compared with the job's range.
#[utoipa::path(
    get,
    path = "/jobs/{job_id}/analytics",
    tag = "jobs",
    operation_id = "getJobAnalytics",
    params(("job_id" = String, Path, description = "`job_…` id")),
    responses(
        (status = 200, description = "The job's analytics", body = JobAnalytics),
        (status = 404, description = "No such job", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn get_job_analytics(
    State(state): State<AppState>,
    _auth: Authorized<scope::MatchesRead>,
    ApiPath(job_id): ApiPath<JobId>,
) -> Result<Json<JobAnalytics>, ApiError> {
    let (job, a) = service::analyse_job(&state, &job_id).await?;
    Ok(Json(to_response(&job, a)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mismatch_core::matching::MatchWeights;
    use mismatch_core::salary::SalaryModel;

    fn job(currency: &str) -> JobRecord {
        JobRecord {
            id: JobId::parse("job_01ARZ3NDEKTSV4RRFFQ69G5FAV").unwrap(),
            title: "Backend Engineer".into(),
            company: None,
            description: "Python services".into(),
            required_skills: vec!["Python".into()],
            nice_to_have_skills: vec![],
            seniority: Some(mismatch_core::Seniority::Senior),
            min_years: 5.0,
            location: None,
            remote: mismatch_core::RemotePolicy::Remote,
            salary_min: Some(10_000),
            salary_max: Some(20_000),
            currency: currency.into(),
            status: mismatch_core::JobStatus::Open,
            created_at: 0,
            updated_at: 0,
            version: 1,
        }
    }

    fn analyse(j: &JobRecord) -> JobAnalytics {
        let a = analytics::analyse_job(
            &j.profile(),
            &[],
            &MatchWeights::default(),
            SalaryModel::default_model(),
        );
        to_response(j, a)
    }

    #[test]
    fn ranges_in_another_currency_are_not_compared() {
        let same = analyse(&job("USD"));
        assert_eq!(same.salary_benchmark.position, MarketPosition::Below);
        let other = analyse(&job("EUR"));
        assert_eq!(other.salary_benchmark.position, MarketPosition::Unknown);
        assert!(
            other.salary_benchmark.explanation.contains("EUR"),
            "{}",
            other.salary_benchmark.explanation
        );
        assert_eq!(other.salary_benchmark.job_currency, "EUR");
        assert_eq!(other.score_distribution.count, 0);
        assert_eq!(other.score_distribution.mean, None);
        assert_eq!(other.required_skills[0].share, 0.0);
    }
}
