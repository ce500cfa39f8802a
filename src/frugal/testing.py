"""Test helpers for code that calls the OpenAI or Anthropic APIs: a loopback vendor stub and a network guard.

:class:`VendorStub` is a real HTTP server on 127.0.0.1 speaking the OpenAI (``/v1/chat/completions``,
``/v1/responses``, ``/v1/embeddings``) and Anthropic (``/v1/messages``, ``/v1/messages/count_tokens``)
wire formats, SSE streams included, so the real ``openai`` and ``anthropic`` SDKs (and frugal) run their
real code against it, strict response validation included::

    import openai
    from frugal.testing import Fault, Reply, Usage, VendorStub

    with VendorStub() as stub:
        stub.reply("gpt-4o-mini", Reply(text="hi", usage=Usage(input_tokens=100, output_tokens=20)))
        stub.queue("gpt-4o-mini", Fault.status(429, retry_after=0))
        client = openai.OpenAI(api_key="sk-test", base_url=stub.openai_base_url)
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
        assert len(stub.requests_for("gpt-4o-mini")) == 2  # the 429, then the SDK's retry

:func:`deny_network` makes any connection off loopback fail, and records it, so a test can never reach a
real vendor. Nothing here imports a vendor SDK. ``python -m frugal.testing`` serves a stub in its own
process (see :func:`stub_process`).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from ._stub.guard import NetworkBlocked, NetworkGuard, deny_network
from ._stub.script import Fault, RecordedRequest, Reply, ToolCall, Usage
from ._stub.server import StubEndpoints, VendorStub

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


@contextmanager
def stub_process() -> Iterator[StubEndpoints]:
    """Serve a :class:`VendorStub` in a child process for the ``with`` block, and yield its URLs.

    For benchmarks: a client timed in this process does not share a GIL with the server. The child
    answers every model with the default reply; it cannot be scripted.

    Yields:
        The child's endpoints.
    """
    child = subprocess.Popen(
        [sys.executable, "-m", "frugal.testing"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert child.stdin is not None
    assert child.stdout is not None
    try:
        url = child.stdout.readline().strip()
        if not url:
            raise RuntimeError("the stub process exited before it printed its URL")
        yield StubEndpoints(url)
    finally:
        child.stdin.close()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m frugal.testing``: serve a stub, print its URL, stop when standard input closes."""
    del argv
    with VendorStub() as stub:
        print(stub.url, flush=True)
        sys.stdin.read()


if __name__ == "__main__":  # pragma: no cover
    main()
