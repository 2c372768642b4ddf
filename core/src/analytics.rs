//! Analytics for one job over a pool of candidates: which required skills
//! are rarest, how the match scores are distributed, and what the salary
//! model says the role pays compared with the job's own range.
//!
//! A candidate "has" a skill exactly when matching counts it as covered
//! (named, or implied by a named skill such as SQL by PostgreSQL), so these
//! numbers agree with the match explanations.

use std::collections::{HashMap, HashSet};

use crate::matching::{self, CandidateProfile, JobProfile, MatchWeights, Verdict};
use crate::profile::Seniority;
use crate::salary::{SalaryFeatures, SalaryModel, SalaryPrediction};
use crate::skills::SkillVocabulary;

/// Width of the score histogram's bins.
const BIN_WIDTH: f32 = 10.0;

/// How many candidates cover one of the job's skills.
#[derive(Debug, Clone, PartialEq)]
pub struct SkillRarity {
    /// The skill, in the job's spelling.
    pub skill: String,
    /// Candidates who have it.
    pub candidates_with: usize,
    /// `candidates_with` over the number of candidates, 0–1 (0 when there
    /// are no candidates).
    pub share: f64,
}

/// Number of scores in `[from, to)` (the last bin includes 100).
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreBin {
    /// Lower bound, inclusive.
    pub from: f32,
    /// Upper bound, exclusive except for the last bin.
    pub to: f32,
    /// Scores in the bin.
    pub count: usize,
}

/// Summary statistics of the match scores.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreDistribution {
    /// Candidates scored.
    pub count: usize,
    /// Mean score; `None` without candidates.
    pub mean: Option<f32>,
    /// Lowest score.
    pub min: Option<f32>,
    /// 25th percentile (linear interpolation between closest ranks).
    pub p25: Option<f32>,
    /// Median.
    pub p50: Option<f32>,
    /// 75th percentile.
    pub p75: Option<f32>,
    /// 90th percentile.
    pub p90: Option<f32>,
    /// Highest score.
    pub max: Option<f32>,
    /// Candidates per verdict band, strongest band first (every band listed).
    pub by_verdict: Vec<(Verdict, usize)>,
    /// Ten bins of ten points, 0–10 first.
    pub bins: Vec<ScoreBin>,
}

/// Where the job's salary range sits against the model's interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarketPosition {
    /// The whole range is below the model's interval.
    Below,
    /// The range overlaps the interval.
    Within,
    /// The whole range is above the interval.
    Above,
    /// The job states no salary.
    Unknown,
}

impl MarketPosition {
    /// Stable lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            MarketPosition::Below => "below",
            MarketPosition::Within => "within",
            MarketPosition::Above => "above",
            MarketPosition::Unknown => "unknown",
        }
    }
}

/// The salary model's estimate for the role, compared with the job's range.
#[derive(Debug, Clone)]
pub struct SalaryBenchmark {
    /// The model's prediction for the role.
    pub prediction: SalaryPrediction,
    /// Years of experience the role was assumed to need.
    pub years_assumed: f32,
    /// The job's range compared with the prediction's interval.
    pub position: MarketPosition,
    /// One sentence saying so.
    pub explanation: String,
}

/// Everything [`analyse_job`] computes.
#[derive(Debug, Clone)]
pub struct JobAnalytics {
    /// Required skills, rarest first (ties in the job's order).
    pub required_skills: Vec<SkillRarity>,
    /// Nice-to-have skills, rarest first.
    pub nice_to_have_skills: Vec<SkillRarity>,
    /// Distribution of the candidates' match scores for the job.
    pub scores: ScoreDistribution,
    /// Salary benchmark for the role.
    pub salary: SalaryBenchmark,
}

