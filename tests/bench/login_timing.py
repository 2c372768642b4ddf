"""Does login time tell an unknown email from a wrong password?

Against a live server (MISMATCH_BASE_URL, MISMATCH_ADMIN_API_KEY): creates
one user, then alternates failed logins with an unknown email and with the
right email and a wrong password, `--rounds` times each, interleaved so that
machine load hits both alike, and prints the median and the 10th and 90th
percentiles of each. The server must allow that many failures from this
address (MISMATCH_LOGIN_ADDRESS_MAX_FAILURES) and per account: the account's
lockout answers early (429), so the wrong-password side uses a fresh user
every 4 attempts.

Usage: python3 tests/bench/login_timing.py [--rounds 40]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import urllib.error
import urllib.request

BASE = os.environ["MISMATCH_BASE_URL"].rstrip("/")
ADMIN = os.environ["MISMATCH_ADMIN_API_KEY"]
PASSWORD = "timing test password"


def post(path: str, body: dict, token: str | None = None) -> int:
    request = urllib.request.Request(BASE + path, data=json.dumps(body).encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as err:
        err.read()
        return err.code


def timed(email: str) -> float:
    start = time.perf_counter()
    status = post("/v1/auth/login", {"email": email, "password": "not the password"})
    elapsed = time.perf_counter() - start
    if status != 401:
        raise SystemExit(f"expected 401 invalid_credentials, got {status}")
    return elapsed * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=40)
    rounds = parser.parse_args().rounds
    stamp = time.time_ns()
    unknown, known = [], []
    user = None
    for i in range(rounds):
        if i % 4 == 0:
            user = f"timing{i}+{stamp}@example.com"
            status = post("/v1/users", {"email": user, "name": "Timing", "role": "viewer", "password": PASSWORD}, ADMIN)
            assert status == 201, status
        unknown.append(timed(f"nobody{i}+{stamp}@example.com"))
        known.append(timed(user))
    for name, values in (("unknown email", unknown), ("wrong password", known)):
        q = statistics.quantiles(values, n=10)
        print(f"{name:15} n={len(values)} median {statistics.median(values):7.1f} ms  p10 {q[0]:7.1f}  p90 {q[-1]:7.1f}")
    ratio = statistics.median(known) / statistics.median(unknown)
    print(f"median ratio wrong-password / unknown-email: {ratio:.2f}")


if __name__ == "__main__":
    main()
