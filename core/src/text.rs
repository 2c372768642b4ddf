//! Tokens and TF-IDF vectors for text similarity.
//!
//! Inverse document frequencies come from a fixed background corpus (every
//! ESCO skill text, `core/data/idf.tsv`) rather than from the candidates and
//! jobs in the database, so the similarity of one resume to one job never
//! depends on which other documents happen to exist. The tokeniser must stay
//! identical to `TOKEN` in `core/data/build_skills.py`.

use std::collections::HashMap;
use std::sync::LazyLock;

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
    df: HashMap<String, u32>,
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
            Some((token.to_owned(), count.trim().parse().ok()?))
        })
        .collect();
    BackgroundIdf { docs, df }
});

/// Lower-case tokens: runs of ASCII letters, digits, `+` and `#` (so "c++"
/// and "c#" survive), minus stop words and one-letter noise.
pub(crate) fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut flush = |current: &mut String| {
        if !current.is_empty() {
            let keep = current.chars().any(|c| c.is_ascii_alphanumeric())
                && !STOPWORDS.contains(&current.as_str())
                && (current.len() > 1 || current == "c" || current == "r");
            if keep {
                out.push(std::mem::take(current));
            } else {
                current.clear();
            }
        }
    };
    for c in text.chars() {
        let lower = c.to_ascii_lowercase();
        if lower.is_ascii_lowercase() || lower.is_ascii_digit() || lower == '+' || lower == '#' {
            current.push(lower);
        } else {
            flush(&mut current);
        }
    }
    flush(&mut current);
    out
}

/// Inverse document frequency of a token in the background corpus; tokens
/// the corpus never saw count as seen once (they are rare, hence telling).
pub(crate) fn idf(token: &str) -> f32 {
    let idf = &*IDF;
    let df = idf.df.get(token).copied().unwrap_or(1) as f32;
    ((idf.docs + 1.0) / (df + 1.0)).ln() + 1.0
}

/// A sparse, L2-normalised TF-IDF vector (sublinear term frequency).
#[derive(Debug, Clone, Default)]
pub(crate) struct TfIdf {
    weights: HashMap<String, f32>,
}

impl TfIdf {
    pub(crate) fn new(text: &str) -> TfIdf {
        let mut counts: HashMap<String, u32> = HashMap::new();
        for token in tokens(text) {
            *counts.entry(token).or_default() += 1;
        }
        let mut weights: HashMap<String, f32> = counts
            .into_iter()
            .map(|(token, n)| {
                let w = (1.0 + (n as f32).ln()) * idf(&token);
                (token, w)
            })
            .collect();
        let norm = weights.values().map(|w| w * w).sum::<f32>().sqrt();
        if norm > 0.0 {
            weights.values_mut().for_each(|w| *w /= norm);
        }
        TfIdf { weights }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }

    /// Cosine similarity and the shared tokens that contribute most to it.
    pub(crate) fn cosine(&self, other: &TfIdf) -> (f32, Vec<String>) {
        let (small, large) = if self.weights.len() <= other.weights.len() {
            (&self.weights, &other.weights)
        } else {
            (&other.weights, &self.weights)
        };
        let mut shared: Vec<(f32, &String)> = small
            .iter()
            .filter_map(|(t, w)| large.get(t).map(|v| (w * v, t)))
            .collect();
        let cosine = shared.iter().map(|(c, _)| c).sum::<f32>().clamp(0.0, 1.0);
        shared.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        (
            cosine,
            shared.into_iter().take(5).map(|(_, t)| t.clone()).collect(),
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
}
