//! Tokens and TF-IDF vectors for text similarity.
//!
//! Inverse document frequencies come from a fixed background corpus (every
//! ESCO skill text, `core/data/idf.tsv`) rather than from the candidates and
//! jobs in the database, so the similarity of one resume to one job never
//! depends on which other documents happen to exist. The tokeniser must stay
//! identical to `TOKEN` in `core/data/build_skills.py`.

use std::sync::LazyLock;

use rustc_hash::{FxHashMap, FxHashSet};

const IDF_TSV: &str = include_str!("../data/idf.tsv");

/// Very common English words that carry no evidence of fit.
const STOPWORDS: &[&str] = &[
    "a", "about", "after", "all", "also", "an", "and", "any", "are", "as", "at", "be", "been",
    "but", "by", "can", "do", "for", "from", "has", "have", "he", "her", "his", "i", "if", "in",
    "into", "is", "it", "its", "me", "more", "my", "not", "of", "on", "or", "our", "over", "she",
    "so", "such", "than", "that", "the", "their", "them", "then", "there", "these", "they", "this",
    "to", "up", "us", "was", "we", "were", "what", "when", "which", "while", "who", "will", "with",
    "within", "you", "your",
];

struct BackgroundIdf {
    docs: f32,
    df: FxHashMap<Box<str>, u32>,
    stopwords: FxHashSet<&'static str>,
}

static IDF: LazyLock<BackgroundIdf> = LazyLock::new(|| {
    let mut lines = IDF_TSV.lines();
    let docs = lines
        .next()
        .and_then(|header| header.strip_prefix("#docs\t"))
        .and_then(|n| n.trim().parse::<f32>().ok())
        .unwrap_or(1.0);
    let df = lines
        .filter_map(|line| {
            let (token, count) = line.split_once('\t')?;
            Some((Box::from(token), count.trim().parse().ok()?))
        })
        .collect();
    // Every resume token is looked up here, so a fast non-cryptographic
    // hash matters; the keys are our own embedded data, not user input.
    let stopwords = STOPWORDS.iter().copied().collect();
    BackgroundIdf {
        docs,
        df,
        stopwords,
    }
});

/// Forces the background IDF table to load.
pub(crate) fn warm_up() {
    let _ = IDF.docs;
}

/// Lower-case tokens: runs of ASCII letters, digits, `+` and `#` (so "c++"
/// and "c#" survive), minus stop words and one-letter noise.
#[cfg(test)]
fn tokens(text: &str) -> Vec<String> {
    let lower = text.to_ascii_lowercase();
    token_slices(&lower).map(str::to_owned).collect()
}

/// Tokens of an already ASCII-lowercased text, borrowed from it.
pub(crate) fn token_slices(lower: &str) -> impl Iterator<Item = &str> {
    lower
        .split(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '+' || c == '#'))
        .filter(|t| {
            !t.is_empty()
                && t.bytes().any(|b| b.is_ascii_alphanumeric())
                && (t.len() > 1 || *t == "c" || *t == "r")
                && !IDF.stopwords.contains(t)
        })
}

/// Inverse document frequency of a token in the background corpus; tokens
/// the corpus never saw count as seen once (they are rare, hence telling).
pub(crate) fn idf(token: &str) -> f32 {
    let idf = &*IDF;
    let df = idf.df.get(token).copied().unwrap_or(1) as f32;
    ((idf.docs + 1.0) / (df + 1.0)).ln() + 1.0
}

/// A sparse, L2-normalised TF-IDF vector (sublinear term frequency), kept
/// sorted by token so that a cosine is one merge rather than many lookups.
/// The tokens live in one lower-cased string and are referred to by range,
/// so a vector costs two allocations however many tokens it has (ranking
/// builds one per shortlisted job for every query).
#[derive(Debug, Clone, Default)]
pub(crate) struct TfIdf {
    text: String,
    /// (start, end) of each distinct token in `text`, with its weight.
    weights: Vec<(u32, u32, f32)>,
}

