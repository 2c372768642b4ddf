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

/// Whether a lower-case token is a stop word.
pub(crate) fn is_stopword(token: &str) -> bool {
    IDF.stopwords.contains(token)
}

/// Whether a byte can be part of a token (ASCII letters and digits, `+`,
/// `#`), looked up rather than computed: the tokeniser asks it of every
/// byte of every indexed text.
static TOKEN_BYTE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || c == b'+' || c == b'#';
        b += 1;
    }
    table
};

/// Calls `f` with the byte range of every token of `text`, as it is
/// written (not lower-cased): runs of token bytes that have a letter or
/// digit and are longer than one byte, or are "c" or "r". Stop words are
/// not taken out. Reads bytes rather than chars: token characters are
/// ASCII, and every byte of a non-ASCII character separates tokens as the
/// character does. Every token byte lower-cases by setting bit 0x20
/// (digits, `+` and `#` already have it), which callers may use.
pub(crate) fn for_each_token_range(text: &str, mut f: impl FnMut(usize, usize)) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !TOKEN_BYTE[usize::from(bytes[i])] {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && TOKEN_BYTE[usize::from(bytes[i])] {
            i += 1;
        }
        let token = &bytes[start..i];
        let keep = if token.len() == 1 {
            matches!(token[0], b'c' | b'C' | b'r' | b'R')
        } else {
            token.iter().any(u8::is_ascii_alphanumeric)
        };
        if keep {
            f(start, i);
        }
    }
}

/// Inverse document frequency of a token in the background corpus; tokens
/// the corpus never saw count as seen once (they are rare, hence telling).
pub(crate) fn idf(token: &str) -> f32 {
    let idf = &*IDF;
    let df = idf.df.get(token).copied().unwrap_or(1) as f32;
    ((idf.docs + 1.0) / (df + 1.0)).ln() + 1.0
}

/// Weight of a token before normalisation: sublinear term frequency times
/// inverse document frequency. Every vector kind computes it here, so that
/// they agree to the bit.
pub(crate) fn raw_weight(count: u32, idf: f32) -> f32 {
    // ln(1) is exactly 0: most words occur once, and this skips the ln.
    let tf = if count == 1 {
        1.0
    } else {
        1.0 + (count as f32).ln()
    };
    tf * idf
}

/// A sum of f32 values that does not depend on the order they come in:
/// each is truncated to a multiple of 2^-`SHIFT` and added as an integer.
/// Float addition is not associative, so summing the same values in
/// another order could change the last bit; vectors kept in different
/// orders (by token in [`TfIdf`], by word id in an index) would then give
/// different scores for the same pair. The truncation is far below f32
/// precision at the magnitudes summed here.
#[derive(Default)]
pub(crate) struct ExactSum<const SHIFT: i32>(u128);

impl<const SHIFT: i32> ExactSum<SHIFT> {
    fn add(&mut self, value: f32) {
        self.add_fixed(Self::fixed(value));
    }

    /// `value` as the integer this sum adds for it: adding that integer
    /// with [`add_fixed`](Self::add_fixed) is adding `value`, without
    /// converting it again.
    pub(crate) fn fixed(value: f32) -> u64 {
        // Exact in f64; the cast saturates (values here are far below).
        (f64::from(value.max(0.0)) * 2f64.powi(SHIFT)) as u64
    }

    /// Adds a value converted by [`fixed`](Self::fixed).
    #[inline]
    pub(crate) fn add_fixed(&mut self, fixed: u64) {
        self.0 += u128::from(fixed);
    }

    fn total(&self) -> f64 {
        self.0 as f64 * 2f64.powi(-SHIFT)
    }
}

/// Sum of squared raw weights (each below ~2^14) for a vector's norm.
pub(crate) type SquareSum = ExactSum<46>;
/// Sum of products of raw weights (each below ~2^14): a dot product.
pub(crate) type DotSum = ExactSum<40>;

impl SquareSum {
    /// Adds the square of a raw weight.
    pub(crate) fn add_square(&mut self, weight: f32) {
        self.add(weight * weight);
    }

    /// The L2 norm of the weights added.
    pub(crate) fn norm(&self) -> f32 {
        self.total().sqrt() as f32
    }
}

impl DotSum {
    /// Adds the product of two raw weights.
    pub(crate) fn add_product(&mut self, product: f32) {
        self.add(product);
    }

    /// The cosine of two vectors with these norms whose raw weights'
    /// products were added, clamped to [0, 1] against rounding; 0 when
    /// either is empty.
    pub(crate) fn cosine(&self, norm_a: f32, norm_b: f32) -> f32 {
        if norm_a == 0.0 || norm_b == 0.0 {
            return 0.0;
        }
        let norms = f64::from(norm_a) * f64::from(norm_b);
        ((self.total() / norms) as f32).clamp(0.0, 1.0)
    }
}

