#!/usr/bin/env bash
# Builds, installs and checks the Python SDK; the last thing printed is
# pytest's summary line. Needs python3 >= 3.10 (with venv and pip) and cargo.
#
# Env: MISMATCH_PY_VENV  virtualenv to (re)use (default: <repo>/target/pyenv)
#      MISMATCH_PY_PROFILE cargo profile of the native module (default: release)
#      MISMATCH_BASE_URL, MISMATCH_ADMIN_API_KEY, MISMATCH_FLAKY_URL,
#      MISMATCH_FIXTURES  enable the end-to-end tests and the example.
set -euo pipefail
SDK=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$SDK")
VENV=${MISMATCH_PY_VENV:-$ROOT/target/pyenv}
PROFILE=${MISMATCH_PY_PROFILE:-release}

say() { echo "--- sdk-python: $*"; }

if [ ! -x "$VENV/bin/python" ]; then
  python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
    || { echo "sdk-python needs Python >= 3.10, found $(python3 --version)" >&2; exit 1; }
  say "creating virtualenv $VENV"
  # Debian ships venv without ensurepip unless python3-venv is installed;
  # fall back on virtualenv when it is available.
  python3 -m venv "$VENV" 2>/dev/null || { rm -rf "$VENV"; python3 -m virtualenv -q "$VENV"; } || {
    echo "cannot create a virtualenv: install python3-venv (apt-get install python3-venv)" >&2
    exit 1
  }
fi
PY="$VENV/bin/python"
# maturin's PEP 517 hooks run the `maturin` binary from PATH.
export PATH="$VENV/bin:$PATH"
"$PY" -m pip install --quiet --disable-pip-version-check -r "$SDK/requirements-dev.txt"

say "generated code is up to date with openapi.json"
"$PY" "$SDK/generate.py" --check

say "building and installing the package ($PROFILE)"
# No build isolation: the pinned maturin above is the build backend, so the
# build needs nothing beyond what is already installed.
MATURIN_PEP517_ARGS="--profile $PROFILE" \
  "$PY" -m pip install --quiet --disable-pip-version-check --no-build-isolation \
  --force-reinstall --no-deps "$SDK"

# Run the checks from outside the source tree so they see the installed wheel.
cd "$SDK/tests"

say "mypy --strict (package, example, benchmark)"
"$PY" -m mypy --config-file "$SDK/pyproject.toml" --strict --no-incremental -p mismatch_recruiter
"$PY" -m mypy --config-file "$SDK/pyproject.toml" --strict --no-incremental "$ROOT/examples/python/quickstart.py" "$SDK/bench/latency.py"

say "stubtest (stubs and annotations match the runtime)"
"$PY" -m mypy.stubtest mismatch_recruiter --allowlist "$SDK/stubtest-allowlist.txt"

say "pytest"
exec "$PY" -m pytest -c "$SDK/pyproject.toml" --rootdir "$SDK" -p no:cacheprovider -rfEs "$SDK/tests"
