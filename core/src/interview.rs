//! Interview questions for a candidate × job, chosen from a question bank
//! shipped as data (`core/data/interview_questions.tsv`).
//!
//! The selection is rule-based and explainable, with no external service:
//! every skill of the job becomes a target with a level and a reason, in
//! this order of priority — required skills the candidate lacks, required
//! skills the candidate's other skills only imply, required skills the
//! candidate has, then the same for nice-to-have skills. Skills the
//! candidate lacks are probed at the basic level; skills they have are
//! asked at the level their years in that skill (or, failing that, their
//! seniority) suggest. Targets take turns, so each gets a question before
//! any gets a second, until a level's limit is reached. Which of a skill's
//! questions comes first is decided by a hash of the candidate id, the job
//! id and the question id: stable for the same input, varied across
//! candidates. Skills without questions in the bank get a generic question
//! about the skill; spare places in the level that fits the job's seniority
//! go to behavioural questions.

use std::collections::HashMap;
use std::fmt;
use std::sync::LazyLock;

use crate::matching::{self, CandidateProfile, JobProfile, MatchWeights};
use crate::profile::Seniority;
use crate::skills::SkillVocabulary;

const BANK_TSV: &str = include_str!("../data/interview_questions.tsv");

/// Skill column of the generic questions asked about a skill the bank has
/// no questions for; their text contains `{skill}`.
const GENERIC_SKILL: &str = "*skill";
/// Skill column of the behavioural and role questions.
const BEHAVIOURAL: &str = "*behavioural";

/// Most questions a caller may ask for per level.
pub const MAX_PER_LEVEL: usize = 20;

static GLOBAL: LazyLock<QuestionBank> = LazyLock::new(|| {
    QuestionBank::from_tsv(BANK_TSV).expect("embedded core/data/interview_questions.tsv is valid")
});

/// Depth of a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum QuestionLevel {
    /// Fundamentals anyone using the skill should know.
    Basic,
    /// Day-to-day practice and trade-offs.
    Intermediate,
    /// Internals, design at scale, failure modes.
    Advanced,
}

impl QuestionLevel {
    /// Every level, from basic to advanced.
    pub const ALL: [QuestionLevel; 3] = [
        QuestionLevel::Basic,
        QuestionLevel::Intermediate,
        QuestionLevel::Advanced,
    ];

    /// Stable lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            QuestionLevel::Basic => "basic",
            QuestionLevel::Intermediate => "intermediate",
            QuestionLevel::Advanced => "advanced",
        }
    }

    fn parse(s: &str) -> Option<QuestionLevel> {
        QuestionLevel::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// The level suited to someone with `years` in a skill.
    pub fn from_years(years: f32) -> QuestionLevel {
        match years {
            y if y < 2.0 => QuestionLevel::Basic,
            y if y < 5.0 => QuestionLevel::Intermediate,
            _ => QuestionLevel::Advanced,
        }
    }

    /// The level suited to a career level.
    pub fn from_seniority(seniority: Seniority) -> QuestionLevel {
        match seniority {
            Seniority::Intern | Seniority::Junior => QuestionLevel::Basic,
            Seniority::Mid => QuestionLevel::Intermediate,
            Seniority::Senior | Seniority::Lead | Seniority::Principal => QuestionLevel::Advanced,
        }
    }
}

impl fmt::Display for QuestionLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One question of the bank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankQuestion {
    /// Stable id: skill slug, level and position (`python-advanced-2`).
    pub id: String,
    /// Canonical skill name; `None` for generic and behavioural questions.
    pub skill: Option<String>,
    /// Depth.
    pub level: QuestionLevel,
    /// The question as asked.
    pub question: String,
    /// What a good answer covers.
    pub good_answer: Vec<String>,
}

/// The question bank, indexed by skill and level.
#[derive(Debug, Clone)]
pub struct QuestionBank {
    questions: Vec<BankQuestion>,
    /// Skill key → level → indices into `questions`, in file order.
    by_skill: HashMap<String, HashMap<QuestionLevel, Vec<usize>>>,
    generic_skill: HashMap<QuestionLevel, Vec<usize>>,
    behavioural: HashMap<QuestionLevel, Vec<usize>>,
}

