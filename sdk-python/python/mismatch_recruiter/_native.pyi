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

def operations() -> list[dict[str, Any]]:
    """The operations the Rust SDK can dispatch: operation_id, method, path,
    path_params, query_params and body (``none``, ``json`` or ``binary``)."""

def default_options() -> dict[str, float]:
    """The Rust SDK's default client options (durations in seconds)."""
