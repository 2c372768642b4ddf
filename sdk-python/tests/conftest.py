"""Shared fixtures. End-to-end tests need a live server (see ``live``)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Live:
    """Where the live server and its helpers are, from the environment."""

    base_url: str
    admin_api_key: str
    flaky_url: str
    fixtures: Path


E2E_REASON = "MISMATCH_BASE_URL is not set: the end-to-end tests need a live server"


def in_ci() -> bool:
    """True under CI (``CI=true`` or ``CI=1``, as CI services set it)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1")


@pytest.fixture(scope="session")
def live() -> Live:
    """The live server; the end-to-end modules use it for every test.

    Without one, a developer's run skips them with the reason, but a CI run
    fails: a green CI must mean the scenario ran.
    """
    base_url = os.environ.get("MISMATCH_BASE_URL")
    if not base_url:
        if in_ci():
            pytest.fail(f"{E2E_REASON} (CI is set, so this is a failure, not a skip)", pytrace=False)
        pytest.skip(E2E_REASON)
    missing = [
        name
        for name in ("MISMATCH_ADMIN_API_KEY", "MISMATCH_FLAKY_URL", "MISMATCH_FIXTURES")
        if not os.environ.get(name)
    ]
    if missing:
        pytest.fail(f"MISMATCH_BASE_URL is set but {', '.join(missing)} is not")
    return Live(
        base_url=base_url,
        admin_api_key=os.environ["MISMATCH_ADMIN_API_KEY"],
        flaky_url=os.environ["MISMATCH_FLAKY_URL"],
        fixtures=Path(os.environ["MISMATCH_FIXTURES"]),
    )
