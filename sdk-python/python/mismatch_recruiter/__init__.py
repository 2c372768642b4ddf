"""Python SDK for the mismatch-recruiter API.

>>> from mismatch_recruiter import Client
>>> with Client(base_url="http://127.0.0.1:8080", api_key="mm_...") as client:
...     candidate = client.create_candidate(text=open("resume.txt").read())
...     print([skill.name for skill in candidate.skills])

``Client`` blocks, ``AsyncClient`` is for asyncio; both wrap the Rust SDK, so
retries (with the same Idempotency-Key), timeouts and errors behave as in every
other language. Methods and models are generated from the API's OpenAPI document.
"""

from ._base import DEFAULT_BASE_URL, FileInput
from ._errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    FieldError,
    InvalidArgumentError,
    MismatchError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseDecodeError,
    ServerError,
    ValidationError,
)
from ._generated import *  # noqa: F403  (the generated module defines __all__)
from ._generated import API_VERSION, OPERATIONS
from ._generated import __all__ as _generated_all
from ._native import __version__

__all__ = [
    "__version__",
    "API_VERSION",
    "OPERATIONS",
    "DEFAULT_BASE_URL",
    "FileInput",
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
    "FieldError",
    *_generated_all,
]
