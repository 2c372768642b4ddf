//! An in-memory inverted index with BM25 scoring and MaxScore top-k
//! retrieval.
//!
//! Documents are bags of terms: the text's tokens (the tokeniser of
//! `crate::text`, plural "s" folded) plus one pseudo-term per skill.
//! Documents are numbered by the caller's slot order and numbers only grow,
//! so every posting list stays sorted without re-sorting: an update is a
//! removal plus an insert at the end, and a removal only marks the number
//! dead. Dead postings are skipped while searching and dropped by
//! [`InvertedIndex::compact`], which the owner calls once they outnumber
//! the live ones; removal is therefore O(terms of the document).
//!
//! Posting lists are compressed: document-number gaps as LEB128 varints
//! whose low bit says the term frequency is the usual 1, other frequencies
//! (in half units) in a byte after the gap, with a skip entry every
//! [`BLOCK`] postings so that MaxScore can jump ahead by binary search.
//! About 1.5 bytes per posting instead of 8.
//!
//! Document frequencies, the collection size and the average length always
//! describe the live documents, so scores do not drift with deletions.
//! Per-term score upper bounds use the largest term frequency and the
//! shortest document ever posted to the term; deletions can only make them
//! looser, never wrong, and compaction tightens them again.

use std::cell::Cell;
use std::cmp::Ordering;

use std::hash::{Hash, Hasher};
use std::rc::Rc;

use hashbrown::HashTable;
use rustc_hash::{FxHashMap, FxHasher};

use crate::text::{
    DotSum, SquareSum, for_each_token_range, idf as background_idf, is_stopword, raw_weight,
};

/// BM25 term-frequency saturation. On the O*NET evaluation (`core/eval/`)
/// 2.0 beat the textbook 1.2 in recall@1 and MRR at equal recall@10:
/// occupation texts are short, so a repeated word is real emphasis.
const K1: f32 = 2.0;
/// BM25 length normalisation.
const B: f32 = 0.75;

/// Postings per skip entry.
const BLOCK: usize = 64;

/// Document numbers scored together by `top_k` (a multiple of 64).
const WINDOW: usize = 4096;

/// How much one query term counts, times its IDF. Words are sublinear in
/// their count (a word repeated in a long resume is evidence, but not
/// proportionally more); skills count by their weight (1 named, less when
/// implied). The extra square root of IDF leans towards rare words the way
/// TF-IDF cosine does (IDF on both sides), damped; a larger boost of skills
/// lost recall on the evaluation, where extracted skills are often noise.
fn query_weight(is_skill: bool, qtf: f32, idf: f32) -> f32 {
    let tf = if is_skill {
        qtf
    } else {
        1.0 + qtf.ln().max(0.0)
    };
    tf * idf * idf.sqrt()
}

/// Folds plural and third-person "s" so that "patients" finds "patient"
/// and "repairs" finds "repair" (the evaluation's resumes say the same
/// thing in other forms); "ss", "us" and "is" endings ("business",
/// "status", "analysis") are left alone. "-ies" becomes "-y" in `buf`.
fn fold_plural<'a>(token: &'a str, buf: &'a mut String) -> &'a str {
    let n = token.len();
    if n > 4 && token.ends_with("ies") {
        buf.clear();
        buf.push_str(&token[..n - 3]);
        buf.push('y');
        buf
    } else if n > 3
        && token.ends_with('s')
        && !token.ends_with("ss")
        && !token.ends_with("us")
        && !token.ends_with("is")
    {
        &token[..n - 1]
    } else {
        token
    }
}

/// The raw material of a document or a query: texts and weighted skills.
/// Tokenising happens inside the index, against its term dictionary, so
/// that no token is allocated twice.
#[derive(Default)]
pub(crate) struct TermBag<'a> {
    /// Texts (borrowed, lower-cased token by token when read) with the BM25
    /// term frequency each occurrence adds (0: none). Every token of every
    /// text is in the document's TF-IDF vector, once per occurrence,
    /// whatever its BM25 weight.
    texts: Vec<(&'a str, f32)>,
    /// A text already read against the index as a [`TextQuery`], each
    /// occurrence with BM25 frequency 1 (queries only).
    read: Option<&'a TextQuery>,
    /// Skill keys (shared with the key cache, not copied) and weights.
    skills: Vec<(Rc<str>, f32)>,
    /// Skill pseudo-terms posted with frequency 1 that do not count towards
    /// the document's length (markers such as "lists no skills").
    flags: Vec<&'a str>,
}

impl<'a> TermBag<'a> {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Adds every token of `text` once per occurrence.
    pub(crate) fn add_text(&mut self, text: &'a str) {
        self.add_text_weighted(text, 1.0);
    }

    /// Adds every token of `text` with BM25 frequency `weight` per
    /// occurrence (each counts once in the TF-IDF vector all the same).
    pub(crate) fn add_text_weighted(&mut self, text: &'a str, weight: f32) {
        self.texts.push((text, weight));
    }

    /// Adds the tokens of a text already read by the index being queried,
    /// as [`add_text`](Self::add_text) would add the text: the same terms
    /// without reading it again. For queries only, against that index (the
    /// word ids are its own).
    pub(crate) fn add_read_text(&mut self, query: &'a TextQuery) {
        self.read = Some(query);
    }

    /// Adds the tokens of `text` to the document's TF-IDF vector only, not
    /// to its BM25 terms.
    pub(crate) fn add_vector_text(&mut self, text: &'a str) {
        self.add_text_weighted(text, 0.0);
    }

    /// Adds `weight` to the pseudo-term of a skill key.
    pub(crate) fn add_skill(&mut self, key: Rc<str>, weight: f32) {
        if weight > 0.0 {
            self.skills.push((key, weight));
        }
    }

    /// Whether the skill key `key` is in the bag.
    pub(crate) fn has_skill(&self, key: &str) -> bool {
        self.skills.iter().any(|(k, _)| &**k == key)
    }

    /// Posts the pseudo-term of skill key `key` without lengthening the
    /// document.
    pub(crate) fn add_flag(&mut self, key: &'a str) {
        self.flags.push(key);
    }
}

/// Term frequency in half units, saturating: skill weights are multiples
/// of 0.5, and BM25 saturates long before 127.
fn encode_tf(tf: f32) -> u8 {
    (tf * 2.0).round().clamp(1.0, 255.0) as u8
}

fn decode_tf(tf: u8) -> f32 {
    f32::from(tf) * 0.5
}

/// Encoded term frequency of most postings (1): stored as one bit.
const COMMON_TF: u8 = 2;

#[derive(Default)]
struct Postings {
    /// Per posting: the gap from the previous document number shifted
    /// left by one, its low bit set when the term frequency is
    /// [`COMMON_TF`], as a LEB128 varint; then, when the bit is clear, the
    /// encoded term frequency in one byte. The first posting of every block
    /// is stored as its gap from the previous block's last.
    bytes: Vec<u8>,
    /// Per block of `BLOCK` postings after the first: (document before
    /// the block's first, byte offset of the block's first posting). Most
    /// terms have one block and need none.
    skips: Vec<(u32, u32)>,
    /// Postings appended.
    count: u32,
    /// Last document appended.
    last: u32,
    /// Live documents containing the term.
    df: u32,
    /// Largest encoded term frequency ever posted (a bound after deletions).
    max_tf: u8,
    /// Shortest document ever posted (a bound after deletions).
    min_len: f32,
}