/// A sparse TF-IDF vector (sublinear term frequency) with its L2 norm,
/// kept sorted by token so that a cosine is one merge rather than many lookups.
/// The tokens live in one lower-cased string and are referred to by range,
/// so a vector costs two allocations however many tokens it has.
#[derive(Debug, Clone, Default)]
pub(crate) struct TfIdf {
    text: String,
    /// (start, end) of each distinct token in `text`, with its raw
    /// weight ([`raw_weight`]).
    weights: Vec<(u32, u32, f32)>,
    /// L2 norm of the raw weights.
    norm: f32,
}

impl TfIdf {
    pub(crate) fn new(text: &str) -> TfIdf {
        let lower = text.to_ascii_lowercase();
        // Sorting and counting runs is cheaper than hashing every token.
        let mut all: Vec<&str> = token_slices(&lower).collect();
        all.sort_unstable();
        let base = lower.as_ptr() as usize;
        let mut weights: Vec<(u32, u32, f32)> = Vec::new();
        let mut squares = SquareSum::default();
        for run in all.chunk_by(|a, b| a == b) {
            let token = run[0];
            let weight = raw_weight(run.len() as u32, idf(token));
            squares.add_square(weight);
            // Tokens are slices of `lower`, so their offsets locate them.
            let start = token.as_ptr() as usize - base;
            weights.push((start as u32, (start + token.len()) as u32, weight));
        }
        TfIdf {
            text: lower,
            weights,
            norm: squares.norm(),
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
    /// The dot product of raw weights is divided by both norms once, rather
    /// than every weight by its norm: fewer operations per shared token,
    /// and an index that keeps raw counts computes the same products.
    pub(crate) fn cosine<'a>(&'a self, other: &TfIdf) -> (f32, Vec<&'a str>) {
        let mut dot = DotSum::default();
        let mut shared: Vec<(f32, &str)> = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < self.weights.len() && j < other.weights.len() {
            let (a, b) = (self.token(i), other.token(j));
            match a.cmp(b) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    let product = self.weights[i].2 * other.weights[j].2;
                    dot.add_product(product);
                    shared.push((product, a));
                    i += 1;
                    j += 1;
                }
            }
        }
        (dot.cosine(self.norm, other.norm), strongest_shared(shared))
    }
}

/// The five shared tokens with the largest products, largest first (ties
/// by token): the same whatever order the products were found in.
pub(crate) fn strongest_shared(mut shared: Vec<(f32, &str)>) -> Vec<&str> {
    const SHOWN: usize = 5;
    let order = |x: &(f32, &str), y: &(f32, &str)| y.0.total_cmp(&x.0).then_with(|| x.1.cmp(y.1));
    // Tokens are distinct, so the order is total: the best five are the
    // same whether found by a selection or by sorting them all.
    if shared.len() > SHOWN {
        shared.select_nth_unstable_by(SHOWN - 1, order);
        shared.truncate(SHOWN);
    }
    shared.sort_unstable_by(order);
    shared.into_iter().map(|(_, t)| t).collect()
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
    fn token_ranges_are_the_token_slices_of_the_lowered_text() {
        for text in [
            "Built C++ & C# services; the R team, Zürich 2024!",
            "ÄÖÜ naïve café-résumé -- a b c r Rust/Go ++ # c++11 x",
            "",
            "THE And",
        ] {
            let mut ours = Vec::new();
            for_each_token_range(text, |start, end| {
                let t = text[start..end].to_ascii_lowercase();
                if !is_stopword(&t) {
                    ours.push(t);
                }
            });
            assert_eq!(ours, tokens(text), "{text}");
        }
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
    fn sums_do_not_depend_on_order() {
        // Values whose float sum changes with the order of addition.
        let values = [1.0e-3_f32, 0.7, 3.3e-8, 0.299, 1.7e-5, 0.1, 0.05, 7.5];
        let mut forward = DotSum::default();
        let mut backward = DotSum::default();
        for v in values {
            forward.add(v);
        }
        for v in values.iter().rev() {
            backward.add(*v);
        }
        assert_eq!(forward.0, backward.0);
        let plain: f32 = values.iter().sum();
        assert!((forward.total() as f32 - plain).abs() < 1e-5);
        let mut squares = SquareSum::default();
        squares.add_square(3.0);
        squares.add_square(4.0);
        assert_eq!(squares.norm(), 5.0);
    }

    #[test]
    fn cosine_is_symmetric_to_the_bit() {
        let a = TfIdf::new("Senior backend engineer: Python, PostgreSQL, Kubernetes on AWS.");
        let b = TfIdf::new("Kubernetes operator in Go, Terraform, AWS, Python tooling");
        assert_eq!(a.cosine(&b).0.to_bits(), b.cosine(&a).0.to_bits());
        assert_eq!(a.cosine(&b).1, b.cosine(&a).1);
    }
}
