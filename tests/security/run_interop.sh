#!/usr/bin/env bash
# TOTP interoperability against the live server (tests/security/totp_interop.py)
# in a virtualenv of its own with pinned pyotp, zxing-cpp and Pillow (wheels
# from PyPI). Needs MISMATCH_BASE_URL and MISMATCH_ADMIN_API_KEY.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=${MISMATCH_INTEROP_VENV:-$PWD/target/interop-venv}
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
  pyotp==2.12.1 zxing-cpp==3.1.1 pillow==13.0.0
"$VENV/bin/python" tests/security/totp_interop.py