impl Postings {
    fn len(&self) -> usize {
        self.count as usize
    }

    fn push(&mut self, doc: u32, tf: u8, doc_len: f32) {
        let n = self.len();
        let prev = if n == 0 { 0 } else { self.last };
        if n > 0 && n.is_multiple_of(BLOCK) {
            grow(&mut self.skips, 1, 1);
            self.skips.push((prev, self.bytes.len() as u32));
        }
        grow(&mut self.bytes, 7, 8);
        // The first document may be number 0: store gaps + 1 for it so
        // that "before the first" (0) stays below every real number.
        let gap = u64::from(if n == 0 { doc + 1 } else { doc - prev });
        put_varint(&mut self.bytes, (gap << 1) | u64::from(tf == COMMON_TF));
        if tf != COMMON_TF {
            self.bytes.push(tf);
        }
        self.count += 1;
        self.last = doc;
        self.max_tf = self.max_tf.max(tf);
        self.min_len = if n == 0 {
            doc_len
        } else {
            self.min_len.min(doc_len)
        };
    }
}

/// Makes room for `extra` more elements, growing by a quarter (at least
/// `min`) rather than doubling: the index is mostly many growing lists,
/// and doubling leaves a third of their memory unused on average. The
/// extra copying is small next to what it saves.
fn grow<T>(v: &mut Vec<T>, extra: usize, min: usize) {
    if v.capacity() - v.len() < extra {
        v.reserve_exact((v.capacity() / 4).max(min).max(extra));
    }
}

/// A reading position in one posting list.
struct Cursor<'a> {
    p: &'a Postings,
    /// Index of the current posting.
    idx: usize,
    /// Byte offset just after the current posting.
    byte: usize,
    /// Current document, `u32::MAX` once exhausted.
    doc: u32,
    /// Encoded term frequency of the current posting.
    tf: u8,
}

impl<'a> Cursor<'a> {
    fn new(p: &'a Postings) -> Self {
        let mut c = Cursor {
            p,
            idx: 0,
            byte: 0,
            doc: 0,
            tf: 0,
        };
        c.load(0, 0, 0);
        // Undo the +1 of the very first gap.
        if c.doc != u32::MAX {
            c.doc -= 1;
        }
        c
    }

    /// Reads posting `idx` whose gap starts at `byte`, after document `prev`.
    fn load(&mut self, idx: usize, byte: usize, prev: u32) {
        if idx >= self.p.len() {
            self.idx = self.p.len();
            self.doc = u32::MAX;
            return;
        }
        let bytes = &self.p.bytes;
        let mut at = byte;
        let value = get_varint(bytes, &mut at);
        // Without a branch: whether a frequency byte follows is as good as
        // random, and a mispredicted branch per posting was measurable.
        let common = (value & 1) as usize;
        let next = bytes.get(at).copied().unwrap_or(COMMON_TF);
        self.tf = [next, COMMON_TF][common];
        at += 1 - common;
        self.idx = idx;
        self.byte = at;
        self.doc = prev + (value >> 1) as u32;
    }

    fn next(&mut self) {
        let (idx, byte, prev) = (self.idx + 1, self.byte, self.doc);
        self.load(idx, byte, prev);
    }

    fn tf(&self) -> f32 {
        decode_tf(self.tf)
    }

    /// Moves to the first posting at or after `target`.
    fn seek(&mut self, target: u32) {
        if self.doc >= target {
            return;
        }
        // Blocks whose predecessor document is below `target` may hold it;
        // jump to the last such block if it lies ahead of us.
        // `skips[i]` is block i + 1.
        let block = self.idx / BLOCK;
        let ahead = &self.p.skips[block..];
        let jump = ahead.partition_point(|&(before, _)| before < target);
        if jump > 0 {
            let b = block + jump;
            let (before, byte) = self.p.skips[b - 1];
            self.load(b * BLOCK, byte as usize, before);
        }
        while self.doc < target {
            self.next();
        }
    }
}

/// A distinct token of the indexed texts, before plural folding.
struct Word {
    /// The BM25 term it is posted under (its folded form); [`STOP`] for a
    /// stop word, which is kept only so that it is looked up once.
    term: u32,
    /// Its background inverse document frequency, for TF-IDF.
    idf: f32,
}

/// [`Word::term`] of a stop word.
const STOP: u32 = u32::MAX;

/// The distinct tokens of the indexed texts: their text in one buffer, and
/// tables of their ids. Kept together rather than as a map of boxed
/// strings, so that the lookup of every token of every document touches a
/// few compact arrays instead of a string per entry scattered over the
/// heap. Words of up to [`SHORT`] bytes (nearly all) are found by their
/// bytes packed into one key, which is read straight from the text being
/// indexed, lower-cased by one OR, hashed by one multiplication and
/// compared as two integers; longer words by their text.
#[derive(Default)]
struct Words {
    text: String,
    /// Where each word ends in `text` (it starts where the previous ends).
    ends: Vec<u32>,
    /// Words of at most [`SHORT`] bytes: (key low half, key high half, id).
    short: HashTable<(u64, u64, u32)>,
    /// Longer words' ids, hashed by their text.
    long: HashTable<u32>,
    info: Vec<Word>,
}

/// Longest word looked up by its packed bytes.
const SHORT: usize = 16;

/// A word of at most [`SHORT`] bytes as a number: its bytes, little-endian,
/// zero-padded. Token bytes are never zero, so words and keys correspond
/// one to one.
fn short_key(word: &[u8]) -> u128 {
    let mut packed = [0u8; SHORT];
    packed[..word.len()].copy_from_slice(word);
    u128::from_le_bytes(packed)
}

/// The [`short_key`] of the token `text[start..end]` (at most [`SHORT`]
/// bytes) lower-cased: every token byte lower-cases by setting bit 0x20
/// (see [`for_each_token_range`]).
fn lowered_key(text: &[u8], start: usize, end: usize) -> u128 {
    let len = end - start;
    let raw = match text.get(start..start + SHORT) {
        Some(window) => u128::from_le_bytes(window.try_into().expect("SHORT bytes")),
        None => short_key(&text[start..end]),
    };
    let mask = if len == SHORT {
        u128::MAX
    } else {
        (1u128 << (8 * len)) - 1
    };
    (raw | 0x2020_2020_2020_2020_2020_2020_2020_2020) & mask
}

/// Hash of a [`short_key`]: the two halves, each mixed with a constant,
/// multiplied into 128 bits and folded. (No ASCII half equals the
/// constants, whose bytes are not all ASCII, so no product is zero.)
fn hash_key(lo: u64, hi: u64) -> u64 {
    let product = u128::from(lo ^ 0x243f_6a88_85a3_08d3) * u128::from(hi ^ 0x1319_8a2e_0370_7344);
    (product as u64) ^ ((product >> 64) as u64)
}

fn halves(key: u128) -> (u64, u64) {
    (key as u64, (key >> 64) as u64)
}

fn hash_str(s: &str) -> u64 {
    let mut h = FxHasher::default();
    s.hash(&mut h);
    h.finish()
}

/// Word `id` of a [`Words`] buffer and its ends.
fn word_name<'w>(text: &'w str, ends: &[u32], id: u32) -> &'w str {
    let i = id as usize;
    let start = if i == 0 { 0 } else { ends[i - 1] as usize };
    &text[start..ends[i] as usize]
}

