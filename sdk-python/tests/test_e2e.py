"""The end-to-end scenario (tests/scenario/recruiting.json) through the blocking
``Client`` against a live server, and what only Python's API can show.

Needs MISMATCH_BASE_URL (with MISMATCH_ADMIN_API_KEY, MISMATCH_FLAKY_URL and
MISMATCH_FIXTURES): without it the tests are skipped, and fail under CI=true.
"""

from __future__ import annotations

import inspect
import time
from typing import Any

import pytest
from conftest import Live
from scenario import Call, Scenario, play

import mismatch_recruiter as mm

# Every test needs the live server: without one it is skipped, or fails under CI.
pytestmark = pytest.mark.usefixtures("live")


def perform(call: Call) -> Any:
    method = getattr(call.client, call.method)
    if call.paginate:
        return list(method(*call.args, **call.kwargs))
    return method(*call.args, **call.kwargs)


def test_recruiting_scenario(live: Live) -> None:
    scenario = Scenario(
        stamp=f"py-sync-{time.time_ns()}",
        admin_key=live.admin_api_key,
        base_urls={"server": live.base_url, "flaky": live.flaky_url},
        make_client=mm.Client,
    )
    try:
        play(scenario, perform)
    finally:
        for client in scenario.opened:
            client.close()


def test_results_are_typed_models_and_iter_helpers_generators(live: Live) -> None:
    with mm.Client(base_url=live.base_url, api_key=live.admin_api_key) as client:
        # A path is read, and its name becomes `filename`.
        uploaded = client.upload_candidate(live.fixtures / "resume.pdf")
        assert isinstance(uploaded, mm.Candidate) and all(isinstance(s, mm.Skill) for s in uploaded.skills)
        assert uploaded.source is not None and uploaded.source.filename == "resume.pdf"
        candidates = client.iter_candidates(limit=1)
        assert inspect.isgenerator(candidates) and isinstance(next(candidates), mm.CandidateSummary)
        with pytest.raises(mm.NotFoundError) as info:
            client.get_candidate(uploaded.id + "x")
        assert isinstance(info.value.problem, mm.Problem) and info.value.problem.code == "not_found"
    assert client.closed
