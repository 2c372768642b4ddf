#!/usr/bin/env bash
# Builds, installs and checks the Python SDK; the last thing printed is
# pytest's summary line. Needs python3 >= 3.10 (with venv and pip) and cargo.
#
# The test suite also runs on the oldest supported Python (OLDEST below) when
# an interpreter of that version is found: MISMATCH_PY_OLDEST, python3.10 on
# PATH, or pyenv's versions. Without one it is skipped with a warning, except
# under CI=true, where that is a failure: CI must prove the oldest version.
#
# Env: MISMATCH_PY_VENV         virtualenv to (re)use (default: <repo>/target/pyenv)
#      MISMATCH_PY_OLDEST       interpreter of the oldest supported Python
#      MISMATCH_PY_OLDEST_VENV  its virtualenv (default: $MISMATCH_PY_VENV-$OLDEST)
#      MISMATCH_PY_PROFILE      cargo profile of the native module (default: release)
#      MISMATCH_BASE_URL, MISMATCH_ADMIN_API_KEY, MISMATCH_FLAKY_URL,
#      MISMATCH_FIXTURES  enable the end-to-end tests and the example.
set -euo pipefail
SDK=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$SDK")
# The oldest supported Python: pyproject's requires-python, mypy's
# python_version and the native module's abi3 feature say the same
# (tests/test_python_versions.py checks that they agree).
OLDEST=3.10
VENV=${MISMATCH_PY_VENV:-$ROOT/target/pyenv}
OLDEST_VENV=${MISMATCH_PY_OLDEST_VENV:-$VENV-$OLDEST}
PROFILE=${MISMATCH_PY_PROFILE:-release}

say() { echo "--- sdk-python: $*"; }

in_ci() { case "${CI:-}" in true | TRUE | True | 1) return 0 ;; *) return 1 ;; esac; }

# is_version PYTHON X.Y: PYTHON runs and is CPython X.Y.
is_version() {
  "$1" -c "import sys; sys.exit(f'{sys.version_info[0]}.{sys.version_info[1]}' != '$2')" 2>/dev/null
}

find_oldest() {
  if [ -n "${MISMATCH_PY_OLDEST:-}" ]; then
    is_version "$MISMATCH_PY_OLDEST" "$OLDEST" && { echo "$MISMATCH_PY_OLDEST"; return 0; }
    echo "MISMATCH_PY_OLDEST=$MISMATCH_PY_OLDEST is not a Python $OLDEST" >&2
    return 1
  fi
  local pyenv_root candidate
  pyenv_root=$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")
  # A pyenv shim for an inactive version exits 127, so each candidate is run.
  for candidate in "python$OLDEST" $(ls -d "$pyenv_root"/versions/"$OLDEST".*/bin/python"$OLDEST" 2>/dev/null | sort -V -r); do
    if is_version "$candidate" "$OLDEST"; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

# make_venv DIR PYTHON: creates DIR unless it already holds a virtualenv.
make_venv() {
  [ -x "$1/bin/python" ] && return 0
  say "creating virtualenv $1 ($("$2" --version))"
  # Debian ships venv without ensurepip unless python3-venv is installed;
  # fall back on virtualenv when it is available.
  "$2" -m venv "$1" 2>/dev/null || { rm -rf "$1"; "$2" -m virtualenv -q "$1"; } || {
    echo "cannot create a virtualenv with $2: install python3-venv (apt-get install python3-venv)" >&2
    exit 1
  }
}

pip_install() { "$1" -m pip install --quiet --disable-pip-version-check "${@:2}"; }

if [ ! -x "$VENV/bin/python" ]; then
  python3 -c "import sys; sys.exit(sys.version_info < ($(tr . , <<<"$OLDEST")))" \
    || { echo "sdk-python needs Python >= $OLDEST, found $(python3 --version)" >&2; exit 1; }
  make_venv "$VENV" python3
fi
PY="$VENV/bin/python"
# maturin's PEP 517 hooks run the `maturin` binary from PATH.
export PATH="$VENV/bin:$PATH"
pip_install "$PY" -r "$SDK/requirements-dev.txt"

OLDEST_PY=
if ! is_version "$PY" "$OLDEST"; then
  if interpreter=$(find_oldest); then
    make_venv "$OLDEST_VENV" "$interpreter"
    OLDEST_PY="$OLDEST_VENV/bin/python"
    pip_install "$OLDEST_PY" -r "$SDK/requirements-dev.txt"
  elif in_ci; then
    echo "CI is set but no Python $OLDEST interpreter was found (set MISMATCH_PY_OLDEST," >&2
    echo "or install it, e.g. pyenv install $OLDEST): the oldest supported version must be tested" >&2
    exit 1
  else
    echo "WARNING: no Python $OLDEST found: the tests run on $("$PY" --version) only" >&2
  fi
fi

say "generated code is up to date with openapi.json"
"$PY" "$SDK/generate.py" --check

say "building the wheel ($PROFILE) and installing it"
WHEELS=$(mktemp -d)
trap 'rm -rf "$WHEELS"' EXIT
# No build isolation: the pinned maturin above is the build backend, so the
# build needs nothing beyond what is already installed. The wheel is abi3, so
# the same file installs on every supported Python.
MATURIN_PEP517_ARGS="--profile $PROFILE" \
  "$PY" -m pip wheel --quiet --disable-pip-version-check --no-build-isolation --no-deps -w "$WHEELS" "$SDK"
for python in "$PY" ${OLDEST_PY:+"$OLDEST_PY"}; do
  pip_install "$python" --force-reinstall --no-deps "$WHEELS"/*.whl
done
rm -rf "$WHEELS"
trap - EXIT

# Run the checks from outside the source tree so they see the installed wheel.
cd "$SDK/tests"

say "mypy --strict (package, example, benchmark)"
"$PY" -m mypy --config-file "$SDK/pyproject.toml" --strict --no-incremental -p mismatch_recruiter
"$PY" -m mypy --config-file "$SDK/pyproject.toml" --strict --no-incremental "$ROOT/examples/python/quickstart.py" "$SDK/bench/latency.py"

say "stubtest (stubs and annotations match the runtime)"
"$PY" -m mypy.stubtest mismatch_recruiter --allowlist "$SDK/stubtest-allowlist.txt"

PYTEST_ARGS=(-c "$SDK/pyproject.toml" --rootdir "$SDK" -p no:cacheprovider -rfEs "$SDK/tests")
if [ -n "$OLDEST_PY" ]; then
  say "pytest on the oldest supported Python ($("$OLDEST_PY" --version))"
  "$OLDEST_PY" -m pytest "${PYTEST_ARGS[@]}"
fi

say "pytest ($("$PY" --version))"
exec "$PY" -m pytest "${PYTEST_ARGS[@]}"
