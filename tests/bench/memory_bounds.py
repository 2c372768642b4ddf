#!/usr/bin/env python3
"""Memory and size of the three unbounded paths of issue 8 (h), side by side.

For each server binary given: start it on a fresh SQLite directory, store N
candidates whose resume text is about 0.9 MB (a real resume repeated, under
the 1 MiB text cap), then measure
  - the bytes of one `GET /v1/candidates?limit=100` page,
  - the resident set before and the peak (VmHWM) after 8 concurrent
    `GET /v1/jobs/{id}/analytics` calls,
  - what a 9 MB resume text (under the 10 MiB body limit) gets.
Usage: memory_bounds.py NAME=BINARY [NAME=BINARY ...] [--candidates N]
Loopback only; every loop is bounded; servers are stopped at the end.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def rss_kb(pid: int, field: str) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"^{field}:\s+(\d+) kB", status, re.M).group(1))


def request(base, key, method, path, body=None, timeout=600):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("authorization", f"Bearer {key}")
    if data is not None:
        req.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except urllib.error.URLError as e:
        return f"closed ({e.reason})", b""


def measure(name: str, binary: str, n: int) -> dict:
    work = Path(tempfile.mkdtemp())
    env = dict(os.environ, MISMATCH_DATA_DIR=str(work / "data"), MISMATCH_BIND="127.0.0.1:0",
               MISMATCH_REQUEST_TIMEOUT_SECS="600")
    out = subprocess.run([binary, "keys", "create", "--role", "admin", "--name", "bench"],
                         env=env, capture_output=True, text=True, check=True).stdout
    key = re.search(r"mm_[0-9A-Za-z]+", out).group(0)
    log = open(work / "server.log", "w")
    proc = subprocess.Popen([binary, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        base = None
        for _ in range(300):
            m = re.search(r"http://127\.0\.0\.1:\d+", (work / "server.log").read_text())
            if m:
                base = m.group(0)
                break
            time.sleep(0.1)
        resume = (ROOT / "tests/fixtures/resume.txt").read_text()
        text = (resume + "\n") * (900_000 // (len(resume.encode()) + 1))
        for _ in range(n):
            status, _ = request(base, key, "POST", "/v1/candidates", {"text": text})
            assert status == 201, status
        status, job = request(base, key, "POST", "/v1/jobs",
                              {"title": "Backend Engineer", "description": "Python services",
                               "required_skills": ["Python", "PostgreSQL"]})
        job_id = json.loads(job)["id"]
        _, page = request(base, key, "GET", "/v1/candidates?limit=100")
        before = rss_kb(proc.pid, "VmRSS")
        threads = [threading.Thread(target=request, args=(base, key, "GET", f"/v1/jobs/{job_id}/analytics"))
                   for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        peak = rss_kb(proc.pid, "VmHWM")
        status9, _ = request(base, key, "POST", "/v1/candidates", {"text": "Jane Doe\nPython\n" * 500_000})
        return {"server": name, "candidates": n, "list_page_bytes": len(page),
                "rss_before_analytics_mb": round(before / 1024, 1),
                "peak_rss_after_8_analytics_mb": round(peak / 1024, 1),
                "9mb_text_status": status9}
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    args = sys.argv[1:]
    n = 20
    if "--candidates" in args:
        i = args.index("--candidates")
        n = int(args[i + 1])
        del args[i:i + 2]
    for spec in args:
        name, binary = spec.split("=", 1)
        print(json.dumps(measure(name, binary, n)), flush=True)


if __name__ == "__main__":
    main()
