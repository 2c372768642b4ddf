"""Native core of the SDK (Rust, pyo3). Use ``Client`` / ``AsyncClient`` instead."""

from collections.abc import Awaitable, Sequence
from typing import Any, final

__all__ = [
    "NativeClient",
    "NativeResponse",
    "operations",
    "default_options",
    "__version__",
    "API_VERSION",
]

__version__: str
API_VERSION: str

@final
class NativeResponse:
    """The result of one successful operation call."""

    @property
    def status(self) -> int: ...
    @property
    def body(self) -> Any: ...
    @property
    def request_id(self) -> str | None: ...
    @property
    def attempts(self) -> int: ...

@final
class NativeClient:
    """A configured API client; cheap to share between threads and tasks.

    ``Client`` and ``AsyncClient`` create it with their ``base_url`` and
    ``api_key``, after filling those from ``MISMATCH_BASE_URL`` and
    ``MISMATCH_API_KEY`` when they were not given.
    """

    def __new__(
        cls,
        base_url: str,
        *,
        api_key: str | None = None,
        timeout: float = 30.0,
        connect_timeout: float = 5.0,
        max_retries: int = 2,
        max_retry_delay: float = 20.0,
        pool_max_idle_per_host: int = 16,
        user_agent: str | None = None,
    ) -> NativeClient: ...
    @property
    def base_url(self) -> str: ...
    def call(
        self,
        operation_id: str,
        args: dict[str, Any],
        *,
        idempotency_key: str | None = None,
        body_bytes: bytes | None = None,
        headers: Sequence[tuple[str, str]] | None = None,
    ) -> NativeResponse:
        """Calls one operation and blocks (without holding the GIL) until it is done."""
    def call_async(
        self,
        operation_id: str,
        args: dict[str, Any],
        *,
        idempotency_key: str | None = None,
        body_bytes: bytes | None = None,
        headers: Sequence[tuple[str, str]] | None = None,
    ) -> Awaitable[NativeResponse]:
        """Calls one operation; must be called while an asyncio loop is running."""
    def login(self, email: str, password: str) -> dict[str, Any]:
        """Logs in: ``two_factor_required`` and ``session``, or ``challenge_token``
        and ``challenge_expires_at``."""
    def login_async(self, email: str, password: str) -> Awaitable[dict[str, Any]]:
        """Like ``login``; must be called while an asyncio loop is running."""
    def login_second_factor(self, challenge_token: str, code: str) -> dict[str, Any]:
        """The second login step; returns the session dict."""
    def login_second_factor_async(self, challenge_token: str, code: str) -> Awaitable[dict[str, Any]]:
        """Like ``login_second_factor``, as an awaitable."""
    def resume_session(self, refresh_token: str) -> dict[str, Any]:
        """Continues a login from a kept refresh token; returns the session dict."""
    def resume_session_async(self, refresh_token: str) -> Awaitable[dict[str, Any]]:
        """Like ``resume_session``, as an awaitable."""
    def logout(self) -> None:
        """Ends the session on the server and forgets it."""
    def logout_async(self) -> Awaitable[None]:
        """Like ``logout``, as an awaitable."""
    def session(self) -> dict[str, Any] | None:
        """The session (``access_token_expires_at``, ``refresh_token_expires_at``,
        ``renewable``), or ``None``."""
    def session_refresh_token(self) -> str | None:
        """The session's current refresh token (a secret), or ``None``."""

def operations() -> list[dict[str, Any]]:
    """The operations the Rust SDK can dispatch: operation_id, method, path,
    path_params, query_params and body (``none``, ``json`` or ``binary``)."""

def default_options() -> dict[str, float]:
    """The Rust SDK's default client options (durations in seconds)."""
