//! Deterministic synthetic data for the matching evaluation and the speed
//! benchmark, shared by `examples/eval.rs`, `examples/bench_index.rs`,
//! `examples/bench_rank.rs` and `tests/eval.rs` (each includes this file
//! with `#[path]`).
//!
//! Resumes are written from an O*NET occupation's title and description
//! with the noise real resumes have: sentences dropped and reordered, words
//! swapped for synonyms (general English ones below, technology aliases from
//! `core/data/tech_synonyms.tsv`), titles reworded or left out, and lines
//! that have nothing to do with the occupation. Everything is seeded, so a
//! run is reproducible bit for bit.

// Each including target uses a different part of this file.
#![allow(dead_code)]

use std::fmt::Write as _;

use mismatch_core::matching::{CandidateProfile, JobProfile};
use mismatch_core::skills::SkillVocabulary;
use mismatch_core::{RemotePolicy, Seniority};

/// Where `examples/eval.rs` writes the evaluation's files unless told
/// otherwise, and `examples/bench_rank.rs` reads them.
pub const EVAL_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/matching-eval");

/// O*NET occupations: `code<TAB>title<TAB>description`, header first.
pub const ONET_TSV: &str = include_str!("../data/onet_occupations.tsv");
const TECH_SYNONYMS_TSV: &str = include_str!("../data/tech_synonyms.tsv");

/// One occupation.
#[derive(Debug, Clone)]
pub struct Occupation {
    pub code: String,
    pub title: String,
    pub description: String,
}

/// The occupations in file order.
pub fn occupations() -> Vec<Occupation> {
    ONET_TSV
        .lines()
        .skip(1)
        .filter_map(|line| {
            let mut cols = line.split('\t');
            Some(Occupation {
                code: cols.next()?.to_owned(),
                title: cols.next()?.to_owned(),
                description: cols.next()?.to_owned(),
            })
        })
        .collect()
}

/// SplitMix64: tiny, seedable, and good enough for sampling.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

/// General-English synonyms of words frequent in occupation descriptions,
/// as a resume writer might put them.
const SYNONYMS: &[(&str, &[&str])] = &[
    ("plan", &["organise", "schedule", "prepare"]),
    ("direct", &["lead", "head", "run"]),
    ("coordinate", &["organise", "align", "orchestrate"]),
    ("develop", &["create", "build", "devise"]),
    ("perform", &["carry out", "do", "execute"]),
    ("operate", &["run", "work", "handle"]),
    ("maintain", &["keep up", "look after", "service"]),
    ("repair", &["fix", "mend", "restore"]),
    ("assist", &["help", "support", "aid"]),
    ("provide", &["deliver", "offer", "supply"]),
    ("prepare", &["produce", "draft", "ready"]),
    ("conduct", &["run", "carry out", "lead"]),
    ("analyze", &["study", "evaluate", "assess"]),
    ("determine", &["establish", "decide", "identify"]),
    ("install", &["set up", "fit", "mount"]),
    ("design", &["devise", "draw up", "shape"]),
    ("research", &["investigation", "study", "inquiry"]),
    ("equipment", &["machinery", "gear", "tools"]),
    ("materials", &["supplies", "stock", "resources"]),
    ("workers", &["staff", "employees", "crew"]),
    ("individuals", &["people", "persons", "clients"]),
    ("patients", &["clients", "people in care", "the sick"]),
    ("teach", &["instruct", "educate", "train"]),
    ("teaching", &["instruction", "education", "training"]),
    (
        "management",
        &["administration", "leadership", "supervision"],
    ),
    ("records", &["files", "logs", "documents"]),
    ("products", &["goods", "items", "merchandise"]),
    ("services", &["offerings", "support", "assistance"]),
    ("apply", &["use", "employ", "put to use"]),
    ("control", &["regulate", "manage", "govern"]),
    ("review", &["check", "examine", "inspect"]),
    ("monitor", &["track", "watch", "observe"]),
    ("inspect", &["check", "examine", "review"]),
    ("customers", &["clients", "buyers", "patrons"]),
    ("clients", &["customers", "patrons", "users"]),
    ("vehicles", &["cars", "trucks", "automobiles"]),
    ("machines", &["machinery", "devices", "apparatus"]),
    ("evaluate", &["assess", "appraise", "judge"]),
    ("supervise", &["oversee", "manage", "lead"]),
    ("instruct", &["teach", "train", "coach"]),
    ("procedures", &["processes", "methods", "routines"]),
    ("information", &["data", "details", "facts"]),
];

