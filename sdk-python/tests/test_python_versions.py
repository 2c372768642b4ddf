"""Every place that names the oldest supported Python names the same one.

The READMEs once said 3.9+ while pyproject said >= 3.10. The source of truth
is pyproject's ``requires-python``; the native module's abi3 feature, mypy's
target, the classifiers, the test script and both READMEs must agree with it.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

SDK = Path(__file__).resolve().parents[1]
ROOT = SDK.parent


def one(pattern: str, text: str, where: str) -> str:
    found = re.findall(pattern, text, flags=re.MULTILINE)
    assert len(found) == 1, f"{where}: expected one match of {pattern!r}, found {found}"
    value: str = found[0]
    return value


def oldest() -> tuple[int, int]:
    # A regular expression instead of tomllib, which Python 3.10 lacks.
    spec = one(r'^requires-python\s*=\s*">=\s*(3\.\d+)"', (SDK / "pyproject.toml").read_text(), "pyproject.toml")
    major, minor = spec.split(".")
    return int(major), int(minor)


def test_pyproject_mypy_and_classifiers_agree() -> None:
    major, minor = oldest()
    pyproject = (SDK / "pyproject.toml").read_text()
    assert one(r'^python_version\s*=\s*"(3\.\d+)"', pyproject, "[tool.mypy]") == f"{major}.{minor}"
    versions = [int(v) for v in re.findall(r'"Programming Language :: Python :: 3\.(\d+)"', pyproject)]
    assert versions and min(versions) == minor, versions


def test_the_native_module_targets_the_same_abi() -> None:
    major, minor = oldest()
    cargo = (SDK / "Cargo.toml").read_text()
    assert one(r'"abi3-py(\d+)"', cargo, "Cargo.toml") == f"{major}{minor}"


def test_the_test_script_tests_the_oldest_version() -> None:
    major, minor = oldest()
    script = (SDK / "run-tests.sh").read_text()
    assert one(r"^OLDEST=(3\.\d+)$", script, "run-tests.sh") == f"{major}.{minor}"


def test_the_readmes_state_the_same_version() -> None:
    major, minor = oldest()
    for readme in (SDK / "README.md", ROOT / "README.md"):
        stated = set(re.findall(r"Python (3\.\d+)\+", readme.read_text()))
        assert stated == {f"{major}.{minor}"}, f"{readme} states Python {sorted(stated)}+"


def test_this_interpreter_is_supported() -> None:
    assert sys.version_info[:2] >= oldest()
