#!/usr/bin/env python3
"""A deliberately unreliable reverse proxy for the end-to-end tests.

It forwards every request to the upstream server, except the first attempt of
each POST that carries an Idempotency-Key it has not seen before: that attempt
gets `503 Service Unavailable` with `Retry-After: 0`. An SDK that retries and
reuses its Idempotency-Key therefore succeeds on the second attempt, and the
server sees the request exactly once. `GET /__flaky/stats` reports how many
attempts were failed and forwarded so tests can assert on it.

Usage: flaky_proxy.py UPSTREAM_URL   (prints "listening on http://127.0.0.1:PORT")
"""

from __future__ import annotations

import http.client
import json
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
}

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "Retry-After, X-Request-Id",
}


class State:
    def __init__(self, upstream: urllib.parse.SplitResult) -> None:
        self.upstream = upstream
        self.lock = threading.Lock()
        self.seen_keys: set[str] = set()
        self.failed = 0
        self.forwarded = 0


def make_handler(state: State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass  # keep test output readable

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _read_body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _handle(self) -> None:
            body = self._read_body()
            if self.path.startswith("/__flaky/stats"):
                with state.lock:
                    stats = {"failed": state.failed, "forwarded": state.forwarded}
                self._send(200, json.dumps(stats).encode(), {"Content-Type": "application/json", **CORS_HEADERS})
                return
            key = self.headers.get("Idempotency-Key")
            if self.command == "POST" and key:
                with state.lock:
                    first_attempt = key not in state.seen_keys
                    state.seen_keys.add(key)
                    if first_attempt:
                        state.failed += 1
                if first_attempt:
                    problem = {
                        "type": "about:blank",
                        "title": "Service Unavailable",
                        "status": 503,
                        "detail": "injected failure: the first attempt of this request was dropped",
                        "code": "unavailable",
                    }
                    self._send(
                        503,
                        json.dumps(problem).encode(),
                        {"Content-Type": "application/problem+json", "Retry-After": "0", **CORS_HEADERS},
                    )
                    return
            with state.lock:
                state.forwarded += 1
            self._forward(body)

        def _forward(self, body: bytes) -> None:
            up = state.upstream
            conn = http.client.HTTPConnection(up.hostname, up.port or 80, timeout=60)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            headers["Host"] = up.netloc
            try:
                conn.request(self.command, self.path, body=body or None, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                out = {k: v for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP}
                self._send(resp.status, data, out)
            except OSError as err:
                self._send(502, json.dumps({"status": 502, "detail": str(err)}).encode(), {"Content-Type": "application/json"})
            finally:
                conn.close()

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _handle

    return Handler


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: flaky_proxy.py UPSTREAM_URL")
    upstream = urllib.parse.urlsplit(sys.argv[1])
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(State(upstream)))
    server.daemon_threads = True
    print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