/// Analyses `job` over `candidates`, scoring each with `weights`, with the
/// salary benchmark from `model`.
pub fn analyse_job<'a>(
    job: &JobProfile,
    candidates: impl IntoIterator<Item = &'a CandidateProfile>,
    weights: &MatchWeights,
    model: &SalaryModel,
) -> JobAnalytics {
    // One pass, keeping a score and a few counters per candidate, not the
    // match results: memory does not grow with resume texts or explanations.
    let mut scores: Vec<f32> = Vec::new();
    let mut missing_required: HashMap<String, usize> = HashMap::new();
    let mut missing_nice: HashMap<String, usize> = HashMap::new();
    matching::for_each_score(job, candidates, weights, |r| {
        scores.push(r.score);
        for skill in r.missing_required_skills {
            *missing_required.entry(skill).or_default() += 1;
        }
        for skill in r.missing_nice_to_have_skills {
            *missing_nice.entry(skill).or_default() += 1;
        }
    });
    let total = scores.len();
    // Matching lists a skill once, under its first spelling, even when the
    // job names it twice ("k8s" and "Kubernetes", or required and nice to
    // have); the same rule here keeps the counts in step with it.
    let vocab = SkillVocabulary::global();
    let key = |s: &str| vocab.canonical(s).unwrap_or(s).to_lowercase();
    let mut seen = HashSet::new();
    let mut rarity = |skills: &[String], missing: &HashMap<String, usize>| {
        let mut out: Vec<SkillRarity> = skills
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty() && seen.insert(key(s)))
            .map(|skill| {
                let with = total - missing.get(skill).copied().unwrap_or(0);
                SkillRarity {
                    skill: skill.to_owned(),
                    candidates_with: with,
                    share: if total == 0 {
                        0.0
                    } else {
                        with as f64 / total as f64
                    },
                }
            })
            .collect();
        out.sort_by_key(|r| r.candidates_with);
        out
    };
    let required_skills = rarity(&job.required_skills, &missing_required);
    let nice_to_have_skills = rarity(&job.nice_to_have_skills, &missing_nice);
    JobAnalytics {
        required_skills,
        nice_to_have_skills,
        scores: distribution(&scores),
        salary: salary_benchmark(job, model),
    }
}

/// Summary statistics and histograms of scores (0–100).
pub fn distribution(scores: &[f32]) -> ScoreDistribution {
    let mut sorted: Vec<f32> = scores.iter().copied().filter(|s| s.is_finite()).collect();
    sorted.sort_by(f32::total_cmp);
    let n = sorted.len();
    let mean = (n > 0).then(|| sorted.iter().map(|&s| f64::from(s)).sum::<f64>() / n as f64);
    let verdicts = [
        Verdict::Strong,
        Verdict::Good,
        Verdict::Possible,
        Verdict::Weak,
    ];
    let by_verdict = verdicts
        .into_iter()
        .map(|v| {
            (
                v,
                sorted
                    .iter()
                    .filter(|&&s| Verdict::from_score(s) == v)
                    .count(),
            )
        })
        .collect();
    let bins = (0..10)
        .map(|i| {
            let from = i as f32 * BIN_WIDTH;
            let to = from + BIN_WIDTH;
            let count = sorted
                .iter()
                .filter(|&&s| s >= from && (s < to || (i == 9 && s <= to)))
                .count();
            ScoreBin { from, to, count }
        })
        .collect();
    ScoreDistribution {
        count: n,
        mean: mean.map(|m| m as f32),
        min: sorted.first().copied(),
        p25: percentile(&sorted, 0.25),
        p50: percentile(&sorted, 0.50),
        p75: percentile(&sorted, 0.75),
        p90: percentile(&sorted, 0.90),
        max: sorted.last().copied(),
        by_verdict,
        bins,
    }
}

/// Percentile of sorted values by linear interpolation between closest
/// ranks (the usual "type 7" definition).
fn percentile(sorted: &[f32], q: f64) -> Option<f32> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let pos = q * (n - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let frac = pos - lo as f64;
    let value = f64::from(sorted[lo]) + (f64::from(sorted[hi]) - f64::from(sorted[lo])) * frac;
    Some(value as f32)
}

/// Years of experience a role at `seniority` usually asks for: the lower end
/// of [`Seniority::from_years`]'s band.
fn typical_years(seniority: Seniority) -> f32 {
    match seniority {
        Seniority::Intern => 0.0,
        Seniority::Junior => 1.0,
        Seniority::Mid => 3.0,
        Seniority::Senior => 6.0,
        Seniority::Lead => 10.0,
        Seniority::Principal => 15.0,
    }
}

