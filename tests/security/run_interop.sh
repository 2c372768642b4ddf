#!/usr/bin/env bash
# TOTP interoperability against the live server (tests/security/totp_interop.py)
# and the Fernet cross-check with cryptography.fernet both ways
# (tests/security/fernet_interop.py, no server needed), in a virtualenv of its
# own with pinned pyotp, zxing-cpp, Pillow and cryptography (wheels from
# PyPI). The TOTP part needs MISMATCH_BASE_URL and MISMATCH_ADMIN_API_KEY.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=${MISMATCH_INTEROP_VENV:-$PWD/target/interop-venv}
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
  pyotp==2.12.1 zxing-cpp==3.1.1 pillow==13.0.0 cryptography==51.0.1
cargo build --quiet --locked -p mismatch-core --example fernet_interop
MISMATCH_FERNET_INTEROP_BIN=${CARGO_TARGET_DIR:-$PWD/target}/debug/examples/fernet_interop \
  "$VENV/bin/python" tests/security/fernet_interop.py
"$VENV/bin/python" tests/security/totp_interop.py
