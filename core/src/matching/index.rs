//! Top-k matching in both directions through inverted indexes, instead of
//! scoring every pair.
//!
//! Ranking is two-stage. Retrieval scores documents with BM25 over the
//! normalised tokens of their text plus one pseudo-term per skill (a job's
//! required skills count twice, its nice-to-have ones once; a candidate's
//! implied skills count half), using MaxScore so that documents which share
//! only common words with the query are never visited. The best
//! [`shortlist_size`] documents then get the full explainable [`score`]
//! (all six factors with their sentences), and the best `k` of those are
//! returned.
//!
//! The retrieval stage is exact BM25. The final top k is exact with respect
//! to the full score whenever the collection has no more documents than the
//! shortlist (everything is scored then); beyond that it is the best k among
//! the shortlist: a document outside it shares too little text and too few
//! skills with the query to be there, and can only win on experience,
//! seniority, location and salary, which together weigh 45 % by default.
//! Jobs that list no skills, which the full score credits with full skill
//! coverage, carry a marker term that candidate queries ask for, so that
//! they are not buried under jobs whose skills the candidate lacks.
//!
//! The shortlist is five times `k` (at least 50). On the O*NET evaluation a
//! shortlist of 50 found the source occupation in the top 10 as often as one
//! of 100 did, at half the scoring time, and its top 10 held 93 % of the
//! exhaustive top 10. On generated jobs whose skills are random and
//! unrelated to their text it held 65 % (BENCHMARKS.md): how close the
//! result is depends on how much text and skills decide the full score.
//!
//! Scoring the shortlist is kept cheap in two ways. Every indexed document
//! keeps what its TF-IDF vector is computed from (its distinct words and
//! their counts, under 1.5 bytes a word, and its norm), gathered in the same
//! tokenising pass that posts it: building the vector per pair was most of
//! the cost of a full score. And the shortlist is ranked by the score alone;
//! only the `k` returned get their sentences and skill lists. Both give the
//! numbers of [`score`] to the bit (a weight is recomputed by the same
//! operations, and cosines are sums that do not depend on the order of
//! their terms), which a test checks pair by pair.
//!
//! [`score`]: super::score

use std::hash::{Hash, Hasher};
use std::rc::Rc;

use hashbrown::HashTable;
use rustc_hash::FxHasher;

use super::inverted::{InvertedIndex, TermBag, TextQuery};
use super::{
    CandidateParts, CandidateProfile, IMPLICATIONS, JobParts, JobProfile, MatchResult,
    MatchWeights, TextFit, score_parts, score_value, shared_skill_key,
};

/// Documents retrieved for full scoring per requested result.
const SHORTLIST_PER_RESULT: usize = 5;
/// Fewest documents retrieved for full scoring.
const MIN_SHORTLIST: usize = 50;

/// Term frequency given to a job's required skills (nice-to-have: 1).
const REQUIRED_SKILL_TF: f32 = 2.0;
/// Term frequency of a skill a candidate does not name but whose implying
/// skill they do.
const IMPLIED_SKILL_TF: f32 = 0.5;

/// Pseudo-skill of a job that lists no skills. The full score gives such a
/// job 100 on skills for every candidate, as if all its skills matched; in
/// retrieval it must not lose to jobs whose skills the candidate lacks, so
/// candidate queries carry this term too. (Not a possible skill key: keys
/// are canonical names.)
const NO_SKILLS: &str = "\u{0}none";
/// Query weight of [`NO_SKILLS`], in skill units.
const NO_SKILLS_QUERY_WEIGHT: f32 = 8.0;

/// How many documents the retrieval stage hands to the full score for a
/// top-`k` request.
pub fn shortlist_size(k: usize) -> usize {
    k.saturating_mul(SHORTLIST_PER_RESULT).max(MIN_SHORTLIST)
}

/// The terms of a job: title (twice: it names the job in a few words, and
/// counting it twice lifted recall@1 on the evaluation), description and
/// skills; the skill names are also words of its TF-IDF vector, as in
/// [`job_text`](super::job_text). The same bag is the job's document in a [`JobIndex`] and
/// its query against a [`CandidateIndex`].
fn job_terms(job: &JobProfile) -> TermBag<'_> {
    let mut bag = TermBag::new();
    bag.add_text_weighted(&job.title, 2.0);
    bag.add_text(&job.description);
    for name in job.required_skills.iter().chain(&job.nice_to_have_skills) {
        bag.add_vector_text(name);
    }
    let mut any = false;
    for (names, tf) in [
        (&job.required_skills, REQUIRED_SKILL_TF),
        (&job.nice_to_have_skills, 1.0),
    ] {
        for name in names.iter().filter(|n| !n.trim().is_empty()) {
            let key = shared_skill_key(name);
            if !bag.has_skill(&key) {
                bag.add_skill(key, tf);
                any = true;
            }
        }
    }
    if !any {
        bag.add_flag(NO_SKILLS);
    }
    bag
}

