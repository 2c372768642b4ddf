#!/usr/bin/env bash
# Sequential latency of every SDK against one cheap endpoint (GET /health/live),
# each next to a raw HTTP client of the same language, all against ONE release
# server in one run: Rust (reqwest), Python sync and async (httpx), Node (fetch).
# Builds everything in release mode first. Results go to stdout; BENCHMARKS.md
# records a run.
#   bash tests/bench/sdk-latency.sh [N]      (N calls per variant, default 2000)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
N=${1:-2000}

cargo build --release --locked -p mismatch-server
# The Python script builds the release wheel into its venv (its live-server tests skip here).
(unset MISMATCH_BASE_URL; MISMATCH_PY_PROFILE=release bash sdk-python/run-tests.sh >/dev/null)
VENV=${MISMATCH_PY_VENV:-target/pyenv}
(cd sdk-js && npm ci --silent && node scripts/build.mjs --release --locked >/dev/null)

WORK=$(mktemp -d)
trap 'kill $SERVER_PID 2>/dev/null; rm -rf "$WORK"' EXIT
MISMATCH_DATA_DIR="$WORK/data" MISMATCH_BIND=127.0.0.1:0 MISMATCH_LOG=warn \
  target/release/mismatch-server serve >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 300); do grep -q 'listening on' "$WORK/server.log" && break; sleep 0.1; done
export MISMATCH_BASE_URL=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$WORK/server.log" | head -n1)

echo "machine: $(nproc) cores, $(uname -m); server: release build on $MISMATCH_BASE_URL; $N sequential calls per variant"
echo
echo "## Rust (release)"
cargo bench --locked -q -p mismatch-recruiter --bench latency 2>/dev/null
echo
echo "## Python"
"$VENV/bin/python" sdk-python/bench/latency.py -n "$N"
echo
echo "## Node"
(cd sdk-js && node bench/latency.mjs --iterations "$N")
