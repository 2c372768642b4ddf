"""TOTP interoperability against a live server, with independent implementations.

- The QR code (PNG) the server returns at enrolment decodes, with the zxing-cpp
  reader, to exactly the `otpauth://` URI it returns beside it.
- pyotp, loaded from that URI, yields codes the server accepts: to confirm the
  enrolment, and for the second login step.
- pyotp agrees with the secret the server shows for typing in.

Env: MISMATCH_BASE_URL and MISMATCH_ADMIN_API_KEY (tests/run.sh sets them).
Run by tests/security/run_interop.sh, which makes a virtualenv with pinned
pyotp, zxing-cpp and Pillow.
"""

from __future__ import annotations

import base64
import io
import json
import os
import sys
import time
import urllib.error
import urllib.request

import pyotp
import zxingcpp
from PIL import Image

BASE = os.environ["MISMATCH_BASE_URL"].rstrip("/")
ADMIN = os.environ["MISMATCH_ADMIN_API_KEY"]


def call(method: str, path: str, body: object | None = None, token: str | None = None) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(BASE + path, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else {}
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def check(condition: bool, what: str) -> None:
    if not condition:
        print(f"FAILED: {what}", file=sys.stderr)
        sys.exit(1)
    print(f"ok  {what}")


def main() -> None:
    stamp = time.time_ns()
    email = f"interop+{stamp}@example.com"
    password = "interop test password"
    status, _ = call("POST", "/v1/users", {"email": email, "name": "Interop", "role": "viewer", "password": password}, ADMIN)
    check(status == 201, "an admin creates a login user")
    status, login = call("POST", "/v1/auth/login", {"email": email, "password": password})
    check(status == 200 and not login["two_factor_required"], "the user logs in")
    token = login["session"]["access_token"]

    status, enrol = call("POST", "/v1/users/me/2fa", None, token)
    check(status == 200, "enrolment returns a secret")
    uri = enrol["otpauth_uri"]
    image = Image.open(io.BytesIO(base64.b64decode(enrol["qr_png_base64"])))
    decoded = [r.text for r in zxingcpp.read_barcodes(image)]
    check(decoded == [uri], f"zxing-cpp decodes the QR PNG to exactly the URI ({decoded!r})")

    totp = pyotp.parse_uri(uri)
    check(isinstance(totp, pyotp.TOTP), "pyotp reads the URI as TOTP")
    check(totp.secret == enrol["secret"], "the URI's secret is the one shown for typing in")
    check(pyotp.TOTP(enrol["secret"]).now() == totp.now(), "pyotp agrees with itself on both forms")
    check(totp.interval == 30 and totp.digits == 6, "30-second steps, 6 digits")

    status, confirmed = call("POST", "/v1/users/me/2fa/confirm", {"code": totp.now()}, token)
    check(status == 200 and len(confirmed["backup_codes"]) == 10, "the server accepts pyotp's code and enables 2FA")

    status, first = call("POST", "/v1/auth/login", {"email": email, "password": password})
    check(status == 200 and first["two_factor_required"], "login now asks for the second factor")
    # The current step's code was spent at confirmation: the next step's
    # (inside the ±1 step the server allows) is new.
    next_code = totp.at(time.time() + 30)
    status, session = call(
        "POST", "/v1/auth/login/2fa", {"challenge_token": first["challenge_token"], "code": next_code}
    )
    check(status == 200 and session.get("access_token"), "the server accepts pyotp's next code at login")
    status, again = call(
        "POST", "/v1/auth/login/2fa", {"challenge_token": first["challenge_token"], "code": next_code}
    )
    check(status == 401 and again.get("code") == "invalid_two_factor_code", "the same code is not accepted twice")
    print("TOTP interoperability: all checks passed")


if __name__ == "__main__":
    main()
