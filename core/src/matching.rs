//! Explainable candidate/job matching.
//!
//! A match is a weighted blend of six factor scores, each 0–100 and each
//! simple enough to state in one sentence: skill coverage (required skills
//! weigh 0.8, nice-to-have 0.2), experience against the minimum, seniority
//! distance, location/remote fit, salary compatibility and TF-IDF text
//! similarity. The explanation lists those sentences, strongest evidence
//! first and then the gaps that cost the most, so a recruiter can see why a
//! score is what it is.

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::LazyLock;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::profile::{RemotePolicy, Seniority};
use crate::skills::{SkillMention, SkillVocabulary};
use crate::text::TfIdf;

pub mod index;
mod inverted;

/// Version of the scoring rules; stored with every match so that scores
/// computed by different versions are never compared silently.
pub const MODEL_VERSION: &str = "match-2026.11.1";

/// Share of the skills factor that comes from required skills.
const REQUIRED_SHARE: f32 = 0.8;

/// Credit for a skill the candidate does not name but that a named skill
/// implies (SQL from PostgreSQL): likely, not certain.
const IMPLIED_CREDIT: f32 = 0.75;

const IMPLICATIONS_TSV: &str = include_str!("../data/skill_implications.tsv");

/// Skill key → keys of the skills it implies, transitively (Redux → React →
/// JavaScript).
static IMPLICATIONS: LazyLock<HashMap<String, Vec<String>>> = LazyLock::new(|| {
    let mut direct: HashMap<String, Vec<String>> = HashMap::new();
    for line in IMPLICATIONS_TSV.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let Some((skill, implied)) = line.split_once('\t') else {
            continue;
        };
        let from = skill_key(skill);
        for target in implied.split('|').map(skill_key) {
            if target != from {
                direct.entry(from.clone()).or_default().push(target);
            }
        }
    }
    direct
        .keys()
        .map(|start| {
            let mut seen: Vec<String> = Vec::new();
            let mut queue: Vec<&String> = direct.get(start).into_iter().flatten().collect();
            while let Some(next) = queue.pop() {
                if next != start && !seen.contains(next) {
                    seen.push(next.clone());
                    queue.extend(direct.get(next).into_iter().flatten());
                }
            }
            (start.clone(), seen)
        })
        .collect()
});

/// Cosine similarity at which the text factor reaches 100. TF-IDF cosines
/// between a resume and a job ad are small even for a perfect fit (the
/// documents are written by different people for different purposes), so
/// the raw cosine is stretched; 0.35 is about what a resume written for the
/// job reaches.
const TEXT_COSINE_FOR_FULL_SCORE: f32 = 0.35;

/// What matching needs to know about a candidate.
#[derive(Debug, Clone)]
pub struct CandidateProfile {
    /// Caller's identifier, carried through unchanged.
    pub id: String,
    /// Skills by canonical name.
    pub skills: Vec<SkillMention>,
    /// Total years of professional experience.
    pub years_experience: f32,
    /// Career level.
    pub seniority: Seniority,
    /// Where the candidate lives, e.g. "Berlin, Germany".
    pub location: Option<String>,
    /// Expected yearly salary.
    pub salary_expectation: Option<u32>,
    /// Resume text.
    pub text: String,
}

/// What matching needs to know about a job posting.
#[derive(Debug, Clone)]
pub struct JobProfile {
    /// Caller's identifier, carried through unchanged.
    pub id: String,
    /// Job title.
    pub title: String,
    /// Job description.
    pub description: String,
    /// Skills a candidate must have (canonical names).
    pub required_skills: Vec<String>,
    /// Skills that help (canonical names).
    pub nice_to_have_skills: Vec<String>,
    /// Expected career level, if the job names one.
    pub seniority: Option<Seniority>,
    /// Minimum years of experience.
    pub min_years: f32,
    /// Where the job is, e.g. "Berlin, Germany".
    pub location: Option<String>,
    /// Onsite, hybrid or remote.
    pub remote: RemotePolicy,
    /// Lower end of the yearly salary range.
    pub salary_min: Option<u32>,
    /// Upper end of the yearly salary range.
    pub salary_max: Option<u32>,
}

/// Relative weight of each factor; they need not sum to 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MatchWeights {
    /// Skill coverage.
    pub skills: f32,
    /// Years of experience against the minimum.
    pub experience: f32,
    /// Seniority distance.
    pub seniority: f32,
    /// Location and remote fit.
    pub location: f32,
    /// Salary compatibility.
    pub salary: f32,
    /// Text similarity of resume and job ad.
    pub text: f32,
}

impl Default for MatchWeights {
    fn default() -> Self {
        MatchWeights {
            skills: 0.40,
            experience: 0.15,
            seniority: 0.10,
            location: 0.10,
            salary: 0.10,
            text: 0.15,
        }
    }
}

impl MatchWeights {
    fn fields(&self) -> [(&'static str, f32); 6] {
        [
            ("skills", self.skills),
            ("experience", self.experience),
            ("seniority", self.seniority),
            ("location", self.location),
            ("salary", self.salary),
            ("text", self.text),
        ]
    }

    /// Checks that every weight is a finite number ≥ 0 and that they do not
    /// all vanish; the message names the offending field.
    pub fn validate(&self) -> Result<(), String> {
        for (name, value) in self.fields() {
            if !value.is_finite() {
                return Err(format!(
                    "weight `{name}` must be a finite number, got {value}"
                ));
            }
            if value < 0.0 {
                return Err(format!("weight `{name}` must be >= 0, got {value}"));
            }
        }
        let sum: f32 = self.fields().iter().map(|(_, v)| v).sum();
        if sum <= 0.0 {
            return Err(
                "weights must not all be zero: at least one of skills, experience, \
                        seniority, location, salary, text must be > 0"
                    .to_owned(),
            );
        }
        Ok(())
    }
}

/// Per-factor scores, each 0–100.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MatchBreakdown {
    /// Skill coverage.
    pub skills: f32,
    /// Years of experience against the minimum.
    pub experience: f32,
    /// Seniority distance.
    pub seniority: f32,
    /// Location and remote fit.
    pub location: f32,
    /// Salary compatibility.
    pub salary: f32,
    /// Text similarity.
    pub text: f32,
}

/// Verdict band of a score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Score ≥ 85.
    Strong,
    /// Score ≥ 70.
    Good,
    /// Score ≥ 50.
    Possible,
    /// Below 50.
    Weak,
}