impl QuestionBank {
    /// The bank shipped with the crate (parsed on first use).
    pub fn global() -> &'static QuestionBank {
        &GLOBAL
    }

    /// Parses `skill<TAB>level<TAB>question<TAB>point|point|…`; `#` starts a
    /// comment line. Skill names are canonicalised with the vocabulary.
    pub fn from_tsv(tsv: &str) -> Result<QuestionBank, String> {
        let vocab = SkillVocabulary::global();
        let mut bank = QuestionBank {
            questions: Vec::new(),
            by_skill: HashMap::new(),
            generic_skill: HashMap::new(),
            behavioural: HashMap::new(),
        };
        let mut counters: HashMap<(String, QuestionLevel), usize> = HashMap::new();
        for (n, line) in tsv.lines().enumerate() {
            let line_no = n + 1;
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let cols: Vec<&str> = line.split('\t').collect();
            let [skill, level, question, covers] = cols[..] else {
                return Err(format!("line {line_no}: expected 4 tab-separated columns"));
            };
            let level = QuestionLevel::parse(level.trim())
                .ok_or_else(|| format!("line {line_no}: unknown level {level:?}"))?;
            let question = question.trim();
            if question.is_empty() {
                return Err(format!("line {line_no}: empty question"));
            }
            let good_answer: Vec<String> = covers
                .split('|')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect();
            if good_answer.is_empty() {
                return Err(format!("line {line_no}: no good-answer points"));
            }
            let skill = skill.trim();
            let canonical = match skill {
                GENERIC_SKILL => {
                    if !question.contains("{skill}") {
                        return Err(format!(
                            "line {line_no}: generic question without {{skill}}"
                        ));
                    }
                    None
                }
                BEHAVIOURAL => None,
                _ => Some(
                    vocab
                        .canonical(skill)
                        .ok_or_else(|| {
                            format!("line {line_no}: {skill:?} is not in the skills vocabulary")
                        })?
                        .to_owned(),
                ),
            };
            let slug = slug(skill);
            let counter = counters.entry((slug.clone(), level)).or_default();
            *counter += 1;
            let index = bank.questions.len();
            let slot = match &canonical {
                Some(name) => bank.by_skill.entry(key(name)).or_default(),
                None if skill == GENERIC_SKILL => &mut bank.generic_skill,
                None => &mut bank.behavioural,
            };
            slot.entry(level).or_default().push(index);
            bank.questions.push(BankQuestion {
                id: format!("{slug}-{level}-{counter}"),
                skill: canonical,
                level,
                question: question.to_owned(),
                good_answer,
            });
        }
        Ok(bank)
    }

    /// Every question, in file order.
    pub fn questions(&self) -> &[BankQuestion] {
        &self.questions
    }

    /// Canonical names of the skills with questions, sorted.
    pub fn skills(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .questions
            .iter()
            .filter_map(|q| q.skill.as_deref())
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// Questions about `skill` (any spelling the vocabulary knows) at `level`.
    pub fn for_skill(&self, skill: &str, level: QuestionLevel) -> Vec<&BankQuestion> {
        self.indices(self.by_skill.get(&key(skill)), level)
    }

    fn indices(
        &self,
        map: Option<&HashMap<QuestionLevel, Vec<usize>>>,
        level: QuestionLevel,
    ) -> Vec<&BankQuestion> {
        map.and_then(|m| m.get(&level))
            .into_iter()
            .flatten()
            .map(|&i| &self.questions[i])
            .collect()
    }
}

/// How many questions to select.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SelectionOptions {
    /// Questions per level, 1–[`MAX_PER_LEVEL`].
    pub per_level: usize,
}

impl Default for SelectionOptions {
    fn default() -> Self {
        SelectionOptions { per_level: 3 }
    }
}

/// A question chosen for an interview, with the reason it was chosen.
#[derive(Debug, Clone, PartialEq)]
pub struct SelectedQuestion {
    /// Bank id of the question.
    pub id: String,
    /// The skill it probes; `None` for behavioural questions.
    pub skill: Option<String>,
    /// Depth.
    pub level: QuestionLevel,
    /// The question as asked (generic questions name the skill).
    pub question: String,
    /// What a good answer covers.
    pub good_answer: Vec<String>,
    /// Why this question was chosen.
    pub reason: String,
}

