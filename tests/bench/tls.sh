#!/usr/bin/env bash
# Requests per second over TLS next to plain HTTP: one release server of each
# (the same binary, the TLS one with a fresh P-256 certificate from openssl),
# loaded in turn with wrk on GET /health/live, rounds interleaved so both see
# the same machine. Two modes: kept-alive connections (handshakes amortised)
# and a new connection per request (`Connection: close`: a TLS handshake for
# every request). Results go to stdout; BENCHMARKS.md records a run.
#   bash tests/bench/tls.sh [SECONDS] [CONNECTIONS] [ROUNDS]   (default 10 32 2)
# Needs wrk (Debian: apt-get install wrk) and openssl.
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${1:-10}
CONNECTIONS=${2:-32}
ROUNDS=${3:-2}
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }

cargo build --release --locked -q -p mismatch-server
WORK=$(mktemp -d)
trap 'kill ${PLAIN_PID:-} ${TLS_PID:-} 2>/dev/null; rm -rf "$WORK"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj /CN=localhost -addext subjectAltName=DNS:localhost \
  -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null

start() { # name [VAR=VALUE...] → prints the URL
  local name=$1
  shift
  env MISMATCH_DATA_DIR="$WORK/$name" MISMATCH_BIND=127.0.0.1:0 MISMATCH_LOG=warn \
    MISMATCH_RATE_LIMIT_PER_MINUTE=0 MISMATCH_PRINCIPAL_RATE_LIMIT_PER_MINUTE=0 "$@" \
    target/release/mismatch-server serve >"$WORK/$name.log" 2>&1 &
  echo $! >"$WORK/$name.pid"
  for _ in $(seq 1 300); do grep -q 'listening on' "$WORK/$name.log" && break; sleep 0.1; done
  grep -o 'https\?://127\.0\.0\.1:[0-9]*' "$WORK/$name.log" | head -n1
}
PLAIN=$(start plain)
PLAIN_PID=$(cat "$WORK/plain.pid")
TLS=$(start tls MISMATCH_TLS_CERT="$WORK/cert.pem" MISMATCH_TLS_KEY="$WORK/key.pem")
TLS_PID=$(cat "$WORK/tls.pid")
echo | openssl s_client -connect "${TLS#https://}" 2>/dev/null | grep -m1 -o 'TLSv1\.[23], Cipher is [A-Z0-9_]*' || true

rps() { # url [wrk args...] → requests/s
  local url=$1
  shift
  wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" "$@" "$url/health/live" | awk '/^Requests\/sec/ {print $2}'
}
echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)); wrk -t2 -c$CONNECTIONS -d${DURATION}s on the same machine; GET /health/live"
printf '%-6s %-22s %12s\n' round mode requests/s
for round in $(seq 1 "$ROUNDS"); do
  printf '%-6s %-22s %12s\n' "$round" "plain, keep-alive" "$(rps "$PLAIN")"
  printf '%-6s %-22s %12s\n' "$round" "TLS 1.3, keep-alive" "$(rps "$TLS")"
  printf '%-6s %-22s %12s\n' "$round" "plain, new conn each" "$(rps "$PLAIN" -H 'Connection: close')"
  printf '%-6s %-22s %12s\n' "$round" "TLS 1.3, new conn each" "$(rps "$TLS" -H 'Connection: close')"
done