impl Verdict {
    /// The band a score falls in.
    pub fn from_score(score: f32) -> Verdict {
        match score {
            s if s >= 85.0 => Verdict::Strong,
            s if s >= 70.0 => Verdict::Good,
            s if s >= 50.0 => Verdict::Possible,
            _ => Verdict::Weak,
        }
    }

    /// Stable lowercase name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Strong => "strong",
            Verdict::Good => "good",
            Verdict::Possible => "possible",
            Verdict::Weak => "weak",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of matching one candidate with one job.
#[derive(Debug, Clone)]
pub struct MatchResult {
    /// Weighted blend of the breakdown, 0–100.
    pub score: f32,
    /// Per-factor scores.
    pub breakdown: MatchBreakdown,
    /// Job skills (required or nice-to-have) the candidate has, job's spelling.
    pub matched_skills: Vec<String>,
    /// Required skills the candidate lacks.
    pub missing_required_skills: Vec<String>,
    /// Nice-to-have skills the candidate lacks.
    pub missing_nice_to_have_skills: Vec<String>,
    /// Verdict band of `score`.
    pub verdict: Verdict,
    /// Human sentences: the evidence behind each factor, gaps included.
    pub explanation: Vec<String>,
}

/// Scores one candidate against one job.
pub fn score(
    candidate: &CandidateProfile,
    job: &JobProfile,
    weights: &MatchWeights,
) -> MatchResult {
    score_prepared(
        &PreparedCandidate::new(candidate),
        &PreparedJob::new(job),
        weights,
    )
}

/// Scores every candidate against `job` and hands each result to `each`,
/// keeping none: memory stays flat however many candidates there are.
pub fn for_each_score<'a>(
    job: &JobProfile,
    candidates: impl IntoIterator<Item = &'a CandidateProfile>,
    weights: &MatchWeights,
    mut each: impl FnMut(MatchResult),
) {
    let job = PreparedJob::new(job);
    for c in candidates {
        each(score_prepared(&PreparedCandidate::new(c), &job, weights));
    }
}

/// The `k` best candidates for a job: indices into `candidates`, best
/// first, equal scores in input order.
pub fn rank_candidates(
    job: &JobProfile,
    candidates: &[CandidateProfile],
    weights: &MatchWeights,
    k: usize,
) -> Vec<(usize, MatchResult)> {
    let job = PreparedJob::new(job);
    let results = candidates
        .iter()
        .map(|c| score_prepared(&PreparedCandidate::new(c), &job, weights));
    top_k(results, k)
}

/// The `k` best jobs for a candidate: indices into `jobs`, best first,
/// equal scores in input order.
pub fn rank_jobs(
    candidate: &CandidateProfile,
    jobs: &[JobProfile],
    weights: &MatchWeights,
    k: usize,
) -> Vec<(usize, MatchResult)> {
    let candidate = PreparedCandidate::new(candidate);
    let results = jobs
        .iter()
        .map(|j| score_prepared(&candidate, &PreparedJob::new(j), weights));
    top_k(results, k)
}

fn top_k(results: impl Iterator<Item = MatchResult>, k: usize) -> Vec<(usize, MatchResult)> {
    let mut ranked: Vec<(usize, MatchResult)> = results.enumerate().collect();
    // Stable sort keeps input order among equal scores.
    ranked.sort_by(|a, b| b.1.score.total_cmp(&a.1.score));
    ranked.truncate(k);
    ranked
}

/// Most skill names remembered per thread by [`skill_key`].
const SKILL_KEY_CACHE: usize = 1 << 16;

thread_local! {
    static SKILL_KEYS: std::cell::RefCell<rustc_hash::FxHashMap<Box<str>, Rc<str>>> =
        std::cell::RefCell::default();
}

/// Key under which skills are compared: canonical name, case-folded.
fn skill_key(name: &str) -> String {
    shared_skill_key(name).to_string()
}

/// [`skill_key`], shared rather than copied.
///
/// Remembered per thread: indexing 100,000 jobs resolves the same few
/// thousand skill names through the vocabulary over and over, and that
/// lookup (Unicode folding, allocation) was a third of the build time.
/// Bounded, since names come from users; forgotten wholesale when full.
pub(crate) fn shared_skill_key(name: &str) -> Rc<str> {
    SKILL_KEYS.with(|cache| {
        if let Some(key) = cache.borrow().get(name) {
            return Rc::clone(key);
        }
        let vocab = SkillVocabulary::global();
        let key: Rc<str> = Rc::from(vocab.canonical(name).unwrap_or(name).trim().to_lowercase());
        let mut cache = cache.borrow_mut();
        if cache.len() >= SKILL_KEY_CACHE {
            cache.clear();
        }
        cache.insert(Box::from(name), Rc::clone(&key));
        key
    })
}

/// What scoring needs of a candidate's skills, worked out once per candidate
/// and query.
///
/// Keys are shared with the key cache and names borrowed from the profile:
/// an index works these out for every shortlisted profile of every query.
#[derive(Debug, Clone, Default)]
pub(crate) struct CandidateParts<'a> {
    skills: FxHashSet<Rc<str>>,
    /// Skills implied by the named ones but not named themselves, with the
    /// name of a skill that implies each.
    implied: FxHashMap<&'static str, &'a str>,
}

impl<'a> CandidateParts<'a> {
    pub(crate) fn of(profile: &'a CandidateProfile) -> Self {
        let keys: Vec<Rc<str>> = profile
            .skills
            .iter()
            .map(|s| shared_skill_key(&s.name))
            .collect();
        let skills: FxHashSet<Rc<str>> = keys.iter().cloned().collect();
        let mut implied = FxHashMap::default();
        for (mention, key) in profile.skills.iter().zip(&keys) {
            for target in IMPLICATIONS.get(&**key).into_iter().flatten() {
                if !skills.contains(target.as_str()) {
                    implied
                        .entry(target.as_str())
                        .or_insert(mention.name.as_str());
                }
            }
        }
        CandidateParts { skills, implied }
    }

    /// Mean credit over a list of job skills, 0–1 (1 for an empty list).
    fn cover(&self, skills: &[(Rc<str>, &str)]) -> f32 {
        if skills.is_empty() {
            return 1.0;
        }
        let credit: f32 = skills.iter().map(|(key, _)| self.credit(key)).sum();
        credit / skills.len() as f32
    }

