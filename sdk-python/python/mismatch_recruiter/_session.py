"""What ``Client.login`` and the other session methods return.

The native client keeps the session and its tokens; these classes are what it
tells Python about them, without the secrets (except the short-lived
challenge of a second login step, which the caller passes back).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Union

__all__ = ["SessionInfo", "LoggedIn", "SecondFactorRequired", "LoginResult"]


@dataclass(frozen=True)
class SessionInfo:
    """The client's session, without its tokens."""

    #: When the access token expires (RFC 3339, the server's clock). The
    #: client renews it about a minute earlier.
    access_token_expires_at: str
    #: When the login ends (RFC 3339): then no renewal works and the user
    #: must log in again.
    refresh_token_expires_at: str
    #: ``False`` once the server refused to renew the session (logged out
    #: elsewhere, a spent refresh token reused, the account disabled or its
    #: password changed). Calls go on with the access token until it expires,
    #: then raise :class:`AuthenticationError`: log in again.
    renewable: bool

    @classmethod
    def _from_native(cls, data: dict[str, Any]) -> SessionInfo:
        return cls(
            access_token_expires_at=data["access_token_expires_at"],
            refresh_token_expires_at=data["refresh_token_expires_at"],
            renewable=data["renewable"],
        )


@dataclass(frozen=True)
class LoggedIn:
    """``login`` succeeded: the client now authenticates with the session."""

    session: SessionInfo
    two_factor_required: Literal[False] = field(default=False, init=False)


@dataclass(frozen=True)
class SecondFactorRequired:
    """The user has a second factor: finish with
    ``login_second_factor(challenge_token, code)`` before
    ``challenge_expires_at`` (five minutes)."""

    #: A short-lived secret, left out of ``repr``.
    challenge_token: str = field(repr=False)
    #: RFC 3339.
    challenge_expires_at: str
    two_factor_required: Literal[True] = field(default=True, init=False)


LoginResult = Union[LoggedIn, SecondFactorRequired]
"""What ``login`` returns: check ``two_factor_required`` (or ``isinstance``)."""


def _login_result(data: dict[str, Any]) -> LoginResult:
    if data["two_factor_required"]:
        return SecondFactorRequired(
            challenge_token=data["challenge_token"],
            challenge_expires_at=data["challenge_expires_at"],
        )
    return LoggedIn(session=SessionInfo._from_native(data["session"]))