/// The texts of a job's TF-IDF vector, [`job_text`](super::job_text), unjoined (the
/// separators it joins them with are not token characters).
fn job_texts(job: &JobProfile) -> Vec<&str> {
    let mut texts = vec![job.title.as_str(), job.description.as_str()];
    texts.extend(
        job.required_skills
            .iter()
            .chain(&job.nice_to_have_skills)
            .map(String::as_str),
    );
    texts
}

/// A candidate's query against jobs: its terms, plus the pseudo-skill of
/// jobs that list no skills (see [`NO_SKILLS`]). With `read`, the resume
/// text as the job index already read it (the same terms, not read again).
fn candidate_query<'a>(
    candidate: &'a CandidateProfile,
    read: Option<&'a TextQuery>,
) -> TermBag<'a> {
    let mut bag = TermBag::new();
    match read {
        Some(text) => bag.add_read_text(text),
        None => bag.add_text(&candidate.text),
    }
    add_candidate_skills(&mut bag, candidate);
    bag.add_skill(Rc::from(NO_SKILLS), NO_SKILLS_QUERY_WEIGHT);
    bag
}

/// The terms of a candidate: resume text, named and implied skills.
fn candidate_terms(candidate: &CandidateProfile) -> TermBag<'_> {
    let mut bag = TermBag::new();
    bag.add_text(&candidate.text);
    add_candidate_skills(&mut bag, candidate);
    bag
}

/// Adds a candidate's named skills, and the skills they imply at
/// [`IMPLIED_SKILL_TF`].
fn add_candidate_skills(bag: &mut TermBag<'_>, candidate: &CandidateProfile) {
    let named: Vec<Rc<str>> = candidate
        .skills
        .iter()
        .map(|s| shared_skill_key(&s.name))
        .collect();
    for key in &named {
        if !bag.has_skill(key) {
            bag.add_skill(Rc::clone(key), 1.0);
        }
    }
    for key in &named {
        for target in IMPLICATIONS.get(&**key).into_iter().flatten() {
            if !bag.has_skill(target) {
                bag.add_skill(Rc::from(target.as_str()), IMPLIED_SKILL_TF);
            }
        }
    }
}

/// How a [`Store`] handles one kind of profile.
struct Kind<P> {
    terms: fn(&P) -> TermBag<'_>,
    id: fn(&P) -> &str,
}

impl<P> Clone for Kind<P> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P> Copy for Kind<P> {}

const JOBS: Kind<JobProfile> = Kind {
    terms: job_terms,
    id: |j| &j.id,
};

const CANDIDATES: Kind<CandidateProfile> = Kind {
    terms: candidate_terms,
    id: |c| &c.id,
};

/// Profiles in an inverted index, findable by id. Slot `i` of `items` is
/// document number `i` of the index; the id table stores only slot
/// numbers and hashes the ids where they already live, in the profiles.
struct Store<P> {
    index: InvertedIndex,
    items: Vec<Option<P>>,
    by_id: HashTable<u32>,
    kind: Kind<P>,
}

fn hash_id(id: &str) -> u64 {
    let mut h = FxHasher::default();
    id.hash(&mut h);
    h.finish()
}

impl<P> Store<P> {
    fn new(kind: Kind<P>) -> Self {
        Store {
            index: InvertedIndex::default(),
            items: Vec::new(),
            by_id: HashTable::new(),
            kind,
        }
    }