    /// Credit for one job skill: 1 if named, `IMPLIED_CREDIT` if implied.
    fn credit(&self, key: &str) -> f32 {
        if self.skills.contains(key) {
            1.0
        } else if self.implied.contains_key(key) {
            IMPLIED_CREDIT
        } else {
            0.0
        }
    }
}

/// The TF-IDF vector of a candidate's resume.
pub(crate) fn candidate_text(profile: &CandidateProfile) -> TfIdf {
    TfIdf::new(&profile.text)
}

/// What scoring needs of a job beyond its profile fields, worked out once
/// per job and query (keys shared, names borrowed, as in
/// [`CandidateParts`]).
#[derive(Debug, Clone, Default)]
pub(crate) struct JobParts<'a> {
    /// Skills as (key, name) pairs, deduplicated by key across both lists.
    required: Vec<(Rc<str>, &'a str)>,
    nice: Vec<(Rc<str>, &'a str)>,
}

impl<'a> JobParts<'a> {
    pub(crate) fn of(profile: &'a JobProfile) -> Self {
        let mut seen = FxHashSet::default();
        let mut dedup = |names: &'a [String]| -> Vec<(Rc<str>, &'a str)> {
            names
                .iter()
                .filter(|n| !n.trim().is_empty())
                .map(|n| (shared_skill_key(n), n.trim()))
                .filter(|(key, _)| seen.insert(Rc::clone(key)))
                .collect()
        };
        let required = dedup(&profile.required_skills);
        let nice = dedup(&profile.nice_to_have_skills);
        JobParts { required, nice }
    }
}

/// The TF-IDF vector of a job: title, description and skill names.
pub(crate) fn job_text(profile: &JobProfile) -> TfIdf {
    TfIdf::new(&format!(
        "{}\n{}\n{}\n{}",
        profile.title,
        profile.description,
        profile.required_skills.join(", "),
        profile.nice_to_have_skills.join(", ")
    ))
}

/// Text similarity of a pair, however its vectors were kept.
pub(crate) struct TextFit<'a> {
    pub(crate) cosine: f32,
    /// Shared tokens that contribute most, largest first.
    pub(crate) shared: Vec<&'a str>,
    /// Whether both texts have tokens to compare.
    pub(crate) compared: bool,
}

struct PreparedCandidate<'a> {
    profile: &'a CandidateProfile,
    skills: CandidateParts<'a>,
    text: TfIdf,
}

impl<'a> PreparedCandidate<'a> {
    fn new(profile: &'a CandidateProfile) -> Self {
        PreparedCandidate {
            profile,
            skills: CandidateParts::of(profile),
            text: candidate_text(profile),
        }
    }
}

struct PreparedJob<'a> {
    profile: &'a JobProfile,
    skills: JobParts<'a>,
    text: TfIdf,
}

impl<'a> PreparedJob<'a> {
    fn new(profile: &'a JobProfile) -> Self {
        PreparedJob {
            profile,
            skills: JobParts::of(profile),
            text: job_text(profile),
        }
    }
}

fn score_prepared(
    candidate: &PreparedCandidate<'_>,
    job: &PreparedJob<'_>,
    weights: &MatchWeights,
) -> MatchResult {
    let (cosine, shared) = candidate.text.cosine(&job.text);
    let text = TextFit {
        cosine,
        shared,
        compared: !candidate.text.is_empty() && !job.text.is_empty(),
    };
    score_parts(
        candidate.profile,
        &candidate.skills,
        job.profile,
        &job.skills,
        text,
        weights,
    )
}

/// The full score of a pair from its parts, whether worked out for this
/// pair alone or kept by an index: both give the same result.
pub(crate) fn score_parts(
    c: &CandidateProfile,
    candidate: &CandidateParts<'_>,
    j: &JobProfile,
    job: &JobParts<'_>,
    text: TextFit<'_>,
    weights: &MatchWeights,
) -> MatchResult {
    // Sentences tagged with their factor (indices as in `factor_weights`).
    let mut explanation: Vec<(usize, String)> = Vec::with_capacity(7);
    // Factors that scored by default because there was nothing to compare:
    // their sentences are information, neither evidence nor gaps.
    let mut neutral = [false; 6];

    // Skills.
    let required = SkillCoverage::of(candidate, &job.required);
    let nice = SkillCoverage::of(candidate, &job.nice);
    neutral[0] = job.required.is_empty() && job.nice.is_empty();
    explanation.push((0, required.sentence(job.required.len(), "required")));
    if !job.nice.is_empty() {
        explanation.push((0, nice.sentence(job.nice.len(), "nice-to-have")));
    }

    // Experience: a smoothstep from 0 (no experience) to 100 (the minimum).
    let years = c.years_experience.max(0.0);
    neutral[1] = j.min_years <= 0.0;
    explanation.push((
        1,
        if j.min_years <= 0.0 {
            format!(
                "{} years of experience; the job sets no minimum",
                OneDecimal(years)
            )
        } else if years >= j.min_years {
            format!(
                "{} years of experience vs {} required",
                OneDecimal(years),
                fmt_years(j.min_years)
            )
        } else {
            format!(
                "{} years of experience, {} short of the {} required",
                OneDecimal(years),
                fmt_years(j.min_years - years),
                fmt_years(j.min_years)
            )
        },
    ));

    // Seniority: being below the level hurts more than being above it.
    neutral[2] = j.seniority.is_none();
    explanation.push((
        2,
        match j.seniority {
            None => format!(
                "{} level; the job names no seniority",
                Capitalised(c.seniority.as_str())
            ),
            Some(wanted) if wanted == c.seniority => {
                format!(
                    "{} level matches the {} role",
                    Capitalised(c.seniority.as_str()),
                    wanted.as_str()
                )
            }
            Some(wanted) => {
                let diff = i16::from(c.seniority.level()) - i16::from(wanted.level());
                format!(
                    "{} level is {} {} the {} role",
                    Capitalised(c.seniority.as_str()),
                    diff.unsigned_abs(),
                    if diff < 0 { "below" } else { "above" },
                    wanted.as_str()
                )
            }
        },
    ));

    neutral[3] = j.remote != RemotePolicy::Remote
        && j.location.as_deref().is_none_or(|l| l.trim().is_empty());
    let (_, relation) = location_score(c.location.as_deref(), j.location.as_deref(), j.remote);
    explanation.push((
        3,
        location_sentence(
            c.location.as_deref(),
            j.location.as_deref(),
            j.remote,
            relation,
        ),
    ));

    neutral[4] =
        c.salary_expectation.is_none() || (j.salary_min.is_none() && j.salary_max.is_none());
    explanation.push((
        4,
        salary_fit(c.salary_expectation, j.salary_min, j.salary_max).1,
    ));

    // Text similarity.
    let TextFit {
        cosine,
        shared,
        compared,
    } = text;
    let text_score = text_score(cosine);
    neutral[5] = !compared;
    explanation.push((
        5,
        if !compared {
            "No text to compare".to_owned()
        } else if shared.is_empty() {
            "Resume and job description share no significant terms".to_owned()
        } else {
            format!(
                "Resume text is {} to the job description (shared terms: {})",
                match text_score {
                    s if s >= 70.0 => "very similar",
                    s if s >= 40.0 => "similar",
                    _ => "loosely related",
                },
                Listed(&shared)
            )
        },
    ));

    let breakdown = breakdown(c, candidate, j, job, cosine);
    let blended = blend(&breakdown, weights);
    let mut matched_skills = required.matched;
    matched_skills.extend(nice.matched);
    MatchResult {
        score: blended,
        breakdown,
        matched_skills,
        missing_required_skills: required.missing,
        missing_nice_to_have_skills: nice.missing,
        verdict: Verdict::from_score(blended),
        explanation: order_explanation(explanation, &breakdown, weights, neutral),
    }
}

