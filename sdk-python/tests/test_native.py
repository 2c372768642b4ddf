"""The native client against a scripted local HTTP server (no API server needed).

These tests pin what the Python SDK inherits from the Rust SDK: authentication,
headers, retries that reuse the Idempotency-Key, Retry-After, timeouts, error
classification, uploads, GIL release and asyncio integration.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

import mismatch_recruiter as mm
from mismatch_recruiter import _native

NOW = "2026-01-01T00:00:00Z"
KEY_CREATED = {
    "key": "mm_" + "a" * 49,
    "id": "key_1",
    "name": "k",
    "prefix": "mm_aaaa",
    "role": "recruiter",
    "scopes": ["jobs:read"],
    "user_id": "usr_1",
    "created_at": NOW,
}


def problem(status: int, code: str, detail: str, request_id: str = "req-srv") -> dict[str, Any]:
    return {
        "type": f"https://docs.mismatch.dev/errors/{code}",
        "title": code.replace("_", " ").title(),
        "status": status,
        "detail": detail,
        "code": code,
        "request_id": request_id,
        "errors": [],
    }


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class Script:
    """Replies per "METHOD /path" in order; the last one repeats."""

    def __init__(self) -> None:
        self.replies: dict[str, list[Reply]] = {}
        self.seen: list[Seen] = []
        self.lock = threading.Lock()

    def on(self, route: str, *replies: Reply) -> None:
        self.replies[route] = list(replies)

    def next(self, route: str) -> Reply:
        with self.lock:
            queue = self.replies.get(route)
            if not queue:
                return Reply(404, problem(404, "not_found", f"no route {route}"))
            return queue.pop(0) if len(queue) > 1 else queue[0]


@pytest.fixture
def server() -> Iterator[tuple[str, Script]]:
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def handle_any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            with script.lock:
                script.seen.append(
                    Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
            reply = script.next(f"{self.command} {self.path.split('?')[0]}")
            if reply.delay:
                time.sleep(reply.delay)
            payload = b"" if reply.body is None else json.dumps(reply.body).encode()
            self.send_response(reply.status)
            content_type = "application/problem+json" if reply.status >= 400 else "application/json"
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("X-Request-Id", f"req-{len(script.seen)}")
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PATCH = do_DELETE = handle_any

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", script
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_native_operation_table_matches_the_generated_methods() -> None:
    native_ids = {op["operation_id"] for op in _native.operations()}
    assert native_ids == set(mm.OPERATIONS)
    assert _native.API_VERSION == mm.API_VERSION
    import inspect
    import keyword

    for op in _native.operations():
        method = mm.OPERATIONS[op["operation_id"]]
        for cls in (mm.Client, mm.AsyncClient):
            params = inspect.signature(getattr(cls, method)).parameters
            # The generated method takes exactly the Rust operation's parameters...
            for name in [*op["path_params"], *op["query_params"]]:
                # A Python keyword (the audit log's ``from``) takes a trailing underscore.
                if keyword.iskeyword(name) or keyword.issoftkeyword(name):
                    name += "_"
                assert name in params, f"{method} lacks {name}"
            # ...and sends its body the way the Rust SDK expects it.
            assert ("file" in params) == (op["body"] == "binary"), method
            keyed = op["method"] in ("POST", "PATCH", "DELETE")
            assert ("idempotency_key" in params) == keyed, method


def test_api_key_falls_back_to_the_environment_and_is_sent_as_bearer(
    server: tuple[str, Script], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, script = server
    script.on("GET /v1/jobs", Reply(200, {"items": [], "next_cursor": None}))
    monkeypatch.setenv("MISMATCH_API_KEY", "mm_from_env")
    with mm.Client(base_url=url) as client:
        page = client.list_jobs(limit=5, extra_headers={"X-Trace": "t-1"})
    assert page.items == [] and page.next_cursor is None
    seen = script.seen[-1]
    assert seen.path == "/v1/jobs?limit=5"
    assert seen.headers["authorization"] == "Bearer mm_from_env"
    assert seen.headers["x-trace"] == "t-1"
    assert seen.headers["user-agent"].startswith("mismatch-recruiter-python/")
    monkeypatch.delenv("MISMATCH_API_KEY")
    with mm.Client(base_url=url, api_key="mm_explicit") as client:
        client.list_jobs()
    assert script.seen[-1].headers["authorization"] == "Bearer mm_explicit"


def test_api_key_environment_default_applies_to_the_async_client(
    server: tuple[str, Script], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, script = server
    script.on("GET /v1/jobs", Reply(200, {"items": [], "next_cursor": None}))
    monkeypatch.setenv("MISMATCH_API_KEY", "mm_from_env")

    async def main(**options: str) -> None:
        async with mm.AsyncClient(base_url=url, **options) as client:
            await client.list_jobs()

    asyncio.run(main())
    assert script.seen[-1].headers["authorization"] == "Bearer mm_from_env"
    asyncio.run(main(api_key="mm_explicit"))
    assert script.seen[-1].headers["authorization"] == "Bearer mm_explicit"


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_base_url_falls_back_to_the_environment(
    server: tuple[str, Script], monkeypatch: pytest.MonkeyPatch, flavour: str
) -> None:
    url, script = server
    script.on("GET /health/live", Reply(200, {"status": "ok"}))

    def live_status(**options: str) -> tuple[str, str]:
        if flavour == "sync":
            with mm.Client(max_retries=0, **options) as client:
                return client.base_url, client.get_liveness().status

        async def main() -> tuple[str, str]:
            async with mm.AsyncClient(max_retries=0, **options) as client:
                return client.base_url, (await client.get_liveness()).status

        return asyncio.run(main())

    monkeypatch.setenv("MISMATCH_BASE_URL", url)
    assert live_status() == (url, "ok")
    assert len(script.seen) == 1
    # An explicit argument wins over the environment.
    monkeypatch.setenv("MISMATCH_BASE_URL", "http://127.0.0.1:9")
    assert live_status(base_url=url) == (url, "ok")
    assert len(script.seen) == 2
    # Unset or empty: the documented default.
    for value in (None, ""):
        if value is None:
            monkeypatch.delenv("MISMATCH_BASE_URL")
        else:
            monkeypatch.setenv("MISMATCH_BASE_URL", value)
        cls = mm.Client if flavour == "sync" else mm.AsyncClient
        assert cls().base_url == mm.DEFAULT_BASE_URL


def test_environment_defaults_are_documented() -> None:
    for cls in (mm.Client, mm.AsyncClient):
        doc = cls.__init__.__doc__ or ""
        assert "MISMATCH_BASE_URL" in doc and "MISMATCH_API_KEY" in doc
        assert "MISMATCH_BASE_URL" in (cls.__doc__ or "")


def test_retries_reuse_the_idempotency_key(server: tuple[str, Script]) -> None:
    url, script = server
    script.on(
        "POST /v1/api-keys",
        Reply(503, problem(503, "unavailable", "try again"), {"Retry-After": "0"}),
        Reply(502, None),
        Reply(201, KEY_CREATED),
    )
    with mm.Client(base_url=url, api_key="mm_x", max_retries=2) as client:
        created = client.create_api_key(name="k", role="recruiter")
    assert isinstance(created, mm.ApiKeyCreated) and created.key == KEY_CREATED["key"]
    attempts = [s for s in script.seen if s.method == "POST"]
    assert len(attempts) == 3
    keys = {s.headers["idempotency-key"] for s in attempts}
    assert len(keys) == 1 and keys != {""}
    assert json.loads(attempts[0].body) == {"name": "k", "role": "recruiter"}


JOB = {
    "id": "job_1",
    "title": "t",
    "description": "d",
    "required_skills": [],
    "nice_to_have_skills": [],
    "min_years": 0,
    "remote": "onsite",
    "currency": "USD",
    "status": "closed",
    "created_at": NOW,
    "updated_at": NOW,
    "version": 1,
}


def test_patch_and_delete_retries_reuse_one_idempotency_key(server: tuple[str, Script]) -> None:
    url, script = server
    script.on("PATCH /v1/jobs/job_1", Reply(503, None, {"Retry-After": "0"}), Reply(200, JOB))
    script.on("DELETE /v1/candidates/cand_1", Reply(502, None), Reply(204, None))
    with mm.Client(base_url=url, api_key="mm_x", max_retries=1) as client:
        assert client.update_job("job_1", status="closed").status == "closed"
        client.delete_candidate("cand_1", idempotency_key="delete-cand-1")
    patches = [s for s in script.seen if s.method == "PATCH"]
    assert len(patches) == 2 and patches[0].headers.get("idempotency-key")
    assert patches[1].headers["idempotency-key"] == patches[0].headers["idempotency-key"]
    deletes = [s for s in script.seen if s.method == "DELETE"]
    assert [d.headers.get("idempotency-key") for d in deletes] == ["delete-cand-1"] * 2


def test_a_conflict_is_retried_only_when_it_carries_retry_after(server: tuple[str, Script]) -> None:
    url, script = server
    in_flight = problem(409, "idempotency_key_in_use", "the first request is still running")
    script.on("POST /v1/api-keys", Reply(409, in_flight, {"Retry-After": "0"}), Reply(201, KEY_CREATED))
    with mm.Client(base_url=url, api_key="mm_x", max_retries=2) as client:
        assert client.create_api_key(name="k").key == KEY_CREATED["key"]
        assert len(script.seen) == 2
        script.on("POST /v1/api-keys", Reply(409, problem(409, "conflict", "taken")))
        with pytest.raises(mm.ConflictError) as info:
            client.create_api_key(name="k")
    assert info.value.attempts == 1 and len(script.seen) == 3


@pytest.mark.parametrize("status", [400, 404, 422, 501, 505])
def test_other_statuses_are_not_retried(server: tuple[str, Script], status: int) -> None:
    url, script = server
    script.on("GET /v1/jobs/job_1", Reply(status, problem(status, "nope", "no"), {"Retry-After": "0"}))
    with mm.Client(base_url=url, api_key="mm_x", max_retries=3) as client:
        with pytest.raises(mm.APIError) as info:
            client.get_job("job_1")
    assert info.value.status == status and info.value.attempts == 1
    assert len(script.seen) == 1


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_transient_statuses_are_retried(server: tuple[str, Script], status: int) -> None:
    url, script = server
    script.on("GET /v1/jobs/job_1", Reply(status, problem(status, "busy", "later"), {"Retry-After": "0"}), Reply(200, JOB))
    with mm.Client(base_url=url, api_key="mm_x", max_retries=1) as client:
        assert client.get_job("job_1").id == "job_1"
    assert len(script.seen) == 2


RATE_LIMITED = {"Retry-After": "1", "RateLimit-Limit": "3", "RateLimit-Remaining": "0", "RateLimit-Reset": "60"}


def test_a_429_is_retried_after_its_retry_after(server: tuple[str, Script]) -> None:
    # The server's answer over a rate limit (server/src/rate_limit.rs).
    url, script = server
    limited = problem(429, "rate_limited", "too many requests from this address")
    script.on("GET /v1/jobs/job_1", Reply(429, limited, RATE_LIMITED), Reply(200, JOB))
    with mm.Client(base_url=url, api_key="mm_x", max_retries=1) as client:
        started = time.monotonic()
        assert client.get_job("job_1").id == "job_1"
        waited = time.monotonic() - started
    assert len(script.seen) == 2
    assert 0.95 <= waited < 5, waited
    # Capped by max_retry_delay; once retries run out the 429 is a RateLimitError.
    script.on("GET /v1/jobs/job_1", Reply(429, limited, {**RATE_LIMITED, "Retry-After": "3600"}))
    with mm.Client(base_url=url, api_key="mm_x", max_retries=1, max_retry_delay=0.2) as client:
        started = time.monotonic()
        with pytest.raises(mm.RateLimitError) as info:
            client.get_job("job_1")
        waited = time.monotonic() - started
    assert info.value.status == 429 and info.value.code == "rate_limited" and info.value.attempts == 2
    assert 0.19 <= waited < 3, waited


def test_explicit_idempotency_key_is_sent(server: tuple[str, Script]) -> None:
    url, script = server
    script.on("POST /v1/api-keys", Reply(201, KEY_CREATED))
    with mm.Client(base_url=url, api_key="mm_x") as client:
        client.create_api_key(name="k", idempotency_key="my-key-1")
    assert script.seen[-1].headers["idempotency-key"] == "my-key-1"


def test_exhausted_retries_raise_the_last_server_error(server: tuple[str, Script]) -> None:
    url, script = server
    script.on("POST /v1/api-keys", Reply(503, problem(503, "unavailable", "down"), {"Retry-After": "0"}))
    with mm.Client(base_url=url, api_key="mm_x", max_retries=1) as client:
        with pytest.raises(mm.ServerError) as info:
            client.create_api_key(name="k")
    assert info.value.status == 503 and info.value.code == "unavailable"
    assert info.value.message == "down"
    assert len([s for s in script.seen if s.method == "POST"]) == 2


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (400, "malformed_request", mm.BadRequestError),
        (401, "unauthorized", mm.AuthenticationError),
        (403, "forbidden", mm.PermissionDeniedError),
        (404, "not_found", mm.NotFoundError),
        (409, "conflict", mm.ConflictError),
        (413, "payload_too_large", mm.BadRequestError),
        (422, "empty_document", mm.ValidationError),
        (429, "rate_limited", mm.RateLimitError),
    ],
)
def test_http_errors_map_to_exception_classes(
    server: tuple[str, Script], status: int, code: str, cls: type[mm.APIError]
) -> None:
    url, script = server
    script.on("GET /v1/candidates/cand_1", Reply(status, problem(status, code, "nope", "req-abc"), {"Retry-After": "0"}))
    with mm.Client(base_url=url, api_key="mm_x", max_retries=0) as client:
        with pytest.raises(cls) as info:
            client.get_candidate("cand_1")
    err = info.value
    assert type(err) is cls
    assert (err.status, err.code, err.message) == (status, code, "nope")
    assert err.request_id  # from the X-Request-Id header or the body
    assert isinstance(err.body, dict) and err.body["code"] == code
    assert err.problem is not None and err.problem.code == code


def test_path_parameters_are_escaped(server: tuple[str, Script]) -> None:
    url, script = server
    with mm.Client(base_url=url, api_key="mm_x", max_retries=0) as client:
        with pytest.raises(mm.NotFoundError):
            client.get_candidate("a/b c")
    assert script.seen[-1].path in ("/v1/candidates/a%2Fb%20c", "/v1/candidates/a%2Fb+c")


def test_connection_refused_is_a_connection_error() -> None:
    with mm.Client(base_url="http://127.0.0.1:9", api_key="mm_x", max_retries=0) as client:
        with pytest.raises(mm.APIConnectionError) as info:
            client.get_liveness()
    assert isinstance(info.value, ConnectionError) and not isinstance(info.value, TimeoutError)


def test_slow_server_is_a_timeout(server: tuple[str, Script]) -> None:
    url, script = server
    script.on("GET /health/live", Reply(200, {"status": "ok"}, delay=1.5))
    with mm.Client(base_url=url, timeout=0.3, max_retries=0) as client:
        start = time.monotonic()
        with pytest.raises(mm.APITimeoutError) as info:
            client.get_liveness()
    assert time.monotonic() - start < 1.4
    assert isinstance(info.value, TimeoutError)


def test_an_attempt_that_ran_out_of_time_is_not_retried(server: tuple[str, Script]) -> None:
    url, script = server
    script.on("GET /health/live", Reply(200, {"status": "ok"}, delay=1.0))
    with mm.Client(base_url=url, timeout=0.3, max_retries=2) as client:
        with pytest.raises(mm.APITimeoutError) as info:
            client.get_liveness()
    assert info.value.attempts == 1 and len(script.seen) == 1


def test_upload_sends_the_raw_bytes_and_the_file_name(server: tuple[str, Script], tmp_path: Any) -> None:
    url, script = server
    script.on("POST /v1/candidates/upload", Reply(422, problem(422, "empty_document", "no text")))
    doc = tmp_path / "cv.pdf"
    doc.write_bytes(b"%PDF-1.7 \x00\xff binary")
    with mm.Client(base_url=url, api_key="mm_x", max_retries=0) as client:
        with pytest.raises(mm.ValidationError) as info:
            client.upload_candidate(doc)
    assert info.value.code == "empty_document"
    seen = script.seen[-1]
    assert seen.path == "/v1/candidates/upload?filename=cv.pdf"
    assert seen.body == b"%PDF-1.7 \x00\xff binary"


def test_blocking_calls_release_the_gil(server: tuple[str, Script]) -> None:
    url, script = server
    script.on("GET /health/live", Reply(200, {"status": "ok"}, delay=0.4))
    with mm.Client(base_url=url, max_retries=0) as client:
        results: list[str] = []
        threads = [threading.Thread(target=lambda: results.append(client.get_liveness().status)) for _ in range(4)]
        start = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - start
    assert results == ["ok"] * 4
    assert elapsed < 1.2, f"4 parallel 0.4 s calls took {elapsed:.2f} s: the GIL was held"


def test_async_calls_run_concurrently_on_one_loop(server: tuple[str, Script]) -> None:
    url, script = server
    script.on("GET /health/live", Reply(200, {"status": "ok"}, delay=0.4))

    async def main() -> tuple[list[mm.Health], float]:
        async with mm.AsyncClient(base_url=url, max_retries=0) as client:
            start = time.monotonic()
            results = await asyncio.gather(*(client.get_liveness() for _ in range(5)))
            return list(results), time.monotonic() - start

    results, elapsed = asyncio.run(main())
    assert [r.status for r in results] == ["ok"] * 5
    assert elapsed < 1.2


def test_async_errors_are_the_same_classes(server: tuple[str, Script]) -> None:
    url, script = server
    script.on("GET /v1/candidates/cand_2", Reply(404, problem(404, "not_found", "gone", "req-x")))

    async def main() -> None:
        async with mm.AsyncClient(base_url=url, api_key="mm_x") as client:
            await client.get_candidate("cand_2")

    with pytest.raises(mm.NotFoundError) as info:
        asyncio.run(main())
    assert info.value.status == 404 and info.value.code == "not_found"


def test_a_closed_client_refuses_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MISMATCH_BASE_URL", raising=False)
    client = mm.Client(api_key="mm_x")
    assert client.base_url == mm.DEFAULT_BASE_URL and not client.closed
    with client as entered:
        assert entered is client
    assert client.closed
    with pytest.raises(RuntimeError, match="closed"):
        client.get_liveness()
    assert "closed" in repr(client)

    async def main() -> None:
        async with mm.AsyncClient() as a:
            pass
        assert a.closed
        with pytest.raises(RuntimeError):
            await a.get_liveness()

    asyncio.run(main())


@pytest.mark.parametrize(
    "options",
    [{"timeout": 0}, {"timeout": -1.0}, {"connect_timeout": float("nan")}, {"max_retries": -1}],
)
def test_invalid_options_are_rejected(options: dict[str, Any]) -> None:
    with pytest.raises((ValueError, OverflowError)):
        mm.Client(**options)


def test_invalid_base_url_is_rejected() -> None:
    with pytest.raises((mm.InvalidArgumentError, ValueError)):
        mm.Client(base_url="not a url")


def test_native_call_rejects_non_json_arguments() -> None:
    native = _native.NativeClient("http://127.0.0.1:9")
    with pytest.raises(ValueError, match="JSON"):
        native.call("getLiveness", {"x": object()})
    with pytest.raises(mm.InvalidArgumentError):
        native.call("noSuchOperation", {})


def test_async_call_outside_a_running_loop_is_an_error() -> None:
    native = _native.NativeClient("http://127.0.0.1:9")
    with pytest.raises(RuntimeError):
        native.call_async("getLiveness", {})


def test_ctrl_c_interrupts_a_blocking_call(server: tuple[str, Script]) -> None:
    import _thread

    url, script = server
    script.on("GET /health/live", Reply(200, {"status": "ok"}, delay=3.0))
    timer = threading.Timer(0.3, _thread.interrupt_main)
    with mm.Client(base_url=url, max_retries=0) as client:
        start = time.monotonic()
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            client.get_liveness()
        elapsed = time.monotonic() - start
    timer.join()
    assert elapsed < 2.0, f"the interrupt took {elapsed:.2f} s to land"


@pytest.mark.parametrize("cls", [mm.Client, mm.AsyncClient, _native.NativeClient])
def test_python_defaults_are_the_rust_sdk_defaults(cls: type) -> None:
    import inspect

    params = inspect.signature(cls).parameters
    for name, value in _native.default_options().items():
        assert params[name].default == value, name
    assert params["api_key"].default is None
