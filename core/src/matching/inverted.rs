//! An in-memory inverted index with BM25 scoring and MaxScore top-k
//! retrieval.
//!
//! Documents are bags of terms: the text's tokens (the tokeniser of
//! `crate::text`, so matching and retrieval agree on what a word is) plus
//! one pseudo-term per skill. Internal document numbers only grow, so every
//! posting list stays sorted by document without re-sorting: an update is a
//! removal plus an insert at the end, and a removal only marks the slot
//! dead. Dead postings are skipped while searching and dropped by a
//! compaction once they outnumber the live ones, which keeps removal O(terms
//! of the document) instead of O(postings).
//!
//! Document frequencies, the collection size and the average length always
//! describe the live documents, so scores do not drift with deletions.
//! Per-term score upper bounds use the largest term frequency and the
//! shortest document ever posted to the term; deletions can only make them
//! looser, never wrong, and compaction tightens them again.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use rustc_hash::FxHashMap;

use crate::text::token_slices;

/// Prefix of the pseudo-terms that stand for skills; the tokeniser never
/// produces a control character, so they cannot collide with words.
const SKILL_PREFIX: char = '\u{1}';

/// BM25 term-frequency saturation.
const K1: f32 = 1.2;
/// BM25 length normalisation.
const B: f32 = 0.75;

/// Query weight of a skill relative to a word: the full score gives skill
/// coverage the largest weight, so retrieval must not let a long resume's
/// words drown the few skills that decide the match.
const SKILL_QUERY_BOOST: f32 = 3.0;

/// How much one query term counts, before IDF. Words are sublinear in
/// their count (a word repeated in a long resume is evidence, but not
/// proportionally more); skills count by their weight, boosted.
fn query_weight(term: &str, qtf: f32) -> f32 {
    if term.starts_with(SKILL_PREFIX) {
        SKILL_QUERY_BOOST * qtf
    } else {
        1.0 + qtf.ln().max(0.0)
    }
}

/// The pseudo-term under which a skill key is posted.
pub(crate) fn skill_term(key: &str) -> String {
    format!("{SKILL_PREFIX}{key}")
}

/// One weighted term of a document or a query, before it is interned.
pub(crate) struct TermBag {
    counts: FxHashMap<String, f32>,
}

impl TermBag {
    pub(crate) fn new() -> Self {
        TermBag {
            counts: FxHashMap::default(),
        }
    }

    /// Adds every token of `text` once per occurrence.
    pub(crate) fn add_text(&mut self, text: &str) {
        let lower = text.to_ascii_lowercase();
        for token in token_slices(&lower) {
            *self.counts.entry(token.to_owned()).or_default() += 1.0;
        }
    }

    /// Adds `weight` to the pseudo-term of a skill key.
    pub(crate) fn add_skill(&mut self, key: &str, weight: f32) {
        *self.counts.entry(skill_term(key)).or_default() += weight;
    }
}

struct Postings {
    docs: Vec<u32>,
    /// Term frequency of each posting (skill weights may be fractional).
    tfs: Vec<f32>,
    /// Live documents containing the term.
    df: u32,
    /// Largest term frequency ever posted (an upper bound after deletions).
    max_tf: f32,
    /// Shortest document ever posted (a lower bound after deletions).
    min_len: f32,
}

struct Doc {
    key: Box<str>,
    len: f32,
    live: bool,
    /// Distinct terms, so that removal can update document frequencies.
    terms: Box<[u32]>,
}

/// A scored document: its key and BM25 score.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// The key the document was inserted under.
    pub key: String,
    /// BM25 score against the query, ≥ 0.
    pub score: f32,
}

/// Inverted index over keyed documents.
#[derive(Default)]
pub(crate) struct InvertedIndex {
    term_ids: FxHashMap<Box<str>, u32>,
    postings: Vec<Postings>,
    docs: Vec<Doc>,
    by_key: FxHashMap<Box<str>, u32>,
    live: u32,
    live_len: f64,
}

/// Heap entry ordered so that `BinaryHeap` (a max-heap) keeps the worst
/// of the current top-k on top; ties prefer the earlier document.
#[derive(PartialEq)]
struct Ranked {
    score: f32,
    doc: u32,
}