/// The blended score of a pair alone, without the sentences: what ranking a
/// shortlist needs; only the pairs returned are explained. Always equal to
/// the `score` of [`score_parts`] for the same pair.
pub(crate) fn score_value(
    c: &CandidateProfile,
    candidate: &CandidateParts<'_>,
    j: &JobProfile,
    job: &JobParts<'_>,
    cosine: f32,
    weights: &MatchWeights,
) -> f32 {
    blend(&breakdown(c, candidate, j, job, cosine), weights)
}

/// The six factor scores: the one place they are computed, for scores
/// with and without sentences alike.
fn breakdown(
    c: &CandidateProfile,
    candidate: &CandidateParts<'_>,
    j: &JobProfile,
    job: &JobParts<'_>,
    cosine: f32,
) -> MatchBreakdown {
    let required = candidate.cover(&job.required);
    let nice = candidate.cover(&job.nice);
    let skills = match (job.required.is_empty(), job.nice.is_empty()) {
        (true, true) => 100.0,
        (false, true) => 100.0 * required,
        (true, false) => 100.0 * nice,
        (false, false) => 100.0 * (REQUIRED_SHARE * required + (1.0 - REQUIRED_SHARE) * nice),
    };
    // Experience: a smoothstep from 0 (no experience) to 100 (the minimum).
    let years = c.years_experience.max(0.0);
    let experience = if j.min_years <= 0.0 {
        100.0
    } else {
        let r = (years / j.min_years).clamp(0.0, 1.0);
        100.0 * r * r * (3.0 - 2.0 * r)
    };
    // Seniority: being below the level hurts more than being above it.
    let seniority = match j.seniority {
        None => 100.0,
        Some(wanted) => {
            let diff = i16::from(c.seniority.level()) - i16::from(wanted.level());
            let below = [100.0, 60.0, 25.0, 5.0];
            let above = [100.0, 80.0, 50.0, 25.0];
            let table = if diff < 0 { below } else { above };
            table[usize::from(diff.unsigned_abs()).min(3)]
        }
    };
    let (location, _) = location_score(c.location.as_deref(), j.location.as_deref(), j.remote);
    MatchBreakdown {
        skills: clamp_score(skills),
        experience: clamp_score(experience),
        seniority: clamp_score(seniority),
        location: clamp_score(location),
        salary: clamp_score(salary_score(
            c.salary_expectation,
            j.salary_min,
            j.salary_max,
        )),
        text: clamp_score(text_score(cosine)),
    }
}

fn text_score(cosine: f32) -> f32 {
    100.0 * (cosine / TEXT_COSINE_FOR_FULL_SCORE).min(1.0)
}

/// The factor scores in a fixed order: skills, experience, seniority,
/// location, salary, text.
fn factor_scores(b: &MatchBreakdown) -> [f32; 6] {
    [
        b.skills,
        b.experience,
        b.seniority,
        b.location,
        b.salary,
        b.text,
    ]
}

/// The weights in the order of `factor_scores`. Invalid weights are the
/// caller's to reject (`validate`); here they fall back to the defaults
/// rather than produce NaN scores.
fn factor_weights(w: &MatchWeights) -> [f32; 6] {
    let raw = [
        w.skills,
        w.experience,
        w.seniority,
        w.location,
        w.salary,
        w.text,
    ];
    let usable = raw.iter().all(|w| w.is_finite() && *w >= 0.0) && raw.iter().sum::<f32>() > 0.0;
    if usable {
        raw
    } else {
        factor_weights(&MatchWeights::default())
    }
}

fn blend(b: &MatchBreakdown, w: &MatchWeights) -> f32 {
    let weights = factor_weights(w);
    let total: f32 = weights.iter().sum();
    let raw = factor_scores(b)
        .iter()
        .zip(weights)
        .map(|(s, w)| s * w)
        .sum::<f32>()
        / total;
    // Two decimals keep scores stable across platforms and readable.
    (clamp_score(raw) * 100.0).round() / 100.0
}

/// Strongest evidence first, then the gaps, largest first, then what could
/// not be compared: a factor that scores at least 70 is evidence, ranked by
/// its weighted score; one below 70 is a gap, ranked by the weighted points
/// it costs. Factors with zero weight do not affect the score and are left
/// out.
fn order_explanation(
    mut sentences: Vec<(usize, String)>,
    b: &MatchBreakdown,
    w: &MatchWeights,
    neutral: [bool; 6],
) -> Vec<String> {
    let scores = factor_scores(b);
    let weights = factor_weights(w);
    let rank = |factor: usize| -> (u8, f32) {
        let (score, weight) = (scores[factor], weights[factor]);
        if neutral[factor] {
            (2, 0.0)
        } else if score >= 70.0 {
            (0, -(weight * score))
        } else {
            (1, -(weight * (100.0 - score)))
        }
    };
    sentences.retain(|(f, _)| weights[*f] > 0.0);
    // Stable: sentences of one factor, and equal ranks, keep their order.
    sentences.sort_by(|(a, _), (b, _)| {
        let (ra, rb) = (rank(*a), rank(*b));
        ra.0.cmp(&rb.0).then(ra.1.total_cmp(&rb.1))
    });
    sentences
        .into_iter()
        .map(|(_, sentence)| sentence)
        .collect()
}