/// Lines found in resumes that say nothing about the occupation.
const UNRELATED: &[&str] = &[
    "Volunteer at the local food bank on weekends.",
    "Fluent in Spanish and conversational in French.",
    "Hobbies: hiking, chess and amateur photography.",
    "Team player with strong communication skills.",
    "Valid driving licence, willing to relocate.",
    "References available on request.",
    "Completed a half marathon in 2023.",
    "Member of the neighbourhood gardening club.",
    "Organised a charity bake sale for the school.",
    "Enjoys cooking, travel and learning new languages.",
    "Reliable, punctual and eager to learn.",
    "Coached a youth football team for three seasons.",
];

const TITLE_PREFIXES: &[&str] = &["Senior", "Junior", "Lead", "Experienced", "Certified"];

/// Technology name → aliases from `tech_synonyms.tsv` (markers `=`/`^`
/// stripped), to write a skill the way someone else would.
fn tech_aliases() -> Vec<(String, Vec<String>)> {
    TECH_SYNONYMS_TSV
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let (name, aliases) = l.split_once('\t')?;
            let aliases: Vec<String> = aliases
                .split('|')
                .map(|a| a.trim_start_matches(['=', '^']).to_owned())
                .filter(|a| !a.is_empty() && !a.eq_ignore_ascii_case(name))
                .collect();
            (!aliases.is_empty()).then(|| (name.to_owned(), aliases))
        })
        .collect()
}

/// Sentences of a description: split at ". " so abbreviations like "e.g."
/// rarely matter for our purpose.
pub fn sentences(text: &str) -> Vec<String> {
    text.split(". ")
        .map(|s| s.trim().trim_end_matches('.').to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Replaces words with synonyms with probability `p` each.
fn paraphrase(sentence: &str, rng: &mut Rng, p: f64, techs: &[(String, Vec<String>)]) -> String {
    let mut out = String::new();
    for (i, word) in sentence.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let core = word.trim_end_matches([',', ';', ':', '.']);
        let tail = &word[core.len()..];
        let lower = core.to_ascii_lowercase();
        let swapped = SYNONYMS
            .iter()
            .find(|(w, _)| *w == lower)
            .map(|(_, alts)| *alts)
            .filter(|_| rng.chance(p))
            .map(|alts| rng.pick(alts).to_string())
            .or_else(|| {
                techs
                    .iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case(core))
                    .filter(|_| rng.chance(p))
                    .map(|(_, aliases)| rng.pick(aliases).clone())
            });
        out.push_str(swapped.as_deref().unwrap_or(core));
        out.push_str(tail);
    }
    out
}

/// The sentence without one of its words (never the first), for sentences
/// that drew no synonym: a resume never repeats the ad word for word.
fn drop_word(sentence: &str, rng: &mut Rng) -> String {
    let words: Vec<&str> = sentence.split(' ').collect();
    if words.len() < 3 {
        return sentence.to_owned();
    }
    let skip = 1 + rng.below(words.len() - 1);
    words
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != skip)
        .map(|(_, w)| *w)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A reworded job title: a part of an "A and B" title, a seniority prefix,
/// singular instead of plural.
fn title_variant(title: &str, rng: &mut Rng) -> String {
    // "Legal Support Workers, All Other": the part before the comma is the
    // title, the rest a qualifier nobody writes on a resume.
    let mut t = title.split(", ").next().unwrap_or(title).to_owned();
    if rng.chance(0.3)
        && let Some((a, b)) = t.split_once(" and ")
    {
        t = if rng.chance(0.5) { a } else { b }.to_owned();
    }
    let mut words: Vec<String> = t.split(' ').map(str::to_owned).collect();
    if let Some(last) = words.last_mut()
        && last.len() > 3
        && last.ends_with('s')
        && !last.ends_with("ss")
    {
        last.pop();
    }
    let mut t = words.join(" ");
    if rng.chance(0.3) {
        t = format!("{} {t}", rng.pick(TITLE_PREFIXES));
    }
    t
}