/// The model's salary for the role described by `job` (its minimum years or
/// its seniority's typical years, whichever is more, and its skills), and
/// where the job's range sits against it.
pub fn salary_benchmark(job: &JobProfile, model: &SalaryModel) -> SalaryBenchmark {
    let min_years = if job.min_years.is_finite() {
        job.min_years.max(0.0)
    } else {
        0.0
    };
    let years = job
        .seniority
        .map(typical_years)
        .unwrap_or(0.0)
        .max(min_years);
    let prediction = model.predict(&SalaryFeatures {
        years_experience: years,
        education: None,
        skills: job
            .required_skills
            .iter()
            .chain(&job.nice_to_have_skills)
            .cloned()
            .collect(),
        location: job.location.clone(),
    });
    let range = match (job.salary_min, job.salary_max) {
        (None, None) => None,
        (min, max) => {
            let lo = f64::from(min.or(max).unwrap_or(0));
            let hi = f64::from(max.or(min).unwrap_or(0));
            Some((lo.min(hi), lo.max(hi)))
        }
    };
    let interval = format!(
        "{}–{} {} (expected {})",
        thousands(prediction.low),
        thousands(prediction.high),
        prediction.currency,
        thousands(prediction.expected)
    );
    let (position, explanation) = match range {
        None => (
            MarketPosition::Unknown,
            format!(
                "The job states no salary; the model expects {interval} for {} of experience.",
                years_phrase(years)
            ),
        ),
        Some((lo, hi)) => {
            let offered = if lo == hi {
                thousands(lo)
            } else {
                format!("{}–{}", thousands(lo), thousands(hi))
            };
            if hi < prediction.low {
                (
                    MarketPosition::Below,
                    format!(
                        "The offered {offered} is below the market interval {interval} for {}.",
                        years_phrase(years)
                    ),
                )
            } else if lo > prediction.high {
                (
                    MarketPosition::Above,
                    format!(
                        "The offered {offered} is above the market interval {interval} for {}.",
                        years_phrase(years)
                    ),
                )
            } else {
                (
                    MarketPosition::Within,
                    format!(
                        "The offered {offered} overlaps the market interval {interval} for {}.",
                        years_phrase(years)
                    ),
                )
            }
        }
    };
    SalaryBenchmark {
        prediction,
        years_assumed: years,
        position,
        explanation,
    }
}

fn years_phrase(y: f32) -> String {
    if y == 1.0 {
        "1 year".to_owned()
    } else if y.fract() == 0.0 {
        format!("{y:.0} years")
    } else {
        format!("{y:.1} years")
    }
}

