#!/usr/bin/env bash
# Fails if the database holds an API-key secret in clear. The SDK scenarios
# create and rotate keys with Idempotency-Keys (as every SDK call does), so a
# secret kept in a stored response would show here.
#   no_secrets.sh sqlite <data dir>    reads the SQLite file and its WAL
#   no_secrets.sh postgres <url>       reads a pg_dump of the database
set -euo pipefail
kind=$1
where=$2
pattern='mm_[0-9A-Za-z]{49}'
case "$kind" in
  sqlite)
    ls "$where"/mismatch.db* >/dev/null
    found=$(cat "$where"/mismatch.db* | grep -aoE "$pattern" | head -n 3 || true)
    ;;
  postgres)
    found=$(pg_dump --no-owner "$where" | grep -aoE "$pattern" | head -n 3 || true)
    ;;
  *) echo "usage: $0 sqlite DIR | postgres URL" >&2; exit 2 ;;
esac
if [ -n "$found" ]; then
  echo "API-key secrets found in clear in the $kind database:" >&2
  echo "$found" | cut -c1-12 | sed 's/$/…/' >&2
  exit 1
fi
echo "no API-key secret in clear in the $kind database"
