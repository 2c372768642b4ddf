"""The exceptions raised by the SDK.

Every error the SDK raises is a :class:`MismatchError`. Errors the API answered
with are :class:`APIError` subclasses chosen by HTTP status, carrying the
problem+json ``code``, ``request_id`` and the parsed ``body``; transport
failures are :class:`APIConnectionError` or :class:`APITimeoutError` (which is
also a built-in :class:`TimeoutError`). The native module builds these through
:func:`_from_native`, so the Rust SDK's error classification is the only one.

An error is raised once the client's retries are spent. Retried (up to
``max_retries``): connection failures, 408, 429, 500, 502, 503, 504, and a 409
that carries ``Retry-After``. Nothing else is retried, nor is an attempt that
ran out of ``timeout``.
"""

from __future__ import annotations

from typing import Any

from ._models import FieldError, Problem

__all__ = [
    "MismatchError",
    "APIError",
    "BadRequestError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "ValidationError",
    "RateLimitError",
    "ServerError",
    "APIConnectionError",
    "APITimeoutError",
    "InvalidArgumentError",
    "ResponseDecodeError",
]


class MismatchError(Exception):
    """Base class of every error raised by the SDK."""

    message: str
    status: int | None
    code: str | None
    request_id: str | None
    body: Any
    #: HTTP attempts the client made, retries included (None if no request was sent).
    attempts: int | None = None

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.request_id = request_id
        self.body = body

    def __reduce__(self) -> tuple[Any, ...]:
        # Exceptions pickle through their positional args by default, which would
        # lose the keyword-only fields (and fail for APIError, whose status is required).
        return (
            _rebuild,
            (type(self), self.message, self.status, self.code, self.request_id, self.body, self.attempts),
        )

    def __str__(self) -> str:
        parts = [self.message]
        if self.status is not None:
            parts.append(f"status={self.status}")
        if self.code is not None:
            parts.append(f"code={self.code}")
        if self.request_id is not None:
            parts.append(f"request_id={self.request_id}")
        return " ".join(parts) if len(parts) == 1 else f"{parts[0]} ({', '.join(parts[1:])})"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, status={self.status!r}, "
            f"code={self.code!r}, request_id={self.request_id!r})"
        )


class APIError(MismatchError):
    """The API answered with an error status (a problem+json document)."""

    status: int

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str | None = None,
        request_id: str | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message, status=status, code=code, request_id=request_id, body=body)

    @property
    def title(self) -> str | None:
        """The problem's ``title`` (e.g. ``"Not Found"``), if the body had one."""
        value = self.body.get("title") if isinstance(self.body, dict) else None
        return value if isinstance(value, str) else None

    @property
    def problem(self) -> Problem | None:
        """The body as a typed RFC 9457 problem, or None if it is not one
        (e.g. an error page from a proxy in front of the API)."""
        if not isinstance(self.body, dict):
            return None
        try:
            return Problem.from_dict(self.body)
        except (KeyError, TypeError, ValueError):
            return None


class BadRequestError(APIError):
    """400 (and other 4xx without a dedicated class): the request was malformed."""


class AuthenticationError(APIError):
    """401: the API key is missing, invalid, expired or revoked."""


class PermissionDeniedError(APIError):
    """403: the key's role or scopes do not allow the operation."""


class NotFoundError(APIError):
    """404: the resource does not exist (or is not visible to this key)."""


class ConflictError(APIError):
    """409: the request conflicts with the resource's current state.

    A 409 with ``Retry-After`` (a duplicate of an idempotent request that the
    server is still handling) is retried up to ``max_retries`` first; any other
    409 is raised at once."""


class ValidationError(APIError):
    """422: the request was well-formed but its content was rejected."""

    @property
    def errors(self) -> list[FieldError]:
        """The fields the server rejected, with why (may be empty)."""
        raw = self.body.get("errors") if isinstance(self.body, dict) else None
        if not isinstance(raw, list):
            return []
        return [
            FieldError(field=str(item["field"]), message=str(item["message"]))
            for item in raw
            if isinstance(item, dict) and "field" in item and "message" in item
        ]


class RateLimitError(APIError):
    """429: too many requests; retried up to ``max_retries`` (honouring ``Retry-After``) first."""


class ServerError(APIError):
    """5xx: the server failed.

    500, 502, 503 and 504 are retried up to ``max_retries`` first (honouring
    ``Retry-After``); any other 5xx, such as 501, is raised at once."""


class APIConnectionError(MismatchError, ConnectionError):
    """The server could not be reached (DNS, refused connection, TLS, reset).

    Retried up to ``max_retries`` first, with the same ``Idempotency-Key``."""


class APITimeoutError(APIConnectionError, TimeoutError):
    """The request did not complete in time.

    Raised at once when an attempt runs out of ``timeout`` (the server may still
    be working on it, so it is not retried); raised after the retries when the
    connection could not be made within ``connect_timeout`` or the server
    answered 408."""


class InvalidArgumentError(MismatchError, ValueError):
    """An argument could not be turned into a request (e.g. a bad path value)."""


class ResponseDecodeError(MismatchError):
    """The server's answer could not be decoded as the expected JSON."""


def _rebuild(
    cls: type[MismatchError],
    message: str,
    status: int | None,
    code: str | None,
    request_id: str | None,
    body: Any,
    attempts: int | None = None,
) -> MismatchError:
    err = cls.__new__(cls, message)
    MismatchError.__init__(err, message, status=status, code=code, request_id=request_id, body=body)
    err.attempts = attempts
    return err


_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: ValidationError,
    429: RateLimitError,
}

_BY_KIND: dict[str, type[MismatchError]] = {
    "bad_request": BadRequestError,
    "authentication": AuthenticationError,
    "permission": PermissionDeniedError,
    "not_found": NotFoundError,
    "conflict": ConflictError,
    "validation": ValidationError,
    "rate_limited": RateLimitError,
    "server": ServerError,
    "connection": APIConnectionError,
    "timeout": APITimeoutError,
    "invalid_argument": InvalidArgumentError,
    "decode": ResponseDecodeError,
}


def _class_for(kind: str, status: int | None) -> type[MismatchError]:
    cls = _BY_KIND.get(kind)
    if cls is not None:
        return cls
    # A kind this version does not know yet: fall back on the HTTP status.
    if status is not None:
        if status >= 500:
            return ServerError
        return _BY_STATUS.get(status, BadRequestError if status >= 400 else APIError)
    return MismatchError


def _from_native(
    *,
    kind: str,
    message: str,
    status: int | None = None,
    code: str | None = None,
    request_id: str | None = None,
    body: Any = None,
    attempts: int | None = None,
) -> MismatchError:
    """Builds the exception for an error classified by the Rust SDK."""
    cls = _class_for(kind, status)
    err: MismatchError
    if issubclass(cls, APIError):
        if status is None:
            # An API error always has a status; without one treat it as a decode failure.
            err = ResponseDecodeError(message, code=code, request_id=request_id, body=body)
        else:
            err = cls(message, status=status, code=code, request_id=request_id, body=body)
    else:
        err = cls(message, status=status, code=code, request_id=request_id, body=body)
    err.attempts = attempts
    return err
