"""A loopback HTTP server that stands in for a third-party API and checks its contract.

Slack, PagerDuty, Teams, LLM APIs, Loki and Elasticsearch cannot run here, so the code under
test talks to a real HTTP server on 127.0.0.1 instead of a mocked client: the request really
goes through our HTTP library, headers, encoding and timeouts included. The stub records every
request, answers from a script of queued responses (then a default), and runs validator
callables that encode the provider's documented request shape. A validator raises
AssertionError; the stub answers 400 like the real provider would, records the error, and
``assert_no_contract_errors()`` re-raises it in the test.

Usage::

    def test_posts_to_slack(http_stub):
        slack = http_stub(name="slack")
        slack.validate(lambda req: assert_slack_message(req))
        slack.respond(200, json={"ok": True, "ts": "1.2"})
        notify(url=slack.url + "/api/chat.postMessage")
        [req] = slack.wait_for(1)
        assert req.json["channel"] == "#ops"
        slack.assert_no_contract_errors()
"""

from __future__ import annotations

import json as jsonlib
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support.net import LOOPBACK

__all__ = ["RecordedRequest", "StubResponse", "StubServer", "http_stub"]

_UNSET = object()


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the stub received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    json: Any = None  # parsed body when it is valid JSON, else None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)


@dataclass
class StubResponse:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    method: str | None = None  # only answer requests with this method ...
    path: str | None = None  # ... and this exact path (None matches anything)

    def matches(self, request: RecordedRequest) -> bool:
        return (self.method is None or self.method == request.method) and (
            self.path is None or self.path == request.path
        )


def _build(status, json, body, headers, delay, method=None, path=None) -> StubResponse:
    headers = dict(headers or {})
    if json is not _UNSET:
        if body is not None:
            raise ValueError("give json or body, not both")
        payload = jsonlib.dumps(json).encode()
        headers.setdefault("Content-Type", "application/json")
    elif isinstance(body, str):
        payload = body.encode()
        headers.setdefault("Content-Type", "text/plain; charset=utf-8")
    else:
        payload = body or b""
    return StubResponse(status, payload, headers, delay, method and method.upper(), path)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    # The default listen backlog of 5 makes a burst of concurrent sends (a notification storm)
    # wait for SYN retransmits, ~1 s each: a stub artefact no real provider has.
    request_queue_size = 128

    def handle_error(self, request, client_address):
        # A client that gave up (timeout tests) is not an error worth a traceback.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class StubServer:
    """ThreadingHTTPServer on 127.0.0.1:<free port>, running in a daemon thread."""

    def __init__(self, name: str = "stub", *, reject_contract_errors: bool = True):
        self.name = name
        self.reject_contract_errors = reject_contract_errors
        self._lock = threading.Condition()
        self._requests: list[RecordedRequest] = []
        self._queue: list[StubResponse] = []
        self._default = _build(200, {}, None, None, 0)
        self._validators: list[Callable[[RecordedRequest], Any]] = []
        self._errors: list[tuple[RecordedRequest, AssertionError]] = []
        self._httpd = _QuietServer((LOOPBACK, 0), self._handler_class())
        self.port = self._httpd.server_address[1]
        self.url = f"http://{LOOPBACK}:{self.port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},  # quick shutdown() at teardown
            name=f"http-stub-{name}",
            daemon=True,
        )
        self._thread.start()

    # -- scripting -------------------------------------------------------------------------
    def respond(
        self,
        status=200,
        json=_UNSET,
        body=None,
        headers=None,
        delay=0.0,
        *,
        method: str | None = None,
        path: str | None = None,
    ) -> StubServer:
        """Queue one response; it answers the first later request matching method/path."""
        with self._lock:
            self._queue.append(_build(status, json, body, headers, delay, method, path))
        return self

    def set_default(self, status=200, json=_UNSET, body=None, headers=None, delay=0.0) -> StubServer:
        """The answer once the queue has nothing matching (initially 200 ``{}``)."""
        if json is _UNSET and body is None:
            json = {}
        with self._lock:
            self._default = _build(status, json, body, headers, delay)
        return self

    def validate(self, validator: Callable[[RecordedRequest], Any]) -> StubServer:
        """Run ``validator(request)`` on every request; AssertionError = contract broken."""
        with self._lock:
            self._validators.append(validator)
        return self

    # -- inspection ------------------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def contract_errors(self) -> list[tuple[RecordedRequest, AssertionError]]:
        with self._lock:
            return list(self._errors)

    def wait_for(self, n: int = 1, timeout: float = 5.0) -> list[RecordedRequest]:
        """Wait until at least n requests arrived; return them all, or fail the test."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self._requests) >= n, timeout):
                seen = [f"{r.method} {r.path}" for r in self._requests]
                raise AssertionError(f"{self.name}: expected {n} request(s) within {timeout}s, got {seen}")
            return list(self._requests)

    def assert_no_contract_errors(self) -> None:
        errors = self.contract_errors
        if errors:
            request, first = errors[0]
            raise AssertionError(
                f"{self.name}: {len(errors)} request(s) broke the contract; first was "
                f"{request.method} {request.path}: {first}"
            ) from first

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> StubServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- serving ---------------------------------------------------------------------------
    def _handle(self, request: RecordedRequest) -> StubResponse:
        errors = []
        for validator in list(self._validators):
            try:
                validator(request)
            except AssertionError as exc:
                errors.append(exc)
        with self._lock:
            self._requests.append(request)
            self._errors.extend((request, exc) for exc in errors)
            self._lock.notify_all()
            if errors and self.reject_contract_errors:
                return _build(400, {"error": "contract_violation", "detail": str(errors[0])}, None, None, 0)
            for i, response in enumerate(self._queue):
                if response.matches(request):
                    return self._queue.pop(i)
            return self._default

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                body = self._read_body()
                split = urlsplit(self.path)
                try:
                    parsed = jsonlib.loads(body) if body else None
                except ValueError:
                    parsed = None
                request = RecordedRequest(
                    method=self.command,
                    path=split.path,
                    query=parse_qs(split.query, keep_blank_values=True),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                    json=parsed,
                )
                response = stub._handle(request)
                if response.delay:
                    time.sleep(response.delay)
                self.send_response(response.status)
                for name, value in response.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(response.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(response.body)

            def _read_body(self) -> bytes:
                if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                    chunks = []
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass  # trailers
                            return b"".join(chunks)
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

            def log_message(self, format, *args):  # keep test output quiet
                pass

        return Handler


@pytest.fixture
def http_stub() -> Iterator[Callable[..., StubServer]]:
    """Factory: ``http_stub(name="slack")`` starts a StubServer; all stop at teardown."""
    servers: list[StubServer] = []

    def make(name: str = "stub", **kwargs) -> StubServer:
        server = StubServer(name, **kwargs)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()