fn thousands(v: f64) -> String {
    let n = v.round().max(0.0) as u64;
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::RemotePolicy;
    use crate::skills::SkillMention;

    fn job() -> JobProfile {
        JobProfile {
            id: "job_1".into(),
            title: "Backend Engineer".into(),
            description: "Python services on PostgreSQL and Kubernetes.".into(),
            required_skills: vec!["Python".into(), "Kubernetes".into(), "SQL".into()],
            nice_to_have_skills: vec!["Rust".into()],
            seniority: Some(Seniority::Senior),
            min_years: 4.0,
            location: None,
            remote: RemotePolicy::Remote,
            salary_min: None,
            salary_max: None,
        }
    }

    fn candidate(id: &str, skills: &[&str]) -> CandidateProfile {
        CandidateProfile {
            id: id.into(),
            skills: skills
                .iter()
                .map(|s| SkillMention {
                    name: (*s).to_owned(),
                    years: None,
                })
                .collect(),
            years_experience: 5.0,
            seniority: Seniority::Senior,
            location: None,
            salary_expectation: None,
            text: skills.join(", "),
        }
    }

    #[test]
    fn rarest_required_skill_first() {
        let candidates = [
            candidate("a", &["Python", "PostgreSQL"]),
            candidate("b", &["python", "k8s"]),
            candidate("c", &["Python"]),
        ];
        let a = analyse_job(
            &job(),
            &candidates,
            &MatchWeights::default(),
            SalaryModel::default_model(),
        );
        let names: Vec<_> = a.required_skills.iter().map(|r| r.skill.as_str()).collect();
        // Kubernetes 1/3 and SQL 1/3 (implied by PostgreSQL), Python 3/3;
        // ties keep the job's order.
        assert_eq!(names, ["Kubernetes", "SQL", "Python"]);
        assert_eq!(a.required_skills[0].candidates_with, 1);
        assert!((a.required_skills[2].share - 1.0).abs() < 1e-9);
        assert_eq!(a.nice_to_have_skills[0].candidates_with, 0);
        assert_eq!(a.scores.count, 3);
        let banded: usize = a.scores.by_verdict.iter().map(|(_, n)| n).sum();
        assert_eq!(banded, 3);
        let binned: usize = a.scores.bins.iter().map(|b| b.count).sum();
        assert_eq!(binned, 3);
    }

    #[test]
    fn a_skill_named_twice_is_counted_once() {
        let mut j = job();
        j.required_skills = vec!["k8s".into(), "Kubernetes".into(), "Python".into()];
        j.nice_to_have_skills = vec!["python".into(), "Rust".into()];
        let candidates = [candidate("a", &["Python"]), candidate("b", &["Kubernetes"])];
        let a = analyse_job(
            &j,
            &candidates,
            &MatchWeights::default(),
            SalaryModel::default_model(),
        );
        let required: Vec<_> = a
            .required_skills
            .iter()
            .map(|r| (r.skill.as_str(), r.candidates_with))
            .collect();
        assert_eq!(required, [("k8s", 1), ("Python", 1)]);
        let nice: Vec<_> = a
            .nice_to_have_skills
            .iter()
            .map(|r| r.skill.as_str())
            .collect();
        assert_eq!(nice, ["Rust"]);
    }

    #[test]
    fn distribution_statistics() {
        let d = distribution(&[10.0, 20.0, 30.0, 40.0, 100.0]);
        assert_eq!(d.count, 5);
        assert_eq!(d.mean, Some(40.0));
        assert_eq!(d.p25, Some(20.0));
        assert_eq!(d.p50, Some(30.0));
        assert_eq!(d.p75, Some(40.0));
        assert!((d.p90.unwrap() - 76.0).abs() < 1e-4);
        assert_eq!((d.min, d.max), (Some(10.0), Some(100.0)));
        assert_eq!(d.bins.len(), 10);
        assert_eq!(d.bins[9].count, 1, "100 falls in the last bin");
        assert_eq!(d.bins[1].count, 1);
        assert_eq!(d.bins[0].count, 0);
        let strong = d.by_verdict.iter().find(|(v, _)| *v == Verdict::Strong);
        assert_eq!(strong.unwrap().1, 1);
        let weak = d.by_verdict.iter().find(|(v, _)| *v == Verdict::Weak);
        assert_eq!(weak.unwrap().1, 4);

        let empty = distribution(&[]);
        assert_eq!(empty.count, 0);
        assert_eq!(empty.mean, None);
        assert_eq!(empty.p50, None);
        assert_eq!(empty.by_verdict.len(), 4);
    }

    #[test]
    fn no_candidates_means_no_shares() {
        let a = analyse_job(
            &job(),
            &[],
            &MatchWeights::default(),
            SalaryModel::default_model(),
        );
        assert_eq!(a.required_skills.len(), 3);
        assert!(a.required_skills.iter().all(|r| r.share == 0.0));
        assert_eq!(a.scores.count, 0);
    }

    #[test]
    fn salary_position_against_the_market() {
        let model = SalaryModel::default_model();
        let mut j = job();
        let unknown = salary_benchmark(&j, model);
        assert_eq!(unknown.position, MarketPosition::Unknown);
        // Senior's typical 6 years beat the job's 4.
        assert_eq!(unknown.years_assumed, 6.0);
        let p = &unknown.prediction;

        j.salary_min = Some((p.low / 4.0) as u32);
        j.salary_max = Some((p.low / 2.0) as u32);
        let below = salary_benchmark(&j, model);
        assert_eq!(below.position, MarketPosition::Below);
        assert!(below.explanation.contains("below"), "{}", below.explanation);

        j.salary_min = Some(p.expected as u32);
        j.salary_max = None;
        assert_eq!(salary_benchmark(&j, model).position, MarketPosition::Within);

        j.salary_min = Some((p.high * 2.0) as u32);
        j.salary_max = Some((p.high * 3.0) as u32);
        assert_eq!(salary_benchmark(&j, model).position, MarketPosition::Above);

        // More experience, higher benchmark.
        let mut senior = job();
        senior.seniority = Some(Seniority::Junior);
        senior.min_years = 0.0;
        let junior = salary_benchmark(&senior, model);
        assert_eq!(junior.years_assumed, 1.0);
        assert!(junior.prediction.expected < p.expected);
        assert_eq!(thousands(1234567.0), "1,234,567");
    }
}