impl TfIdf {
    pub(crate) fn new(text: &str) -> TfIdf {
        let lower = text.to_ascii_lowercase();
        // Sorting and counting runs is cheaper than hashing every token.
        let mut all: Vec<&str> = token_slices(&lower).collect();
        all.sort_unstable();
        let base = lower.as_ptr() as usize;
        let mut weights: Vec<(u32, u32, f32)> = Vec::new();
        for run in all.chunk_by(|a, b| a == b) {
            let token = run[0];
            let tf = 1.0 + (run.len() as f32).ln();
            // Tokens are slices of `lower`, so their offsets locate them.
            let start = token.as_ptr() as usize - base;
            weights.push((start as u32, (start + token.len()) as u32, tf * idf(token)));
        }
        let norm = weights.iter().map(|(_, _, w)| w * w).sum::<f32>().sqrt();
        if norm > 0.0 {
            weights.iter_mut().for_each(|(_, _, w)| *w /= norm);
        }
        TfIdf {
            text: lower,
            weights,
        }
    }

    fn token(&self, i: usize) -> &str {
        let (start, end, _) = self.weights[i];
        &self.text[start as usize..end as usize]
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }

    /// Cosine similarity and the shared tokens that contribute most to it.
    pub(crate) fn cosine(&self, other: &TfIdf) -> (f32, Vec<String>) {
        let mut shared: Vec<(f32, &str)> = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < self.weights.len() && j < other.weights.len() {
            let (a, b) = (self.token(i), other.token(j));
            match a.cmp(b) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    shared.push((self.weights[i].2 * other.weights[j].2, a));
                    i += 1;
                    j += 1;
                }
            }
        }
        cosine_of_shared(shared)
    }

    /// This vector with its tokens as ids of `table`, adding the tokens it
    /// lacks: how an index keeps a document's vector.
    pub(crate) fn interned(&self, table: &mut TokenTable) -> IdVector {
        let weights: Vec<(u32, f32)> = (0..self.weights.len())
            .map(|i| (table.intern(self.token(i)), self.weights[i].2))
            .collect();
        IdVector {
            weights: weights.into_boxed_slice(),
        }
    }

    /// This vector as a query against the documents of `table`: its weights
    /// by token id, 0 for tokens it lacks. Tokens the table does not know
    /// are left out (no document there has them, so they can add nothing).
    pub(crate) fn dense(&self, table: &TokenTable) -> DenseQuery {
        let mut weights = vec![0.0; table.names.len()];
        for (i, &(_, _, w)) in self.weights.iter().enumerate() {
            if let Some(id) = table.get(self.token(i)) {
                weights[id as usize] = w;
            }
        }
        DenseQuery { weights }
    }
}

/// The cosine from the products of the shared tokens' weights, which must be
/// in token order: both vector kinds sum them in that order, so that they
/// give bit-identical cosines.
fn cosine_of_shared(mut shared: Vec<(f32, &str)>) -> (f32, Vec<String>) {
    // Keep in step with `IdVector::dot`.
    let cosine = shared.iter().map(|(c, _)| c).sum::<f32>().clamp(0.0, 1.0);
    shared.sort_by(|x, y| y.0.total_cmp(&x.0).then_with(|| x.1.cmp(y.1)));
    let top = shared
        .into_iter()
        .take(5)
        .map(|(_, t)| t.to_owned())
        .collect();
    (cosine, top)
}

/// Token ids of one index. Its documents' vectors name tokens by a 4-byte id
/// rather than by their text, which keeps a cached vector at 8 bytes per
/// distinct token, and compare ids rather than strings. Ids are never
/// reused while the table lives; an index rebuilds its table when it
/// compacts, which drops the tokens of removed documents.
#[derive(Debug, Default)]
pub(crate) struct TokenTable {
    ids: FxHashMap<Box<str>, u32>,
    names: Vec<Box<str>>,
}

impl TokenTable {
    fn intern(&mut self, token: &str) -> u32 {
        if let Some(&id) = self.ids.get(token) {
            return id;
        }
        let id = u32::try_from(self.names.len()).expect("fewer than 2^32 distinct tokens");
        self.names.push(Box::from(token));
        self.ids.insert(Box::from(token), id);
        id
    }

    fn get(&self, token: &str) -> Option<u32> {
        self.ids.get(token).copied()
    }

    fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }
}

/// A [`TfIdf`] whose tokens are ids of a [`TokenTable`], still in token
/// order; the weights are the very same numbers.
#[derive(Debug, Clone, Default)]
pub(crate) struct IdVector {
    weights: Box<[(u32, f32)]>,
}

impl IdVector {
    pub(crate) fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }

    /// This vector with ids of `to` instead of `from`.
    pub(crate) fn moved(&self, from: &TokenTable, to: &mut TokenTable) -> IdVector {
        IdVector {
            weights: self
                .weights
                .iter()
                .map(|&(id, w)| (to.intern(from.name(id)), w))
                .collect(),
        }
    }
}

