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
    InvalidArgumentError,
    MismatchError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseDecodeError,
    ServerError,
    ValidationError,
)
from ._native import __version__

__all__ = [
    "__version__",
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
]

# The generated models, enums and both clients.
# BEGIN GENERATED EXPORTS (generate.py writes this block; do not edit it)
from ._generated import (
    API_VERSION,
    OPERATIONS,
    ApiKey,
    ApiKeyCreated,
    ApiKeyPage,
    AsyncClient,
    Candidate,
    CandidatePage,
    CandidateSource,
    Client,
    CreateApiKey,
    CreateCandidate,
    CreateJob,
    DocumentFormat,
    EducationLevel,
    FieldError,
    Health,
    Job,
    JobPage,
    JobPatch,
    JobStatus,
    Match,
    MatchBreakdown,
    MatchRequest,
    MatchWeights,
    MatchWeightsInput,
    Problem,
    RankedMatches,
    RemotePolicy,
    ResumeFile,
    ResumeUpload,
    Role,
    SalaryFeatures,
    SalaryPrediction,
    SalaryPredictionRequest,
    Scope,
    Seniority,
    Skill,
    Verdict,
)

__all__ += [
    'API_VERSION',
    'OPERATIONS',
    'ApiKey',
    'ApiKeyCreated',
    'ApiKeyPage',
    'AsyncClient',
    'Candidate',
    'CandidatePage',
    'CandidateSource',
    'Client',
    'CreateApiKey',
    'CreateCandidate',
    'CreateJob',
    'DocumentFormat',
    'EducationLevel',
    'FieldError',
    'Health',
    'Job',
    'JobPage',
    'JobPatch',
    'JobStatus',
    'Match',
    'MatchBreakdown',
    'MatchRequest',
    'MatchWeights',
    'MatchWeightsInput',
    'Problem',
    'RankedMatches',
    'RemotePolicy',
    'ResumeFile',
    'ResumeUpload',
    'Role',
    'SalaryFeatures',
    'SalaryPrediction',
    'SalaryPredictionRequest',
    'Scope',
    'Seniority',
    'Skill',
    'Verdict',
]
# END GENERATED EXPORTS

