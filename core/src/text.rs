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
        let cosine = shared.iter().map(|(c, _)| c).sum::<f32>().clamp(0.0, 1.0);
        shared.sort_by(|x, y| y.0.total_cmp(&x.0).then_with(|| x.1.cmp(y.1)));
        let top = shared
            .into_iter()
            .take(5)
            .map(|(_, t)| t.to_owned())
            .collect();
        (cosine, top)
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
}
