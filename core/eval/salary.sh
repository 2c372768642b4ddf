#!/usr/bin/env bash
# Salary model vs predict-the-mean vs scikit-learn's GradientBoostingRegressor
# on one seeded holdout split of core/data/Wage.csv, in one run.
# Usage: bash core/eval/salary.sh   (from anywhere; creates target/evalenv-salary once)
set -euo pipefail
cd "$(dirname "$0")/../.."
ENV=target/evalenv-salary
if [ ! -x "$ENV/bin/python" ] || ! "$ENV/bin/python" -c 'import sklearn' 2>/dev/null; then
    python3 -m venv "$ENV"
    "$ENV/bin/pip" install --quiet -r core/eval/salary-requirements.txt
fi
SPLIT=target/salary-eval
echo "== mismatch-core salary model (seed 42, then seeds 1-8 for spread)"
cargo run --quiet --release -p mismatch-core --example salary_eval -- "$SPLIT" 42 1 2 3 4 5 6 7 8
echo "== scikit-learn on the same split (seed 42)"
"$ENV/bin/python" core/eval/salary_sklearn.py "$SPLIT"
