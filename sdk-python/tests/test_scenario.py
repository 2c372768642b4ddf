"""The matcher language of tests/scenario/README.md gives the verdicts of
tests/scenario/matchers.json, and the ``totp`` action the codes of
tests/scenario/totp.json (no server needed), so the Python interpreter agrees
with the other runners'."""

from __future__ import annotations

import json
from typing import Any

import pytest
from scenario import MATCHER_CASES, TOTP_CASES, ScenarioError, first_mismatch, totp_step

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


TOTP: list[dict[str, Any]] = json.loads(TOTP_CASES.read_text(encoding="utf-8"))["cases"]


@pytest.mark.parametrize("case", TOTP, ids=[f"{i}:{c['secret']}@{c['time']}" for i, c in enumerate(TOTP)])
def test_totp_case(case: dict[str, Any]) -> None:
    # The step as the scenario writes it, played with the clock at case["time"].
    spec = {"totp": case["secret"], **{k: case[k] for k in ("offset_steps", "digits") if k in case}}
    if case.get("error"):
        with pytest.raises(ScenarioError):
            totp_step(spec, {}, case["time"])
        return
    assert totp_step(spec, {}, case["time"]) == case["code"]
