"""The loopback HTTP server: routing, auth, scripts, faults, the request log.

Pure stdlib: a ``ThreadingHTTPServer`` in a daemon thread, one thread per connection. Non-stream responses
carry ``content-length`` and keep the connection alive; streams use chunked encoding, so they keep it
alive too (as the vendors' servers do, and as a benchmark needs to be realistic).
"""

from __future__ import annotations

import json
import os
import socket
import socketserver
import struct
import sys
import threading
import time
from collections import deque
from collections.abc import Collection, Iterable, Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import urlsplit

from . import anthropic_wire, openai_wire
from .address import BindAddress, bind_address
from .billing import billed
from .cache_sim import CacheRuleError, PromptCacheSimulation
from .script import DEFAULT_REPLY, Fault, RecordedRequest, Reply, Vendor
from .script_file import load_script
from .sse import new_id

__all__ = ["StubEndpoints", "VendorStub"]

Kind = Literal["chat", "responses", "embeddings", "messages", "count_tokens"]
_ROUTES: dict[str, tuple[Vendor, Kind]] = {
    "/v1/chat/completions": ("openai", "chat"),
    "/v1/responses": ("openai", "responses"),
    "/v1/embeddings": ("openai", "embeddings"),
    "/v1/messages": ("anthropic", "messages"),
    "/v1/messages/count_tokens": ("anthropic", "count_tokens"),
}
_MALFORMED_JSON = b'{"id": "chatcmpl-broken", "object": "chat.completion", "choices": [{"index": 0,'
_HANGUPS = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)


class StubEndpoints:
    """The base URLs of a stub serving at ``url``.

    Args:
        url: ``http://127.0.0.1:PORT``, e.g. printed by ``python -m frugal.testing``.
    """

    def __init__(self, url: str) -> None:
        self._url = url.rstrip("/")

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return self._url

    @property
    def openai_base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1``: what ``openai.OpenAI(base_url=...)`` takes."""
        return f"{self.url}/v1"

    @property
    def anthropic_base_url(self) -> str:
        """``http://127.0.0.1:PORT``: what ``anthropic.Anthropic(base_url=...)`` takes."""
        return self.url