/// A job skill the selection aimed at.
#[derive(Debug, Clone, PartialEq)]
pub struct SkillTarget {
    /// The skill, in the job's spelling.
    pub skill: String,
    /// Whether the job requires it (else it is nice to have).
    pub required: bool,
    /// Whether the candidate names it.
    pub candidate_has: bool,
    /// Level its questions are asked at.
    pub level: QuestionLevel,
    /// Why this level.
    pub reason: String,
}

/// The selected questions, grouped by level.
#[derive(Debug, Clone, PartialEq)]
pub struct InterviewPlan {
    /// Basic questions.
    pub basic: Vec<SelectedQuestion>,
    /// Intermediate questions.
    pub intermediate: Vec<SelectedQuestion>,
    /// Advanced questions.
    pub advanced: Vec<SelectedQuestion>,
    /// The job's skills in order of priority, with the level chosen for each.
    pub targets: Vec<SkillTarget>,
}

impl InterviewPlan {
    /// The questions of one level.
    pub fn level(&self, level: QuestionLevel) -> &[SelectedQuestion] {
        match level {
            QuestionLevel::Basic => &self.basic,
            QuestionLevel::Intermediate => &self.intermediate,
            QuestionLevel::Advanced => &self.advanced,
        }
    }

    /// Every question, basic first.
    pub fn all(&self) -> impl Iterator<Item = &SelectedQuestion> {
        self.basic
            .iter()
            .chain(&self.intermediate)
            .chain(&self.advanced)
    }

    fn level_mut(&mut self, level: QuestionLevel) -> &mut Vec<SelectedQuestion> {
        match level {
            QuestionLevel::Basic => &mut self.basic,
            QuestionLevel::Intermediate => &mut self.intermediate,
            QuestionLevel::Advanced => &mut self.advanced,
        }
    }
}

/// Selects interview questions for `candidate` applying to `job` from the
/// shipped bank.
pub fn select_questions(
    candidate: &CandidateProfile,
    job: &JobProfile,
    options: SelectionOptions,
) -> InterviewPlan {
    select_from(QuestionBank::global(), candidate, job, options)
}

/// [`select_questions`] with a given bank.
pub fn select_from(
    bank: &QuestionBank,
    candidate: &CandidateProfile,
    job: &JobProfile,
    options: SelectionOptions,
) -> InterviewPlan {
    let per_level = options.per_level.clamp(1, MAX_PER_LEVEL);
    let targets = targets(candidate, job);
    let seed = format!("{}\u{1f}{}", candidate.id, job.id);
    let mut plan = InterviewPlan {
        basic: Vec::new(),
        intermediate: Vec::new(),
        advanced: Vec::new(),
        targets: Vec::new(),
    };

    // Each target's candidate questions, best first.
    let mut queues: Vec<Vec<SelectedQuestion>> = targets
        .iter()
        .map(|t| {
            let specific = bank.for_skill(&t.skill, t.level);
            let (pool, generic) = if specific.is_empty() {
                (bank.indices(Some(&bank.generic_skill), t.level), true)
            } else {
                (specific, false)
            };
            let mut pool = pool;
            pool.sort_by_key(|q| (fnv1a(&seed, &format!("{}\u{1f}{}", t.skill, q.id)), &q.id));
            pool.into_iter()
                .map(|q| {
                    let (question, reason) = if generic {
                        (
                            q.question.replace("{skill}", &t.skill),
                            format!(
                                "{}; the bank has no {} question on {}, so a general one",
                                t.reason, t.level, t.skill
                            ),
                        )
                    } else {
                        (q.question.clone(), t.reason.clone())
                    };
                    SelectedQuestion {
                        id: q.id.clone(),
                        skill: Some(t.skill.clone()),
                        level: t.level,
                        question,
                        good_answer: q.good_answer.clone(),
                        reason,
                    }
                })
                .collect::<Vec<_>>()
        })
        .collect();

    // Round robin over targets, in priority order, until every level is
    // full or every queue is empty.
    let mut round = 0;
    loop {
        let mut any = false;
        for queue in &mut queues {
            let Some(q) = queue.get(round) else {
                continue;
            };
            any = true;
            let slot = plan.level_mut(q.level);
            // A generic question can come up for two skills; ask it once per
            // skill, which the skill name in the text already ensures.
            if slot.len() < per_level {
                slot.push(q.clone());
            }
        }
        if !any {
            break;
        }
        round += 1;
    }

    // Spare places in the level that fits the job go to behavioural and
    // role questions.
    let role_level = job
        .seniority
        .map(QuestionLevel::from_seniority)
        .unwrap_or_else(|| QuestionLevel::from_years(job.min_years));
    let mut behavioural = bank.indices(Some(&bank.behavioural), role_level);
    behavioural.sort_by_key(|q| (fnv1a(&seed, &q.id), &q.id));
    let role = job
        .seniority
        .map(|s| format!("a {} position", s.as_str()))
        .unwrap_or_else(|| "this position".to_owned());
    let slot = plan.level_mut(role_level);
    for q in behavioural {
        if slot.len() >= per_level {
            break;
        }
        slot.push(SelectedQuestion {
            id: q.id.clone(),
            skill: None,
            level: q.level,
            question: q.question.clone(),
            good_answer: q.good_answer.clone(),
            reason: format!(
                "behavioural question at the {role_level} level of {role}; the job's skills left room"
            ),
        });
    }
    plan.targets = targets;
    plan
}

