//! Matching evaluation on O*NET occupations: synthetic resumes written from
//! each occupation must find it among all of them.
//!
//! `cargo run --release -p mismatch-core --example eval -- [--full] [--seed N] [--dir DIR]`
//!
//! Writes `DIR/jobs.tsv` (`code<TAB>title<TAB>description`) and
//! `DIR/resumes.tsv` (`code<TAB>escaped text`), reads them back and prints
//! recall@1, recall@10, MRR@10 and per-query latency of our engine, one row
//! for the BM25 retrieval stage alone and one for the full two-stage
//! ranking, and one for scoring every pair without the index (the exact
//! answer the shortlist approximates) with how much of its top 10 the
//! indexed ranking finds. `core/eval/sklearn_baseline.py` reads the same
//! files.
//! Without `--full` it uses every third occupation's single resume (a
//! sample); with it, three resumes of every occupation.

#[path = "../eval/synth.rs"]
mod synth;

use std::fs;
use std::path::PathBuf;
use std::time::Instant;

use mismatch_core::matching::index::JobIndex;
use mismatch_core::matching::{JobProfile, MatchWeights, rank_jobs};
use synth::{candidate_profile, job_profile};

/// Seed of the resume generator (the one the BM25 parameters were chosen
/// on); `--seed` draws other resumes, e.g. to check that choice.
const SEED: u64 = 20_261_128;

fn main() {
    let mut full = false;
    let mut seed = SEED;
    let mut dir = PathBuf::from(synth::EVAL_DIR);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--full" => full = true,
            "--seed" => seed = args.next().and_then(|v| v.parse().ok()).expect("--seed N"),
            "--dir" => dir = PathBuf::from(args.next().expect("--dir needs a value")),
            other => panic!("unknown argument {other}; use [--full] [--dir DIR]"),
        }
    }
    fs::create_dir_all(&dir).expect("create output dir");

    // Generate and write, then read back: the baseline reads the same files.
    let occupations = synth::occupations();
    let mut jobs_tsv = String::new();
    let mut resumes_tsv = String::new();
    for o in &occupations {
        jobs_tsv.push_str(&format!("{}\t{}\t{}\n", o.code, o.title, o.description));
    }
    let (step, per) = if full { (1, 3) } else { (3, 1) };
    for i in (0..occupations.len()).step_by(step) {
        for r in 0..per {
            let text = synth::resume(&occupations, i, seed + r as u64);
            resumes_tsv.push_str(&format!(
                "{}\t{}\n",
                occupations[i].code,
                synth::escape(&text)
            ));
        }
    }
    fs::write(dir.join("jobs.tsv"), jobs_tsv).expect("write jobs.tsv");
    fs::write(dir.join("resumes.tsv"), resumes_tsv).expect("write resumes.tsv");

    let jobs_text = fs::read_to_string(dir.join("jobs.tsv")).expect("read jobs.tsv");
    let resumes_text = fs::read_to_string(dir.join("resumes.tsv")).expect("read resumes.tsv");
    mismatch_core::warm_up();
    let jobs: Vec<JobProfile> = jobs_text
        .lines()
        .filter_map(|l| {
            let mut c = l.split('\t');
            Some(job_profile(c.next()?, c.next()?, c.next()?))
        })
        .collect();
    let queries: Vec<(String, String)> = resumes_text
        .lines()
        .filter_map(|l| {
            let (code, text) = l.split_once('\t')?;
            Some((code.to_owned(), synth::unescape(text)))
        })
        .collect();

    // For the exhaustive reference: every pair scored, no index.
    let all_jobs = jobs.clone();
    let started = Instant::now();
    let index = JobIndex::build(jobs);
    let build_ms = started.elapsed().as_secs_f64() * 1e3;
    let weights = MatchWeights::default();

    let mut retrieval: Vec<(String, Vec<String>)> = Vec::new();
    let mut full_rank: Vec<(String, Vec<String>)> = Vec::new();
    let mut scan: Vec<(String, Vec<String>)> = Vec::new();
    let (mut t_retrieval, mut t_full, mut t_scan) = (Vec::new(), Vec::new(), Vec::new());
    let (mut overlap, mut same_top) = (0usize, 0usize);
    // Extracting skills is part of reading a resume, not of matching.
    let candidates: Vec<_> = queries
        .iter()
        .enumerate()
        .map(|(i, (_, text))| candidate_profile(&format!("q{i}"), text))
        .collect();
    // Each system runs over all queries in a pass of its own, back to back,
    // as the baseline does: nothing else (such as the exhaustive scan's
    // sweep over every job) runs between two timed queries.
    for ((code, _), candidate) in queries.iter().zip(&candidates) {
        let t = Instant::now();
        let hits = index.retrieve(candidate, 10);
        t_retrieval.push(t.elapsed().as_secs_f64() * 1e3);
        retrieval.push((code.clone(), hits.into_iter().map(|h| h.key).collect()));
    }
    for ((code, _), candidate) in queries.iter().zip(&candidates) {
        let t = Instant::now();
        let ranked = index.rank(candidate, &weights, 10);
        t_full.push(t.elapsed().as_secs_f64() * 1e3);
        let ours: Vec<String> = ranked.into_iter().map(|(j, _)| j.id.clone()).collect();
        full_rank.push((code.clone(), ours));
    }
    for ((code, _), candidate) in queries.iter().zip(&candidates) {
        let t = Instant::now();
        let exact: Vec<String> = rank_jobs(candidate, &all_jobs, &weights, 10)
            .into_iter()
            .map(|(i, _)| all_jobs[i].id.clone())
            .collect();
        t_scan.push(t.elapsed().as_secs_f64() * 1e3);
        scan.push((code.clone(), exact));
    }
    for ((_, ours), (_, exact)) in full_rank.iter().zip(&scan) {
        overlap += ours.iter().filter(|id| exact.contains(id)).count();
        same_top += usize::from(ours.first() == exact.first());
    }
    println!(
        "# {} jobs, {} queries, index built in {build_ms:.1} ms",
        index.len(),
        queries.len()
    );
    for (name, results, times) in [
        ("ours: BM25 retrieval", &retrieval, &mut t_retrieval),
        ("ours: full explainable rank", &full_rank, &mut t_full),
        ("scan: full score, every pair", &scan, &mut t_scan),
    ] {
        times.sort_by(f64::total_cmp);
        let (n, r1, r10, mrr) =
            synth::metrics(results.iter().map(|(c, r)| (c.as_str(), r.clone())));
        println!(
            "{name:<30} | {n:>6} | {r1:>8.4} | {r10:>9.4} | {mrr:>7.4} | {:>8.3} | {:>8.3}",
            synth::percentile(times, 0.5),
            synth::percentile(times, 0.95)
        );
    }
    let n = queries.len().max(1);
    println!(
        "# index vs scan, full score: {:.4} of the scan's top 10 found, same best job in {:.4} of queries",
        overlap as f64 / (10 * n) as f64,
        same_top as f64 / n as f64
    );
}