fn clamp_score(s: f32) -> f32 {
    if s.is_nan() { 0.0 } else { s.clamp(0.0, 100.0) }
}

/// How a candidate covers one list of job skills.
struct SkillCoverage {
    /// Job skills named or implied, in the job's spelling.
    matched: Vec<String>,
    /// Job skills neither named nor implied.
    missing: Vec<String>,
    /// (job skill, candidate skill it was inferred from).
    inferred: Vec<(String, String)>,
}

impl SkillCoverage {
    fn of(candidate: &CandidateParts<'_>, skills: &[(Rc<str>, &str)]) -> SkillCoverage {
        let mut coverage = SkillCoverage {
            matched: Vec::new(),
            missing: Vec::new(),
            inferred: Vec::new(),
        };
        for (key, name) in skills {
            let c = candidate.credit(key);
            if c == 0.0 {
                coverage.missing.push(name.to_string());
                continue;
            }
            coverage.matched.push(name.to_string());
            if let Some(source) = candidate.implied.get(&**key).filter(|_| c < 1.0) {
                coverage
                    .inferred
                    .push((name.to_string(), source.to_string()));
            }
        }
        coverage
    }

    fn sentence(&self, total: usize, kind: &str) -> String {
        if total == 0 {
            return format!("The job lists no {kind} skills");
        }
        let mut notes: Vec<String> = Vec::new();
        if !self.missing.is_empty() {
            notes.push(format!("missing: {}", self.missing.join(", ")));
        }
        notes.extend(
            self.inferred
                .iter()
                .map(|(skill, from)| format!("{skill} inferred from {from}")),
        );
        let head = match (self.missing.is_empty(), total) {
            (true, 1) => format!("Has the {kind} skill"),
            (true, _) => format!("Has all {total} {kind} skills"),
            (false, _) => format!("Has {} of {total} {kind} skills", self.matched.len()),
        };
        match (notes.is_empty(), total, self.missing.is_empty()) {
            (true, 1, true) => format!("{head} ({})", self.matched[0]),
            (true, _, _) => head,
            (false, _, _) => format!("{head} ({})", notes.join("; ")),
        }
    }
}

fn fmt_years(y: f32) -> String {
    if (y - y.round()).abs() < 0.05 {
        format!("{}", y.round())
    } else {
        OneDecimal(y).to_string()
    }
}

/// Writes a number as `{:.1}` does (its exact value rounded to tenths,
/// half to even), without the general float formatter: every explained
/// pair states years this way, and in a profile of ranking that formatter
/// took about a tenth of the time spent explaining. Ten times an f32 is exact in an f64, so rounding it
/// there rounds the exact value.
struct OneDecimal(f32);

impl std::fmt::Display for OneDecimal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tenths = (f64::from(self.0) * 10.0).round_ties_even();
        if self.0.is_sign_positive() && tenths < 1e15 {
            let tenths = tenths as u64;
            write!(f, "{}.{}", tenths / 10, tenths % 10)
        } else {
            write!(f, "{:.1}", self.0)
        }
    }
}

/// Writes a text with its first letter in upper case.
struct Capitalised<'a>(&'a str);

impl std::fmt::Display for Capitalised<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut chars = self.0.chars();
        if let Some(first) = chars.next() {
            for upper in first.to_uppercase() {
                std::fmt::Write::write_char(f, upper)?;
            }
        }
        f.write_str(chars.as_str())
    }
}

/// Writes texts separated by ", ".
struct Listed<'a>(&'a [&'a str]);

impl std::fmt::Display for Listed<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, item) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(item)?;
        }
        Ok(())
    }
}

/// US states by postal code. "DE" is left out: in CVs it far more often
/// means Germany than Delaware.
const US_STATES: &[(&str, &str)] = &[
    ("al", "alabama"),
    ("ak", "alaska"),
    ("az", "arizona"),
    ("ar", "arkansas"),
    ("ca", "california"),
    ("co", "colorado"),
    ("ct", "connecticut"),
    ("fl", "florida"),
    ("ga", "georgia"),
    ("hi", "hawaii"),
    ("id", "idaho"),
    ("il", "illinois"),
    ("in", "indiana"),
    ("ia", "iowa"),
    ("ks", "kansas"),
    ("ky", "kentucky"),
    ("la", "louisiana"),
    ("me", "maine"),
    ("md", "maryland"),
    ("ma", "massachusetts"),
    ("mi", "michigan"),
    ("mn", "minnesota"),
    ("ms", "mississippi"),
    ("mo", "missouri"),
    ("mt", "montana"),
    ("ne", "nebraska"),
    ("nv", "nevada"),
    ("nh", "new hampshire"),
    ("nj", "new jersey"),
    ("nm", "new mexico"),
    ("ny", "new york"),
    ("nc", "north carolina"),
    ("nd", "north dakota"),
    ("oh", "ohio"),
    ("ok", "oklahoma"),
    ("or", "oregon"),
    ("pa", "pennsylvania"),
    ("ri", "rhode island"),
    ("sc", "south carolina"),
    ("sd", "south dakota"),
    ("tn", "tennessee"),
    ("tx", "texas"),
    ("ut", "utah"),
    ("vt", "vermont"),
    ("va", "virginia"),
    ("wa", "washington"),
    ("wv", "west virginia"),
    ("wi", "wisconsin"),
    ("wy", "wyoming"),
    ("dc", "district of columbia"),
];