    /// Takes ownership of `items` without copying them (the vector is
    /// reused as the slot table), then indexes each; a repeated id replaces
    /// the earlier profile.
    fn build(items: Vec<P>, kind: Kind<P>) -> Self {
        let mut store = Store::new(kind);
        let id = kind.id;
        store.items = items.into_iter().map(Some).collect();
        store.by_id.reserve(store.items.len(), |_| 0);
        store.index.reserve(store.items.len());
        for slot in 0..store.items.len() {
            let Some(item) = &store.items[slot] else {
                continue;
            };
            let doc = store.index.insert(&(kind.terms)(item));
            debug_assert_eq!(doc as usize, slot);
            let key = id(item);
            let hash = hash_id(key);
            let items = &store.items;
            if let Ok(found) = store.by_id.find_entry(hash, |&d| {
                items[d as usize].as_ref().is_some_and(|p| id(p) == key)
            }) {
                let (earlier, _) = found.remove();
                store.drop_slot(earlier);
            }
            let items = &store.items;
            store.by_id.insert_unique(hash, doc, |&d| {
                items[d as usize].as_ref().map_or(0, |p| hash_id(id(p)))
            });
        }
        store
    }

    fn slot(&self, key: &str) -> Option<u32> {
        let items = &self.items;
        let id = self.kind.id;
        self.by_id
            .find(hash_id(key), |&d| {
                items[d as usize].as_ref().is_some_and(|p| id(p) == key)
            })
            .copied()
    }

    fn get(&self, key: &str) -> Option<&P> {
        self.items[self.slot(key)? as usize].as_ref()
    }

    /// Removes the profile in `slot` from the index and the slot table.
    fn drop_slot(&mut self, slot: u32) -> Option<P> {
        let item = self.items[slot as usize].take()?;
        self.index.remove(slot, &(self.kind.terms)(&item));
        Some(item)
    }

    fn insert(&mut self, item: P) {
        let key = (self.kind.id)(&item).to_owned();
        self.remove(&key);
        let doc = self.index.insert(&(self.kind.terms)(&item));
        debug_assert_eq!(doc as usize, self.items.len());
        self.items.push(Some(item));
        let items = &self.items;
        let id = self.kind.id;
        self.by_id.insert_unique(hash_id(&key), doc, |&d| {
            items[d as usize].as_ref().map_or(0, |p| hash_id(id(p)))
        });
    }

    fn remove(&mut self, key: &str) -> Option<P> {
        let items = &self.items;
        let id = self.kind.id;
        let entry = self
            .by_id
            .find_entry(hash_id(key), |&d| {
                items[d as usize].as_ref().is_some_and(|p| id(p) == key)
            })
            .ok()?;
        let (slot, _) = entry.remove();
        let item = self.drop_slot(slot);
        if self.index.wants_compaction() {
            self.compact();
        }
        item
    }

    /// Renumbers densely after many removals: the index drops dead
    /// postings and vectors, the slot table its empty slots, in the same
    /// order.
    fn compact(&mut self) {
        self.index.compact();
        self.items.retain(Option::is_some);
        let items = &self.items;
        let id = self.kind.id;
        self.by_id.clear();
        for (slot, item) in items.iter().enumerate() {
            if let Some(p) = item {
                self.by_id.insert_unique(hash_id(id(p)), slot as u32, |&d| {
                    items[d as usize].as_ref().map_or(0, |p| hash_id(id(p)))
                });
            }
        }
    }

    fn len(&self) -> usize {
        self.index.len()
    }

    fn retrieve(&self, query: &TermBag<'_>, n: usize) -> Vec<Hit> {
        self.index
            .top_k(query, n)
            .into_iter()
            .filter_map(|h| {
                let item = self.items[h.doc as usize].as_ref()?;
                Some(Hit {
                    key: (self.kind.id)(item).to_owned(),
                    score: h.score,
                })
            })
            .collect()
    }

    /// The document numbers to score fully: all of them (in slot order)
    /// when there are few, otherwise the BM25 shortlist, topped up with
    /// other profiles when fewer than the shortlist size share a term with
    /// the query.
    fn shortlist<'q>(&self, query: impl FnOnce() -> TermBag<'q>, k: usize) -> Vec<u32> {
        let n = shortlist_size(k);
        let live = || {
            self.items
                .iter()
                .enumerate()
                .filter(|(_, item)| item.is_some())
                .map(|(slot, _)| slot as u32)
        };
        if self.len() <= n {
            return live().collect();
        }
        let mut chosen: Vec<u32> = self
            .index
            .top_k(&query(), n)
            .iter()
            .map(|h| h.doc)
            .filter(|&d| self.items[d as usize].is_some())
            .collect();
        if chosen.len() < n {
            let taken: rustc_hash::FxHashSet<u32> = chosen.iter().copied().collect();
            let extra: Vec<u32> = live()
                .filter(|d| !taken.contains(d))
                .take(n - chosen.len())
                .collect();
            chosen.extend(extra);
        }
        chosen
    }

    /// The profile in slot `doc`, which must be live.
    fn at(&self, doc: u32) -> &P {
        self.items[doc as usize].as_ref().expect("a live slot")
    }
}

