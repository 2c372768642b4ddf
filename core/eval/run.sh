#!/usr/bin/env bash
# Matching evaluation and speed benchmark, our engine and the scikit-learn
# baseline side by side in one run, on the same generated files.
#
#   core/eval/run.sh          sample: every third O*NET occupation, 10,000-job benchmark
#   core/eval/run.sh --full   3 resumes per occupation, 100,000-job benchmark
#
# Python: $PYTHON if set, else target/evalenv (created with pinned
# scikit-learn/numpy on first use).
set -euo pipefail
cd "$(dirname "$0")/../.."

full=""
jobs=10000
queries=200
exact=10
if [ "${1:-}" = "--full" ]; then
    full="--full"
    jobs=100000
    queries=1000
    exact=20
fi

py="${PYTHON:-target/evalenv/bin/python}"
if [ ! -x "$py" ]; then
    python3 -m venv target/evalenv
    target/evalenv/bin/pip install -q scikit-learn==1.7.2 numpy==2.3.5
    py=target/evalenv/bin/python
fi

cargo build --release -q -p mismatch-core --example eval --example bench_index

echo "Machine: $(nproc) cores; OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-unset}"
echo "scikit-learn $("$py" -c 'import sklearn; print(sklearn.__version__)')"
echo
echo "## Evaluation: synthetic resumes -> source O*NET occupation (1,016 jobs)"
printf '%-30s | %6s | %8s | %9s | %7s | %8s | %8s\n' system queries recall@1 recall@10 MRR@10 "p50 ms" "p95 ms"
target/release/examples/eval $full --dir target/matching-eval
"$py" core/eval/sklearn_baseline.py eval target/matching-eval
echo
echo "## Speed: top-10 jobs per resume over $jobs generated jobs"
printf '%-30s | %7s | %9s | %8s | %6s | %8s | %8s\n' system jobs "build ms" "mem MB" queries "p50 ms" "p95 ms"
target/release/examples/bench_index --jobs "$jobs" --queries "$queries" --exact "$exact" --dir target/matching-bench
"$py" core/eval/sklearn_baseline.py bench target/matching-bench
