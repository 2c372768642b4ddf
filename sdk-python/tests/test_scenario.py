"""The matcher language of tests/scenario/README.md gives the verdicts of
tests/scenario/matchers.json (no server needed), so the Python interpreter
agrees with the other runners'."""

from __future__ import annotations

import json
from typing import Any

import pytest
from scenario import MATCHER_CASES, ScenarioError, first_mismatch

CASES: list[dict[str, Any]] = json.loads(MATCHER_CASES.read_text(encoding="utf-8"))["cases"]


@pytest.mark.parametrize("case", CASES, ids=[f"{i}:{json.dumps(c['matcher'])[:40]}" for i, c in enumerate(CASES)])
def test_matcher_case(case: dict[str, Any]) -> None:
    # A missing value is an absent key: the matcher is applied to {} under "k".
    value, matcher = ({}, {"k": case["matcher"]}) if case.get("missing") else (case["value"], case["matcher"])
    saved = case.get("saved", {})
    if case.get("error"):
        with pytest.raises(ScenarioError):
            first_mismatch(value, matcher, saved)
        return
    failed = first_mismatch(value, matcher, saved)
    assert (failed is None) == case["holds"], f"expected holds={case['holds']}, got {failed or 'a match'}"