/// Parts of a place, most specific first, with common country spellings
/// folded and US states completed with their country: "Austin, TX" →
/// ["austin", "texas", "united states"].
fn place_parts(place: &str) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    for raw in place.split([',', '/', '|', '(', ')']) {
        let part = raw.trim().trim_end_matches('.').to_lowercase();
        if part.is_empty() {
            continue;
        }
        let country = match part.as_str() {
            "usa" | "us" | "u.s" | "u.s.a" | "united states of america" | "america" => {
                Some("united states")
            }
            "uk" | "u.k" | "great britain" | "england" | "scotland" | "wales" => {
                Some("united kingdom")
            }
            "deutschland" | "de" => Some("germany"),
            "españa" => Some("spain"),
            "österreich" => Some("austria"),
            "schweiz" | "suisse" | "ch" => Some("switzerland"),
            "nederland" | "the netherlands" | "holland" => Some("netherlands"),
            _ => None,
        };
        if let Some(country) = country {
            parts.push(country.to_owned());
            continue;
        }
        // Only the first part is the city; "Washington" there is not the state.
        let state = (!parts.is_empty())
            .then(|| {
                US_STATES
                    .iter()
                    .find(|(code, name)| *code == part || *name == part)
            })
            .flatten();
        match state {
            Some((_, name)) => {
                parts.push((*name).to_owned());
                parts.push("united states".to_owned());
            }
            None => parts.push(part),
        }
    }
    parts
}

/// The location factor with its sentence, for one pair on its own.
#[cfg(test)]
fn location_fit(candidate: Option<&str>, job: Option<&str>, remote: RemotePolicy) -> (f32, String) {
    let (score, relation) = location_score(candidate, job, remote);
    (score, location_sentence(candidate, job, remote, relation))
}

/// The location factor and, when both places are known, how they relate.
fn location_score(
    candidate: Option<&str>,
    job: Option<&str>,
    remote: RemotePolicy,
) -> (f32, Option<&'static str>) {
    let Some(job) = job.filter(|p| !p.trim().is_empty()) else {
        return (100.0, None);
    };
    if remote == RemotePolicy::Remote {
        return (100.0, None);
    }
    let Some(candidate) = candidate.filter(|p| !p.trim().is_empty()) else {
        return (50.0, None);
    };
    let c = place_parts(candidate);
    let j = place_parts(job);
    let same_city = !c.is_empty() && c.first() == j.first();
    let same_region = c.iter().any(|p| j.contains(p));
    let (score, relation) = match (same_city, same_region, remote) {
        (true, _, _) => (100.0, "same city"),
        (false, true, RemotePolicy::Hybrid) => (75.0, "same country/region, hybrid role"),
        (false, true, _) => (60.0, "same country/region, onsite role"),
        (false, false, RemotePolicy::Hybrid) => (25.0, "different region, hybrid role"),
        (false, false, _) => (10.0, "different region, onsite role"),
    };
    (score, Some(relation))
}

fn location_sentence(
    candidate: Option<&str>,
    job: Option<&str>,
    remote: RemotePolicy,
    relation: Option<&str>,
) -> String {
    if remote == RemotePolicy::Remote {
        return "Remote role: location does not matter".to_owned();
    }
    let Some(job_place) = job.filter(|p| !p.trim().is_empty()) else {
        return "The job names no location".to_owned();
    };
    let Some(cand_place) = candidate.filter(|p| !p.trim().is_empty()) else {
        return format!(
            "Candidate location unknown (job is {} in {job_place})",
            remote.as_str()
        );
    };
    format!(
        "Location {cand_place} vs {job_place}: {}",
        relation.unwrap_or_default()
    )
}

fn salary_fit(expectation: Option<u32>, min: Option<u32>, max: Option<u32>) -> (f32, String) {
    let Some(expected) = expectation else {
        return (100.0, "No salary expectation stated".to_owned());
    };
    let range = match (min, max) {
        (Some(lo), Some(hi)) => format!("{}–{}", thousands(lo), thousands(hi)),
        (Some(lo), None) => format!("from {}", thousands(lo)),
        (None, Some(hi)) => format!("up to {}", thousands(hi)),
        (None, None) => {
            return (
                100.0,
                format!(
                    "Salary expectation {}; the job states no range",
                    thousands(expected)
                ),
            );
        }
    };
    match max {
        Some(hi) if expected > hi && hi > 0 => {
            let over = (expected - hi) as f32 / hi as f32;
            (
                salary_score(expectation, min, max),
                format!(
                    "Salary expectation {} is {:.0}% above the maximum of the range {range}",
                    thousands(expected),
                    over * 100.0
                ),
            )
        }
        _ => (
            100.0,
            format!(
                "Salary expectation {} fits the range {range}",
                thousands(expected)
            ),
        ),
    }
}

/// The salary factor: 100 unless the expectation is above the maximum of
/// the range, then a Gaussian decay: 10 % over still scores ~78, 30 % ~10.
fn salary_score(expectation: Option<u32>, min: Option<u32>, max: Option<u32>) -> f32 {
    match (expectation, min, max) {
        (Some(expected), _, Some(hi)) if expected > hi && hi > 0 => {
            let over = (expected - hi) as f32 / hi as f32;
            100.0 * (-(over / 0.2).powi(2)).exp()
        }
        _ => 100.0,
    }
}