class VendorStub(StubEndpoints):
    """A loopback HTTP server speaking the OpenAI and Anthropic wire formats, streams included.

    Use it as a context manager (or call :meth:`start` and :meth:`stop`); point the SDKs at
    :attr:`openai_base_url` and :attr:`anthropic_base_url`. Script answers per model with :meth:`reply`,
    :meth:`queue` and :meth:`fail`; read what arrived in :attr:`requests`. Every method is thread-safe.

    Args:
        models: when given, a request for any other model gets the vendor's 404 not-found error.
        port: the port to bind; 0 for a free one.
        host: the address to bind: an IP address or ``localhost``, loopback unless ``allow_remote``.
        allow_remote: allow a ``host`` that is not a loopback address (the stub then answers anyone who
            can reach it).
        prompt_cache: simulate the vendors' prompt caches (True, or a :class:`PromptCacheSimulation` with
            a clock of your own): a reply that scripts no usage is then billed as the vendor would bill
            it, input counted from the request with cache reads and writes, output from the reply's text
            cut at the request's output limit (see ``frugal._stub.cache_sim`` and ``.billing``).

    Raises:
        ValueError: ``host`` is not an IP address or ``localhost``, or it is not loopback and
            ``allow_remote`` is false.

    Attributes:
        models: the known models, or None for "any model".
        count_tokens_result: what ``/v1/messages/count_tokens`` answers; None for a crude deterministic
            count (a quarter of the characters of the text in ``system``, ``messages`` and ``tools``).
        prompt_cache: the prompt-cache simulation, or None when replies report their scripted usage.
    """

    def __init__(
        self,
        models: Collection[str] | None = None,
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        allow_remote: bool = False,
        prompt_cache: bool | PromptCacheSimulation = False,
    ) -> None:
        super().__init__("")
        self.prompt_cache: PromptCacheSimulation | None = None
        if isinstance(prompt_cache, PromptCacheSimulation):
            self.prompt_cache = prompt_cache
        elif prompt_cache:
            self.prompt_cache = PromptCacheSimulation()
        self.models: frozenset[str] | None = None if models is None else frozenset(models)
        self.count_tokens_result: int | None = None
        self._address = bind_address(host, allow_remote=allow_remote)
        self._port = port
        self._lock = threading.Lock()
        self._replies: dict[str | None, Reply] = {}
        self._queues: dict[str | None, deque[Reply | Fault]] = {}
        self._log: list[RecordedRequest] = []
        self._connections: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> VendorStub:
        """Bind the address (127.0.0.1 by default) and serve in a daemon thread.

        Returns:
            The stub itself.

        Raises:
            RuntimeError: the stub is already running.
            OSError: the address cannot be bound (the port is taken, say).
        """
        if self._server is not None:
            raise RuntimeError("the stub is already running")
        self._stopping = threading.Event()
        server = _Server(self, self._address, self._port)
        self._server = server
        self._url = f"http://{self._address.url_host}:{server.server_address[1]}"
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="frugal-vendor-stub",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, drop open connections and close the socket; scripts and the log are kept."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()  # cuts delays short
        server.shutdown()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def __enter__(self) -> VendorStub:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Whether the stub is serving."""
        return self._server is not None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (``http://[::1]:PORT`` on IPv6 loopback).

        Raises:
            RuntimeError: the stub is not started.
        """
        if self._server is None:
            raise RuntimeError("the stub is not started: use `with VendorStub() as stub:` or stub.start()")
        return self._url

    @property
    def port(self) -> int:
        """The port the stub serves on."""
        return int(self.url.rsplit(":", 1)[1])

    @property
    def host(self) -> str:
        """The IP address the stub binds (``127.0.0.1`` by default)."""
        return self._address.ip

    # -- scripting -------------------------------------------------------------------------------

    def reply(self, model: str | None, reply: Reply) -> None:
        """Answer ``model`` with ``reply`` from now on (until changed or :meth:`reset`).

        Args:
            model: the requested model; None for every model without a reply of its own.
            reply: the answer.
        """
        with self._lock:
            self._replies[model] = reply

    def queue(self, model: str | None, *items: Reply | Fault) -> None:
        """Queue one-shot replies and faults for ``model``, consumed in order before its default reply.

        Args:
            model: the requested model; None for a queue every model without a queue of its own uses.
            *items: the replies and faults, in the order requests will get them.
        """
        with self._lock:
            self._queues.setdefault(model, deque()).extend(items)

    def fail(
        self,
        model: str | None,
        status: int,
        *,
        times: int = 1,
        retry_after: float | None = None,
        message: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Queue the same HTTP error ``times`` times: shorthand for :meth:`queue` with :meth:`Fault.status`.

        Args:
            model: the requested model; None for the shared queue.
            status: the HTTP status.
            times: how many requests get it.
            retry_after: seconds for the ``retry-after`` header.
            message: the error message.
            headers: extra response headers.
        """
        fault = Fault.status(status, retry_after=retry_after, message=message, headers=headers)
        self.queue(model, *[fault] * times)

    def load_script(self, path: str | os.PathLike[str]) -> None:
        """Add the replies, queues and settings of a reply-script file (see ``docs/testing.md``).

        Args:
            path: a YAML or JSON script.

        Raises:
            ConfigError: the file cannot be read or is not a valid script (file:line:column, the key,
                what was expected); nothing is applied then.
        """
        load_script(path).apply(self)

    def pending(self, model: str | None) -> int:
        """How many queued items ``model``'s queue still holds (None: the shared queue)."""
        with self._lock:
            return len(self._queues.get(model, ()))

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received, in arrival order (a snapshot copy)."""
        with self._lock:
            return list(self._log)

    def requests_for(self, model: str) -> list[RecordedRequest]:
        """The requests for ``model``, in arrival order."""
        with self._lock:
            return [request for request in self._log if request.model == model]

    def reset(self) -> None:
        """Forget scripted replies, queues, ``count_tokens_result``, the request log and what the simulated
        prompt caches hold."""
        with self._lock:
            self._replies.clear()
            self._queues.clear()
            self._log.clear()
            self.count_tokens_result = None
        if self.prompt_cache is not None:
            self.prompt_cache.clear()

    # -- used by the handler ---------------------------------------------------------------------

    def _next(self, model: str) -> Reply | Fault:
        with self._lock:
            for key in (model, None):
                queue = self._queues.get(key)
                if queue:
                    return queue.popleft()
            return self._default_locked(model)

    def _default(self, model: str) -> Reply:
        with self._lock:
            return self._default_locked(model)

    def _default_locked(self, model: str) -> Reply:
        return self._replies.get(model) or self._replies.get(None) or DEFAULT_REPLY

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._log.append(request)

    def _track(self, connection: socket.socket, alive: bool) -> None:
        with self._lock:
            if alive:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def _pause(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, stub: VendorStub, address: BindAddress, port: int) -> None:
        self.stub = stub
        self.address_family = address.family
        super().__init__((address.ip, port), _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the host name up (socket.getfqdn): skip it, the IP is the name.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), int(self.server_address[1])

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up (a timeout, an abandoned stream) is not an error; a bug in the stub is.
        if isinstance(sys.exc_info()[1], (*_HANGUPS, TimeoutError)):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    # The exchange in progress (a handler serves one connection's requests one after another).
    vendor: Vendor = "openai"
    object_id = ""  # what the response's ids (chatcmpl-..., msg_...) are made of
    request_id = ""

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: no line per request on stderr."""

    def setup(self) -> None:
        super().setup()
        self.server.stub._track(self.connection, alive=True)

    def finish(self) -> None:
        self.server.stub._track(self.connection, alive=False)
        try:
            super().finish()
        except OSError:
            pass

    def handle(self) -> None:
        try:
            super().handle()
        except _HANGUPS:
            pass

    def do_POST(self) -> None:  # the http.server naming
        self._exchange()

    do_GET = do_PUT = do_PATCH = do_DELETE = do_POST

    # -- one request ------------------------------------------------------------------------------

    def _exchange(self) -> None:
        stub = self.server.stub
        raw = self._read_body()
        path = urlsplit(self.path).path
        headers = {name.lower(): value for name, value in self.headers.items()}
        route = _ROUTES.get(path)
        if route is not None:
            self.vendor = route[0]
        else:
            self.vendor = (
                "anthropic" if "anthropic-version" in headers or "x-api-key" in headers else "openai"
            )
        body: dict[str, Any] | None = None
        try:
            parsed = json.loads(raw) if raw else None
            body = parsed if isinstance(parsed, dict) else None
        except ValueError:
            pass
        model = body.get("model") if body is not None else None
        model = model if isinstance(model, str) else None
        stream = body is not None and body.get("stream") is True
        stub._record(
            RecordedRequest(
                self.vendor, path, self.command, headers, body, model, stream, time.monotonic(), raw
            )
        )
        self.object_id = new_id()
        self.request_id = f"req_{self.object_id}"
        try:
            self._answer(route, headers, body, model, stream)
        except _HANGUPS:
            self.close_connection = True

    def _answer(
        self,
        route: tuple[Vendor, Kind] | None,
        headers: Mapping[str, str],
        body: dict[str, Any] | None,
        model: str | None,
        stream: bool,
    ) -> None:
        stub = self.server.stub
        if not self._authorised(headers):
            self._error(
                401, "Missing API key." if self.vendor == "openai" else "x-api-key header is required"
            )
            return
        if route is None:
            self._error(404, f"Unknown request URL: {self.command} {self.path}")
            return
        if self.command != "POST":
            self._error(405, f"Method {self.command} not allowed for {self.path}")
            return
        if body is None:
            self._error(400, "We could not parse the JSON body of your request.")
            return
        if model is None:
            self._error(400, "model: Field required" if self.vendor == "anthropic" else "Missing model.")
            return
        if stub.models is not None and model not in stub.models:
            message = (
                f"model: {model}"
                if self.vendor == "anthropic"
                else f"The model `{model}` does not exist or you do not have access to it."
            )
            self._error(404, message)
            return
        item = stub._next(model)
        if isinstance(item, Fault):
            self._fault(item, route[1], body, model, stream)
        else:
            self._reply(item, route[1], body, model, stream)

    def _authorised(self, headers: Mapping[str, str]) -> bool:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return True
        return self.vendor == "anthropic" and bool(headers.get("x-api-key", "").strip())

    def _billed(self, reply: Reply, kind: Kind, body: dict[str, Any], model: str) -> Reply | None:
        """``reply`` billed by the prompt-cache simulation, when it is on (None: the vendor's 400 sent)."""
        cache = self.server.stub.prompt_cache
        if cache is None or kind not in ("chat", "responses", "messages"):
            return reply
        try:
            return billed(reply, kind, body, model, cache)
        except CacheRuleError as error:
            self._error(400, str(error))
            return None

    def _reply(self, reply: Reply, kind: Kind, body: dict[str, Any], model: str, stream: bool) -> None:
        stub = self.server.stub
        billed_reply = self._billed(reply, kind, body, model)
        if billed_reply is None:
            return
        reply = billed_reply
        stub._pause(reply.delay)
        created = int(time.time())
        rid = self.object_id
        if kind == "embeddings":
            prompt_tokens = reply.usage.input_tokens if reply.usage is not None else None
            encoding = body.get("encoding_format")
            data = openai_wire.embeddings(
                model, openai_wire.embedding_inputs(body.get("input")), encoding, prompt_tokens
            )
            self._json(200, data)
        elif kind == "count_tokens":
            count = stub.count_tokens_result
            self._json(200, {"input_tokens": anthropic_wire.count_tokens(body) if count is None else count})
        elif stream:
            self._stream(_events(reply, kind, body, model, rid, created), reply.chunk_delay)
        elif kind == "chat":
            answer = openai_wire.chat_completion(reply, model, rid, created)
            self._json(200, openai_wire.served_tier(answer, body))
        elif kind == "responses":
            answer = openai_wire.response_object(reply, model, rid, created)
            self._json(200, openai_wire.served_tier(answer, body))
        else:
            self._json(200, anthropic_wire.message(reply, model, rid))

    def _fault(self, fault: Fault, kind: Kind, body: dict[str, Any], model: str, stream: bool) -> None:
        stub = self.server.stub
        if fault.kind == "status" or (fault.kind == "stream_error" and not stream):
            extra = dict(fault.headers)
            if fault.retry_after is not None:
                extra["retry-after"] = _seconds(fault.retry_after)
            self._error(fault.status_code, fault.message, extra)
        elif fault.kind == "delay":
            stub._pause(fault.seconds)
            self._reply(stub._default(model), kind, body, model, stream)
        elif fault.kind == "malformed_json":
            self._send(200, _MALFORMED_JSON, "application/json")
        elif fault.kind == "reset" or not stream:
            self._reset()
        else:
            reply = self._billed(stub._default(model), kind, body, model)
            if reply is None:
                return
            events = _events(reply, kind, body, model, self.object_id, int(time.time()))
            sent = events[: min(fault.after_events, len(events) - 1)]
            if fault.kind == "truncated_stream":
                self._stream(sent, reply.chunk_delay, complete=fault.graceful)
                return
            if self.vendor == "anthropic":
                error = anthropic_wire.stream_error(fault.status_code, fault.message)
            elif kind == "responses":
                error = openai_wire.responses_stream_error(fault.status_code, fault.message, len(sent))
            else:
                error = openai_wire.chat_stream_error(fault.status_code, fault.message)
            self._stream([*sent, error], reply.chunk_delay)

    # -- writing ----------------------------------------------------------------------------------

    def _head(self, status: int, headers: Mapping[str, str]) -> bytes:
        phrase = _PHRASES.get(status, "Error")
        id_header = "request-id" if self.vendor == "anthropic" else "x-request-id"
        lines = [f"HTTP/1.1 {status} {phrase}", f"{id_header}: {self.request_id}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if self.close_connection:
            lines.append("connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _send(
        self, status: int, payload: bytes, content_type: str, headers: Mapping[str, str] | None = None
    ) -> None:
        head = self._head(
            status, {"content-type": content_type, "content-length": str(len(payload)), **(headers or {})}
        )
        self.wfile.write(head + payload)

    def _json(self, status: int, data: Any, headers: Mapping[str, str] | None = None) -> None:
        self._send(status, json.dumps(data).encode(), "application/json", headers)

    def _error(self, status: int, message: str | None, headers: Mapping[str, str] | None = None) -> None:
        if self.vendor == "anthropic":
            data = anthropic_wire.error_body(status, message, self.request_id)
        else:
            data = openai_wire.error_body(status, message)
        self._json(status, data, headers)

    def _stream(self, events: Iterable[bytes], chunk_delay: float, *, complete: bool = True) -> None:
        head = {
            "content-type": "text/event-stream; charset=utf-8",
            "cache-control": "no-cache",
            "transfer-encoding": "chunked",
        }
        self.wfile.write(self._head(200, head))
        for index, event in enumerate(events):
            if index and chunk_delay:
                self.server.stub._pause(chunk_delay)
            self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
        if complete:
            self.wfile.write(b"0\r\n\r\n")
            return
        # Cut: no terminating chunk, the connection closes (as when a server dies mid-stream).
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _reset(self) -> None:
        # SO_LINGER 0 makes close() send a TCP reset instead of a graceful FIN. The socket object is
        # detached first: rfile/wfile still reference it, and a plain close() would wait for them.
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            socket.close(self.connection.detach())
        except OSError:
            pass

    def _read_body(self) -> bytes:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while size := int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16):
                parts.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(parts)
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length > 0 else b""


_PHRASES = {status.value: status.phrase for status in HTTPStatus} | {529: "Site Overloaded"}


def _seconds(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


def _events(
    reply: Reply, kind: Kind, body: Mapping[str, Any], model: str, rid: str, created: int
) -> list[bytes]:
    if kind == "chat":
        options = body.get("stream_options")
        include_usage = isinstance(options, dict) and options.get("include_usage") is True
        return openai_wire.chat_events(reply, model, rid, created, include_usage)
    if kind == "responses":
        return openai_wire.response_events(reply, model, rid, created)
    return anthropic_wire.message_events(reply, model, rid)