impl Words {
    fn name(&self, id: u32) -> &str {
        word_name(&self.text, &self.ends, id)
    }

    /// The id of the word with [`short_key`] `key`.
    #[inline]
    fn get_short(&self, key: u128) -> Option<u32> {
        let (lo, hi) = halves(key);
        self.short
            .find(hash_key(lo, hi), |&(l, h, _)| l == lo && h == hi)
            .map(|&(_, _, id)| id)
    }

    /// The id of a lower-case token.
    fn get(&self, token: &str) -> Option<u32> {
        if token.len() <= SHORT {
            return self.get_short(short_key(token.as_bytes()));
        }
        self.long
            .find(hash_str(token), |&id| self.name(id) == token)
            .copied()
    }

    fn len(&self) -> usize {
        self.info.len()
    }

    /// Adds a word that is not there yet, returning its id.
    fn add(&mut self, token: &str, word: Word) -> u32 {
        let id = u32::try_from(self.info.len()).expect("fewer than 2^32 words");
        self.text.push_str(token);
        self.ends.push(self.text.len() as u32);
        self.info.push(word);
        if token.len() <= SHORT {
            let (lo, hi) = halves(short_key(token.as_bytes()));
            self.short
                .insert_unique(hash_key(lo, hi), (lo, hi, id), |&(l, h, _)| hash_key(l, h));
        } else {
            let (text, ends) = (&self.text, &self.ends);
            self.long.insert_unique(hash_str(token), id, |&other| {
                hash_str(word_name(text, ends, other))
            });
        }
        id
    }
}

/// Every document's TF-IDF vector, kept as the counts it is computed from:
/// per document, its distinct words by ascending id, each as a LEB128
/// varint of (gap from the previous id << 1 | count > 1), followed by the
/// count as a varint when it is above 1; and the norm of its raw weights.
/// Under 1.5 bytes a word instead of the eight of an (id, weight) pair; a
/// raw weight is recomputed from the count and the word's IDF by the very
/// operations [`TfIdf::new`](crate::text::TfIdf::new) uses, so it comes out the same to the bit.
///
/// Documents are written one after another into chunks of [`CHUNK`] bytes
/// allocated whole (a document never straddles two), rather than into one
/// growing buffer: that would be copied at every doubling and leave up to
/// half of it unused.
#[derive(Default)]
struct Vectors {
    chunks: Vec<Vec<u8>>,
    /// Per document number: where its words start, as chunk · CHUNK +
    /// offset; they end where the next document's start, or where its
    /// chunk's bytes end.
    starts: Vec<u32>,
    /// Per document number: the L2 norm of its raw weights.
    norms: Vec<f32>,
}

/// Bytes per chunk of [`Vectors`].
const CHUNK: usize = 1 << 20;

impl Vectors {
    fn reserve(&mut self, docs: usize) {
        self.starts.reserve_exact(docs);
        self.norms.reserve_exact(docs);
    }

    /// Appends a document's vector, encoded.
    fn push_encoded(&mut self, bytes: &[u8], norm: f32) {
        let fits = self
            .chunks
            .last()
            .is_some_and(|c| c.capacity() - c.len() >= bytes.len());
        if !fits {
            self.chunks.push(Vec::with_capacity(CHUNK.max(bytes.len())));
        }
        let chunk = self.chunks.len() - 1;
        let last = &mut self.chunks[chunk];
        let start = chunk * CHUNK + last.len();
        self.starts
            .push(u32::try_from(start).expect("less than 4 GiB of vectors"));
        self.norms.push(norm);
        last.extend_from_slice(bytes);
    }

    /// The encoded vector of document `doc`.
    fn bytes(&self, doc: u32) -> &[u8] {
        let d = doc as usize;
        let start = self.starts[d] as usize;
        let (chunk, offset) = (start / CHUNK, start % CHUNK);
        let bytes = &self.chunks[chunk];
        let end = match self.starts.get(d + 1) {
            Some(&next) if next as usize / CHUNK == chunk => next as usize % CHUNK,
            _ => bytes.len(),
        };
        &bytes[offset..end]
    }
}

/// Appends a word of an encoded vector ([`Vectors`]): its id's gap from
/// the previous word's, and its count.
fn put_word(out: &mut Vec<u8>, gap: u32, count: u32) {
    put_varint(out, u64::from(gap) << 1 | u64::from(count > 1));
    if count > 1 {
        put_varint(out, u64::from(count));
    }
}

/// Adds `tf` to term `id`'s sum in `sums` (grown to hold it), noting the
/// id in `touched` the first time.
fn add_term(sums: &mut Vec<f32>, touched: &mut Vec<u32>, id: u32, tf: f32) {
    let i = id as usize;
    if i >= sums.len() {
        sums.resize(i + 1, 0.0);
    }
    if sums[i] == 0.0 {
        touched.push(id);
    }
    sums[i] += tf;
}

/// Appends `v` as a LEB128 varint: seven bits a byte, low bits first, the
/// high bit set on every byte but the last.
fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Reads the next word of an encoded vector ([`Vectors`]) at `*at`:
/// moves `at` past it, adds its gap to `word`, and returns its count.
#[inline(always)]
fn next_word(bytes: &[u8], at: &mut usize, word: &mut u32) -> u32 {
    let v = get_varint(bytes, at);
    *word += (v >> 1) as u32;
    if v & 1 == 0 {
        1
    } else {
        get_varint(bytes, at) as u32
    }
}

/// Reads the varint at `*at`, moving `at` past it.
#[inline]
fn get_varint(bytes: &[u8], at: &mut usize) -> u64 {
    let (mut v, mut shift) = (0u64, 0);
    loop {
        let b = bytes[*at];
        *at += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return v;
        }
        shift += 7;
    }
}

/// A TF-IDF query spread over the word ids of one index: a document's
/// words meet it with one load each. Per word: the query's raw weight, and
/// its product with the word's IDF, which is the whole product for a
/// document word that occurs once (its raw weight is then its IDF, 1.0 ×
/// IDF being exact), kept as the integer a [`DotSum`] adds for it
/// (converting every product was two thirds of a cosine). Words the query
/// lacks have zeros, so a document word is looked up without first asking
/// whether the query has it: that branch goes either way too often to be
/// predicted.
///
/// It also keeps the texts' tokens as read, so that they can serve as a
/// BM25 query without being read again ([`TermBag::add_read_text`]).
pub(crate) struct TextQuery {
    /// Per word id: the query's raw weight.
    raw: Vec<f32>,
    /// Per word id: [`DotSum::fixed`] of the raw weight times the word's IDF.
    once: Vec<u64>,
    norm: f32,
    /// Known words (stop words left out) by id, with their counts.
    words: Vec<(u32, u32)>,
    /// Tokens no document has (stop words left out), lower-cased, distinct,
    /// one after another; and where each ends, with its count.
    other_text: String,
    other_counts: Vec<(u32, u32)>,
}

thread_local! {
    /// Weight tables of zeros for this thread's next [`TextQuery`]: one
    /// entry per word of the index, so allocating and zeroing them anew for
    /// every query costs more than setting back the few entries a query
    /// wrote.
    static SPARE_WEIGHTS: Cell<(Vec<f32>, Vec<u64>)> = const { Cell::new((Vec::new(), Vec::new())) };
}

