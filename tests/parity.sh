#!/usr/bin/env bash
# Every operation of openapi.json must exist in the Rust, Python and JS SDKs.
# Runs after the SDK steps of tests/run.sh (it needs the Python venv they built).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 tests/parity.py "${MISMATCH_PY_VENV:-target/pyenv}/bin/python"
