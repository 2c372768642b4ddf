#!/usr/bin/env bash
# The one test command: every check and test of the project, Rust, Python, Node
# and the browser, against a live server started here on the embedded default.
# Installs what a fresh machine lacks (see tests/support/services.sh and each
# SDK's run-tests.sh). Ends with "N passed, N failed" over the steps below.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

passed=0
failed=0
failed_steps=()
step() {
  local name=$1
  shift
  echo
  echo "==> $name"
  local start=$SECONDS
  if "$@"; then
    passed=$((passed + 1))
    echo "<== $name: ok ($((SECONDS - start)) s)"
  else
    failed=$((failed + 1))
    failed_steps+=("$name")
    echo "<== $name: FAILED ($((SECONDS - start)) s)"
  fi
}

# --- machine prerequisites -------------------------------------------------
bash tests/support/services.sh || { echo "could not prepare PostgreSQL/Redis/Chromium"; exit 1; }
rustup component add rustfmt clippy >/dev/null 2>&1 || true
rustup target add wasm32-unknown-unknown >/dev/null || { echo "cannot install the wasm32-unknown-unknown target"; exit 1; }

# --- static checks -----------------------------------------------------------
step "cargo fmt --check" cargo fmt --all -- --check
step "cargo clippy (workspace, -D warnings)" cargo clippy --workspace --all-targets --locked -- -D warnings
step "Rust SDK builds for browsers (clippy, wasm32)" cargo clippy --locked -p mismatch-recruiter --target wasm32-unknown-unknown -- -D warnings
step "test fixtures are reproducible" bash -c 'python3 tests/fixtures/make_fixtures.py >/dev/null && git diff --exit-code -- tests/fixtures'
step "generated Rust client is up to date" cargo run --quiet --locked -p mismatch-codegen -- --check

# --- Rust unit and integration tests (openapi.json drift is one of them) ------
step "cargo test (workspace)" cargo test --workspace --locked

# --- live server for the end-to-end scenarios ---------------------------------
WORK=$(mktemp -d)
cleanup() {
  [ -n "${PROXY_PID:-}" ] && kill "$PROXY_PID" 2>/dev/null
  [ -n "${SERVER_PID:-}" ] && kill "$SERVER_PID" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

wait_for_line() { # file pattern → prints the first match, waits up to 60 s
  for _ in $(seq 1 600); do
    if grep -m1 -o "$2" "$1" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "timed out waiting for '$2' in $1" >&2
  cat "$1" >&2
  return 1
}

start_services() {
  cargo build --quiet --locked -p mismatch-server || return 1
  local server="$ROOT/target/debug/mismatch-server"
  export MISMATCH_DATA_DIR="$WORK/data"
  export MISMATCH_BIND=127.0.0.1:0
  export MISMATCH_CORS_ORIGINS='*'
  MISMATCH_ADMIN_API_KEY=$("$server" keys create --role admin --name e2e-admin | grep -o 'mm_[A-Za-z0-9]*' | head -n1) || return 1
  export MISMATCH_ADMIN_API_KEY
  "$server" serve >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  MISMATCH_BASE_URL=$(wait_for_line "$WORK/server.log" 'http://127\.0\.0\.1:[0-9]*') || return 1
  export MISMATCH_BASE_URL
  python3 tests/support/flaky_proxy.py "$MISMATCH_BASE_URL" >"$WORK/proxy.log" 2>&1 &
  PROXY_PID=$!
  MISMATCH_FLAKY_URL=$(wait_for_line "$WORK/proxy.log" 'http://127\.0\.0\.1:[0-9]*') || return 1
  export MISMATCH_FLAKY_URL
  export MISMATCH_FIXTURES="$ROOT/tests/fixtures"
  export MISMATCH_API_KEY=$MISMATCH_ADMIN_API_KEY
  echo "server $MISMATCH_BASE_URL, flaky proxy $MISMATCH_FLAKY_URL"
}

step "start server (embedded default) and flaky proxy" start_services

if [ -n "${MISMATCH_BASE_URL:-}" ]; then
  step "Rust SDK end-to-end" cargo test --locked -p mismatch-recruiter --test e2e -- --nocapture
  step "Rust example" cargo run --quiet --locked -p mismatch-recruiter --example quickstart
  step "Python SDK (build, pytest, mypy --strict, stubtest, example)" bash sdk-python/run-tests.sh
  step "JS SDK (napi + wasm build, tsc, node --test, Chromium, examples)" bash sdk-js/run-tests.sh
  step "every operation in openapi.json exists in every SDK" bash tests/parity.sh
fi

echo
if [ ${#failed_steps[@]} -gt 0 ]; then
  printf 'failed step: %s\n' "${failed_steps[@]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