impl Eq for Ranked {}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .score
            .total_cmp(&self.score)
            .then(self.doc.cmp(&other.doc))
    }
}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A query term resolved against the index.
struct QueryTerm<'a> {
    postings: &'a Postings,
    /// Query weight × IDF: the score of a posting is this times the
    /// saturated term frequency.
    weight: f32,
    /// Largest score any posting of the term can contribute.
    upper: f32,
    cursor: usize,
}

impl InvertedIndex {
    pub(crate) fn len(&self) -> usize {
        self.live as usize
    }

    /// Adds a document, replacing any earlier one with the same key.
    pub(crate) fn insert(&mut self, key: &str, bag: TermBag) {
        self.remove(key);
        let doc = u32::try_from(self.docs.len()).expect("fewer than 2^32 documents");
        let len: f32 = bag.counts.values().sum();
        let mut terms = Vec::with_capacity(bag.counts.len());
        for (term, tf) in bag.counts {
            if tf <= 0.0 {
                continue;
            }
            let next = self.postings.len() as u32;
            let id = *self.term_ids.entry(term.into_boxed_str()).or_insert(next);
            if id == next {
                self.postings.push(Postings {
                    docs: Vec::new(),
                    tfs: Vec::new(),
                    df: 0,
                    max_tf: 0.0,
                    min_len: f32::INFINITY,
                });
            }
            let p = &mut self.postings[id as usize];
            p.docs.push(doc);
            p.tfs.push(tf);
            p.df += 1;
            p.max_tf = p.max_tf.max(tf);
            p.min_len = p.min_len.min(len);
            terms.push(id);
        }
        self.docs.push(Doc {
            key: Box::from(key),
            len,
            live: true,
            terms: terms.into_boxed_slice(),
        });
        self.by_key.insert(Box::from(key), doc);
        self.live += 1;
        self.live_len += f64::from(len);
    }

    /// Removes a document; false if there was none under `key`.
    pub(crate) fn remove(&mut self, key: &str) -> bool {
        let Some(doc) = self.by_key.remove(key) else {
            return false;
        };
        let d = &mut self.docs[doc as usize];
        d.live = false;
        for &t in d.terms.iter() {
            self.postings[t as usize].df -= 1;
        }
        self.live -= 1;
        self.live_len -= f64::from(d.len);
        let dead = self.docs.len() - self.live as usize;
        if dead > 1024 && dead > self.live as usize {
            self.compact();
        }
        true
    }

    /// Drops dead postings and renumbers documents densely.
    fn compact(&mut self) {
        let mut renumber = vec![u32::MAX; self.docs.len()];
        let mut docs = Vec::with_capacity(self.live as usize);
        for (old, d) in std::mem::take(&mut self.docs).into_iter().enumerate() {
            if d.live {
                renumber[old] = docs.len() as u32;
                docs.push(d);
            }
        }
        for p in &mut self.postings {
            let mut w = 0;
            p.max_tf = 0.0;
            p.min_len = f32::INFINITY;
            for r in 0..p.docs.len() {
                let new = renumber[p.docs[r] as usize];
                if new != u32::MAX {
                    p.docs[w] = new;
                    p.tfs[w] = p.tfs[r];
                    p.max_tf = p.max_tf.max(p.tfs[r]);
                    p.min_len = p.min_len.min(docs[new as usize].len);
                    w += 1;
                }
            }
            p.docs.truncate(w);
            p.tfs.truncate(w);
            p.docs.shrink_to_fit();
            p.tfs.shrink_to_fit();
        }
        for (new, d) in docs.iter().enumerate() {
            self.by_key.insert(d.key.clone(), new as u32);
        }
        self.docs = docs;
    }

