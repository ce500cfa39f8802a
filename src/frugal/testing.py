"""Test helpers for code that uses frugal (or the vendor SDKs): a loopback vendor stub and a network guard.

``VendorStub`` is a real HTTP server on 127.0.0.1 speaking the OpenAI (``/v1/chat/completions``,
``/v1/responses``, ``/v1/embeddings``) and Anthropic (``/v1/messages``, ``/v1/messages/count_tokens``) wire
formats, streams (SSE) included, so the real SDKs run their real code against it::

    from frugal.testing import VendorStub, Reply, Usage, Fault

    with VendorStub() as stub:
        stub.reply("gpt-4o-mini", Reply(text="hi", usage=Usage(input_tokens=100, output_tokens=20)))
        stub.queue("claude-haiku-4-5", Fault.status(429, retry_after=0), Reply(text="after retry"))
        client = openai.OpenAI(api_key="sk-test", base_url=stub.openai_base_url)
        ...
        assert stub.requests[0].body["model"] == "gpt-4o-mini"

``deny_network()`` makes any connection to a non-loopback address fail (and records it), so a test can
never reach a real vendor. Neither imports a vendor SDK.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import struct
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from . import _stub_bodies as bodies
from ._stub_bodies import Reply, ToolCall, Usage

__all__ = [
    "Fault",
    "NetworkBlocked",
    "NetworkGuard",
    "RecordedRequest",
    "Reply",
    "StubEndpoints",
    "ToolCall",
    "Usage",
    "VendorStub",
    "deny_network",
    "stub_process",
]


@dataclass(frozen=True, slots=True)
class Fault:
    """A scripted failure. Build one with the class methods."""

    kind: str
    code: int = 500
    retry_after: float | None = None
    message: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    after_events: int = 0

    @classmethod
    def status(
        cls,
        code: int,
        *,
        retry_after: float | None = None,
        message: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Fault:
        """An HTTP error with the vendor's own error body (and ``retry-after`` when given)."""
        return cls("status", code=code, retry_after=retry_after, message=message, headers=dict(headers or {}))

    @classmethod
    def delay(cls, seconds: float) -> Fault:
        """Wait ``seconds`` before the normal reply (to trigger client timeouts)."""
        return cls("delay", seconds=seconds)

    @classmethod
    def reset(cls) -> Fault:
        """Close the connection without any response."""
        return cls("reset")

    @classmethod
    def malformed_json(cls) -> Fault:
        """A 200 whose JSON body does not parse."""
        return cls("malformed_json")

    @classmethod
    def truncated_stream(cls, after_events: int) -> Fault:
        """Send ``after_events`` stream events, then close without the final event (reset otherwise)."""
        return cls("truncated_stream", after_events=after_events)

    @classmethod
    def stream_error(cls, after_events: int, message: str | None = None) -> Fault:
        """Send ``after_events`` stream events, then the vendor's mid-stream error event."""
        return cls("stream_error", after_events=after_events, message=message)


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """A request the stub received."""

    vendor: str
    method: str
    path: str
    headers: Mapping[str, str]
    body: Any
    model: str | None
    stream: bool
    time: float


_OPENAI_PATHS = {"/v1/chat/completions": "chat", "/v1/responses": "responses", "/v1/embeddings": "embeddings"}
_ANTHROPIC_PATHS = {"/v1/messages": "messages", "/v1/messages/count_tokens": "count_tokens"}


class _Endpoints:
    """The SDKs' base URLs of a stub at :attr:`url`."""

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        raise NotImplementedError

    @property
    def openai_base_url(self) -> str:
        """What ``openai.OpenAI(base_url=...)`` takes."""
        return f"{self.url}/v1"

    @property
    def anthropic_base_url(self) -> str:
        """What ``anthropic.Anthropic(base_url=...)`` takes."""
        return self.url


class StubEndpoints(_Endpoints):
    """The endpoints of a stub served by another process (see :func:`stub_process`)."""

    def __init__(self, url: str) -> None:
        self._url = url

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return self._url


