"""The exception hierarchy and how native error kinds map onto it."""

from __future__ import annotations

import pytest

import mismatch_recruiter as mm
from mismatch_recruiter._errors import _from_native

API_KINDS = [
    ("bad_request", 400, mm.BadRequestError),
    ("authentication", 401, mm.AuthenticationError),
    ("permission", 403, mm.PermissionDeniedError),
    ("not_found", 404, mm.NotFoundError),
    ("conflict", 409, mm.ConflictError),
    ("validation", 422, mm.ValidationError),
    ("rate_limited", 429, mm.RateLimitError),
    ("server", 503, mm.ServerError),
]


@pytest.mark.parametrize(("kind", "status", "cls"), API_KINDS)
def test_api_error_kinds_map_to_their_class(kind: str, status: int, cls: type[mm.APIError]) -> None:
    body = {"title": "T", "status": status, "code": "c", "request_id": "req-1"}
    err = _from_native(
        kind=kind, message="m", status=status, code="c", request_id="req-1", body=body
    )
    assert type(err) is cls
    assert isinstance(err, mm.APIError)
    assert isinstance(err, mm.MismatchError)
    assert isinstance(err, Exception)
    assert (err.status, err.code, err.request_id, err.message) == (status, "c", "req-1", "m")
    assert err.body == body
    assert err.title == "T"
    assert err.problem is None


def test_timeout_is_a_builtin_timeout_and_a_connection_error() -> None:
    err = _from_native(kind="timeout", message="request timed out")
    assert type(err) is mm.APITimeoutError
    assert isinstance(err, TimeoutError)
    assert isinstance(err, mm.APIConnectionError)
    assert isinstance(err, ConnectionError)
    assert not isinstance(err, mm.APIError)
    assert err.status is None and err.code is None
    with pytest.raises(TimeoutError):
        raise err


def test_connection_error_is_a_builtin_connection_error() -> None:
    err = _from_native(kind="connection", message="refused")
    assert type(err) is mm.APIConnectionError
    assert isinstance(err, ConnectionError)
    assert not isinstance(err, TimeoutError)


def test_invalid_argument_is_a_value_error_and_decode_is_its_own_class() -> None:
    assert isinstance(_from_native(kind="invalid_argument", message="x"), ValueError)
    decode = _from_native(kind="decode", message="x", status=200)
    assert type(decode) is mm.ResponseDecodeError
    assert decode.status == 200


@pytest.mark.parametrize(
    ("status", "cls"),
    [(404, mm.NotFoundError), (418, mm.BadRequestError), (500, mm.ServerError), (429, mm.RateLimitError)],
)
def test_unknown_kind_falls_back_on_the_status(status: int, cls: type[mm.APIError]) -> None:
    assert type(_from_native(kind="from_the_future", message="m", status=status)) is cls


def test_unknown_kind_without_status_is_the_base_class() -> None:
    assert type(_from_native(kind="from_the_future", message="m")) is mm.MismatchError


def test_validation_error_lists_the_rejected_fields() -> None:
    body = {
        "status": 422,
        "code": "validation_failed",
        "errors": [{"field": "title", "message": "must not be empty"}, "junk"],
    }
    err = _from_native(kind="validation", message="invalid", status=422, code="validation_failed", body=body)
    assert isinstance(err, mm.ValidationError)
    assert err.errors == [mm.FieldError(field="title", message="must not be empty")]
    assert err.problem is None  # no title/type/detail...: not a full problem document
    assert _from_native(kind="validation", message="m", status=422).errors == []  # type: ignore[attr-defined]


def test_str_and_repr_carry_the_diagnostics_but_not_the_body() -> None:
    err = _from_native(
        kind="not_found", message="candidate cand_x does not exist", status=404,
        code="not_found", request_id="req-9", body={"secret": "do-not-print"},
    )
    assert str(err) == "candidate cand_x does not exist (status=404, code=not_found, request_id=req-9)"
    assert "req-9" in repr(err) and "NotFoundError" in repr(err)
    assert "do-not-print" not in str(err) + repr(err)
    assert err.args == ("candidate cand_x does not exist",)


def test_api_error_kind_without_status_becomes_a_decode_error() -> None:
    err = _from_native(kind="not_found", message="odd")
    assert type(err) is mm.ResponseDecodeError


def test_problem_parses_a_full_problem_document() -> None:
    body = {
        "type": "https://docs.mismatch.dev/errors/not_found", "title": "Not Found", "status": 404,
        "detail": "candidate cand_x does not exist", "code": "not_found", "request_id": "r", "errors": [],
    }
    err = _from_native(kind="not_found", message="m", status=404, code="not_found", body=body)
    assert isinstance(err, mm.NotFoundError)
    problem = err.problem
    assert isinstance(problem, mm.Problem)
    assert (problem.status, problem.code, problem.detail) == (404, "not_found", "candidate cand_x does not exist")


@pytest.mark.parametrize("kind", ["not_found", "validation", "timeout", "connection", "server"])
def test_errors_survive_pickling(kind: str) -> None:
    import pickle

    err = _from_native(kind=kind, message="m", status=None if kind in ("timeout", "connection") else 500,
                       code="c", request_id="r", body={"errors": []}, attempts=3)
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is type(err)
    assert (copy.message, copy.status, copy.code, copy.request_id, copy.body, copy.attempts) == (
        err.message, err.status, err.code, err.request_id, err.body, 3,
    )
    assert str(copy) == str(err)
