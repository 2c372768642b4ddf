//! Speed and memory of the job index on a generated corpus, for comparison
//! with `core/eval/sklearn_baseline.py bench` on the same files.
//!
//! `cargo run --release -p mismatch-core --example bench_index -- [--jobs N] [--queries Q] [--dir DIR] [--reuse] [--exact N]`
//!
//! Writes (unless `--reuse`) `DIR/jobs.tsv` (N jobs generated from the O*NET occupations,
//! seeded) and `DIR/queries.tsv` (Q synthetic resumes), reads them back,
//! builds a `JobIndex` (three times, reporting the median time) and ranks
//! the top 10 jobs for every query. Memory is the peak resident set during
//! the first build minus the resident set before it (peak reset through
//! `/proc/self/clear_refs` first), measured exactly the same way by the
//! Python baseline.

#[path = "../eval/synth.rs"]
mod synth;

use std::fs;
use std::path::PathBuf;
use std::time::Instant;

use mismatch_core::matching::index::JobIndex;
use mismatch_core::matching::{CandidateProfile, JobProfile, MatchWeights, rank_jobs};
use mismatch_core::skills::SkillVocabulary;
use mismatch_core::{RemotePolicy, Seniority};

const SEED: u64 = 100_000;
/// Builds timed; the median is reported (the baseline does the same).
const BUILDS: usize = 3;

fn memory_kb(field: &str) -> u64 {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn job_profile(j: synth::SyntheticJob) -> JobProfile {
    JobProfile {
        id: j.id,
        title: j.title,
        description: j.description,
        required_skills: j.required_skills,
        nice_to_have_skills: j.nice_to_have_skills,
        seniority: Some(Seniority::Mid),
        min_years: 2.0,
        location: Some(j.location),
        remote: match j.remote {
            "remote" => RemotePolicy::Remote,
            "hybrid" => RemotePolicy::Hybrid,
            _ => RemotePolicy::Onsite,
        },
        salary_min: Some(j.salary_min),
        salary_max: Some(j.salary_max),
    }
}

fn main() {
    let (mut n_jobs, mut n_queries) = (100_000usize, 1_000usize);
    let mut generate = true;
    let mut exact = 0usize;
    let mut dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../target/matching-bench"
    ));
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().expect("option needs a value");
        match arg.as_str() {
            "--jobs" => n_jobs = value().parse().expect("--jobs N"),
            "--queries" => n_queries = value().parse().expect("--queries Q"),
            "--dir" => dir = PathBuf::from(value()),
            "--reuse" => generate = false,
            "--exact" => exact = value().parse().expect("--exact N"),
            other => panic!("unknown argument {other}"),
        }
    }
    fs::create_dir_all(&dir).expect("create output dir");
    if generate {
        write_corpus(&dir, n_jobs, n_queries);
    }
    run(&dir, exact);
}

/// Writes `n_jobs` generated jobs and `n_queries` resumes into `dir`.
fn write_corpus(dir: &std::path::Path, n_jobs: usize, n_queries: usize) {
    let occupations = synth::occupations();
    let skills: Vec<String> = SkillVocabulary::global()
        .skills()
        .iter()
        .map(|s| s.name.clone())
        .collect();
    let mut jobs_tsv = String::new();
    for i in 0..n_jobs {
        jobs_tsv.push_str(&synth::synthetic_job(&occupations, &skills, i, SEED).to_tsv());
        jobs_tsv.push('\n');
    }
    let mut queries_tsv = String::new();
    let mut rng = synth::Rng::new(SEED);
    for q in 0..n_queries {
        let occupation = rng.below(occupations.len());
        let text = synth::resume(&occupations, occupation, SEED + q as u64);
        queries_tsv.push_str(&format!("q{q}\t{}\n", synth::escape(&text)));
    }
    fs::write(dir.join("jobs.tsv"), jobs_tsv).expect("write jobs.tsv");
    fs::write(dir.join("queries.tsv"), queries_tsv).expect("write queries.tsv");
}