/// The job's skills in order of priority, each with a level and a reason.
fn targets(candidate: &CandidateProfile, job: &JobProfile) -> Vec<SkillTarget> {
    let vocab = SkillVocabulary::global();
    // Matching decides what counts as lacking: a skill implied by another
    // (SQL by PostgreSQL) is not missing.
    let result = matching::score(candidate, job, &MatchWeights::default());
    let years_in: HashMap<String, Option<f32>> = candidate
        .skills
        .iter()
        .map(|s| (key(&s.name), s.years))
        .collect();
    let seniority_level = QuestionLevel::from_seniority(candidate.seniority);

    let mut seen = std::collections::HashSet::new();
    // (priority, target)
    let mut out: Vec<(u8, SkillTarget)> = Vec::new();
    let lists = [
        (true, &job.required_skills, &result.missing_required_skills),
        (
            false,
            &job.nice_to_have_skills,
            &result.missing_nice_to_have_skills,
        ),
    ];
    for (required, skills, missing) in lists {
        let kind = if required {
            "required skill"
        } else {
            "nice-to-have skill"
        };
        for skill in skills {
            let skill = skill.trim();
            if skill.is_empty() || !seen.insert(key(skill)) {
                continue;
            }
            let name = vocab.canonical(skill).unwrap_or(skill).to_owned();
            let is_missing = missing.iter().any(|m| key(m) == key(skill));
            let (priority, level, candidate_has, reason) = if is_missing {
                (
                    0,
                    QuestionLevel::Basic,
                    false,
                    format!(
                        "{kind} the candidate lacks; basic questions test whether they know the fundamentals"
                    ),
                )
            } else if let Some(years) = years_in.get(&key(skill)) {
                let (level, why) = match years {
                    Some(y) => (
                        QuestionLevel::from_years(*y),
                        format!("candidate claims {} in {name}", fmt_years(*y)),
                    ),
                    None => (
                        seniority_level,
                        format!(
                            "candidate names {name} without years and is {}",
                            candidate.seniority.as_str()
                        ),
                    ),
                };
                let what = if required {
                    "key skill of the job"
                } else {
                    "nice-to-have skill of the job"
                };
                (2, level, true, format!("{what}; {why} → {level}"))
            } else {
                // Covered only through a related skill.
                let level = seniority_level.min(QuestionLevel::Intermediate);
                (
                    1,
                    level,
                    false,
                    format!(
                        "{kind} the candidate does not name but their other skills imply; {level} questions check it"
                    ),
                )
            };
            let priority = if required { priority } else { priority + 3 };
            out.push((
                priority,
                SkillTarget {
                    skill: name,
                    required,
                    candidate_has,
                    level,
                    reason,
                },
            ));
        }
    }
    // Stable: the job's own order within a priority.
    out.sort_by_key(|(p, _)| *p);
    out.into_iter().map(|(_, t)| t).collect()
}

fn fmt_years(y: f32) -> String {
    if (y - 1.0).abs() < f32::EPSILON {
        "1 year".to_owned()
    } else if y.fract() == 0.0 {
        format!("{y:.0} years")
    } else {
        format!("{y:.1} years")
    }
}

/// Key under which skills are compared: canonical name, case-folded.
fn key(name: &str) -> String {
    SkillVocabulary::global()
        .canonical(name)
        .unwrap_or(name)
        .trim()
        .to_lowercase()
}

