"""Without a live server the end-to-end tests skip for a developer and fail in CI."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
SDK = TESTS.parent
NEEDS_SERVER = ["test_e2e.py", "test_e2e_async.py", "test_example.py"]


def run_without_server(tmp_path: Path, ci: str | None) -> tuple[int, dict[str, int], set[str]]:
    """Runs the end-to-end modules with no server configured; returns pytest's
    exit code, the JUnit counts (tests, failures, errors, skipped) and the
    messages of the skips, failures and errors."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MISMATCH_") and k != "CI"}
    if ci is not None:
        env["CI"] = ci
    report = tmp_path / f"report-{ci}.xml"
    result = subprocess.run(
        [
            sys.executable, "-m", "pytest", "-c", str(SDK / "pyproject.toml"), "--rootdir", str(SDK),
            "-p", "no:cacheprovider", "-q", f"--junitxml={report}",
            *(str(TESTS / name) for name in NEEDS_SERVER),
        ],
        cwd=TESTS, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    suite = ET.parse(report).getroot()
    suite = suite if suite.tag == "testsuite" else suite[0]
    counts = {key: int(suite.get(key, "0")) for key in ("tests", "failures", "errors", "skipped")}
    assert counts["tests"] > 0, result.stdout + result.stderr
    messages = {
        outcome.get("message", "")
        for case in suite.iter("testcase")
        for outcome in case
        if outcome.tag in ("skipped", "failure", "error")
    }
    return result.returncode, counts, messages


@pytest.mark.parametrize("ci", ["true", "1"])
def test_ci_fails_every_end_to_end_test_without_a_server(tmp_path: Path, ci: str) -> None:
    code, counts, messages = run_without_server(tmp_path, ci)
    assert code == 1
    assert counts["skipped"] == 0
    assert counts["failures"] + counts["errors"] == counts["tests"]
    assert all("MISMATCH_BASE_URL is not set" in m and "CI is set" in m for m in messages), messages


@pytest.mark.parametrize("ci", [None, "false"])
def test_a_developer_run_skips_them_with_the_reason(tmp_path: Path, ci: str | None) -> None:
    code, counts, messages = run_without_server(tmp_path, ci)
    assert code == 0
    assert counts["skipped"] == counts["tests"]
    assert messages and all("MISMATCH_BASE_URL is not set" in m for m in messages), messages
