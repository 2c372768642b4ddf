"""Sessions through ``Client`` and ``AsyncClient``: login (and its second
step), the access token in place of the API key, renewal before expiry shared
by concurrent calls, resume and logout.

Most tests run against ``FakeAuth``, a local stand-in of the session
protocol (single-use rotating refresh tokens, reuse detection) with lifetimes
the test chooses. The ``live`` tests run against the live server with a real
second factor: the TOTP code is computed here (RFC 6238, ``hmac``) from the
enrolment secret; without a server they are skipped, and fail under CI.
They make no failed login: the server counts those per address, and every
suite of the test run shares 127.0.0.1 (the stand-in covers the errors).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import struct
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from conftest import Live

import mismatch_recruiter as mm

API_KEY = "mm_fake_key"
USER = {
    "id": "usr_01M8T6GBN33NM5NT6Y4H3XR37Q",
    "email": "ada@example.com",
    "name": "Ada",
    "role": "recruiter",
    "password_set": True,
    "two_factor_enabled": False,
    "disabled": False,
    "created_at": "2026-01-01T00:00:00Z",
}


@dataclass
class Seen:
    path: str
    authorization: str | None
    idempotency_key: str | None
    body: Any


@dataclass
class FakeAuth:
    """What the stand-in knows; ``lifetimes`` are the ``expires_in`` of the
    next sessions issued (then 3600)."""

    url: str = ""
    generation: int = 0
    revoked: bool = False
    lifetimes: list[int] = field(default_factory=list)
    refresh_delay: float = 0.0
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def issue(self) -> dict[str, Any]:
        self.generation += 1
        self.revoked = False
        n = self.generation
        return {
            "access_token": f"eyJ.access.{n}",
            "token_type": "Bearer",
            "expires_in": self.lifetimes.pop(0) if self.lifetimes else 3600,
            "expires_at": "2026-01-01T01:00:00.000Z",
            "refresh_token": f"mmr_{n}",
            "refresh_expires_at": "2026-01-31T00:00:00.000Z",
        }

    def paths(self) -> list[str]:
        return [s.path for s in self.seen]

    def answer(self, method: str, seen: Seen) -> tuple[int, Any]:
        body = seen.body or {}
        if (method, seen.path) == ("POST", "/v1/auth/login"):
            if body.get("password") == "wrong":
                return problem(401, "invalid_credentials", "wrong email or password")
            if body.get("email") == "2fa@example.com":
                return 200, {
                    "two_factor_required": True,
                    "challenge_token": "eyJ.challenge.1",
                    "challenge_expires_at": "2026-01-01T00:05:00Z",
                }
            return 200, {"two_factor_required": False, "session": self.issue()}
        if (method, seen.path) == ("POST", "/v1/auth/login/2fa"):
            if body.get("challenge_token") == "eyJ.challenge.1" and body.get("code") == "123456":
                return 200, self.issue()
            return problem(401, "invalid_two_factor_code", "the code is wrong")
        if (method, seen.path) == ("POST", "/v1/auth/refresh"):
            if not self.revoked and self.generation and body.get("refresh_token") == f"mmr_{self.generation}":
                return 200, self.issue()
            self.revoked = True
            return problem(401, "unauthorized", "unknown, spent or revoked refresh token")
        if (method, seen.path) == ("POST", "/v1/auth/logout"):
            self.revoked = True
            return 204, None
        if (method, seen.path) == ("GET", "/v1/users/me"):
            token = f"Bearer eyJ.access.{self.generation}"
            if seen.authorization == f"Bearer {API_KEY}" or (seen.authorization == token and not self.revoked):
                return 200, USER
            return problem(401, "unauthorized", "the access token is not valid")
        return problem(404, "not_found", "no such route")


def problem(status: int, code: str, detail: str) -> tuple[int, Any]:
    return status, {"type": f"https://docs.mismatch.dev/errors/{code}", "title": code,
                    "status": status, "code": code, "detail": detail, "request_id": "req", "errors": []}


@pytest.fixture
def fake() -> Iterator[FakeAuth]:
    state = FakeAuth()

    class Handler(BaseHTTPRequestHandler):
        def handle_one(self, method: str) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            seen = Seen(
                path=self.path.split("?")[0],
                authorization=self.headers.get("authorization"),
                idempotency_key=self.headers.get("idempotency-key"),
                body=json.loads(raw) if raw else None,
            )
            if seen.path == "/v1/auth/refresh":
                time.sleep(state.refresh_delay)
            with state.lock:
                state.seen.append(seen)
                status, body = state.answer(method, seen)
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            kind = "application/problem+json" if status >= 400 else "application/json"
            self.send_header("content-type", kind)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self.handle_one("GET")

        def do_POST(self) -> None:
            self.handle_one("POST")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def test_after_login_calls_carry_the_access_token_until_logout(fake: FakeAuth) -> None:
    with mm.Client(base_url=fake.url, api_key=API_KEY, max_retries=0) as client:
        assert client.session is None
        client.get_current_user()
        result = client.login("ada@example.com", "secret")
        assert isinstance(result, mm.LoggedIn)
        assert result.two_factor_required is False
        assert result.session == mm.SessionInfo(
            access_token_expires_at="2026-01-01T01:00:00.000Z",
            refresh_token_expires_at="2026-01-31T00:00:00.000Z",
            renewable=True,
        )
        assert client.session == result.session
        assert client.session_refresh_token() == "mmr_1"
        assert client.get_current_user().email == "ada@example.com"
        client.logout()
        assert client.session is None
        assert client.session_refresh_token() is None
        client.get_current_user()
        client.logout()  # nothing left to end

    assert fake.paths() == ["/v1/users/me", "/v1/auth/login", "/v1/users/me", "/v1/auth/logout", "/v1/users/me"]
    key, token = f"Bearer {API_KEY}", "Bearer eyJ.access.1"
    assert [s.authorization for s in fake.seen] == [key, None, token, None, key]
    auth = [s for s in fake.seen if s.path.startswith("/v1/auth/")]
    assert all(s.idempotency_key is None for s in auth), "session requests carry their credentials in the body"
    assert fake.seen[3].body == {"refresh_token": "mmr_1"}


def test_threads_share_one_renewal_of_an_expiring_token(fake: FakeAuth) -> None:
    fake.lifetimes.append(30)  # inside the renewal margin of a minute
    fake.refresh_delay = 0.1
    with mm.Client(base_url=fake.url, api_key=API_KEY, max_retries=0) as client:
        client.login("ada@example.com", "secret")
        with ThreadPoolExecutor(max_workers=8) as pool:
            users = list(pool.map(lambda _: client.get_current_user(), range(8)))
        assert [u.email for u in users] == ["ada@example.com"] * 8
        assert client.session_refresh_token() == "mmr_2"
    # Two refreshes would have presented mmr_1 twice and ended the login.
    assert fake.paths().count("/v1/auth/refresh") == 1
    calls = [s for s in fake.seen if s.path == "/v1/users/me"]
    assert {s.authorization for s in calls} == {"Bearer eyJ.access.2"}


def test_second_factor_and_typed_errors(fake: FakeAuth) -> None:
    with mm.Client(base_url=fake.url, max_retries=0) as client:
        with pytest.raises(mm.AuthenticationError) as wrong:
            client.login("ada@example.com", "wrong")
        assert wrong.value.code == "invalid_credentials"
        result = client.login("2fa@example.com", "secret")
        assert isinstance(result, mm.SecondFactorRequired)
        assert result.two_factor_required is True
        assert result.challenge_expires_at == "2026-01-01T00:05:00.000Z"
        assert "challenge.1" not in repr(result), "the challenge token stays out of repr"
        assert client.session is None
        with pytest.raises(mm.AuthenticationError) as bad_code:
            client.login_second_factor(result.challenge_token, "000000")
        assert bad_code.value.code == "invalid_two_factor_code"
        session = client.login_second_factor(result.challenge_token, "123456")
        assert session.renewable
        client.get_current_user()
    assert fake.seen[-1].authorization == "Bearer eyJ.access.1"


def test_async_client_sessions(fake: FakeAuth) -> None:
    fake.lifetimes.append(0)

    async def main() -> None:
        async with mm.AsyncClient(base_url=fake.url, api_key=API_KEY, max_retries=0) as client:
            result = await client.login("ada@example.com", "secret")
            assert isinstance(result, mm.LoggedIn)
            users = await asyncio.gather(*(client.get_current_user() for _ in range(5)))
            assert len(users) == 5
            kept = client.session_refresh_token()
            assert kept == "mmr_2"
            await client.logout()
            assert client.session is None
            # The logout ended the login, so its last token is refused.
            with pytest.raises(mm.AuthenticationError):
                await client.resume_session(kept)
            challenge = await client.login("2fa@example.com", "secret")
            assert isinstance(challenge, mm.SecondFactorRequired)
            await client.login_second_factor(challenge.challenge_token, "123456")
            info = await client.resume_session(client.session_refresh_token() or "")
            assert info.renewable

    asyncio.run(main())
    assert fake.paths().count("/v1/auth/refresh") == 3  # the renewal, the refused resume, the resume


# --- against the live server -----------------------------------------------------


def totp(secret: str, step: int) -> str:
    """The RFC 6238 code (SHA-1, 6 digits) of a base32 secret at a time step."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