/// A query vector spread out over all token ids of one [`TokenTable`], so
/// that a document's vector meets it with one load per document token, in
/// the document's token order: the order [`TfIdf::cosine`] sums in, which
/// makes the cosines below equal to it to the bit. Costs 4 bytes per token
/// of the table, per query.
pub(crate) struct DenseQuery {
    weights: Vec<f32>,
}

impl DenseQuery {
    /// Products of the weights of the shared tokens, in token order.
    fn shared<'d>(&'d self, doc: &'d IdVector) -> impl Iterator<Item = (f32, u32)> + 'd {
        doc.weights.iter().filter_map(|&(id, w)| {
            let q = self.weights[id as usize];
            // Every weight of a token a vector has is > 0.
            (q != 0.0).then_some((q * w, id))
        })
    }

    /// The cosine alone, as [`DenseQuery::cosine`] computes it.
    pub(crate) fn dot(&self, doc: &IdVector) -> f32 {
        self.shared(doc)
            .map(|(c, _)| c)
            .sum::<f32>()
            .clamp(0.0, 1.0)
    }

    /// The same as [`TfIdf::cosine`] of the query and the document vector
    /// these were made from, to the bit.
    pub(crate) fn cosine(&self, doc: &IdVector, table: &TokenTable) -> (f32, Vec<String>) {
        cosine_of_shared(
            self.shared(doc)
                .map(|(c, id)| (c, table.name(id)))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenises_like_the_build_script() {
        assert_eq!(
            tokens("Built C++ & C# services; the R team, Zürich 2024!"),
            vec![
                "built", "c++", "c#", "services", "r", "team", "rich", "2024"
            ]
        );
    }

    #[test]
    fn rare_words_weigh_more_than_common_ones() {
        assert!(idf("kubernetes") > idf("software"));
        assert!(idf("software") > idf("manage"));
        assert!(idf("postgresql") > 1.0);
    }

    #[test]
    fn cosine_is_one_for_identical_texts_and_zero_for_disjoint_ones() {
        let a = TfIdf::new("python postgresql kubernetes backend");
        let b = TfIdf::new("python postgresql kubernetes backend");
        let c = TfIdf::new("watercolour painting gallery");
        assert!((a.cosine(&b).0 - 1.0).abs() < 1e-4);
        assert_eq!(a.cosine(&c).0, 0.0);
        let (score, shared) = a.cosine(&TfIdf::new("kubernetes operator in go"));
        assert!(score > 0.0 && score < 1.0);
        assert_eq!(shared, vec!["kubernetes"]);
        assert!(TfIdf::new("the and of").is_empty());
    }

    #[test]
    fn id_vectors_give_the_same_cosines_to_the_bit() {
        let docs = [
            "Senior backend engineer: Python, PostgreSQL, Kubernetes on AWS.",
            "Python data engineer; Spark, SQL, Airflow and AWS pipelines.",
            "Pastry chef baking bread and cakes",
            "Kubernetes operator in Go, Terraform, AWS, Python tooling",
            "",
        ];
        let mut table = TokenTable::default();
        let vectors: Vec<TfIdf> = docs.iter().map(|d| TfIdf::new(d)).collect();
        let stored: Vec<IdVector> = vectors.iter().map(|v| v.interned(&mut table)).collect();
        let mut moved_table = TokenTable::default();
        let moved: Vec<IdVector> = stored
            .iter()
            .map(|s| s.moved(&table, &mut moved_table))
            .collect();
        for query in docs
            .iter()
            .chain(&["python aws cakes unknownword", "go go go"])
        {
            let q = TfIdf::new(query);
            let dense = q.dense(&table);
            let dense_moved = q.dense(&moved_table);
            for ((v, s), m) in vectors.iter().zip(&stored).zip(&moved) {
                let plain = q.cosine(v);
                assert_eq!(v.is_empty(), s.is_empty());
                for (d, doc, t) in [(&dense, s, &table), (&dense_moved, m, &moved_table)] {
                    let cached = d.cosine(doc, t);
                    assert_eq!(plain.0.to_bits(), cached.0.to_bits(), "{query}");
                    assert_eq!(plain.0.to_bits(), d.dot(doc).to_bits());
                    assert_eq!(plain.1, cached.1);
                }
            }
        }
    }
}