/// A synthetic resume for `occupations[index]`, seeded by `seed`.
///
/// Noise: the title is reworded and left out one time in four; each
/// description sentence is dropped with probability 0.4 (one is always
/// kept) and the rest are shuffled; words are swapped for synonyms with
/// probability 0.5 (a sentence that drew none loses a word); one to three unrelated lines and, half the time, a
/// sentence of another occupation are mixed in.
pub fn resume(occupations: &[Occupation], index: usize, seed: u64) -> String {
    let occ = &occupations[index];
    let mut rng = Rng::new(seed ^ (index as u64).wrapping_mul(0x2545_F491_4F6C_DD1D));
    let techs = tech_aliases();
    let mut lines: Vec<String> = Vec::new();

    let mut body: Vec<String> = sentences(&occ.description)
        .into_iter()
        .filter(|_| rng.chance(0.6))
        .collect();
    if body.is_empty() {
        let all = sentences(&occ.description);
        body.push(rng.pick(&all).clone());
    }
    rng.shuffle(&mut body);
    for s in &body {
        let mut line = paraphrase(s, &mut rng, 0.5, &techs);
        if line == *s {
            line = drop_word(&line, &mut rng);
        }
        lines.push(format!("- {line}."));
    }
    let mut unrelated: Vec<&str> = UNRELATED.to_vec();
    rng.shuffle(&mut unrelated);
    for line in unrelated.iter().take(1 + rng.below(3)) {
        lines.push(format!("- {line}"));
    }
    if rng.chance(0.5) {
        let other = &occupations[rng.below(occupations.len())];
        if other.code != occ.code {
            let s = sentences(&other.description);
            lines.push(format!("- {}.", rng.pick(&s)));
        }
    }
    rng.shuffle(&mut lines);

    let mut text = format!("Candidate {}\n", rng.below(1_000_000));
    if rng.chance(0.75) {
        let _ = writeln!(
            text,
            "{}, {} years of experience",
            title_variant(&occ.title, &mut rng),
            1 + rng.below(20)
        );
    }
    text.push_str("Experience:\n");
    for l in lines {
        text.push_str(&l);
        text.push('\n');
    }
    text
}

/// Cities used for job locations in the benchmark corpus.
pub const CITIES: &[&str] = &[
    "Berlin, Germany",
    "Munich, Germany",
    "London, United Kingdom",
    "Paris, France",
    "Madrid, Spain",
    "Amsterdam, Netherlands",
    "New York, NY",
    "Austin, TX",
    "Toronto, Canada",
    "Warsaw, Poland",
];

const REMOTE_POLICIES: [&str; 3] = ["onsite", "hybrid", "remote"];

/// One generated job posting of the benchmark corpus.
#[derive(Debug, Clone)]
pub struct SyntheticJob {
    pub id: String,
    pub title: String,
    pub description: String,
    pub required_skills: Vec<String>,
    pub nice_to_have_skills: Vec<String>,
    pub location: String,
    pub remote: &'static str,
    pub salary_min: u32,
    pub salary_max: u32,
}

impl SyntheticJob {
    /// The text both systems index: what `JobIndex` tokenises (title,
    /// description, skills).
    pub fn text(&self) -> String {
        format!(
            "{}\n{}\n{}\n{}",
            self.title,
            self.description,
            self.required_skills.join(", "),
            self.nice_to_have_skills.join(", ")
        )
    }

    /// One line of `jobs.tsv`.
    pub fn to_tsv(&self) -> String {
        format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            self.id,
            self.title,
            self.description,
            self.required_skills.join("|"),
            self.nice_to_have_skills.join("|"),
            self.location,
            self.remote,
            self.salary_min,
            self.salary_max
        )
    }

    /// Parses a line written by `to_tsv`.
    pub fn from_tsv(line: &str) -> Option<SyntheticJob> {
        let c: Vec<&str> = line.split('\t').collect();
        if c.len() != 9 {
            return None;
        }
        let list = |s: &str| -> Vec<String> {
            s.split('|')
                .filter(|x| !x.is_empty())
                .map(str::to_owned)
                .collect()
        };
        Some(SyntheticJob {
            id: c[0].to_owned(),
            title: c[1].to_owned(),
            description: c[2].to_owned(),
            required_skills: list(c[3]),
            nice_to_have_skills: list(c[4]),
            location: c[5].to_owned(),
            remote: match c[6] {
                "remote" => "remote",
                "hybrid" => "hybrid",
                _ => "onsite",
            },
            salary_min: c[7].parse().ok()?,
            salary_max: c[8].parse().ok()?,
        })
    }
}