impl Drop for TextQuery {
    fn drop(&mut self) {
        for &(word, _) in &self.words {
            self.raw[word as usize] = 0.0;
            self.once[word as usize] = 0;
        }
        let tables = (
            std::mem::take(&mut self.raw),
            std::mem::take(&mut self.once),
        );
        // Not at thread exit, when the slot may be gone.
        let _ = SPARE_WEIGHTS.try_with(|spare| spare.set(tables));
    }
}

impl TextQuery {
    /// Whether the query's texts have no token for a cosine.
    pub(crate) fn is_empty(&self) -> bool {
        self.words.is_empty() && self.other_counts.is_empty()
    }

    /// The tokens no document has, with their counts.
    fn others(&self) -> impl Iterator<Item = (&str, u32)> {
        let mut start = 0;
        self.other_counts.iter().map(move |&(end, count)| {
            let token = &self.other_text[start..end as usize];
            start = end as usize;
            (token, count)
        })
    }
}

/// Inverted index over documents numbered by the caller.
#[derive(Default)]
pub(crate) struct InvertedIndex {
    /// Ids of the BM25 terms that are words (folded).
    term_ids: FxHashMap<Box<str>, u32>,
    /// Ids of the BM25 terms that are skills, by key: a dictionary of
    /// their own, so that a skill never collides with a word.
    skill_ids: FxHashMap<Box<str>, u32>,
    postings: Vec<Postings>,
    /// Distinct tokens of the indexed texts, as they were written (the
    /// TF-IDF vectors do not fold plurals).
    words: Words,
    vectors: Vectors,
    /// Lower-cased token being read.
    token_buf: String,
    /// Encoded vector being written.
    vector_buf: Vec<u8>,
    /// Scratch of `insert`, all zeros between documents: per word id, the
    /// document's BM25 frequency and count of it; per term id, its BM25
    /// frequency; and which ids the document touched. Summing into tables
    /// rather than sorting a list of occurrences and merging its runs (twice
    /// per document) was a tenth of the build.
    word_sums: Vec<(f32, u32)>,
    term_sums: Vec<f32>,
    touched_words: Vec<u32>,
    touched_terms: Vec<u32>,
    /// Length (sum of term frequencies) of every document number.
    lens: Vec<f32>,
    live_flags: Vec<bool>,
    live: u32,
    live_len: f64,
    scratch: Vec<(u32, f32)>,
}

/// Better first: higher score, then the earlier document.
fn better(a: &DocScore, b: &DocScore) -> Ordering {
    b.score.total_cmp(&a.score).then(a.doc.cmp(&b.doc))
}

/// How many times `k` candidates [`Best`] collects before cutting back to
/// `k`. Cutting at 2k made ranking on the evaluation about 2 % slower: the
/// selections cost more than the looser threshold in between lets through.
const CUT_AT: usize = 4;

/// The best `k` documents offered so far, offered in increasing document
/// order. Rather than a heap updated for every document that beats the
/// k-th best, candidates are collected and cut back to the best `k` by one
/// selection whenever there are [`CUT_AT`] times `k`: the threshold (the k-th best
/// score once there are `k`) is then up to date only after a cut, so it is
/// lower in between, which only lets more documents through, never loses
/// one. A document equal to the threshold comes after the `k` that set it
/// and loses the tie, so it is not kept.
struct Best {
    k: usize,
    kept: Vec<DocScore>,
    /// A score no better than the k-th best so far; 0 before there are `k`.
    threshold: f32,
}

impl Best {
    fn new(k: usize) -> Self {
        Best {
            k,
            kept: Vec::with_capacity(CUT_AT * k + 1),
            threshold: 0.0,
        }
    }

    fn offer(&mut self, score: f32, doc: u32) {
        if self.kept.len() < self.k || score > self.threshold {
            self.kept.push(DocScore { doc, score });
            if self.kept.len() == self.k {
                self.threshold = self
                    .kept
                    .iter()
                    .map(|d| d.score)
                    .fold(f32::INFINITY, f32::min);
            } else if self.kept.len() >= CUT_AT * self.k {
                self.prune();
            }
        }
    }

    /// Cuts back to the best `k`, tightening the threshold.
    fn prune(&mut self) {
        if self.kept.len() > self.k {
            self.kept.select_nth_unstable_by(self.k - 1, better);
            self.kept.truncate(self.k);
            self.threshold = self.kept[self.k - 1].score;
        }
    }

    fn into_sorted(mut self) -> Vec<DocScore> {
        self.prune();
        self.kept.sort_unstable_by(better);
        self.kept
    }
}

/// A query term resolved against the index.
struct QueryTerm<'a> {
    cursor: Cursor<'a>,
    /// Query weight × IDF: the score of a posting is this times the
    /// saturated term frequency.
    weight: f32,
    /// Largest score any posting of the term can contribute.
    upper: f32,
}

/// A scored document number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct DocScore {
    pub(crate) doc: u32,
    pub(crate) score: f32,
}

impl InvertedIndex {
    /// Makes room for `docs` more documents in the per-document tables.
    pub(crate) fn reserve(&mut self, docs: usize) {
        self.lens.reserve_exact(docs);
        self.live_flags.reserve_exact(docs);
        self.vectors.reserve(docs);
    }

    /// Live documents.
    pub(crate) fn len(&self) -> usize {
        self.live as usize
    }

    /// Number of document numbers handed out, dead ones included.
    pub(crate) fn slots(&self) -> usize {
        self.lens.len()
    }

    /// Whether document `doc` is live.
    pub(crate) fn is_live(&self, doc: u32) -> bool {
        self.live_flags.get(doc as usize).copied().unwrap_or(false)
    }

    /// Distinct terms of a bag that the index knows, with their
    /// frequencies, left in `self.scratch` (reused, so that removal
    /// allocates nothing per document).
    fn resolve(&mut self, bag: &TermBag<'_>) {
        let mut occurrences = std::mem::take(&mut self.scratch);
        occurrences.clear();
        self.known_terms(bag, &mut occurrences);
        merge_runs(&mut occurrences);
        self.scratch = occurrences;
    }

    /// Appends the ids of the BM25 term occurrences of `bag` that the
    /// index knows, with their frequencies: words, then skills.
    fn known_terms(&self, bag: &TermBag<'_>, out: &mut Vec<(u32, f32)>) {
        let (mut lower, mut folded) = (String::new(), String::new());
        if let Some(read) = bag.read {
            // Counts are whole numbers, so they sum to the same BM25
            // frequencies as one occurrence at a time.
            for &(word, count) in &read.words {
                out.push((self.words.info[word as usize].term, count as f32));
            }
            for (token, count) in read.others() {
                if let Some(&term) = self.term_ids.get(fold_plural(token, &mut folded)) {
                    out.push((term, count as f32));
                }
            }
        }
        for &(text, weight) in bag.texts.iter().filter(|(_, w)| *w > 0.0) {
            for_each_token_range(text, |start, end| {
                let term = match self.find_word(text, start, end, &mut lower) {
                    // A known word's term is the folded form's.
                    Some(word) => Some(self.words.info[word as usize].term),
                    None if is_stopword(&lower) => None,
                    None => self.term_ids.get(fold_plural(&lower, &mut folded)).copied(),
                };
                if let Some(term) = term.filter(|&t| t != STOP) {
                    out.push((term, weight));
                }
            });
        }
        for (key, weight) in &bag.skills {
            if let Some(&id) = self.skill_ids.get(&**key) {
                out.push((id, *weight));
            }
        }
    }

