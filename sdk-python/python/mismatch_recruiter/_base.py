"""Hand-written plumbing of the generated clients.

The generated ``Client`` and ``AsyncClient`` (in ``_client.py``) inherit their
configuration, lifecycle, transport and session methods (``login`` and the
rest) from the classes here. Imports flow one way: ``_client`` -> ``_base`` ->
``_errors`` -> ``_models`` -> ``_convert`` (and ``_base`` -> ``_native``,
which raises ``_errors`` classes, and ``_base`` -> ``_session``).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any, TypeVar, Union

from ._errors import ResponseDecodeError
from ._native import NativeClient
from ._session import LoginResult, SessionInfo, _login_result

__all__ = ["DEFAULT_BASE_URL", "FileInput", "SyncTransport", "AsyncTransport"]

DEFAULT_BASE_URL = "http://127.0.0.1:8080"
"""The server used when neither ``base_url`` nor ``MISMATCH_BASE_URL`` says otherwise."""
BASE_URL_ENV = "MISMATCH_BASE_URL"
API_KEY_ENV = "MISMATCH_API_KEY"

FileInput = Union[bytes, bytearray, memoryview, str, "os.PathLike[str]", IO[bytes]]
"""What an upload accepts: the content itself, a path to it, or a binary file object."""

T = TypeVar("T")
_SelfSync = TypeVar("_SelfSync", bound="SyncTransport")
_SelfAsync = TypeVar("_SelfAsync", bound="AsyncTransport")


class _ClientBase:
    """Configuration and the native client, shared by both flavours."""

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 30.0,
        connect_timeout: float = 5.0,
        max_retries: int = 2,
        max_retry_delay: float = 20.0,
        pool_max_idle_per_host: int = 16,
        user_agent: str | None = None,
    ) -> None:
        """Creates a client.

        :param base_url: the server, e.g. ``"https://api.example.com"``; defaults
            to the ``MISMATCH_BASE_URL`` environment variable, then to
            ``http://127.0.0.1:8080``. An explicit argument wins.
        :param api_key: an ``mm_…`` API key; defaults to the ``MISMATCH_API_KEY``
            environment variable. An explicit argument wins. Never logged.
        :param timeout: seconds for a whole attempt (connect, send, receive).
        :param connect_timeout: seconds to establish a connection.
        :param max_retries: retries after the first attempt (0 disables them),
            with exponential backoff and full jitter. Retried: connection
            failures (refused, reset, DNS, connect timeout: the request did not
            get an answer) and the statuses 408, 429, 500, 502, 503 and 504, and
            409 only when it carries ``Retry-After`` (the server is still
            handling a duplicate of the same idempotent request). POST, PATCH
            and DELETE carry an ``Idempotency-Key`` that every retry repeats.
            Not retried: any other status, and an attempt that ran out of
            ``timeout`` (the server may still be working on it), which raises
            :class:`APITimeoutError` at once.
        :param max_retry_delay: upper bound in seconds of one backoff sleep,
            including a server's ``Retry-After``.
        :param pool_max_idle_per_host: idle keep-alive connections kept per host.
        :param user_agent: overrides the ``User-Agent`` header.
        """
        # As in other HTTP SDKs, the environment only fills in what the caller
        # left out; an empty variable counts as unset.
        if base_url is None:
            base_url = os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
        if api_key is None:
            api_key = os.environ.get(API_KEY_ENV) or None
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        if pool_max_idle_per_host < 0:
            raise ValueError("pool_max_idle_per_host must be >= 0")
        self._native: NativeClient | None = NativeClient(
            base_url,
            api_key=api_key,
            timeout=timeout,
            connect_timeout=connect_timeout,
            max_retries=max_retries,
            max_retry_delay=max_retry_delay,
            pool_max_idle_per_host=pool_max_idle_per_host,
            user_agent=user_agent,
        )
        self._base_url = base_url

    @property
    def base_url(self) -> str:
        return self._base_url

    @property
    def closed(self) -> bool:
        return self._native is None

    def _client(self) -> NativeClient:
        native = self._native
        if native is None:
            raise RuntimeError("this client is closed")
        return native

    def _release(self) -> None:
        # Dropping the native client closes its idle pooled connections.
        self._native = None

    @property
    def session(self) -> SessionInfo | None:
        """The session after ``login`` (or ``resume_session``), or ``None``.

        While there is one, every call sends its access token instead of the
        API key; the client renews the token about a minute before it expires
        (one renewal at a time: refresh tokens are single-use) and once after
        a call refused with 401 ``unauthorized``, which it then sends again.
        """
        data = self._client().session()
        return None if data is None else SessionInfo._from_native(data)

    def session_refresh_token(self) -> str | None:
        """The session's current refresh token, to keep a login across
        restarts (``resume_session``); ``None`` when there is none.

        A secret, as good as the password until the login ends: store it as
        such and never log it. It changes at every renewal (about hourly), so
        read it again right before storing it.
        """
        return self._client().session_refresh_token()

    def __repr__(self) -> str:
        state = " closed" if self.closed else ""
        return f"<{type(self).__name__} base_url={self._base_url!r}{state}>"


def _header_list(headers: Mapping[str, str] | None) -> list[tuple[str, str]] | None:
    return None if headers is None else [(str(k), str(v)) for k, v in headers.items()]


class SyncTransport(_ClientBase):
    """Blocking transport: each call releases the GIL while it waits."""

    def _request(
        self,
        operation_id: str,
        args: dict[str, Any],
        *,
        idempotency_key: str | None = None,
        body_bytes: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        response = self._client().call(
            operation_id,
            args,
            idempotency_key=idempotency_key,
            body_bytes=body_bytes,
            headers=_header_list(headers),
        )
        return response.body

    def close(self) -> None:
        """Releases pooled connections; the client cannot be used afterwards."""
        self._release()

    def login(self, email: str, password: str) -> LoginResult:
        """Logs in as a user.

        Returns :class:`LoggedIn` once logged in: from then on the client (in
        every thread) authenticates with the session instead of the API key,
        see :attr:`session`. A user with a second factor gets
        :class:`SecondFactorRequired`; finish with :meth:`login_second_factor`.
        Logging in again replaces the session without ending it on the server.

        :raises AuthenticationError: code ``invalid_credentials`` (unknown email
            or wrong password; the two are not told apart).
        :raises PermissionDeniedError: code ``account_disabled``.
        :raises RateLimitError: code ``login_locked``, after too many failures.
        """
        return _login_result(self._client().login(email, password))

    def login_second_factor(self, challenge_token: str, code: str) -> SessionInfo:
        """The second login step: the challenge token of
        :class:`SecondFactorRequired` and a TOTP code (or a backup code).

        :raises AuthenticationError: code ``invalid_two_factor_code``, or
            ``unauthorized`` for an expired challenge.
        """
        return SessionInfo._from_native(self._client().login_second_factor(challenge_token, code))

    def resume_session(self, refresh_token: str) -> SessionInfo:
        """Continues a login from a refresh token kept earlier (see
        :meth:`session_refresh_token`); the token is spent.

        :raises AuthenticationError: the token is unknown, spent, expired or revoked.
        """
        return SessionInfo._from_native(self._client().resume_session(refresh_token))

    def logout(self) -> None:
        """Ends the session on the server (every refresh token of the login is
        revoked) and forgets it: calls send the API key again. Does nothing
        without a session; the session is forgotten even when the server
        cannot be reached (the error is raised)."""
        self._client().logout()

    def __enter__(self: _SelfSync) -> _SelfSync:
        self._client()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncTransport(_ClientBase):
    """asyncio transport: calls run on the SDK's shared Tokio runtime."""

    async def _request(
        self,
        operation_id: str,
        args: dict[str, Any],
        *,
        idempotency_key: str | None = None,
        body_bytes: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        # The awaitable must be created here, inside the running event loop.
        response = await self._client().call_async(
            operation_id,
            args,
            idempotency_key=idempotency_key,
            body_bytes=body_bytes,
            headers=_header_list(headers),
        )
        return response.body

    async def close(self) -> None:
        """Releases pooled connections; the client cannot be used afterwards."""
        self._release()

    async def login(self, email: str, password: str) -> LoginResult:
        """Logs in as a user; see :meth:`Client.login`."""
        return _login_result(await self._client().login_async(email, password))

    async def login_second_factor(self, challenge_token: str, code: str) -> SessionInfo:
        """The second login step; see :meth:`Client.login_second_factor`."""
        data = await self._client().login_second_factor_async(challenge_token, code)
        return SessionInfo._from_native(data)

    async def resume_session(self, refresh_token: str) -> SessionInfo:
        """Continues a login from a kept refresh token; see :meth:`Client.resume_session`."""
        return SessionInfo._from_native(await self._client().resume_session_async(refresh_token))

    async def logout(self) -> None:
        """Ends the session and forgets it; see :meth:`Client.logout`."""
        await self._client().logout_async()

    async def __aenter__(self: _SelfAsync) -> _SelfAsync:
        self._client()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


def _read_file(file: FileInput) -> tuple[bytes, str | None]:
    """Returns the bytes to upload and, when known, the file's name."""
    if isinstance(file, (bytes, bytearray, memoryview)):
        return bytes(file), None
    if isinstance(file, (str, os.PathLike)):
        path = Path(file)
        return path.read_bytes(), path.name
    if hasattr(file, "read"):
        content = file.read()
        if not isinstance(content, (bytes, bytearray)):
            raise TypeError("file objects must be opened in binary mode ('rb')")
        name = getattr(file, "name", None)
        return bytes(content), Path(name).name if isinstance(name, str) else None
    raise TypeError(f"expected bytes, a path or a binary file object, got {type(file).__name__}")


async def _read_file_async(file: FileInput) -> tuple[bytes, str | None]:
    """Like :func:`_read_file`, reading from disk off the event loop."""
    if isinstance(file, (bytes, bytearray, memoryview)):
        return bytes(file), None
    return await asyncio.to_thread(_read_file, file)


# --- used by the generated client methods --------------------------------------


def _parse(convert: Callable[[Any], T], value: Any, what: str) -> T:
    """Parses a response body, turning a shape mismatch into a ResponseDecodeError."""
    try:
        return convert(value)
    except (KeyError, TypeError, AttributeError, ValueError) as err:
        raise ResponseDecodeError(f"unexpected {what} response: {err!r}", body=value) from err
