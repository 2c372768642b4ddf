#!/usr/bin/env bash
# Requests per second with and without the per-request audit log: two
# release servers of the same binary on SQLite, one with
# MISMATCH_AUDIT_REQUESTS=off (security events only), one with the default
# (every request audited), loaded in turn with wrk, rounds interleaved so
# both see the same machine. Authenticated GET /v1/jobs (a page of 20) and
# POST /v1/jobs (a small job, a write of its own). Results go to stdout;
# BENCHMARKS.md records a run.
#   bash tests/bench/audit.sh [SECONDS] [CONNECTIONS] [ROUNDS]   (default 10 16 2)
# Needs wrk (Debian: apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${1:-10}
CONNECTIONS=${2:-16}
ROUNDS=${3:-2}
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }

cargo build --release --locked -q -p mismatch-server
WORK=$(mktemp -d)
trap 'kill ${OFF_PID:-} ${ON_PID:-} 2>/dev/null; rm -rf "$WORK"' EXIT

start() { # name [VAR=VALUE...] → prints the URL; the admin key goes to $WORK/name.key
  local name=$1
  shift
  env MISMATCH_DATA_DIR="$WORK/$name" MISMATCH_BIND=127.0.0.1:0 MISMATCH_LOG=warn \
    MISMATCH_RATE_LIMIT_PER_MINUTE=0 MISMATCH_PRINCIPAL_RATE_LIMIT_PER_MINUTE=0 "$@" \
    target/release/mismatch-server serve >"$WORK/$name.log" 2>&1 &
  echo $! >"$WORK/$name.pid"
  for _ in $(seq 1 300); do grep -q 'listening on' "$WORK/$name.log" && break; sleep 0.1; done
  grep -o 'mm_[A-Za-z0-9]*' "$WORK/$name.log" | head -n1 >"$WORK/$name.key"
  grep -o 'http://127\.0\.0\.1:[0-9]*' "$WORK/$name.log" | head -n1
}
OFF=$(start off MISMATCH_AUDIT_REQUESTS=off)
OFF_PID=$(cat "$WORK/off.pid")
ON=$(start on)
ON_PID=$(cat "$WORK/on.pid")

cat >"$WORK/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"title":"Backend engineer","description":"Rust and PostgreSQL, 5 years of experience","required_skills":["Rust","PostgreSQL"]}'
LUA
# A few jobs so the GET lists a page.
for name in off on; do
  url=$([ $name = off ] && echo "$OFF" || echo "$ON")
  for _ in 1 2 3 4 5; do
    curl -sf -o /dev/null -H "Authorization: Bearer $(cat "$WORK/$name.key")" -H 'Content-Type: application/json' \
      -d '{"title":"Data engineer","description":"Python and Spark","required_skills":["Python"]}' "$url/v1/jobs"
  done
done

rps() { # name url [wrk args...] → requests/s (non-2xx answers fail the run)
  local name=$1 url=$2
  shift 2
  local out
  out=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" -H "Authorization: Bearer $(cat "$WORK/$name.key")" "$@" "$url/v1/jobs")
  if grep -q 'Non-2xx' <<<"$out"; then echo "non-2xx answers from $name: $out" >&2; exit 1; fi
  awk '/^Requests\/sec/ {print $2}' <<<"$out"
}
echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)); wrk -t2 -c$CONNECTIONS -d${DURATION}s on the same machine; SQLite"
printf '%-6s %-28s %12s\n' round mode requests/s
for round in $(seq 1 "$ROUNDS"); do
  printf '%-6s %-28s %12s\n' "$round" "GET /v1/jobs, audit off" "$(rps off "$OFF")"
  printf '%-6s %-28s %12s\n' "$round" "GET /v1/jobs, audit on" "$(rps on "$ON")"
  printf '%-6s %-28s %12s\n' "$round" "POST /v1/jobs, audit off" "$(rps off "$OFF" -s "$WORK/post.lua")"
  printf '%-6s %-28s %12s\n' "$round" "POST /v1/jobs, audit on" "$(rps on "$ON" -s "$WORK/post.lua")"
done
events=$(sqlite3 "$WORK/on/mismatch.db" 'SELECT COUNT(*) FROM audit_events' 2>/dev/null || echo "?")
echo "audit events written by the audited server: $events"