    fn lookup(&self, bag: &TermBag<'_>) -> Vec<(u32, f32, bool)> {
        let read = bag.read.map_or(0, |r| r.words.len() + r.other_counts.len());
        let mut occurrences: Vec<(u32, f32)> = Vec::with_capacity(read + bag.skills.len());
        self.known_terms(bag, &mut occurrences);
        let skill_terms: Vec<u32> = bag
            .skills
            .iter()
            .filter_map(|(key, _)| self.skill_ids.get(&**key).copied())
            .collect();
        merge_runs(&mut occurrences);
        occurrences
            .into_iter()
            .map(|(id, tf)| (id, tf, skill_terms.contains(&id)))
            .collect()
    }

    /// The id of a word's BM25 term, adding it (with empty postings) the
    /// first time.
    fn term_id(&mut self, term: &str) -> u32 {
        new_or_known(&mut self.term_ids, &mut self.postings, term)
    }

    /// The id of a skill's BM25 term, adding it the first time.
    fn skill_id(&mut self, key: &str) -> u32 {
        new_or_known(&mut self.skill_ids, &mut self.postings, key)
    }

    /// The id of the token `text[start..end]` if it is a known word;
    /// otherwise `None`, with the token lower-cased in `buf`.
    #[inline]
    fn find_word(&self, text: &str, start: usize, end: usize, buf: &mut String) -> Option<u32> {
        if end - start <= SHORT {
            let found = self
                .words
                .get_short(lowered_key(text.as_bytes(), start, end));
            if found.is_some() {
                return found;
            }
        }
        buf.clear();
        buf.push_str(&text[start..end]);
        buf.make_ascii_lowercase();
        if end - start <= SHORT {
            None
        } else {
            self.words.get(buf)
        }
    }

    /// The id of a lower-cased token that is not a known word, adding it
    /// (and the term of its folded form).
    fn intern_word(&mut self, token: &str) -> u32 {
        debug_assert!(self.words.get(token).is_none());
        if is_stopword(token) {
            return self.words.add(
                token,
                Word {
                    term: STOP,
                    idf: 0.0,
                },
            );
        }
        let mut buf = String::new();
        let term = self.term_id(fold_plural(token, &mut buf));
        let idf = background_idf(token);
        self.words.add(token, Word { term, idf })
    }

    /// Adds a document under the next number, which it returns. Its texts
    /// are tokenised once for both its postings and its TF-IDF vector.
    pub(crate) fn insert(&mut self, bag: &TermBag<'_>) -> u32 {
        debug_assert!(bag.read.is_none(), "a read text is for queries only");
        let doc = u32::try_from(self.lens.len()).expect("fewer than 2^32 documents");
        let mut words = std::mem::take(&mut self.touched_words);
        let mut buf = std::mem::take(&mut self.token_buf);
        for &(text, weight) in &bag.texts {
            for_each_token_range(text, |start, end| {
                let word = match self.find_word(text, start, end, &mut buf) {
                    Some(word) => word,
                    None => {
                        let word = self.intern_word(&buf);
                        self.word_sums.push((0.0, 0));
                        word
                    }
                };
                if self.words.info[word as usize].term != STOP {
                    let sums = &mut self.word_sums[word as usize];
                    if sums.1 == 0 {
                        words.push(word);
                    }
                    sums.0 += weight;
                    sums.1 += 1;
                }
            });
        }
        self.token_buf = buf;
        // The vector lists words by ascending id.
        words.sort_unstable();

        let mut terms = std::mem::take(&mut self.touched_terms);
        let mut squares = SquareSum::default();
        let mut encoded = std::mem::take(&mut self.vector_buf);
        encoded.clear();
        let mut prev = 0;
        for &word in &words {
            let (weight, count) = std::mem::take(&mut self.word_sums[word as usize]);
            let info = &self.words.info[word as usize];
            squares.add_square(raw_weight(count, info.idf));
            put_word(&mut encoded, word - prev, count);
            prev = word;
            if weight > 0.0 {
                add_term(&mut self.term_sums, &mut terms, info.term, weight);
            }
        }
        self.vectors.push_encoded(&encoded, squares.norm());
        self.vector_buf = encoded;
        words.clear();
        self.touched_words = words;
        for (key, weight) in &bag.skills {
            let id = self.skill_id(key);
            add_term(&mut self.term_sums, &mut terms, id, *weight);
        }
        // Frequencies are multiples of a half, so these sums are exact in
        // any order.
        let len: f32 = terms.iter().map(|&t| self.term_sums[t as usize]).sum();
        for &id in &terms {
            let tf = std::mem::take(&mut self.term_sums[id as usize]);
            let p = &mut self.postings[id as usize];
            p.push(doc, encode_tf(tf), len);
            p.df += 1;
        }
        terms.clear();
        self.touched_terms = terms;
        for flag in &bag.flags {
            let id = self.skill_id(flag);
            let p = &mut self.postings[id as usize];
            if p.last != doc || p.len() == 0 {
                p.push(doc, encode_tf(1.0), len);
                p.df += 1;
            }
        }
        self.lens.push(len);
        self.live_flags.push(true);
        self.live += 1;
        self.live_len += f64::from(len);
        doc
    }

    /// The TF-IDF vector of `texts` (as if joined by line breaks) as a
    /// query against this index's documents, read from the texts in one
    /// pass: most tokens are found in the word table by their packed key.
    /// Tokens no document has add nothing to a cosine; they count only
    /// towards the norm, which equals [`TfIdf::new`](crate::text::TfIdf::new)'s to the bit (the
    /// same weights, summed exactly).
    pub(crate) fn text_query(&self, texts: &[&str]) -> TextQuery {
        // About one token in every six bytes of prose.
        let mut known: Vec<u32> = Vec::with_capacity(texts.iter().map(|t| t.len() / 6).sum());
        // Unknown tokens, lower-cased one after another, and their ends.
        let (mut unknown, mut ends) = (String::new(), Vec::new());
        let mut buf = String::new();
        for text in texts {
            for_each_token_range(text, |start, end| {
                match self.find_word(text, start, end, &mut buf) {
                    Some(word) if self.words.info[word as usize].term == STOP => {}
                    Some(word) => known.push(word),
                    None if is_stopword(&buf) => {}
                    None => {
                        unknown.push_str(&buf);
                        ends.push(unknown.len());
                    }
                }
            });
        }
        let (mut raw, mut once) = SPARE_WEIGHTS.take();
        if raw.len() < self.words.len() {
            raw.resize(self.words.len(), 0.0);
            once.resize(self.words.len(), 0);
        }
        let mut squares = SquareSum::default();
        known.sort_unstable();
        let mut words = Vec::new();
        for run in known.chunk_by(|a, b| a == b) {
            let id = run[0] as usize;
            let idf = self.words.info[id].idf;
            let weight = raw_weight(run.len() as u32, idf);
            squares.add_square(weight);
            raw[id] = weight;
            once[id] = DotSum::fixed(weight * raw_weight(1, idf));
            words.push((run[0], run.len() as u32));
        }
        let mut others: Vec<&str> = (0..ends.len())
            .map(|i| &unknown[if i == 0 { 0 } else { ends[i - 1] }..ends[i]])
            .collect();
        others.sort_unstable();
        let (mut other_text, mut other_counts) = (String::new(), Vec::new());
        for run in others.chunk_by(|a, b| a == b) {
            squares.add_square(raw_weight(run.len() as u32, background_idf(run[0])));
            other_text.push_str(run[0]);
            other_counts.push((other_text.len() as u32, run.len() as u32));
        }
        TextQuery {
            raw,
            once,
            norm: squares.norm(),
            words,
            other_text,
            other_counts,
        }
    }