    /// Keys of all live documents, in insertion order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &str> {
        self.docs.iter().filter(|d| d.live).map(|d| &*d.key)
    }

    fn idf(&self, df: u32) -> f32 {
        let n = self.live as f32;
        let df = df as f32;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    /// The `k` highest-scoring documents under BM25, best first (ties by
    /// insertion order), with MaxScore early termination: query terms are
    /// ordered by their score upper bound, and once the current k-th best
    /// score exceeds the sum of the smallest bounds, documents that contain
    /// only those terms are never visited; they are looked up by binary
    /// search only for documents that can still enter the top k. The result
    /// equals that of scoring every document.
    pub(crate) fn top_k(&self, query: &TermBag, k: usize) -> Vec<Hit> {
        if k == 0 || self.live == 0 {
            return Vec::new();
        }
        let avg_len = (self.live_len / f64::from(self.live)).max(1e-6) as f32;
        let mut terms: Vec<QueryTerm<'_>> = query
            .counts
            .iter()
            .filter_map(|(term, &qtf)| {
                let id = *self.term_ids.get(term.as_str())?;
                let postings = &self.postings[id as usize];
                if postings.df == 0 || qtf <= 0.0 {
                    return None;
                }
                let weight = query_weight(term, qtf) * self.idf(postings.df);
                let norm = K1 * (1.0 - B + B * postings.min_len / avg_len);
                let upper = weight * postings.max_tf * (K1 + 1.0) / (postings.max_tf + norm);
                Some(QueryTerm {
                    postings,
                    weight,
                    upper,
                    cursor: 0,
                })
            })
            .collect();
        terms.sort_by(|a, b| a.upper.total_cmp(&b.upper));
        // bound_below[i]: the most that terms 0..i together can add.
        let mut bound_below = Vec::with_capacity(terms.len() + 1);
        bound_below.push(0.0f32);
        for t in &terms {
            bound_below.push(bound_below.last().copied().unwrap_or(0.0) + t.upper);
        }

        let norms = |doc: u32| K1 * (1.0 - B + B * self.docs[doc as usize].len / avg_len);
        let mut heap: BinaryHeap<Ranked> = BinaryHeap::with_capacity(k + 1);
        let mut threshold = 0.0f32;
        // Terms before `essential` cannot lift a document into the top k on
        // their own.
        let mut essential = 0;
        loop {
            while essential < terms.len() && bound_below[essential + 1] <= threshold {
                essential += 1;
            }
            if essential == terms.len() {
                break;
            }
            let mut next = u32::MAX;
            for t in &terms[essential..] {
                if let Some(&d) = t.postings.docs.get(t.cursor) {
                    next = next.min(d);
                }
            }
            if next == u32::MAX {
                break;
            }
            let norm = norms(next);
            let mut score = 0.0f32;
            for t in &mut terms[essential..] {
                if t.postings.docs.get(t.cursor) == Some(&next) {
                    let tf = t.postings.tfs[t.cursor];
                    score += t.weight * tf * (K1 + 1.0) / (tf + norm);
                    t.cursor += 1;
                }
            }
            if !self.docs[next as usize].live {
                continue;
            }
            // Non-essential terms, strongest first, while they can still
            // make a difference.
            for i in (0..essential).rev() {
                if score + bound_below[i + 1] <= threshold {
                    break;
                }
                let t = &mut terms[i];
                let rest = &t.postings.docs[t.cursor..];
                let offset = rest.partition_point(|&d| d < next);
                t.cursor += offset;
                if t.postings.docs.get(t.cursor) == Some(&next) {
                    let tf = t.postings.tfs[t.cursor];
                    score += t.weight * tf * (K1 + 1.0) / (tf + norm);
                }
            }
            if heap.len() < k {
                heap.push(Ranked { score, doc: next });
                if heap.len() == k {
                    threshold = heap.peek().map_or(0.0, |r| r.score);
                }
            } else if score > threshold {
                heap.pop();
                heap.push(Ranked { score, doc: next });
                threshold = heap.peek().map_or(0.0, |r| r.score);
            }
        }
        let mut hits: Vec<Ranked> = heap.into_vec();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.doc.cmp(&b.doc)));
        hits.into_iter()
            .map(|r| Hit {
                key: self.docs[r.doc as usize].key.to_string(),
                score: r.score,
            })
            .collect()
    }

    /// BM25 of every live document, for tests that check `top_k` against
    /// exhaustive scoring.
    #[cfg(test)]
    pub(crate) fn score_all(&self, query: &TermBag) -> Vec<Hit> {
        let avg_len = (self.live_len / f64::from(self.live)).max(1e-6) as f32;
        let mut scores = vec![0.0f32; self.docs.len()];
        for (term, &qtf) in &query.counts {
            let Some(&id) = self.term_ids.get(term.as_str()) else {
                continue;
            };
            let p = &self.postings[id as usize];
            if p.df == 0 {
                continue;
            }
            let weight = query_weight(term, qtf) * self.idf(p.df);
            for (&d, &tf) in p.docs.iter().zip(&p.tfs) {
                let norm = K1 * (1.0 - B + B * self.docs[d as usize].len / avg_len);
                scores[d as usize] += weight * tf * (K1 + 1.0) / (tf + norm);
            }
        }
        let mut hits: Vec<(u32, f32)> = scores
            .into_iter()
            .enumerate()
            .filter(|&(d, s)| self.docs[d].live && s > 0.0)
            .map(|(d, s)| (d as u32, s))
            .collect();
        hits.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        hits.into_iter()
            .map(|(d, score)| Hit {
                key: self.docs[d as usize].key.to_string(),
                score,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bag(text: &str) -> TermBag {
        let mut b = TermBag::new();
        b.add_text(text);
        b
    }

    /// Deterministic pseudo-random documents over a small vocabulary with a
    /// skewed (Zipf-like) word distribution, so that some terms are common
    /// and MaxScore has something to skip.
    fn corpus(n: usize) -> Vec<String> {
        let words: Vec<String> = (0..300).map(|i| format!("w{i}")).collect();
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        (0..n)
            .map(|_| {
                let len = 5 + (next() % 40) as usize;
                (0..len)
                    .map(|_| {
                        let r = (next() % 10_000) as f64 / 10_000.0;
                        let i = ((r * r * r) * words.len() as f64) as usize;
                        words[i.min(words.len() - 1)].as_str()
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    fn same_ranking(fast: &[Hit], exact: &[Hit]) {
        assert_eq!(fast.len(), exact.len());
        for (f, e) in fast.iter().zip(exact) {
            // Summation order differs, so scores may differ in the last bits;
            // documents may then swap only when their scores tie.
            assert!((f.score - e.score).abs() < 1e-4, "{f:?} vs {e:?}");
        }
        for (i, f) in fast.iter().enumerate() {
            if f.key != exact[i].key {
                assert!((f.score - exact[i].score).abs() < 1e-4);
            }
        }
    }

    #[test]
    fn maxscore_top_k_equals_exhaustive_scoring() {
        let docs = corpus(3_000);
        let mut index = InvertedIndex::default();
        for (i, d) in docs.iter().enumerate() {
            index.insert(&format!("d{i}"), bag(d));
        }
        for (q, query) in ["w1 w2 w250", "w0 w0 w0 w1 w17 w100 w299", "w5", &docs[42]]
            .iter()
            .enumerate()
        {
            for k in [1, 10, 50] {
                let fast = index.top_k(&bag(query), k);
                let mut exact = index.score_all(&bag(query));
                exact.truncate(k);
                same_ranking(&fast, &exact);
                assert!(!fast.is_empty(), "query {q}");
            }
        }
    }

    #[test]
    fn removal_updates_and_compaction_keep_results_exact() {
        let docs = corpus(5_000);
        let mut index = InvertedIndex::default();
        for (i, d) in docs.iter().enumerate() {
            index.insert(&format!("d{i}"), bag(d));
        }
        // Remove most documents (forcing a compaction), replace some.
        for i in (0..5_000).filter(|i| i % 5 != 0) {
            assert!(index.remove(&format!("d{i}")));
        }
        assert!(!index.remove("d1"));
        index.insert("d0", bag("w299 w298 unique"));
        assert_eq!(index.len(), 1_000);
        assert!(index.docs.len() < 5_000, "compaction ran");
        let top = index.top_k(&bag("unique"), 5);
        assert_eq!(top.len(), 1);
        assert_eq!(top[0].key, "d0");
        for query in ["w1 w2 w250", &docs[10]] {
            let fast = index.top_k(&bag(query), 10);
            let mut exact = index.score_all(&bag(query));
            exact.truncate(10);
            same_ranking(&fast, &exact);
            assert!(fast.iter().all(|h| {
                let n: usize = h.key[1..].parse().unwrap();
                n % 5 == 0
            }));
        }
    }

    #[test]
    fn skill_terms_do_not_collide_with_words() {
        let mut index = InvertedIndex::default();
        let mut with_skill = TermBag::new();
        with_skill.add_skill("python", 1.0);
        index.insert("skill", with_skill);
        index.insert("word", bag("python"));
        let mut q = TermBag::new();
        q.add_skill("python", 1.0);
        let hits = index.top_k(&q, 10);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].key, "skill");
        assert_eq!(index.top_k(&bag("python"), 10)[0].key, "word");
    }
}