/// Job `i` of the benchmark corpus: an occupation's title variant, a
/// sample of its description sentences (paraphrased, shuffled, sometimes
/// with a sentence of a related occupation), `skills` drawn from the
/// vocabulary, a city and a salary range.
pub fn synthetic_job(
    occupations: &[Occupation],
    skills: &[String],
    i: usize,
    seed: u64,
) -> SyntheticJob {
    let mut rng = Rng::new(seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let techs = tech_aliases();
    let occ = &occupations[rng.below(occupations.len())];
    let mut body: Vec<String> = Vec::new();
    for s in sentences(&occ.description) {
        if rng.chance(0.8) {
            body.push(paraphrase(&s, &mut rng, 0.2, &techs));
        }
    }
    if rng.chance(0.3) {
        // Neighbouring codes are related occupations.
        let j = occupations
            .iter()
            .position(|o| o.code == occ.code)
            .unwrap_or(0);
        let near = &occupations[(j + 1 + rng.below(3)).min(occupations.len() - 1)];
        body.push(rng.pick(&sentences(&near.description)).clone());
    }
    if body.is_empty() {
        body.push(occ.title.clone());
    }
    rng.shuffle(&mut body);
    let n_req = rng.below(4);
    let n_nice = rng.below(3);
    let required = (0..n_req).map(|_| rng.pick(skills).clone()).collect();
    let nice = (0..n_nice).map(|_| rng.pick(skills).clone()).collect();
    let base = 30_000 + 1_000 * rng.below(90) as u32;
    SyntheticJob {
        id: format!("job{i}"),
        title: title_variant(&occ.title, &mut rng),
        description: body.join(". ") + ".",
        required_skills: required,
        nice_to_have_skills: nice,
        location: rng.pick(CITIES).to_string(),
        remote: REMOTE_POLICIES[rng.below(REMOTE_POLICIES.len())],
        salary_min: base,
        salary_max: base + 5_000 + 1_000 * rng.below(40) as u32,
    }
}

/// Escapes a text for one TSV field: backslash, tab and newline.
pub fn escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('\t', "\\t")
        .replace('\n', "\\n")
}

/// Reverses `escape`.
pub fn unescape(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// Nearest-rank percentile of durations in milliseconds (`q` in 0..=1).
pub fn percentile(sorted_ms: &[f64], q: f64) -> f64 {
    if sorted_ms.is_empty() {
        return 0.0;
    }
    let rank = (q * sorted_ms.len() as f64).ceil().max(1.0) as usize;
    sorted_ms[rank.min(sorted_ms.len()) - 1]
}

/// Recall@1, recall@10 and MRR@10 of ranked lists against the wanted id.
pub fn metrics<'a>(
    results: impl Iterator<Item = (&'a str, Vec<String>)>,
) -> (usize, f64, f64, f64) {
    let (mut n, mut r1, mut r10, mut mrr) = (0usize, 0usize, 0usize, 0.0f64);
    for (wanted, ranked) in results {
        n += 1;
        if let Some(pos) = ranked.iter().take(10).position(|id| id == wanted) {
            r10 += 1;
            if pos == 0 {
                r1 += 1;
            }
            mrr += 1.0 / (pos + 1) as f64;
        }
    }
    let d = n.max(1) as f64;
    (n, r1 as f64 / d, r10 as f64 / d, mrr / d)
}

/// A job per occupation. O*NET occupations list no skills, so neither do
/// the jobs (skills our ICT vocabulary would extract from a nurse's
/// description are mostly noise, and as required skills they cost the
/// real occupation points); the text carries the match.
pub fn job_profile(code: &str, title: &str, description: &str) -> JobProfile {
    JobProfile {
        id: code.to_owned(),
        title: title.to_owned(),
        description: description.to_owned(),
        required_skills: Vec::new(),
        nice_to_have_skills: Vec::new(),
        seniority: None,
        min_years: 0.0,
        location: None,
        remote: RemotePolicy::Remote,
        salary_min: None,
        salary_max: None,
    }
}

/// A candidate as the server would see one: text plus extracted skills.
pub fn candidate_profile(id: &str, text: &str) -> CandidateProfile {
    CandidateProfile {
        id: id.to_owned(),
        skills: SkillVocabulary::global().extract(text),
        years_experience: 5.0,
        seniority: Seniority::Mid,
        location: None,
        salary_expectation: None,
        text: text.to_owned(),
    }
}