    /// Whether document `doc` has any token for a cosine.
    pub(crate) fn has_text(&self, doc: u32) -> bool {
        !self.vectors.bytes(doc).is_empty()
    }

    /// The TF-IDF cosine of the query and document `doc`: the same number,
    /// to the bit, as [`TfIdf::cosine`](crate::text::TfIdf::cosine) of the
    /// texts they were made from. A plain loop over the encoded words rather
    /// than an iterator chain, and without a branch on whether the query
    /// has the word (a word it lacks adds zero): this runs for every
    /// shortlisted document's every word.
    pub(crate) fn text_cosine(&self, query: &TextQuery, doc: u32) -> f32 {
        let bytes = self.vectors.bytes(doc);
        let mut dot = DotSum::default();
        let (mut at, mut word) = (0, 0u32);
        while at < bytes.len() {
            let count = next_word(bytes, &mut at, &mut word);
            if count == 1 {
                dot.add_fixed(query.once[word as usize]);
            } else {
                let q = query.raw[word as usize];
                if q != 0.0 {
                    dot.add_product(q * raw_weight(count, self.words.info[word as usize].idf));
                }
            }
        }
        dot.cosine(query.norm, self.vectors.norms[doc as usize])
    }

    /// [`text_cosine`](Self::text_cosine) with the shared tokens that
    /// contribute most, as [`TfIdf::cosine`](crate::text::TfIdf::cosine)
    /// gives them.
    pub(crate) fn text_cosine_explained(&self, query: &TextQuery, doc: u32) -> (f32, Vec<&str>) {
        let bytes = self.vectors.bytes(doc);
        let mut dot = DotSum::default();
        let mut shared = Vec::with_capacity(16);
        let (mut at, mut word) = (0, 0u32);
        while at < bytes.len() {
            let count = next_word(bytes, &mut at, &mut word);
            let q = query.raw[word as usize];
            if q != 0.0 {
                let product = q * raw_weight(count, self.words.info[word as usize].idf);
                dot.add_product(product);
                shared.push((product, self.words.name(word)));
            }
        }
        (
            dot.cosine(query.norm, self.vectors.norms[doc as usize]),
            crate::text::strongest_shared(shared),
        )
    }

    /// Marks document `doc` dead; `bag` must be the one it was inserted
    /// with (its terms' document frequencies go down).
    pub(crate) fn remove(&mut self, doc: u32, bag: &TermBag<'_>) {
        if !self.is_live(doc) {
            return;
        }
        self.live_flags[doc as usize] = false;
        self.resolve(bag);
        let flags = bag
            .flags
            .iter()
            .filter_map(|f| self.skill_ids.get(*f).copied());
        let ids: Vec<u32> = self
            .scratch
            .iter()
            .map(|&(id, _)| id)
            .chain(flags)
            .collect();
        for id in ids {
            let p = &mut self.postings[id as usize];
            p.df = p.df.saturating_sub(1);
        }
        self.live -= 1;
        self.live_len -= f64::from(self.lens[doc as usize]);
    }

    /// Whether enough documents are dead for [`compact`](Self::compact) to
    /// pay off.
    pub(crate) fn wants_compaction(&self) -> bool {
        let dead = self.slots() - self.len();
        dead > 1024 && dead > self.len()
    }

    /// Drops dead postings and renumbers the live documents densely, in
    /// their order; returns the new number of every old one (`u32::MAX`
    /// for dead ones).
    pub(crate) fn compact(&mut self) -> Vec<u32> {
        let mut renumber = vec![u32::MAX; self.lens.len()];
        let mut lens = Vec::with_capacity(self.live as usize);
        let mut vectors = Vectors::default();
        vectors.reserve(self.live as usize);
        for (old, &len) in self.lens.iter().enumerate() {
            if self.live_flags[old] {
                renumber[old] = lens.len() as u32;
                lens.push(len);
                vectors.push_encoded(self.vectors.bytes(old as u32), self.vectors.norms[old]);
            }
        }
        self.vectors = vectors;
        for p in &mut self.postings {
            let mut fresh = Postings::default();
            let mut cursor = Cursor::new(&*p);
            while cursor.doc != u32::MAX {
                let new = renumber[cursor.doc as usize];
                if new != u32::MAX {
                    fresh.push(new, cursor.tf, lens[new as usize]);
                }
                cursor.next();
            }
            fresh.df = p.df;
            fresh.bytes.shrink_to_fit();
            fresh.skips.shrink_to_fit();
            *p = fresh;
        }
        self.live_flags = vec![true; lens.len()];
        self.lens = lens;
        renumber
    }