fn load_jobs(dir: &std::path::Path) -> Vec<JobProfile> {
    fs::read_to_string(dir.join("jobs.tsv"))
        .expect("read jobs.tsv")
        .lines()
        .filter_map(synth::SyntheticJob::from_tsv)
        .map(job_profile)
        .collect()
}

/// Loads the files, builds the index and times the queries; then, for the
/// first `exact` queries, compares the indexed top 10 with scoring every
/// job (slow: 100,000 full scores per query).
fn run(dir: &std::path::Path, exact: usize) {
    // Load what the baseline loads: the job texts (as profiles) and queries.
    mismatch_core::warm_up();
    let jobs = load_jobs(dir);
    let queries: Vec<CandidateProfile> = fs::read_to_string(dir.join("queries.tsv"))
        .expect("read queries.tsv")
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(id, text)| synth::candidate_profile(id, &synth::unescape(text)))
        .collect();
    let n = jobs.len();

    // The build is timed BUILDS times (the median is reported; this
    // machine is noisy) on copies made beforehand; memory is that of the
    // first build.
    let mut spare: Vec<Vec<JobProfile>> = (1..BUILDS).map(|_| jobs.clone()).collect();
    // Resets the peak RSS to the current RSS, so the peak read after the
    // build is the build's.
    let _ = fs::write("/proc/self/clear_refs", "5");
    let rss_before = memory_kb("VmRSS");
    let started = Instant::now();
    let index = JobIndex::build(jobs);
    let mut build_times = vec![started.elapsed().as_secs_f64() * 1e3];
    let mem_mb = memory_kb("VmHWM").saturating_sub(rss_before) as f64 / 1024.0;
    while let Some(copy) = spare.pop() {
        let started = Instant::now();
        let again = JobIndex::build(copy);
        build_times.push(started.elapsed().as_secs_f64() * 1e3);
        drop(again);
    }
    build_times.sort_by(f64::total_cmp);
    let build_ms = build_times[build_times.len() / 2];

    let weights = MatchWeights::default();
    let (mut t_retrieval, mut t_rank) = (Vec::new(), Vec::new());
    // One pass per system, as in `eval`: a query's retrieval does not warm
    // the caches for its ranking.
    for q in &queries {
        let t = Instant::now();
        std::hint::black_box(index.retrieve(q, 10));
        t_retrieval.push(t.elapsed().as_secs_f64() * 1e3);
    }
    for q in &queries {
        let t = Instant::now();
        std::hint::black_box(index.rank(q, &weights, 10));
        t_rank.push(t.elapsed().as_secs_f64() * 1e3);
    }
    for (name, times) in [
        ("ours: BM25 retrieval top-10", &mut t_retrieval),
        ("ours: full explainable top-10", &mut t_rank),
    ] {
        times.sort_by(f64::total_cmp);
        println!(
            "{name:<30} | {n:>7} | {build_ms:>9.1} | {mem_mb:>8.1} | {:>6} | {:>8.3} | {:>8.3}",
            queries.len(),
            synth::percentile(times, 0.5),
            synth::percentile(times, 0.95)
        );
    }
    if exact > 0 {
        let jobs = load_jobs(dir);
        let (mut overlap, mut same_top, mut scan_ms) = (0usize, 0usize, 0.0);
        let sample = &queries[..exact.min(queries.len())];
        for q in sample {
            let ours: Vec<&str> = index
                .rank(q, &weights, 10)
                .into_iter()
                .map(|(j, _)| j.id.as_str())
                .collect();
            let t = Instant::now();
            let scan: Vec<&str> = rank_jobs(q, &jobs, &weights, 10)
                .into_iter()
                .map(|(i, _)| jobs[i].id.as_str())
                .collect();
            scan_ms += t.elapsed().as_secs_f64() * 1e3;
            overlap += ours.iter().filter(|id| scan.contains(id)).count();
            same_top += usize::from(ours.first() == scan.first());
        }
        let m = sample.len().max(1) as f64;
        println!(
            "# index vs scan over {} queries: {:.4} of the scan's top 10 found, same best job in {:.4}; scan {:.1} ms per query",
            sample.len(),
            overlap as f64 / (10.0 * m),
            same_top as f64 / m,
            scan_ms / m
        );
    }
}