@contextmanager
def stub_process() -> Iterator[StubEndpoints]:
    """Serve a :class:`VendorStub` in a child process (``python -m frugal.testing``) for the ``with`` block.

    For benchmarks: a client timed in this process does not share a GIL with the server.
    """
    import subprocess
    import sys

    child = subprocess.Popen(
        [sys.executable, "-m", "frugal.testing"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        yield StubEndpoints(child.stdout.readline().strip())
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=10)


class VendorStub(_Endpoints):
    """A loopback server speaking the OpenAI and Anthropic wire formats.

    Args:
        models: when given, requests for any other model get the vendor's 404 model-not-found error.
    """

    def __init__(self, models: Collection[str] | None = None) -> None:
        self.models = None if models is None else frozenset(models)
        self._lock = threading.Lock()
        self._replies: dict[str | None, Reply] = {}
        self._queues: dict[str | None, deque[Reply | Fault]] = defaultdict(deque)
        self._log: list[RecordedRequest] = []
        self.count_tokens_result: int | None = None
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> VendorStub:
        """Bind 127.0.0.1 on a free port and serve in a daemon thread."""
        handler = type("_Handler", (_Handler,), {"stub": self})
        server = _Server(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="frugal-vendor-stub", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> VendorStub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        if self._server is None:
            raise RuntimeError("the stub is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- scripting ----------------------------------------------------------------------------

    def reply(self, model: str | None, reply: Reply) -> None:
        """The reply for ``model`` (None: every model without its own) until changed."""
        with self._lock:
            self._replies[model] = reply

    def queue(self, model: str | None, *items: Reply | Fault) -> None:
        """One-shot replies or faults for ``model``, consumed in order before its default reply."""
        with self._lock:
            self._queues[model].extend(items)

    def fail(
        self,
        model: str | None,
        status: int,
        *,
        times: int = 1,
        retry_after: float | None = None,
        message: str | None = None,
    ) -> None:
        """Queue the same HTTP error ``times`` times."""
        self.queue(model, *[Fault.status(status, retry_after=retry_after, message=message)] * times)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received, in arrival order (a copy)."""
        with self._lock:
            return list(self._log)

    def requests_for(self, model: str) -> list[RecordedRequest]:
        """The requests for one model."""
        return [r for r in self.requests if r.model == model]

    def reset(self) -> None:
        """Forget scripts, queues and the request log."""
        with self._lock:
            self._replies.clear()
            self._queues.clear()
            self._log.clear()
            self.count_tokens_result = None

    def _next(self, model: str | None) -> Reply | Fault:
        with self._lock:
            for key in (model, None):
                queue = self._queues.get(key)
                if queue:
                    return queue.popleft()
            return self._replies.get(model) or self._replies.get(None) or Reply()

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._log.append(request)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet when a client hangs up (timeouts, closed streams); loud for real bugs."""
        import sys

        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    stub: VendorStub
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # quiet: no line per request
        return

    def do_POST(self) -> None:  # the http.server naming
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = None
        path = self.path.split("?", 1)[0]
        vendor = "openai" if path in _OPENAI_PATHS else "anthropic" if path in _ANTHROPIC_PATHS else "unknown"
        model = body.get("model") if isinstance(body, dict) else None
        stream = bool(isinstance(body, dict) and body.get("stream"))
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.stub._record(
            RecordedRequest(vendor, "POST", path, headers, body, model, stream, time.monotonic())
        )
        rid = uuid.uuid4().hex[:12]
        if vendor == "unknown":
            self._json(
                404, {"error": {"message": f"no route {path}", "type": "invalid_request_error"}}, rid, vendor
            )
            return
        if not self._authorised(vendor, headers):
            self._error(vendor, 401, "Missing or invalid API key", rid)
            return
        if self.stub.models is not None and model not in self.stub.models:
            self._error(vendor, 404, f"The model '{model}' does not exist", rid)
            return
        item = self.stub._next(model)
        if isinstance(item, Fault):
            if self._fault(item, vendor, rid, body, path, model, stream):
                return
            item = self.stub._replies.get(model) or self.stub._replies.get(None) or Reply()
        self._answer(item, vendor, path, body, model or "unknown", stream, rid)

    # -- answers ------------------------------------------------------------------------------

    def _authorised(self, vendor: str, headers: Mapping[str, str]) -> bool:
        bearer = headers.get("authorization", "")
        if bearer.startswith("Bearer ") and bearer[7:].strip():
            return True
        return vendor == "anthropic" and bool(headers.get("x-api-key"))

    def _answer(
        self, reply: Reply, vendor: str, path: str, body: Any, model: str, stream: bool, rid: str
    ) -> None:
        if reply.delay:
            time.sleep(reply.delay)
        kind = (_OPENAI_PATHS | _ANTHROPIC_PATHS)[path]
        if kind == "embeddings":
            inputs = body.get("input", "")
            texts = [inputs] if isinstance(inputs, str) else [str(i) for i in inputs]
            self._json(200, bodies.embeddings(model, texts, body.get("encoding_format")), rid, vendor)
        elif kind == "count_tokens":
            count = self.stub.count_tokens_result
            if count is None:
                count = max(
                    1, -(-len(json.dumps([body.get("system"), body.get("messages"), body.get("tools")])) // 4)
                )
            self._json(200, {"input_tokens": count}, rid, vendor)
        elif stream:
            self._stream(self._events(reply, kind, body, model, rid), vendor, rid, reply.chunk_delay)
        elif kind == "chat":
            self._json(200, bodies.chat_completion(reply, model, rid), rid, vendor)
        elif kind == "responses":
            self._json(200, bodies.response_object(reply, model, rid), rid, vendor)
        else:
            self._json(200, bodies.message(reply, model, rid), rid, vendor)

    def _events(self, reply: Reply, kind: str, body: Any, model: str, rid: str) -> Iterator[bytes]:
        if kind == "chat":
            options = body.get("stream_options") or {}
            return bodies.chat_chunks(reply, model, rid, bool(options.get("include_usage")))
        if kind == "responses":
            return bodies.response_events(reply, model, rid)
        return bodies.message_events(reply, model, rid)

    def _fault(
        self, fault: Fault, vendor: str, rid: str, body: Any, path: str, model: str | None, stream: bool
    ) -> bool:
        """Act out ``fault``; False when a normal reply should follow (delay)."""
        if fault.kind == "status":
            extra = dict(fault.headers)
            if fault.retry_after is not None:
                extra["retry-after"] = f"{fault.retry_after:g}"
            self._error(vendor, fault.code, fault.message, rid, extra)
        elif fault.kind == "delay":
            time.sleep(fault.seconds)
            return False
        elif fault.kind == "reset" or (fault.kind == "truncated_stream" and not stream):
            self._reset()
        elif fault.kind == "malformed_json":
            self._raw(200, b'{"id": "broken", "choices": [', "application/json", rid, vendor)
        else:
            kind = (_OPENAI_PATHS | _ANTHROPIC_PATHS)[path]
            reply = self.stub._replies.get(model) or self.stub._replies.get(None) or Reply()
            events = list(self._events(reply, kind, body, model or "unknown", rid))[: fault.after_events]
            if fault.kind == "stream_error":
                events.append(
                    bodies.anthropic_stream_error(fault.message)
                    if vendor == "anthropic"
                    else bodies.openai_stream_error(fault.message)
                )
            self._stream(iter(events), vendor, rid, 0.0)
        return True

    # -- plumbing -----------------------------------------------------------------------------

    def _id_headers(self, vendor: str, rid: str) -> None:
        self.send_header("request-id" if vendor == "anthropic" else "x-request-id", f"req_{rid}")

    def _raw(
        self,
        status: int,
        payload: bytes,
        content_type: str,
        rid: str,
        vendor: str,
        extra: Mapping[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(payload)))
        self._id_headers(vendor, rid)
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)

    def _json(
        self, status: int, data: Any, rid: str, vendor: str, extra: Mapping[str, str] | None = None
    ) -> None:
        self._raw(status, json.dumps(data).encode(), "application/json", rid, vendor, extra)

    def _error(
        self, vendor: str, status: int, message: str | None, rid: str, extra: Mapping[str, str] | None = None
    ) -> None:
        data = (
            bodies.anthropic_error(status, message, rid)
            if vendor == "anthropic"
            else bodies.openai_error(status, message)
        )
        self._json(status, data, rid, vendor, extra)

    def _stream(self, events: Iterator[bytes], vendor: str, rid: str, delay: float) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("connection", "close")
        self._id_headers(vendor, rid)
        self.end_headers()
        self.close_connection = True
        try:
            for event in events:
                self.wfile.write(event)
                self.wfile.flush()
                if delay:
                    time.sleep(delay)
        except (BrokenPipeError, ConnectionResetError):
            return

    def _reset(self) -> None:
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass


def main(argv: list[str] | None = None) -> None:
    """``python -m frugal.testing``: serve a stub in this process, print its URL, stop on EOF of stdin.

    For benchmarks and manual checks: a client in another process measures without sharing a GIL.
    """
    import sys

    del argv
    with VendorStub() as stub:
        print(stub.url, flush=True)
        sys.stdin.read()


# -- the network guard -------------------------------------------------------------------------


class NetworkBlocked(ConnectionRefusedError):
    """A test tried to connect to a non-loopback address."""


@dataclass
class NetworkGuard:
    """What :func:`deny_network` blocked (``violations``: the addresses, in order)."""

    violations: list[str] = field(default_factory=list)


def _loopback(address: object) -> bool:
    host = address[0] if isinstance(address, tuple) and address else address
    if not isinstance(host, str):
        return True  # AF_UNIX paths and the like never leave the machine
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


@contextmanager
def deny_network() -> Iterator[NetworkGuard]:
    """Make every connection to a non-loopback address raise :class:`NetworkBlocked`, and record it.

    The SDKs turn connection errors into ``APIConnectionError`` (and may retry), so a swallowed attempt is
    still visible in ``guard.violations``: assert it is empty when the test ends.
    """
    guard = NetworkGuard()
    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex
    original_create = socket.create_connection

    def check(address: object) -> None:
        if not _loopback(address):
            guard.violations.append(repr(address))
            raise NetworkBlocked(f"frugal.testing.deny_network: connection to {address!r} blocked")

    def connect(self: socket.socket, address: Any) -> None:
        check(address)
        original_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check(address)
        return original_connect_ex(self, address)

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        check(address)
        return original_create(address, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign,assignment]
    socket.create_connection = create_connection
    try:
        yield guard
    finally:
        socket.socket.connect = original_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = original_connect_ex  # type: ignore[method-assign]
        socket.create_connection = original_create


if __name__ == "__main__":  # pragma: no cover
    main()