    fn idf(&self, df: u32) -> f32 {
        let n = self.live as f32;
        let df = df as f32;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    /// The `k` highest-scoring live documents under BM25, best first (ties
    /// by number), with MaxScore early termination: query terms are ordered
    /// by their score upper bound, and once the current k-th best score
    /// exceeds the sum of the smallest bounds, documents that contain only
    /// those terms are never visited; those terms are looked up (by skips
    /// and binary search) only for documents that can still enter the top
    /// k. The result equals that of scoring every document (up to float
    /// summation order).
    pub(crate) fn top_k(&self, query: &TermBag<'_>, k: usize) -> Vec<DocScore> {
        if k == 0 || self.live == 0 {
            return Vec::new();
        }
        let avg_len = (self.live_len / f64::from(self.live)).max(1e-6) as f32;
        let mut terms: Vec<QueryTerm<'_>> = self
            .lookup(query)
            .into_iter()
            .filter_map(|(id, qtf, is_skill)| {
                let p = &self.postings[id as usize];
                // A term in every live document is no evidence for any of
                // them (its IDF is ~0); dropping it also keeps rounding
                // noise from reordering near-ties.
                if p.df == 0 || p.df >= self.live {
                    return None;
                }
                let weight = query_weight(is_skill, qtf, self.idf(p.df));
                let max_tf = decode_tf(p.max_tf);
                let norm = K1 * (1.0 - B + B * p.min_len / avg_len);
                let upper = weight * max_tf * (K1 + 1.0) / (max_tf + norm);
                Some(QueryTerm {
                    cursor: Cursor::new(p),
                    weight,
                    upper,
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

        // K1 · (1 − B + B · len / avg): the length part of BM25.
        let (base, per_len) = (K1 * (1.0 - B), K1 * B / avg_len);
        let mut best = Best::new(k);
        // Terms before `essential` cannot lift a document into the top k on
        // their own.
        let mut essential = 0;
        // Essential terms are scored a window of document numbers at a time
        // into an accumulator (tight loops over one list each, rather than
        // finding the smallest current document among all lists for every
        // document); a bitmap says which slots were touched, in order.
        let mut acc = vec![0.0f32; WINDOW];
        let mut touched = [0u64; WINDOW / 64];
        loop {
            best.prune();
            let threshold = best.threshold;
            while essential < terms.len() && bound_below[essential + 1] <= threshold {
                essential += 1;
            }
            if essential == terms.len() {
                break;
            }
            let start = terms[essential..]
                .iter()
                .map(|t| t.cursor.doc)
                .min()
                .unwrap_or(u32::MAX);
            if start == u32::MAX {
                break;
            }
            let end = start.saturating_add(WINDOW as u32);
            for t in &mut terms[essential..] {
                while t.cursor.doc < end {
                    let doc = t.cursor.doc;
                    let slot = (doc - start) as usize;
                    let tf = t.cursor.tf();
                    let norm = base + per_len * self.lens[doc as usize];
                    acc[slot] += t.weight * tf * (K1 + 1.0) / (tf + norm);
                    touched[slot / 64] |= 1 << (slot % 64);
                    t.cursor.next();
                }
            }
            for (word_index, word) in touched.iter_mut().enumerate() {
                let mut bits = std::mem::take(word);
                while bits != 0 {
                    let slot = word_index * 64 + bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    let mut score = std::mem::take(&mut acc[slot]);
                    let doc = start + slot as u32;
                    if !self.live_flags[doc as usize] {
                        continue;
                    }
                    // Non-essential terms, strongest first, while they can
                    // still make a difference.
                    let norm = base + per_len * self.lens[doc as usize];
                    for i in (0..essential).rev() {
                        if score + bound_below[i + 1] <= best.threshold {
                            break;
                        }
                        let t = &mut terms[i];
                        t.cursor.seek(doc);
                        if t.cursor.doc == doc {
                            let tf = t.cursor.tf();
                            score += t.weight * tf * (K1 + 1.0) / (tf + norm);
                        }
                    }
                    best.offer(score, doc);
                }
            }
        }
        best.into_sorted()
    }

    /// BM25 of every live document, for tests that check `top_k` against
    /// exhaustive scoring.
    #[cfg(test)]
    pub(crate) fn score_all(&self, query: &TermBag<'_>) -> Vec<DocScore> {
        let avg_len = (self.live_len / f64::from(self.live)).max(1e-6) as f32;
        let mut scores = vec![0.0f32; self.lens.len()];
        for (id, qtf, is_skill) in self.lookup(query) {
            let p = &self.postings[id as usize];
            if p.df == 0 || p.df >= self.live {
                continue;
            }
            let weight = query_weight(is_skill, qtf, self.idf(p.df));
            let mut c = Cursor::new(p);
            while c.doc != u32::MAX {
                let d = c.doc as usize;
                let norm = K1 * (1.0 - B + B * self.lens[d] / avg_len);
                let tf = c.tf();
                scores[d] += weight * tf * (K1 + 1.0) / (tf + norm);
                c.next();
            }
        }
        let mut hits: Vec<DocScore> = scores
            .into_iter()
            .enumerate()
            .filter(|&(d, s)| self.live_flags[d] && s > 0.0)
            .map(|(d, score)| DocScore {
                doc: d as u32,
                score,
            })
            .collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.doc.cmp(&b.doc)));
        hits
    }
}

/// The id of `term` in `ids`, adding it with empty postings the first time.
fn new_or_known(
    ids: &mut FxHashMap<Box<str>, u32>,
    postings: &mut Vec<Postings>,
    term: &str,
) -> u32 {
    if let Some(&id) = ids.get(term) {
        return id;
    }
    let id = u32::try_from(postings.len()).expect("fewer than 2^32 terms");
    ids.insert(Box::from(term), id);
    postings.push(Postings::default());
    id
}

/// Sums the frequencies of equal term ids.
fn merge_runs(occurrences: &mut Vec<(u32, f32)>) {
    occurrences.sort_unstable_by_key(|&(id, _)| id);
    occurrences.dedup_by(|later, kept| {
        if later.0 == kept.0 {
            kept.1 += later.1;
            true
        } else {
            false
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::TfIdf;

    fn bag(text: &str) -> TermBag<'_> {
        let mut b = TermBag::new();
        b.add_text(text);
        b
    }

    /// Deterministic pseudo-random documents over a small vocabulary with a
    /// skewed (Zipf-like) word distribution, so that some terms are common
    /// and MaxScore has something to skip.
    fn corpus(n: usize) -> Vec<String> {
        let words: Vec<String> = (0..300).map(|i| format!("w{i}x")).collect();
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

    fn same_ranking(fast: &[DocScore], exact: &[DocScore]) {
        assert_eq!(fast.len(), exact.len());
        for (f, e) in fast.iter().zip(exact) {
            // Summation order differs, so scores may differ in the last
            // bits; documents may then swap only when their scores tie.
            assert!((f.score - e.score).abs() < 1e-4, "{f:?} vs {e:?}");
        }
    }

    #[test]
    fn postings_round_trip_and_seek() {
        let mut p = Postings::default();
        let docs: Vec<u32> = (0..1_000u32).map(|i| i * 7 + (i % 3) * 300).collect();
        let mut sorted = docs.clone();
        sorted.sort_unstable();
        sorted.dedup();
        for (i, &d) in sorted.iter().enumerate() {
            p.push(d, (i % 200) as u8 + 1, 1.0);
        }
        let mut c = Cursor::new(&p);
        for (i, &d) in sorted.iter().enumerate() {
            assert_eq!(c.doc, d);
            assert_eq!(c.tf, (i % 200) as u8 + 1);
            c.next();
        }
        assert_eq!(c.doc, u32::MAX);
        for target in [0, 1, 6, 7, 500, 3_000, 6_993, 7_300, 9_000] {
            let mut c = Cursor::new(&p);
            c.seek(target);
            let want = sorted
                .iter()
                .copied()
                .find(|&d| d >= target)
                .unwrap_or(u32::MAX);
            assert_eq!(c.doc, want, "seek {target}");
        }
    }

    #[test]
    fn maxscore_top_k_equals_exhaustive_scoring() {
        let docs = corpus(12_000);
        let mut index = InvertedIndex::default();
        for d in &docs {
            index.insert(&bag(d));
        }
        for query in [
            "w1x w2x w250x",
            "w0x w0x w0x w1x w17x w100x w299x",
            "w5x",
            &docs[42],
        ] {
            for k in [1, 10, 50] {
                let fast = index.top_k(&bag(query), k);
                let mut exact = index.score_all(&bag(query));
                exact.truncate(k);
                same_ranking(&fast, &exact);
                assert!(!fast.is_empty());
            }
        }
    }

    #[test]
    fn removal_and_compaction_keep_results_exact() {
        let docs = corpus(5_000);
        let mut index = InvertedIndex::default();
        for d in &docs {
            index.insert(&bag(d));
        }
        for i in (0..5_000u32).filter(|i| i % 5 != 0) {
            index.remove(i, &bag(&docs[i as usize]));
        }
        assert_eq!(index.len(), 1_000);
        for query in ["w1x w2x w250x", &docs[10]] {
            let fast = index.top_k(&bag(query), 10);
            assert!(fast.iter().all(|h| h.doc % 5 == 0));
            let mut exact = index.score_all(&bag(query));
            exact.truncate(10);
            same_ranking(&fast, &exact);
        }
        assert!(index.wants_compaction());
        let before = index.top_k(&bag(&docs[10]), 10);
        let renumber = index.compact();
        assert_eq!(index.slots(), 1_000);
        assert_eq!(renumber[5], 1);
        assert_eq!(renumber[6], u32::MAX);
        let after = index.top_k(&bag(&docs[10]), 10);
        let mapped: Vec<u32> = before.iter().map(|h| renumber[h.doc as usize]).collect();
        assert_eq!(after.iter().map(|h| h.doc).collect::<Vec<_>>(), mapped);
        let d = index.insert(&bag("w299x uniqueword"));
        assert_eq!(index.top_k(&bag("uniqueword"), 5)[0].doc, d);
    }

    /// The cosines an index computes from its packed word counts equal
    /// those of the texts' own vectors to the bit, with the same shared
    /// tokens: over a vocabulary wide enough for word-id gaps of several
    /// bytes, with counts above 1 and above 127, before and after a
    /// compaction renumbers the documents.
    #[test]
    fn text_cosines_equal_the_texts_vectors_to_the_bit() {
        let mut docs = corpus(600);
        docs.push(format!("{} w3x w250x patients", "w7x ".repeat(300)));
        docs.push(String::new());
        let mut index = InvertedIndex::default();
        for d in &docs {
            index.insert(&bag(d));
        }
        // Queries of one text and of several: known words in any case,
        // words no document has (repeated, longer than a packed key), stop
        // words, and nothing at all.
        let queries: [&[&str]; 6] = [
            &[&docs[3]],
            &[&docs[600]],
            &["w7x w7x W299X patient"],
            &[
                "The W7X and THE unheardof UNHEARDOF extraordinarilylongword",
                "w3x, Patients",
            ],
            &["the and of"],
            &[],
        ];
        let check = |index: &InvertedIndex, live: &[(u32, &String)]| {
            for texts in queries {
                let text = TfIdf::new(&texts.join("\n"));
                let query = index.text_query(texts);
                assert_eq!(query.is_empty(), text.is_empty());
                for &(doc, d) in live {
                    let plain = text.cosine(&TfIdf::new(d));
                    assert_eq!(index.text_cosine(&query, doc).to_bits(), plain.0.to_bits());
                    assert_eq!(index.text_cosine_explained(&query, doc), plain);
                    assert_eq!(index.has_text(doc), !TfIdf::new(d).is_empty());
                }
            }
        };
        let all: Vec<(u32, &String)> = (0..).zip(&docs).collect();
        check(&index, &all);
        assert!(index.text_cosine(&index.text_query(&[&docs[600]]), 600) > 0.99);
        assert!(index.text_query(&queries[3][..1]).norm > 0.0);

        for (doc, d) in &all {
            if doc % 4 != 0 {
                index.remove(*doc, &bag(d));
            }
        }
        let renumber = index.compact();
        let live: Vec<(u32, &String)> = all
            .iter()
            .filter(|(doc, _)| doc % 4 == 0)
            .map(|&(doc, d)| (renumber[doc as usize], d))
            .collect();
        check(&index, &live);
    }

    #[test]
    fn a_read_text_queries_like_the_text() {
        let mut docs = corpus(2_000);
        docs.push("cares for patients and injuries".to_owned());
        let mut index = InvertedIndex::default();
        for d in &docs {
            index.insert(&bag(d));
        }
        for q in [
            docs[5].as_str(),
            &docs[1_999],
            // Mixed case, stop words, repeats, a word only its singular
            // is known by, words no document has, a long one.
            "The W7X w7x and W250X PATIENTS unheardof unheardof injury extraordinarilylongword",
            "the and of",
            "",
        ] {
            let text = index.text_query(&[q]);
            let mut read = TermBag::new();
            read.add_read_text(&text);
            let plain = bag(q);
            assert_eq!(index.lookup(&read), index.lookup(&plain), "{q}");
            for k in [1, 10, 50] {
                assert_eq!(index.top_k(&read, k), index.top_k(&plain, k), "{q}");
            }
        }
    }

    #[test]
    fn reused_weight_tables_hold_nothing_of_earlier_queries() {
        let (large, small) = (corpus(800), corpus(30));
        let mut a = InvertedIndex::default();
        let mut b = InvertedIndex::default();
        for d in &large {
            a.insert(&bag(d));
        }
        for d in &small {
            b.insert(&bag(d));
        }
        let check = |index: &InvertedIndex, docs: &[String], q: &str| {
            let query = index.text_query(&[q]);
            let text = TfIdf::new(q);
            for (doc, d) in (0..).zip(docs) {
                let plain = text.cosine(&TfIdf::new(d)).0;
                assert_eq!(index.text_cosine(&query, doc).to_bits(), plain.to_bits());
            }
        };
        // Alternating indexes of different sizes, and two queries alive at
        // once (the second gets fresh tables; both are handed back).
        for i in 0..6 {
            check(&a, &large, &large[i * 7]);
            check(&b, &small, &small[i]);
            let held = a.text_query(&[&large[i]]);
            check(&a, &large, &large[i + 100]);
            drop(held);
        }
    }

    #[test]
    fn packed_keys_are_the_keys_of_the_lowered_tokens() {
        // Tokens of every length up to SHORT and past it, mid-text (read
        // as a 16-byte window) and at the very end (copied).
        let mut text = String::from("C++ C# R Kubernetes  ÉCOLE-Polytechnique x9 ");
        for len in 1..=SHORT + 2 {
            text.push_str(&"AbCdEfGhIjKlMnOpQrS"[..len]);
            text.push(' ');
        }
        text.push_str("TrailingWordAtEnd");
        let mut words = Words::default();
        let mut seen = 0;
        for_each_token_range(&text, |start, end| {
            let lowered = text[start..end].to_ascii_lowercase();
            if lowered.len() > SHORT {
                return;
            }
            seen += 1;
            let key = lowered_key(text.as_bytes(), start, end);
            assert_eq!(key, short_key(lowered.as_bytes()), "{lowered}");
            let id = words
                .get(&lowered)
                .unwrap_or_else(|| words.add(&lowered, Word { term: 0, idf: 1.0 }));
            assert_eq!(words.get_short(key), Some(id));
            assert_eq!(words.name(id), lowered);
        });
        assert!(seen > SHORT);
        let long = "abcdefghijklmnopq";
        assert_eq!(words.get(long), None);
        let id = words.add(long, Word { term: 0, idf: 1.0 });
        assert_eq!(words.get(long), Some(id));
        assert_eq!(
            words.get(&long[..SHORT]).map(|i| words.name(i)),
            Some(&long[..SHORT])
        );
    }

    #[test]
    fn skill_terms_do_not_collide_with_words_and_plurals_fold() {
        let mut index = InvertedIndex::default();
        let mut with_skill = TermBag::new();
        with_skill.add_skill(Rc::from("python"), 1.0);
        let skill = index.insert(&with_skill);
        let word = index.insert(&bag("python"));
        let mut q = TermBag::new();
        q.add_skill(Rc::from("python"), 1.0);
        let hits = index.top_k(&q, 10);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].doc, skill);
        assert_eq!(index.top_k(&bag("python"), 10)[0].doc, word);
        let nurse = index.insert(&bag("cares for patients and injuries"));
        assert_eq!(index.top_k(&bag("patient injury care"), 1)[0].doc, nurse);
        let mut buf = String::new();
        assert_eq!(fold_plural("business", &mut buf), "business");
        assert_eq!(fold_plural("status", &mut buf), "status");
        assert_eq!(fold_plural("analysis", &mut buf), "analysis");
    }
}
