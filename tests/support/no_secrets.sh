#!/usr/bin/env bash
# Fails if the database holds an API-key secret in clear, or the scenario's
# candidate (tests/scenario/recruiting.json: the resume tests/fixtures/resume.txt
# and the name "E2E candidate <stamp>") in clear: its name, email or phone,
# compared without regard to case. The SDK scenarios create and rotate keys
# with Idempotency-Keys (as every SDK call does), so a secret kept in a stored
# response would show here; candidate fields are stored as Fernet tokens.
#   no_secrets.sh sqlite <data dir>    reads the SQLite file and its WAL
#   no_secrets.sh postgres <url>       reads a pg_dump of the database
set -euo pipefail
kind=$1
where=$2
pattern='mm_[0-9A-Za-z]{49}'
candidate=(-e 'Jane Doe' -e 'jane.doe@example.com' -e '+49 30 1234 5678' -e '1234 5678'
           -e 'E2E candidate')
dump=$(mktemp)
trap 'rm -f "$dump"' EXIT
case "$kind" in
  sqlite)
    ls "$where"/mismatch.db* >/dev/null
    cat "$where"/mismatch.db* >"$dump"
    ;;
  postgres)
    pg_dump --no-owner "$where" >"$dump"
    ;;
  *) echo "usage: $0 sqlite DIR | postgres URL" >&2; exit 2 ;;
esac
# The dump must hold the scenario's data at all, or the search proves nothing.
grep -aqE 'cand_[0-9A-Z]{26}' "$dump" || { echo "no candidate in the $kind database" >&2; exit 1; }
status=0
found=$(grep -aoE "$pattern" "$dump" | head -n 3 || true)
if [ -n "$found" ]; then
  echo "API-key secrets found in clear in the $kind database:" >&2
  echo "$found" | cut -c1-12 | sed 's/$/…/' >&2
  status=1
fi
found=$(grep -aoiF "${candidate[@]}" "$dump" | sort -u | head -n 5 || true)
if [ -n "$found" ]; then
  echo "the scenario's candidate is stored in clear in the $kind database:" >&2
  echo "$found" | cut -c1-6 | sed 's/$/…/' >&2
  status=1
fi
[ "$status" = 0 ] && echo "no API-key secret and no candidate name, email or phone in clear in the $kind database"
exit "$status"