/// Open jobs, searchable by candidate.
pub struct JobIndex {
    store: Store<JobProfile>,
}

impl Default for JobIndex {
    fn default() -> Self {
        Self::new()
    }
}

impl JobIndex {
    /// An empty index.
    pub fn new() -> Self {
        JobIndex {
            store: Store::new(JOBS),
        }
    }

    /// Indexes `jobs`, keeping them without a copy; a repeated id keeps the
    /// last job.
    pub fn build(jobs: Vec<JobProfile>) -> Self {
        JobIndex {
            store: Store::build(jobs, JOBS),
        }
    }

    /// Adds a job, replacing the one with the same id if any.
    pub fn insert(&mut self, job: JobProfile) {
        self.store.insert(job);
    }

    /// Removes a job by id, returning it.
    pub fn remove(&mut self, id: &str) -> Option<JobProfile> {
        self.store.remove(id)
    }

    /// The job with this id.
    pub fn get(&self, id: &str) -> Option<&JobProfile> {
        self.store.get(id)
    }

    /// Number of jobs.
    pub fn len(&self) -> usize {
        self.store.len()
    }

    /// Whether there are no jobs.
    pub fn is_empty(&self) -> bool {
        self.store.len() == 0
    }

    /// The retrieval stage alone: the `n` jobs with the highest BM25 score
    /// for the candidate's text and skills, best first.
    pub fn retrieve(&self, candidate: &CandidateProfile, n: usize) -> Vec<Hit> {
        self.store.retrieve(&candidate_query(candidate, None), n)
    }

    /// The `k` best jobs for a candidate by the full score, best first;
    /// equal scores keep retrieval order.
    pub fn rank(
        &self,
        candidate: &CandidateProfile,
        weights: &MatchWeights,
        k: usize,
    ) -> Vec<(&JobProfile, MatchResult)> {
        let store = &self.store;
        let parts = CandidateParts::of(candidate);
        let query = store.index.text_query(&[&candidate.text]);
        let docs = store.shortlist(|| candidate_query(candidate, Some(&query)), k);
        let job_parts: Vec<JobParts<'_>> =
            docs.iter().map(|&d| JobParts::of(store.at(d))).collect();
        let values = docs.iter().zip(&job_parts).map(|(&doc, job_parts)| {
            let cosine = store.index.text_cosine(&query, doc);
            score_value(candidate, &parts, store.at(doc), job_parts, cosine, weights)
        });
        best(values, k)
            .into_iter()
            .map(|i| {
                let (doc, job) = (docs[i], store.at(docs[i]));
                let (cosine, shared) = store.index.text_cosine_explained(&query, doc);
                let fit = TextFit {
                    cosine,
                    shared,
                    compared: !query.is_empty() && store.index.has_text(doc),
                };
                let result = score_parts(candidate, &parts, job, &job_parts[i], fit, weights);
                (job, result)
            })
            .collect()
    }
}

/// Candidates, searchable by job.
pub struct CandidateIndex {
    store: Store<CandidateProfile>,
}

impl Default for CandidateIndex {
    fn default() -> Self {
        Self::new()
    }
}

impl CandidateIndex {
    /// An empty index.
    pub fn new() -> Self {
        CandidateIndex {
            store: Store::new(CANDIDATES),
        }
    }

    /// Indexes `candidates`, keeping them without a copy; a repeated id
    /// keeps the last candidate.
    pub fn build(candidates: Vec<CandidateProfile>) -> Self {
        CandidateIndex {
            store: Store::build(candidates, CANDIDATES),
        }
    }

    /// Adds a candidate, replacing the one with the same id if any.
    pub fn insert(&mut self, candidate: CandidateProfile) {
        self.store.insert(candidate);
    }

    /// Removes a candidate by id, returning it.
    pub fn remove(&mut self, id: &str) -> Option<CandidateProfile> {
        self.store.remove(id)
    }

    /// The candidate with this id.
    pub fn get(&self, id: &str) -> Option<&CandidateProfile> {
        self.store.get(id)
    }

    /// Every candidate, in no particular order, without a copy.
    pub fn profiles(&self) -> impl Iterator<Item = &CandidateProfile> {
        self.store.items.iter().flatten()
    }