fn thousands(n: u32) -> String {
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
    #[test]
    fn one_decimal_writes_what_the_float_formatter_writes() {
        let mut values = vec![
            0.0f32,
            -0.0,
            0.05,
            0.15,
            0.25,
            0.35,
            0.45,
            0.75,
            1.25,
            2.25,
            9.95,
            99.95,
            12.5,
            1e7,
            123_456.75,
            1e14,
            1e16,
            -1.5,
            f32::INFINITY,
            f32::NAN,
            f32::MIN_POSITIVE,
        ];
        // Every tie and near-tie of the first hundred years, and a spread
        // of bit patterns up to a billion.
        for t in 0..2_000u32 {
            let v = t as f32 / 20.0;
            values.extend([
                v,
                f32::from_bits(v.to_bits() + 1),
                f32::from_bits(v.to_bits().saturating_sub(1)),
            ]);
        }
        let mut bits = 0x3c00_0000u32;
        while bits < 0x4e6e_6b28 {
            values.push(f32::from_bits(bits));
            bits += 0x0001_2345;
        }
        for v in values {
            assert_eq!(super::OneDecimal(v).to_string(), format!("{v:.1}"), "{v:e}");
        }
    }

    use super::*;

    fn mention(name: &str, years: Option<f32>) -> SkillMention {
        SkillMention {
            name: name.to_owned(),
            years,
        }
    }

    fn job() -> JobProfile {
        JobProfile {
            id: "job_1".into(),
            title: "Senior Backend Engineer".into(),
            description: "Build Python services on PostgreSQL and Kubernetes in AWS. \
                          Infrastructure as code with Terraform; Redis caching."
                .into(),
            required_skills: vec![
                "Python".into(),
                "PostgreSQL".into(),
                "Kubernetes".into(),
                "AWS".into(),
                "Terraform".into(),
            ],
            nice_to_have_skills: vec!["Redis".into(), "Go".into()],
            seniority: Some(Seniority::Senior),
            min_years: 5.0,
            location: Some("Berlin, Germany".into()),
            remote: RemotePolicy::Hybrid,
            salary_min: Some(80_000),
            salary_max: Some(110_000),
        }
    }

    fn strong_candidate() -> CandidateProfile {
        CandidateProfile {
            id: "cand_strong".into(),
            skills: vec![
                mention("Python", Some(7.0)),
                mention("postgres", None),
                mention("k8s", None),
                mention("AWS", None),
                mention("Terraform", None),
                mention("Redis", None),
            ],
            years_experience: 7.0,
            seniority: Seniority::Senior,
            location: Some("Berlin, Germany".into()),
            salary_expectation: Some(95_000),
            text: "Senior backend engineer: Python services on PostgreSQL, Kubernetes on AWS, \
                   Terraform, Redis caching, infrastructure as code."
                .into(),
        }
    }

    fn weak_candidate() -> CandidateProfile {
        CandidateProfile {
            id: "cand_weak".into(),
            skills: vec![mention("Adobe Photoshop", None), mention("Python", None)],
            years_experience: 1.0,
            seniority: Seniority::Junior,
            location: Some("Lima, Peru".into()),
            salary_expectation: Some(150_000),
            text: "Graphic designer creating brochures and illustrations.".into(),
        }
    }

    #[test]
    fn a_good_candidate_scores_higher_than_a_poor_one() {
        let w = MatchWeights::default();
        let good = score(&strong_candidate(), &job(), &w);
        let poor = score(&weak_candidate(), &job(), &w);
        assert!(
            good.score > poor.score + 30.0,
            "{} vs {}",
            good.score,
            poor.score
        );
        assert!(good.score >= 85.0, "{good:#?}");
        assert_eq!(good.verdict, Verdict::Strong);
        assert_eq!(poor.verdict, Verdict::Weak);
        assert_eq!(good.missing_required_skills, Vec::<String>::new());
        assert_eq!(good.missing_nice_to_have_skills, vec!["Go".to_owned()]);
        assert!(good.matched_skills.contains(&"PostgreSQL".to_owned()));
        for v in [
            good.breakdown.skills,
            good.breakdown.text,
            poor.breakdown.location,
            poor.breakdown.salary,
        ] {
            assert!((0.0..=100.0).contains(&v));
        }
    }

    #[test]
    fn missing_a_required_skill_costs_more_than_missing_a_nice_to_have() {
        let w = MatchWeights::default();
        let mut without_required = strong_candidate();
        without_required.skills.retain(|s| s.name != "Terraform");
        let mut without_nice = strong_candidate();
        without_nice.skills.retain(|s| s.name != "Redis");
        let a = score(&without_required, &job(), &w);
        let b = score(&without_nice, &job(), &w);
        assert!(a.score < b.score, "{} vs {}", a.score, b.score);
        assert_eq!(a.missing_required_skills, vec!["Terraform".to_owned()]);
        assert!(
            a.explanation
                .iter()
                .any(|e| e == "Has 4 of 5 required skills (missing: Terraform)"),
            "{:?}",
            a.explanation
        );
    }

    #[test]
    fn implied_skills_earn_partial_credit_and_are_explained() {
        let w = MatchWeights::default();
        let mut j = job();
        j.required_skills = vec!["SQL".into(), "Python".into()];
        j.nice_to_have_skills = vec![];
        let mut named = strong_candidate();
        named.skills.push(mention("SQL", None));
        let inferred = strong_candidate(); // has PostgreSQL, which implies SQL
        let mut neither = strong_candidate();
        neither.skills.retain(|s| s.name != "postgres");

        let a = score(&named, &j, &w);
        let b = score(&inferred, &j, &w);
        let c = score(&neither, &j, &w);
        assert_eq!(a.breakdown.skills, 100.0);
        assert!((b.breakdown.skills - 100.0 * (1.0 + IMPLIED_CREDIT) / 2.0).abs() < 0.01);
        assert_eq!(c.breakdown.skills, 50.0);
        assert!(b.matched_skills.contains(&"SQL".to_owned()));
        assert!(b.missing_required_skills.is_empty());
        assert!(
            b.explanation
                .iter()
                .any(|e| e == "Has all 2 required skills (SQL inferred from postgres)"),
            "{:?}",
            b.explanation
        );
        assert_eq!(c.missing_required_skills, vec!["SQL".to_owned()]);
    }

    #[test]
    fn implications_are_transitive_and_name_known_skills() {
        let vocab = SkillVocabulary::global();
        for line in IMPLICATIONS_TSV
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        {
            let (skill, implied) = line.split_once('\t').expect("two columns");
            for name in std::iter::once(skill).chain(implied.split('|')) {
                assert!(
                    vocab.canonical(name).is_some(),
                    "{name} is not in the vocabulary"
                );
            }
        }
        let redux = IMPLICATIONS.get(&skill_key("Redux")).unwrap();
        assert!(redux.contains(&skill_key("JavaScript")) && redux.contains(&skill_key("HTML")));
        assert!(
            !IMPLICATIONS
                .get(&skill_key("Databricks"))
                .is_some_and(|v| v.contains(&skill_key("Apache Spark")))
        );
    }

    #[test]
    fn explains_experience_and_salary() {
        let w = MatchWeights::default();
        let mut c = strong_candidate();
        c.years_experience = 3.0;
        c.salary_expectation = Some(121_000);
        let r = score(&c, &job(), &w);
        assert!(
            r.explanation
                .iter()
                .any(|e| e == "3.0 years of experience, 2 short of the 5 required"),
            "{:?}",
            r.explanation
        );
        assert!(
            r.explanation
                .iter()
                .any(|e| e.contains("10% above the maximum")),
            "{:?}",
            r.explanation
        );
        assert!(r.breakdown.experience < 100.0 && r.breakdown.experience > 50.0);
        let full = score(&strong_candidate(), &job(), &w);
        assert!(
            full.explanation
                .iter()
                .any(|e| e == "7.0 years of experience vs 5 required")
        );
    }

    #[test]
    fn factor_rules() {
        let us = |a: &str, b: &str, remote| location_fit(Some(a), Some(b), remote).0;
        assert_eq!(
            us("Dallas, TX", "Austin, Texas", RemotePolicy::Onsite),
            60.0
        );
        assert_eq!(
            us("Boston, MA", "Austin, TX, USA", RemotePolicy::Hybrid),
            75.0
        );
        assert_eq!(
            us("Austin, TX", "Austin, Texas", RemotePolicy::Onsite),
            100.0
        );
        assert_eq!(
            place_parts("Washington, DC"),
            vec!["washington", "district of columbia", "united states"]
        );
        assert_eq!(
            location_fit(None, Some("Paris"), RemotePolicy::Remote).0,
            100.0
        );
        assert_eq!(
            location_fit(
                Some("Munich, Deutschland"),
                Some("Berlin, Germany"),
                RemotePolicy::Hybrid
            )
            .0,
            75.0
        );
        assert_eq!(
            location_fit(
                Some("Berlin, DE"),
                Some("berlin, germany"),
                RemotePolicy::Onsite
            )
            .0,
            100.0
        );
        assert_eq!(
            location_fit(
                Some("Lima, Peru"),
                Some("Berlin, Germany"),
                RemotePolicy::Onsite
            )
            .0,
            10.0
        );
        assert_eq!(
            salary_fit(Some(90_000), Some(80_000), Some(100_000)).0,
            100.0
        );
        assert_eq!(
            salary_fit(Some(60_000), Some(80_000), Some(100_000)).0,
            100.0
        );
        let (over, _) = salary_fit(Some(130_000), Some(80_000), Some(100_000));
        let (far_over, _) = salary_fit(Some(200_000), Some(80_000), Some(100_000));
        assert!(over < 50.0 && far_over < over);
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn verdict_bands() {
        assert_eq!(Verdict::from_score(100.0), Verdict::Strong);
        assert_eq!(Verdict::from_score(85.0), Verdict::Strong);
        assert_eq!(Verdict::from_score(84.99), Verdict::Good);
        assert_eq!(Verdict::from_score(70.0), Verdict::Good);
        assert_eq!(Verdict::from_score(50.0), Verdict::Possible);
        assert_eq!(Verdict::from_score(49.9), Verdict::Weak);
        assert_eq!(Verdict::Possible.as_str(), "possible");
    }

    #[test]
    fn weights_validation_names_the_field() {
        assert!(MatchWeights::default().validate().is_ok());
        let negative = MatchWeights {
            salary: -1.0,
            ..MatchWeights::default()
        };
        assert!(negative.validate().unwrap_err().contains("salary"));
        let nan = MatchWeights {
            text: f32::NAN,
            ..MatchWeights::default()
        };
        assert!(nan.validate().unwrap_err().contains("text"));
        let inf = MatchWeights {
            skills: f32::INFINITY,
            ..MatchWeights::default()
        };
        assert!(inf.validate().unwrap_err().contains("skills"));
        let zero = MatchWeights {
            skills: 0.0,
            experience: 0.0,
            seniority: 0.0,
            location: 0.0,
            salary: 0.0,
            text: 0.0,
        };
        assert!(zero.validate().is_err());
        // Scoring with invalid weights never yields NaN.
        assert!(score(&strong_candidate(), &job(), &nan).score.is_finite());
    }

    #[test]
    fn explanation_puts_evidence_first_and_the_biggest_gap_first_among_gaps() {
        let w = MatchWeights::default();
        let r = score(&weak_candidate(), &job(), &w);
        // Missing skills cost more weighted points than the salary gap.
        let skills_at = r
            .explanation
            .iter()
            .position(|e| e.starts_with("Has 1 of 5 required"))
            .unwrap();
        let salary_at = r
            .explanation
            .iter()
            .position(|e| e.starts_with("Salary expectation"))
            .unwrap();
        assert!(skills_at < salary_at, "{:?}", r.explanation);

        let strong = score(&strong_candidate(), &job(), &w);
        assert!(
            strong.explanation[0].starts_with("Has all 5 required skills"),
            "{:?}",
            strong.explanation
        );
        let mut unknown_salary = strong_candidate();
        unknown_salary.salary_expectation = None;
        let r = score(&unknown_salary, &job(), &w);
        assert_eq!(
            r.explanation.last().map(String::as_str),
            Some("No salary expectation stated")
        );

        let mut far = strong_candidate();
        far.location = Some("Lima, Peru".into());
        let r = score(&far, &job(), &w);
        assert!(
            r.explanation
                .last()
                .unwrap()
                .starts_with("Location Lima, Peru"),
            "{:?}",
            r.explanation
        );

        let skills_only = MatchWeights {
            skills: 1.0,
            experience: 0.0,
            seniority: 0.0,
            location: 0.0,
            salary: 0.0,
            text: 0.0,
        };
        let r = score(&strong_candidate(), &job(), &skills_only);
        assert!(
            r.explanation.iter().all(|e| e.starts_with("Has")),
            "{:?}",
            r.explanation
        );
    }

    #[test]
    fn weights_change_the_blend() {
        let skills_only = MatchWeights {
            skills: 1.0,
            experience: 0.0,
            seniority: 0.0,
            location: 0.0,
            salary: 0.0,
            text: 0.0,
        };
        let r = score(&weak_candidate(), &job(), &skills_only);
        assert!((r.score - r.breakdown.skills).abs() < 0.01);
    }

    #[test]
    fn ranking_orders_best_first_and_breaks_ties_by_index() {
        let w = MatchWeights::default();
        let cands = vec![weak_candidate(), strong_candidate(), weak_candidate()];
        let ranked = rank_candidates(&job(), &cands, &w, 10);
        assert_eq!(
            ranked.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
            vec![1, 0, 2]
        );
        assert!(ranked[0].1.score >= ranked[1].1.score);
        assert_eq!(rank_candidates(&job(), &cands, &w, 1).len(), 1);
        assert!(rank_candidates(&job(), &[], &w, 5).is_empty());

        let mut remote_job = job();
        remote_job.remote = RemotePolicy::Remote;
        remote_job.required_skills = vec!["Adobe Photoshop".into()];
        remote_job.salary_max = Some(200_000);
        let jobs = vec![job(), remote_job];
        let ranked = rank_jobs(&weak_candidate(), &jobs, &w, 2);
        assert_eq!(ranked[0].0, 1);
    }
}
