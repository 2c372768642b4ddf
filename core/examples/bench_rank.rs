//! The full explainable ranking on the evaluation's files, timed with less
//! noise than one pass can give: every query is ranked `ROUNDS` times and
//! its fastest time kept, so that two builds can be compared step by step.
//! Also counts the heap allocations of one ranking.
//!
//! `core/eval/run.sh` first (it writes `target/matching-eval`), then
//! `taskset -c 1 target/release/examples/bench_rank [ROUNDS] [--dir DIR]`.
//!
//! Prints the p50 / p95 / p99 of the per-query fastest times (with the
//! query's text length), the p50 / p95 / mean of all times, and the mean
//! allocations per ranking and per retrieval of a shortlist of 50.

// A counting global allocator needs `unsafe impl GlobalAlloc`; it only
// forwards to the system allocator.
#![allow(unsafe_code)]

#[path = "../eval/synth.rs"]
mod synth;

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use mismatch_core::matching::index::JobIndex;
use mismatch_core::matching::{CandidateProfile, JobProfile, MatchWeights};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is passed on unchanged to `System`, which upholds the
// `GlobalAlloc` contract; the counter has no effect on the memory returned.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Mean allocations per call of `f` over `items`.
fn allocations_per<T>(items: &[T], mut f: impl FnMut(&T)) -> f64 {
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for item in items {
        f(item);
    }
    (ALLOCATIONS.load(Ordering::Relaxed) - before) as f64 / items.len().max(1) as f64
}

fn at(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() as f64 * q) as usize).min(sorted.len() - 1)]
}

fn main() {
    let mut rounds = 10usize;
    let mut dir = PathBuf::from(synth::EVAL_DIR);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--dir" => dir = PathBuf::from(args.next().expect("--dir DIR")),
            n => rounds = n.parse().expect("ROUNDS is a number"),
        }
    }
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| {
            panic!(
                "{name} in {}: {e}; run core/eval/run.sh first",
                dir.display()
            )
        })
    };
    mismatch_core::warm_up();
    let jobs: Vec<JobProfile> = read("jobs.tsv")
        .lines()
        .filter_map(|l| {
            let mut c = l.split('\t');
            Some(synth::job_profile(c.next()?, c.next()?, c.next()?))
        })
        .collect();
    let candidates: Vec<CandidateProfile> = read("resumes.tsv")
        .lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let (_, text) = l.split_once('\t')?;
            Some(synth::candidate_profile(
                &format!("q{i}"),
                &synth::unescape(text),
            ))
        })
        .collect();
    let index = JobIndex::build(jobs);
    let weights = MatchWeights::default();

    let per_rank = allocations_per(&candidates, |c| {
        std::hint::black_box(index.rank(c, &weights, 10));
    });
    let per_retrieve = allocations_per(&candidates, |c| {
        std::hint::black_box(index.retrieve(c, 50));
    });

    let mut fastest = vec![f64::MAX; candidates.len()];
    let mut all = Vec::with_capacity(rounds * candidates.len());
    for _ in 0..rounds {
        for (i, c) in candidates.iter().enumerate() {
            let t = Instant::now();
            std::hint::black_box(index.rank(c, &weights, 10));
            let ms = t.elapsed().as_secs_f64() * 1e3;
            fastest[i] = fastest[i].min(ms);
            all.push(ms);
        }
    }
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by(|&a, &b| fastest[a].total_cmp(&fastest[b]));
    println!(
        "# {} jobs, {} queries, {rounds} rounds",
        index.len(),
        candidates.len()
    );
    for q in [0.5, 0.95, 0.99] {
        let i = order[((order.len() as f64 * q) as usize).min(order.len() - 1)];
        println!(
            "fastest of {rounds}, p{:<2}: {:.4} ms (a {}-byte resume)",
            (q * 100.0) as u32,
            fastest[i],
            candidates[i].text.len()
        );
    }
    all.sort_by(f64::total_cmp);
    println!(
        "all runs: p50 {:.4} ms, p95 {:.4} ms, mean {:.4} ms",
        at(&all, 0.5),
        at(&all, 0.95),
        all.iter().sum::<f64>() / all.len() as f64
    );
    println!("allocations: {per_rank:.1} per ranking, {per_retrieve:.1} per retrieval of 50");
}