    /// Number of candidates.
    pub fn len(&self) -> usize {
        self.store.len()
    }

    /// Whether there are no candidates.
    pub fn is_empty(&self) -> bool {
        self.store.len() == 0
    }

    /// The retrieval stage alone: the `n` candidates with the highest BM25
    /// score for the job's text and skills, best first.
    pub fn retrieve(&self, job: &JobProfile, n: usize) -> Vec<Hit> {
        self.store.retrieve(&job_terms(job), n)
    }

    /// The `k` best candidates for a job by the full score, best first;
    /// equal scores keep retrieval order.
    pub fn rank(
        &self,
        job: &JobProfile,
        weights: &MatchWeights,
        k: usize,
    ) -> Vec<(&CandidateProfile, MatchResult)> {
        let store = &self.store;
        let parts = JobParts::of(job);
        let query = store.index.text_query(&job_texts(job));
        let docs = store.shortlist(|| job_terms(job), k);
        let candidate_parts: Vec<CandidateParts<'_>> = docs
            .iter()
            .map(|&d| CandidateParts::of(store.at(d)))
            .collect();
        let values = docs
            .iter()
            .zip(&candidate_parts)
            .map(|(&doc, candidate_parts)| {
                let cosine = store.index.text_cosine(&query, doc);
                score_value(store.at(doc), candidate_parts, job, &parts, cosine, weights)
            });
        best(values, k)
            .into_iter()
            .map(|i| {
                let (doc, candidate) = (docs[i], store.at(docs[i]));
                let (cosine, shared) = store.index.text_cosine_explained(&query, doc);
                let fit = TextFit {
                    cosine,
                    shared,
                    compared: store.index.has_text(doc) && !query.is_empty(),
                };
                let result = score_parts(candidate, &candidate_parts[i], job, &parts, fit, weights);
                (candidate, result)
            })
            .collect()
    }
}

