#!/usr/bin/env bash
# Fails if a server log holds a credential or a candidate's personal data.
# Run after the end-to-end scenarios, which log in with passwords, enrol TOTP
# (secrets and backup codes), create and rotate API keys, get access and
# refresh tokens, and upload tests/fixtures/resume.txt (Jane Doe's email and
# phone). tests/run.sh runs the servers with debug logging so that this looks
# at more than the default level shows.
#   no_secrets_in_logs.sh LOG [LOG…] [-- EXACT_VALUE…]
set -euo pipefail
logs=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do logs+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
exact=("$@")
[ ${#logs[@]} -gt 0 ] || { echo "usage: $0 LOG [LOG…] [-- VALUE…]" >&2; exit 2; }

lines=$(cat "${logs[@]}" | wc -l)
[ "$lines" -gt 20 ] || { echo "the logs hold only $lines lines: the scenario did not run against them" >&2; exit 1; }

# name → extended regular expression
checks=(
  "API key|mm_[0-9A-Za-z]{49}"
  "refresh token|mmr_[A-Za-z0-9_-]{20,}"
  "access token (JWT)|eyJ[A-Za-z0-9_-]{8,}\.eyJ"
  "TOTP secret (base32)|(^|[^A-Z2-7])[A-Z2-7]{32}([^A-Z2-7]|$)"
  "otpauth URI|otpauth://"
  "scenario password|(correct|wrong) horse"
  "email address|[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
  "Jane Doe's phone|1234 ?5678"
  "Jane Doe's name|Jane Doe"
)
status=0
for check in "${checks[@]}"; do
  name=${check%%|*}
  pattern=${check#*|}
  hits=$(cat "${logs[@]}" | grep -aEc -- "$pattern" || true)
  if [ "$hits" -gt 0 ]; then
    echo "FOUND $name in $hits log line(s); first (cut):" >&2
    cat "${logs[@]}" | grep -aE -m1 -- "$pattern" | cut -c1-160 >&2
    status=1
  fi
done
for value in "${exact[@]}"; do
  if cat "${logs[@]}" | grep -aqF -- "$value"; then
    echo "FOUND a given secret (${value:0:6}…) in the logs" >&2
    status=1
  fi
done
[ $status -eq 0 ] && echo "no credential or personal data in $lines log lines (${#checks[@]} patterns, ${#exact[@]} exact values)"
exit $status