fn slug(name: &str) -> String {
    let name = name.trim_start_matches('*');
    let mut out = String::new();
    for c in name.chars() {
        match c {
            '+' => out.push_str("plus"),
            '#' => out.push_str("sharp"),
            c if c.is_ascii_alphanumeric() => out.push(c.to_ascii_lowercase()),
            _ if !out.ends_with('-') && !out.is_empty() => out.push('-'),
            _ => {}
        }
    }
    out.trim_end_matches('-').to_owned()
}

/// FNV-1a over two strings: a hash that never changes between builds or
/// platforms, unlike the standard library's.
fn fnv1a(a: &str, b: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in a.bytes().chain([0]).chain(b.bytes()) {
        h ^= u64::from(byte);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::RemotePolicy;
    use crate::skills::SkillMention;

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
            description: "Python services on PostgreSQL and Kubernetes.".into(),
            required_skills: vec!["Python".into(), "Kubernetes".into(), "PostgreSQL".into()],
            nice_to_have_skills: vec!["Redis".into()],
            seniority: Some(Seniority::Senior),
            min_years: 5.0,
            location: None,
            remote: RemotePolicy::Remote,
            salary_min: None,
            salary_max: None,
        }
    }

    fn candidate() -> CandidateProfile {
        CandidateProfile {
            id: "cand_1".into(),
            skills: vec![mention("Python", Some(5.0)), mention("postgres", Some(1.0))],
            years_experience: 6.0,
            seniority: Seniority::Senior,
            location: None,
            salary_expectation: None,
            text: "Backend engineer.".into(),
        }
    }

    #[test]
    fn the_shipped_bank_is_valid_and_broad() {
        let bank = QuestionBank::global();
        let skills = bank.skills();
        assert!(skills.len() >= 40, "{} skills", skills.len());
        for skill in &skills {
            for level in QuestionLevel::ALL {
                let n = bank.for_skill(skill, level).len();
                assert!(n >= 2, "{skill} has {n} {level} questions");
            }
        }
        for level in QuestionLevel::ALL {
            assert!(bank.indices(Some(&bank.behavioural), level).len() >= 2);
            assert!(bank.indices(Some(&bank.generic_skill), level).len() >= 2);
        }
        let mut ids: Vec<&str> = bank.questions().iter().map(|q| q.id.as_str()).collect();
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), n, "question ids are unique");
    }

    #[test]
    fn common_technologies_have_questions() {
        let bank = QuestionBank::global();
        for skill in [
            "Python",
            "Java",
            "JavaScript",
            "TypeScript",
            "SQL",
            "PostgreSQL",
            "Kubernetes",
            "Docker",
            "AWS",
            "React",
            "Git",
            "Linux",
            "Go",
            "Rust",
        ] {
            assert!(
                !bank.for_skill(skill, QuestionLevel::Basic).is_empty(),
                "{skill}"
            );
        }
        // Any spelling the vocabulary knows finds them.
        assert!(!bank.for_skill("k8s", QuestionLevel::Advanced).is_empty());
    }

    #[test]
    fn missing_skills_come_first_at_basic_level() {
        let plan = select_questions(&candidate(), &job(), SelectionOptions::default());
        let first = &plan.targets[0];
        assert_eq!(first.skill, "Kubernetes");
        assert!(first.required && !first.candidate_has);
        assert_eq!(first.level, QuestionLevel::Basic);
        let k8s: Vec<_> = plan
            .all()
            .filter(|q| q.skill.as_deref() == Some("Kubernetes"))
            .collect();
        assert!(!k8s.is_empty());
        assert!(k8s.iter().all(|q| q.level == QuestionLevel::Basic));
        assert!(k8s[0].reason.contains("required skill the candidate lacks"));
    }

    #[test]
    fn level_follows_years_in_the_skill() {
        let plan = select_questions(&candidate(), &job(), SelectionOptions::default());
        let python = plan.targets.iter().find(|t| t.skill == "Python").unwrap();
        assert_eq!(python.level, QuestionLevel::Advanced);
        assert!(
            python
                .reason
                .contains("key skill of the job; candidate claims 5 years in Python → advanced"),
            "{}",
            python.reason
        );
        let pg = plan
            .targets
            .iter()
            .find(|t| t.skill == "PostgreSQL")
            .unwrap();
        assert_eq!(pg.level, QuestionLevel::Basic);
        assert!(
            plan.advanced
                .iter()
                .any(|q| q.skill.as_deref() == Some("Python"))
        );
        // Without years the candidate's seniority decides.
        let mut c = candidate();
        c.skills[0].years = None;
        c.seniority = Seniority::Mid;
        let plan = select_questions(&c, &job(), SelectionOptions::default());
        let python = plan.targets.iter().find(|t| t.skill == "Python").unwrap();
        assert_eq!(python.level, QuestionLevel::Intermediate);
    }

    #[test]
    fn selection_is_deterministic_limited_and_explained() {
        let options = SelectionOptions { per_level: 2 };
        let a = select_questions(&candidate(), &job(), options);
        let b = select_questions(&candidate(), &job(), options);
        assert_eq!(a, b);
        for level in QuestionLevel::ALL {
            assert!(a.level(level).len() <= 2);
            assert!(a.level(level).iter().all(|q| q.level == level));
        }
        assert!(
            a.all()
                .all(|q| !q.reason.is_empty() && !q.good_answer.is_empty())
        );
        let mut ids: Vec<_> = a.all().map(|q| (&q.id, &q.skill)).collect();
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n, "no question twice");
        // Round robin: both basic targets (Kubernetes, PostgreSQL) get one
        // before either gets a second.
        let basic_skills: Vec<_> = a.basic.iter().filter_map(|q| q.skill.as_deref()).collect();
        assert_eq!(basic_skills, ["Kubernetes", "PostgreSQL"]);
    }

    #[test]
    fn another_candidate_may_get_other_questions_but_the_same_targets() {
        let options = SelectionOptions { per_level: 20 };
        let a = select_questions(&candidate(), &job(), options);
        let mut c = candidate();
        c.id = "cand_2".into();
        let b = select_questions(&c, &job(), options);
        assert_eq!(a.targets, b.targets);
        // Same set of questions when every one fits, in a seeded order.
        let mut qa: Vec<_> = a.all().map(|q| q.id.clone()).collect();
        let mut qb: Vec<_> = b.all().map(|q| q.id.clone()).collect();
        qa.sort();
        qb.sort();
        assert_eq!(qa, qb);
    }

    #[test]
    fn unknown_skills_get_generic_questions_and_spare_room_behavioural_ones() {
        let mut j = job();
        j.required_skills = vec!["Quantum basket weaving".into()];
        j.nice_to_have_skills.clear();
        let plan = select_questions(&candidate(), &j, SelectionOptions { per_level: 3 });
        let generic = &plan.basic[0];
        assert!(generic.question.contains("Quantum basket weaving"));
        assert!(generic.reason.contains("so a general one"));
        // Senior job: the advanced level is filled with behavioural questions.
        assert_eq!(plan.advanced.len(), 3);
        assert!(plan.advanced.iter().all(|q| q.skill.is_none()));
        assert!(plan.advanced[0].reason.contains("senior position"));
    }

    #[test]
    fn implied_skills_are_checked_not_assumed() {
        let mut j = job();
        j.required_skills = vec!["SQL".into()];
        j.nice_to_have_skills.clear();
        let plan = select_questions(&candidate(), &j, SelectionOptions::default());
        let sql = &plan.targets[0];
        assert_eq!(sql.skill, "SQL");
        assert!(!sql.candidate_has);
        assert!(sql.reason.contains("imply"), "{}", sql.reason);
    }

    #[test]
    fn bank_parse_errors_name_the_line() {
        let err = QuestionBank::from_tsv("Python\texpert\tQ?\ta|b\n").unwrap_err();
        assert!(err.contains("line 1") && err.contains("expert"), "{err}");
        let err = QuestionBank::from_tsv("# c\nNo such skill zz\tbasic\tQ?\ta\n").unwrap_err();
        assert!(err.contains("line 2"), "{err}");
        let err = QuestionBank::from_tsv("Python\tbasic\tQ?\t\n").unwrap_err();
        assert!(err.contains("good-answer"), "{err}");
        assert_eq!(slug("C++"), "cplusplus");
        assert_eq!(slug("*behavioural"), "behavioural");
        assert_eq!(slug("Vue.js"), "vue-js");
    }
}