/// Positions of the `k` highest scores, best first; equal scores keep
/// shortlist order. Only these get their explanation.
fn best(scores: impl Iterator<Item = f32>, k: usize) -> Vec<usize> {
    let mut all: Vec<(usize, f32)> = scores.enumerate().collect();
    // Positions break ties, so the order is total and the best k are the
    // same whether selected or found by sorting everything.
    let order = |a: &(usize, f32), b: &(usize, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
    if k == 0 {
        return Vec::new();
    }
    if all.len() > k {
        all.select_nth_unstable_by(k - 1, order);
        all.truncate(k);
    }
    all.sort_unstable_by(order);
    all.into_iter().map(|(i, _)| i).collect()
}

/// A scored document: its id and BM25 score.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// Id of the job or candidate.
    pub key: String,
    /// BM25 score against the query, ≥ 0.
    pub score: f32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matching::{candidate_text, job_text};
    use crate::profile::{RemotePolicy, Seniority};
    use crate::skills::SkillMention;

    fn job(id: &str, title: &str, description: &str, required: &[&str]) -> JobProfile {
        JobProfile {
            id: id.into(),
            title: title.into(),
            description: description.into(),
            required_skills: required.iter().map(|s| (*s).to_owned()).collect(),
            nice_to_have_skills: Vec::new(),
            seniority: Some(Seniority::Mid),
            min_years: 2.0,
            location: None,
            remote: RemotePolicy::Remote,
            salary_min: None,
            salary_max: None,
        }
    }

    fn candidate(id: &str, text: &str, skills: &[&str]) -> CandidateProfile {
        CandidateProfile {
            id: id.into(),
            skills: skills
                .iter()
                .map(|s| SkillMention {
                    name: (*s).to_owned(),
                    years: None,
                })
                .collect(),
            years_experience: 4.0,
            seniority: Seniority::Mid,
            location: Some("Berlin, Germany".into()),
            salary_expectation: None,
            text: text.into(),
        }
    }

    /// Filler jobs about other trades, so that the index is larger than a
    /// shortlist and retrieval has to choose.
    fn filler(n: usize) -> impl Iterator<Item = JobProfile> {
        let trades = [
            (
                "Pastry Chef",
                "Bake bread, pastries and cakes in a hotel kitchen.",
            ),
            (
                "Forklift Driver",
                "Move pallets in a warehouse, load trucks.",
            ),
            (
                "Nurse",
                "Care for patients on a hospital ward, give medication.",
            ),
            (
                "Carpenter",
                "Build wooden frames, stairs and furniture on site.",
            ),
        ];
        (0..n).map(move |i| {
            let (title, description) = trades[i % trades.len()];
            job(&format!("filler{i}"), title, description, &[])
        })
    }

    #[test]
    fn ranks_the_fitting_job_first_among_many() {
        let mut index = JobIndex::build(filler(400).collect());
        index.insert(job(
            "backend",
            "Backend Engineer",
            "Build Python services on PostgreSQL, deployed to Kubernetes.",
            &["Python", "PostgreSQL"],
        ));
        index.insert(job(
            "frontend",
            "Frontend Engineer",
            "React and TypeScript user interfaces.",
            &["React", "TypeScript"],
        ));
        let ana = candidate(
            "ana",
            "Backend engineer: Python APIs on Postgres, Kubernetes operations.",
            &["Python", "PostgreSQL", "Kubernetes"],
        );
        assert!(index.len() > shortlist_size(3));
        let hits = index.retrieve(&ana, 5);
        assert_eq!(hits[0].key, "backend");
        let ranked = index.rank(&ana, &MatchWeights::default(), 3);
        assert_eq!(ranked.len(), 3);
        assert_eq!(ranked[0].0.id, "backend");
        assert!(ranked[0].1.missing_required_skills.is_empty());
        assert!(ranked[0].1.score > ranked[1].1.score);
        // The full score is the same as scoring the pair directly.
        let direct = super::super::score(
            &ana,
            index.get("backend").unwrap(),
            &MatchWeights::default(),
        );
        assert_eq!(ranked[0].1.score, direct.score);
        assert_eq!(ranked[0].1.explanation, direct.explanation);
    }

    /// Varied jobs and candidates: every factor takes several values.
    /// `n` words of a pool whose IDFs differ, picked by `i` and `step`: long
    /// texts share many tokens, so that summing their products in another
    /// order would show in the last bits of the cosine.
    fn words(i: usize, step: usize, n: usize) -> String {
        let pool = [
            "python",
            "services",
            "postgresql",
            "kubernetes",
            "software",
            "manage",
            "patients",
            "bread",
            "warehouse",
            "design",
            "customer",
            "budget",
            "safety",
            "reports",
            "teams",
            "engineering",
            "analysis",
            "cloud",
            "quality",
            "training",
            "schedule",
            "inventory",
            "research",
            "compliance",
            "marketing",
            "sales",
            "legal",
            "medical",
            "welding",
            "accounting",
            "statistics",
            "logistics",
        ];
        (0..n)
            .map(|j| pool[(i * step + j * j * 3 + j) % pool.len()])
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn varied(n: usize) -> (Vec<JobProfile>, Vec<CandidateProfile>) {
        let texts = [
            (
                "Backend Engineer",
                "Python services on PostgreSQL; Kubernetes, AWS, Redis caching.",
            ),
            (
                "Data Engineer",
                "Spark and SQL pipelines, Airflow, Python, data quality.",
            ),
            (
                "Frontend Developer",
                "React, TypeScript and CSS user interfaces; accessibility.",
            ),
            (
                "Pastry Chef",
                "Bake bread, pastries and cakes in a hotel kitchen.",
            ),
            (
                "Nurse",
                "Care for patients on a hospital ward, give medication.",
            ),
            ("", ""),
        ];
        let skills = [
            "Python",
            "PostgreSQL",
            "SQL",
            "React",
            "Redux",
            "Kubernetes",
            "AWS",
            "Baking",
        ];
        let places = [
            Some("Berlin, Germany"),
            Some("Munich, DE"),
            Some("Austin, TX"),
            None,
            Some(""),
        ];
        let levels = [Seniority::Junior, Seniority::Mid, Seniority::Senior];
        let policies = [
            RemotePolicy::Onsite,
            RemotePolicy::Hybrid,
            RemotePolicy::Remote,
        ];
        let pick = |i: usize, m: usize| -> Vec<String> {
            (0..i % 4)
                .map(|j| skills[(i * 3 + j * m) % skills.len()].to_owned())
                .collect()
        };
        let jobs = (0..n)
            .map(|i| {
                let (title, description) = texts[i % texts.len()];
                JobProfile {
                    id: format!("j{i}"),
                    title: title.into(),
                    description: format!("{description} {}", words(i, 7, 30)),
                    required_skills: pick(i, 5),
                    nice_to_have_skills: pick(i + 1, 3),
                    seniority: (i % 4 != 0).then(|| levels[i % 3]),
                    min_years: (i % 5) as f32 * 1.5,
                    location: places[i % places.len()].map(str::to_owned),
                    remote: policies[i % 3],
                    salary_min: (i % 3 != 0).then_some(50_000 + 1_000 * (i as u32 % 40)),
                    salary_max: (i % 2 == 0).then_some(80_000 + 1_000 * (i as u32 % 30)),
                }
            })
            .collect();
        let candidates = (0..n)
            .map(|i| {
                let (title, description) = texts[(i * 5 + 1) % texts.len()];
                CandidateProfile {
                    id: format!("c{i}"),
                    skills: pick(i + 2, 7)
                        .into_iter()
                        .map(|name| SkillMention { name, years: None })
                        .collect(),
                    years_experience: (i % 9) as f32 * 0.7,
                    seniority: levels[(i / 3) % 3],
                    location: places[(i / 2) % places.len()].map(str::to_owned),
                    salary_expectation: (i % 4 != 0).then_some(60_000 + 2_500 * (i as u32 % 20)),
                    text: format!("{title}. {description} {}", words(i, 11, 40)),
                }
            })
            .collect();
        (jobs, candidates)
    }

    /// Same score, breakdown, skills and sentences, to the bit.
    fn same(a: &MatchResult, b: &MatchResult) {
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        assert_eq!(a.score.to_bits(), b.score.to_bits());
    }

    #[test]
    fn cached_parts_score_every_pair_exactly_like_score() {
        let (jobs, candidates) = varied(1_200);
        let w = MatchWeights::default();
        let mut job_index = JobIndex::build(jobs.clone());
        let mut candidate_index = CandidateIndex::build(candidates.clone());
        let check = |job_index: &JobIndex, candidate_index: &CandidateIndex| {
            // A k this large puts every document on the shortlist.
            for c in candidates.iter().step_by(60) {
                let ranked = job_index.rank(c, &w, job_index.len());
                assert_eq!(ranked.len(), job_index.len());
                for (job, result) in ranked {
                    same(&result, &super::super::score(c, job, &w));
                }
                // The cosine and score the shortlist is ranked by.
                let text = candidate_text(c);
                let index = &job_index.store.index;
                let query = index.text_query(&[&c.text]);
                let parts = CandidateParts::of(c);
                for (doc, job) in job_index.store.items.iter().enumerate() {
                    let Some(job) = job else { continue };
                    let cosine = index.text_cosine(&query, doc as u32);
                    let plain = text.cosine(&job_text(job));
                    assert_eq!(cosine.to_bits(), plain.0.to_bits());
                    assert_eq!(
                        index.text_cosine_explained(&query, doc as u32),
                        (cosine, plain.1)
                    );
                    let value = score_value(c, &parts, job, &JobParts::of(job), cosine, &w);
                    assert_eq!(
                        value.to_bits(),
                        super::super::score(c, job, &w).score.to_bits()
                    );
                }
                // Through a shortlist: the best k, each scored as alone.
                let top = job_index.rank(c, &w, 10);
                assert!(top.windows(2).all(|p| p[0].1.score >= p[1].1.score));
                for (job, result) in top {
                    same(&result, &super::super::score(c, job, &w));
                }
            }
            for j in jobs.iter().step_by(60) {
                let ranked = candidate_index.rank(j, &w, candidate_index.len());
                assert_eq!(ranked.len(), candidate_index.len());
                for (c, result) in ranked {
                    same(&result, &super::super::score(c, j, &w));
                }
            }
        };
        check(&job_index, &candidate_index);
        // Removals compact the indexes, which rebuild their token tables.
        for i in 0..1_100 {
            assert!(job_index.remove(&format!("j{i}")).is_some());
            assert!(candidate_index.remove(&format!("c{i}")).is_some());
        }
        assert!(job_index.store.items.len() < 1_200, "compacted");
        assert!(candidate_index.store.items.len() < 1_200, "compacted");
        check(&job_index, &candidate_index);
    }

    #[test]
    fn small_collections_are_ranked_exactly_like_a_scan() {
        let jobs: Vec<JobProfile> = filler(30)
            .chain([job("py", "Python developer", "Python and SQL", &["Python"])])
            .collect();
        let index = JobIndex::build(jobs.clone());
        let ana = candidate("ana", "Python, SQL", &["Python"]);
        let w = MatchWeights::default();
        let ours: Vec<(String, f32)> = index
            .rank(&ana, &w, 10)
            .into_iter()
            .map(|(j, r)| (j.id.clone(), r.score))
            .collect();
        let scan: Vec<(String, f32)> = super::super::rank_jobs(&ana, &jobs, &w, 10)
            .into_iter()
            .map(|(i, r)| (jobs[i].id.clone(), r.score))
            .collect();
        assert_eq!(ours, scan);
    }

    #[test]
    fn candidates_follow_inserts_updates_and_removals() {
        let mut index = CandidateIndex::new();
        for i in 0..300 {
            index.insert(candidate(
                &format!("cook{i}"),
                "Line cook, grill and sauces.",
                &[],
            ));
        }
        index.insert(candidate("ana", "Rust systems programmer", &["Rust"]));
        let rust_job = job(
            "j",
            "Rust Engineer",
            "Systems programming in Rust",
            &["Rust"],
        );
        let top = index.rank(&rust_job, &MatchWeights::default(), 1);
        assert_eq!(top[0].0.id, "ana");

        // An update replaces the document: Ana now writes about cooking.
        index.insert(candidate("ana", "Pastry cook", &[]));
        index.insert(candidate(
            "bo",
            "Rust and C++ systems engineer",
            &["Rust", "C++"],
        ));
        assert_eq!(index.len(), 302);
        let top = index.rank(&rust_job, &MatchWeights::default(), 1);
        assert_eq!(top[0].0.id, "bo");
        assert!(index.retrieve(&rust_job, 5).iter().all(|h| h.key != "ana"));

        assert!(index.remove("bo").is_some());
        assert!(index.remove("bo").is_none());
        assert!(index.retrieve(&rust_job, 5).iter().all(|h| h.key != "bo"));
        assert_eq!(index.len(), 301);
    }

    #[test]
    fn repeated_ids_keep_the_last_and_mass_removal_compacts() {
        let mut jobs: Vec<JobProfile> = filler(3_000).collect();
        jobs.push(job("filler7", "Rust Engineer", "Rust services", &["Rust"]));
        let mut index = JobIndex::build(jobs);
        assert_eq!(index.len(), 3_000);
        assert_eq!(index.get("filler7").unwrap().title, "Rust Engineer");
        let rustacean = candidate("c", "Rust services", &["Rust"]);
        assert_eq!(index.retrieve(&rustacean, 1)[0].key, "filler7");

        // Removing most jobs triggers a compaction; lookups, retrieval and
        // further updates still work on the renumbered slots.
        for i in (0..3_000).filter(|i| i % 10 != 7) {
            assert!(index.remove(&format!("filler{i}")).is_some(), "{i}");
        }
        assert_eq!(index.len(), 300);
        assert!(index.store.items.len() < 3_000, "compacted");
        assert_eq!(index.get("filler17").unwrap().title, "Forklift Driver");
        assert_eq!(index.retrieve(&rustacean, 1)[0].key, "filler7");
        index.insert(job(
            "filler17",
            "Rust Lead",
            "Rust services and teams",
            &["Rust"],
        ));
        let top: Vec<String> = index
            .retrieve(&rustacean, 2)
            .into_iter()
            .map(|h| h.key)
            .collect();
        assert_eq!(top.len(), 2);
        assert!(top.contains(&"filler7".to_owned()) && top.contains(&"filler17".to_owned()));
        assert!(index.get("filler3").is_none());
    }

    #[test]
    fn jobs_without_skills_are_not_buried_under_skill_mismatches() {
        // 200 warehouse jobs requiring a skill the candidate lacks, and one
        // that lists none: the full score gives the latter 100 on skills,
        // so retrieval must shortlist it.
        let mut jobs: Vec<JobProfile> = (0..200)
            .map(|i| {
                job(
                    &format!("w{i}"),
                    "Warehouse Operative",
                    "Pick and pack orders in the warehouse",
                    &["Python"],
                )
            })
            .collect();
        jobs.push(job(
            "open",
            "Warehouse Operative",
            "Pick and pack orders in the warehouse",
            &[],
        ));
        let index = JobIndex::build(jobs);
        let picker = candidate("p", "Picked and packed orders in a warehouse", &[]);
        assert_eq!(index.retrieve(&picker, 1)[0].key, "open");
        let ranked = index.rank(&picker, &MatchWeights::default(), 1);
        assert_eq!(ranked[0].0.id, "open");
    }
}
