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
bash tests/support/services.sh || { echo "could not prepare PostgreSQL/Chromium"; exit 1; }
rustup component add rustfmt clippy >/dev/null 2>&1 || true
rustup target add wasm32-unknown-unknown >/dev/null || { echo "cannot install the wasm32-unknown-unknown target"; exit 1; }

# --- static checks -----------------------------------------------------------
step "cargo fmt --check" cargo fmt --all -- --check
step "cargo clippy (workspace, -D warnings)" cargo clippy --workspace --all-targets --locked -- -D warnings
step "Rust SDK builds for browsers (clippy, wasm32)" cargo clippy --locked -p mismatch-recruiter --target wasm32-unknown-unknown -- -D warnings
step "test fixtures are reproducible" bash -c 'python3 tests/fixtures/make_fixtures.py >/dev/null && git diff --exit-code -- tests/fixtures'
# One front-end for every SDK: mismatch-codegen describes openapi.json once
# (sdk-rust/codegen/operations.json) and checks the Rust client, the Python and
# JS emitters' output and the JS bundle (which needs sdk-js's node_modules).
generated_code_is_fresh() {
  (cd sdk-js && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || return 1
  cargo run --quiet --locked -p mismatch-codegen -- --check
}
step "generated code of every SDK is up to date with openapi.json" generated_code_is_fresh

# --- Rust unit and integration tests (openapi.json drift is one of them) ------
# The SDK's end-to-end scenario needs the live server started below, where it runs.
step "cargo test (workspace, SQLite)" cargo test --workspace --locked -- --skip recruiting_scenario --skip live_session
step "server suite on PostgreSQL" env MISMATCH_TEST_BACKEND=postgres cargo test --locked -p mismatch-server --test api

# --- live server for the end-to-end scenarios ---------------------------------
WORK=$(mktemp -d)
cleanup() {
  [ -n "${PROXY_PID:-}" ] && kill "$PROXY_PID" 2>/dev/null
  [ -n "${SERVER_PID:-}" ] && kill "$SERVER_PID" 2>/dev/null
  [ -n "${PG_SERVER_PID:-}" ] && kill "$PG_SERVER_PID" 2>/dev/null
  [ -n "${PG_PROXY_PID:-}" ] && kill "$PG_PROXY_PID" 2>/dev/null
  [ -n "${PG_DB:-}" ] && psql -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1
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
  # Every runner of the shared scenario connects from 127.0.0.1 and fails a
  # few logins on purpose (wrong password, spent codes); the default of 20
  # per address and 15 minutes would block the later runners.
  export MISMATCH_LOGIN_ADDRESS_MAX_FAILURES=1000
  # Debug logging, so that the log check at the end looks at more than the
  # default level shows.
  export MISMATCH_LOG='debug,sqlx=debug,hyper=info,h2=info,rustls=info,tower=info'
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
  step "Rust SDK sessions against the live server" cargo test --locked -p mismatch-recruiter --test sessions live_session -- --nocapture
  step "Rust example" cargo run --quiet --locked -p mismatch-recruiter --example quickstart
  step "Python SDK (build, pytest, mypy --strict, stubtest, example)" bash sdk-python/run-tests.sh
  step "JS SDK (napi + wasm build, tsc, node --test, Chromium, examples)" bash sdk-js/run-tests.sh
  # playwright-core from sdk-js/node_modules (installed above); fails under CI without Chromium.
  step "Swagger UI works under its CSP (/docs in Chromium)" node --test tests/browser/docs_csp.mjs
  step "every operation in openapi.json exists in every SDK" bash tests/parity.sh
  step "interoperability: pyotp codes and the zxing-cpp-decoded QR code against the server; Fernet tokens with cryptography.fernet both ways" \
    bash tests/security/run_interop.sh
  step "no API-key secret or candidate name, email, phone in clear after the SDK scenarios (SQLite file and WAL)" \
    bash tests/support/no_secrets.sh sqlite "$WORK/data"
fi

# --- the same scenario on PostgreSQL ---------------------------------------------
start_postgres_server() {
  PG_DB="mismatch_e2e_$$"
  psql -q -h 127.0.0.1 -U postgres -d test -c "CREATE DATABASE $PG_DB" >/dev/null || return 1
  local url="postgres://postgres@127.0.0.1:5432/$PG_DB"
  local server="$ROOT/target/debug/mismatch-server"
  local key
  key=$(DATABASE_URL=$url "$server" keys create --role admin --name e2e-admin | grep -o 'mm_[A-Za-z0-9]*' | head -n1) || return 1
  # PostgreSQL needs a configured encryption keyring (the server makes none up).
  local encryption_key
  encryption_key=$("$server" keys generate-encryption-key) || return 1
  DATABASE_URL=$url MISMATCH_ADMIN_API_KEY=$key MISMATCH_ENCRYPTION_KEYS=$encryption_key \
    "$server" serve >"$WORK/pg-server.log" 2>&1 &
  PG_SERVER_PID=$!
  PG_BASE_URL=$(wait_for_line "$WORK/pg-server.log" 'http://127\.0\.0\.1:[0-9]*') || return 1
  PG_API_KEY=$key
  PG_URL=$url
  python3 tests/support/flaky_proxy.py "$PG_BASE_URL" >"$WORK/pg-proxy.log" 2>&1 &
  PG_PROXY_PID=$!
  PG_FLAKY_URL=$(wait_for_line "$WORK/pg-proxy.log" 'http://127\.0\.0\.1:[0-9]*') || return 1
  echo "PostgreSQL server $PG_BASE_URL ($PG_DB), flaky proxy $PG_FLAKY_URL"
}

if [ -n "${MISMATCH_BASE_URL:-}" ]; then
  step "start a server on PostgreSQL" start_postgres_server
fi
if [ -n "${PG_BASE_URL:-}" ]; then
  step "Rust SDK end-to-end on PostgreSQL" env MISMATCH_BASE_URL="$PG_BASE_URL" MISMATCH_API_KEY="$PG_API_KEY" \
    MISMATCH_ADMIN_API_KEY="$PG_API_KEY" MISMATCH_FLAKY_URL="$PG_FLAKY_URL" cargo test --locked -p mismatch-recruiter --test e2e -- --nocapture
  # The virtualenv sdk-python/run-tests.sh built above, with the SDK installed.
  step "Python SDK end-to-end (sync and asyncio) on PostgreSQL" env MISMATCH_BASE_URL="$PG_BASE_URL" \
    MISMATCH_API_KEY="$PG_API_KEY" MISMATCH_ADMIN_API_KEY="$PG_API_KEY" MISMATCH_FLAKY_URL="$PG_FLAKY_URL" \
    "${MISMATCH_PY_VENV:-$ROOT/target/pyenv}/bin/python" -m pytest -q \
    sdk-python/tests/test_e2e.py sdk-python/tests/test_e2e_async.py
  # The Node and browser builds that sdk-js/run-tests.sh built above.
  step "JS SDK end-to-end (Node and Chromium) on PostgreSQL" env MISMATCH_BASE_URL="$PG_BASE_URL" \
    MISMATCH_API_KEY="$PG_API_KEY" MISMATCH_ADMIN_API_KEY="$PG_API_KEY" MISMATCH_FLAKY_URL="$PG_FLAKY_URL" \
    bash -c 'cd sdk-js && node --test --test-concurrency=1 test/e2e.test.mjs test/browser.test.mjs'
  step "no API-key secret or candidate name, email, phone in clear after the scenarios (PostgreSQL dump)" \
    bash tests/support/no_secrets.sh postgres "$PG_URL"
fi

if [ -n "${MISMATCH_BASE_URL:-}" ]; then
  logs=("$WORK/server.log")
  [ -n "${PG_BASE_URL:-}" ] && logs+=("$WORK/pg-server.log")
  step "no credential or personal data in the servers' logs after every scenario" \
    bash tests/support/no_secrets_in_logs.sh "${logs[@]}" -- "$MISMATCH_ADMIN_API_KEY" ${PG_API_KEY:+"$PG_API_KEY"}
fi

echo
if [ ${#failed_steps[@]} -gt 0 ]; then
  printf 'failed step: %s\n' "${failed_steps[@]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
