"""examples/python/quickstart.py keeps working (run against the live server)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Live

# Every test needs the live server: without one it is skipped, or fails under CI.
pytestmark = pytest.mark.usefixtures("live")

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "python" / "quickstart.py"
BENCH = Path(__file__).resolve().parents[1] / "bench" / "latency.py"


def test_quickstart_runs(live: Live) -> None:
    env = dict(os.environ, MISMATCH_BASE_URL=live.base_url)
    env.setdefault("MISMATCH_API_KEY", live.admin_api_key)
    result = subprocess.run(
        [sys.executable, str(EXAMPLE)], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "candidate cand_" in out and "job job_" in out
    assert "match score" in out and "salary:" in out
    assert "as expected: not_found (HTTP 404" in out


def test_latency_benchmark_runs(live: Live) -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH), "-n", "20", "--warmup", "5", "--base-url", live.base_url],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].split() == ["variant", "p50", "ms", "p95", "ms", "p99", "ms", "mean", "ms"]
    rows = {line[:24].strip(): [float(x) for x in line[24:].split()] for line in lines[2:]}
    assert set(rows) == {"sdk Client", "httpx.Client", "sdk AsyncClient", "httpx.AsyncClient"}
    for p50, p95, p99, mean in rows.values():
        assert 0 < p50 <= p95 <= p99 and mean > 0
