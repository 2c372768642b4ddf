//! The matching evaluation on a sample (every third O*NET occupation, one
//! synthetic resume each): the source occupation must be found. The full
//! run, with timings and the scikit-learn baseline next to it, is
//! `core/eval/run.sh --full`.

#[path = "../eval/synth.rs"]
mod synth;

use mismatch_core::matching::MatchWeights;
use mismatch_core::matching::index::JobIndex;

#[test]
fn synthetic_resumes_find_their_occupation() {
    let occupations = synth::occupations();
    assert!(occupations.len() > 1_000);
    let index = JobIndex::build(
        occupations
            .iter()
            .map(|o| synth::job_profile(&o.code, &o.title, &o.description))
            .collect(),
    );
    let weights = MatchWeights::default();
    let mut retrieval = Vec::new();
    let mut ranked = Vec::new();
    let mut verbatim = 0;
    for i in (0..occupations.len()).step_by(3) {
        let text = synth::resume(&occupations, i, 20_261_128);
        if text.contains(&occupations[i].description) {
            verbatim += 1;
        }
        let candidate = synth::candidate_profile(&format!("q{i}"), &text);
        let code = occupations[i].code.as_str();
        let hits = index.retrieve(&candidate, 10);
        retrieval.push((code, hits.into_iter().map(|h| h.key).collect()));
        let top = index.rank(&candidate, &weights, 10);
        ranked.push((code, top.into_iter().map(|(j, _)| j.id.clone()).collect()));
    }
    let (n, r1, r10, mrr) = synth::metrics(retrieval.into_iter());
    // The generator rewrites: only a one-sentence description that drew no
    // synonym survives whole.
    assert!(
        verbatim * 10 < n,
        "{verbatim} of {n} resumes copy the job text"
    );
    eprintln!("retrieval: n={n} recall@1={r1:.4} recall@10={r10:.4} MRR@10={mrr:.4}");
    // Measured on this sample: recall@1 0.8348, recall@10 0.9912, MRR@10
    // 0.9097 (full rank 0.8319 / 0.9912 / 0.9073; see BENCHMARKS.md); the
    // thresholds leave room for small rule changes.
    assert!(n > 300);
    assert!(r10 >= 0.97, "retrieval recall@10 {r10}");
    assert!(r1 >= 0.75, "retrieval recall@1 {r1}");
    let (_, r1, r10, mrr) = synth::metrics(ranked.into_iter());
    eprintln!("full rank: recall@1={r1:.4} recall@10={r10:.4} MRR@10={mrr:.4}");
    assert!(r10 >= 0.95, "full rank recall@10 {r10}");
    assert!(mrr >= 0.80, "full rank MRR@10 {mrr}");
}