def test_totp_gives_the_rfc_6238_vector() -> None:
    # RFC 6238 appendix B, SHA-1, T = 59 s: 94287082 (8 digits), so 287082.
    assert totp(base64.b32encode(b"12345678901234567890").decode(), 59 // 30) == "287082"


def new_user(live: Live, stamp: str) -> tuple[str, str]:
    email = f"py-session-{stamp}-{time.time_ns()}@example.com"
    password = "correct horse battery staple"
    with mm.Client(base_url=live.base_url, api_key=live.admin_api_key) as admin:
        admin.create_user(email=email, name="Python Session", role="recruiter", password=password)
    return email, password


def test_live_login_with_a_second_factor(live: Live) -> None:
    email, password = new_user(live, "sync")
    with mm.Client(base_url=live.base_url, api_key=live.admin_api_key) as client:
        result = client.login(email, password)
        assert isinstance(result, mm.LoggedIn)
        assert client.get_current_user().email == email, "the access token replaced the API key"
        enrolment = client.enroll_two_factor()
        step = int(time.time()) // 30
        backup = client.confirm_two_factor(code=totp(enrolment.secret, step))
        assert len(backup.backup_codes) == 10
        client.logout()
        assert client.get_current_user().email != email, "after logout the API key is used again"

        challenge = client.login(email, password)
        assert isinstance(challenge, mm.SecondFactorRequired)
        # A code is accepted once: the next time step's code (within the drift).
        session = client.login_second_factor(challenge.challenge_token, totp(enrolment.secret, step + 1))
        assert session.renewable
        me = client.get_current_user()
        assert (me.email, me.two_factor_enabled) == (email, True)

        # A backup code also finishes a login, once.
        other = client.login(email, password)
        assert isinstance(other, mm.SecondFactorRequired)
        client.login_second_factor(other.challenge_token, backup.backup_codes[0])
        assert client.get_current_user().email == email
        client.logout()


def test_live_resume_and_logout_with_the_async_client(live: Live) -> None:
    email, password = new_user(live, "async")

    async def main() -> None:
        async with mm.AsyncClient(base_url=live.base_url, api_key=live.admin_api_key) as client:
            result = await client.login(email, password)
            assert isinstance(result, mm.LoggedIn)
            kept = client.session_refresh_token()
            assert kept is not None
        # A new client continues the login: the refresh path of the renewal.
        async with mm.AsyncClient(base_url=live.base_url, api_key=live.admin_api_key) as resumed:
            info = await resumed.resume_session(kept)
            assert info.renewable
            assert (await resumed.get_current_user()).email == email
            assert resumed.session_refresh_token() not in (None, kept), "refresh tokens rotate"
            await resumed.logout()
            assert resumed.session is None
            with pytest.raises(mm.AuthenticationError):
                await resumed.resume_session(kept)

    asyncio.run(main())
