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
real vendor. Nothing here imports a vendor SDK. ``python -m frugal.testing`` serves a stub as a service
(a CI job's background process; ``--help``), optionally scripted by a reply-script file; see
:func:`stub_process` for one in a child process.

``VendorStub(prompt_cache=True)`` simulates the vendors' prompt caches: a reply that scripts no usage is
billed as the vendor would bill it (input counted from the request, cache reads and writes by each
vendor's rules, output from the reply's text cut at the request's output limit); pass a
:class:`PromptCacheSimulation` with a clock of your own to move time by hand (``docs/savings.md``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import IO

from ._stub import cli as _cli
from ._stub.cache_sim import PromptCacheSimulation
from ._stub.guard import NetworkBlocked, NetworkGuard, deny_network
from ._stub.script import Fault, RecordedRequest, Reply, ToolCall, Usage
from ._stub.server import StubEndpoints, VendorStub

__all__ = [
    "Fault",
    "NetworkBlocked",
    "NetworkGuard",
    "PromptCacheSimulation",
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
def stub_process(script: str | os.PathLike[str] | None = None) -> Iterator[StubEndpoints]:
    """Serve a :class:`VendorStub` in a child process for the ``with`` block, and yield its URLs.

    For benchmarks: a client timed in this process does not share a GIL with the server. The child is
    ``python -m frugal.testing --stop-on-eof``: it is stopped with SIGTERM when the block ends, and it
    stops by itself if this process dies.

    Args:
        script: a reply-script file for the child to load (see ``docs/testing.md``); None for the
            default reply to every model.

    Yields:
        The child's endpoints.

    Raises:
        RuntimeError: the child exited before it printed its URLs (its error message says why).
    """
    command = [sys.executable, "-m", "frugal.testing", "--stop-on-eof"]
    if script is not None:
        command += ["--script", os.fspath(script)]
    child = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert child.stdin is not None
    assert child.stdout is not None
    assert child.stderr is not None
    try:
        url = _read_urls(child.stdout).get("FRUGAL_STUB_URL")
        if url is None:
            child.wait(timeout=10)
            raise RuntimeError(
                f"the stub process exited before it printed its URLs: {child.stderr.read().strip()}"
            )
        yield StubEndpoints(url)
    finally:
        if child.poll() is None:
            child.terminate()
        child.stdin.close()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        child.stdout.close()
        child.stderr.close()


def _read_urls(stdout: IO[str]) -> dict[str, str]:
    """The ``KEY=VALUE`` lines a starting stub prints (empty when it exits first)."""
    urls: dict[str, str] = {}
    while len(urls) < 3:
        line = stdout.readline()
        if not line:
            break
        key, _, value = line.strip().partition("=")
        urls[key] = value
    return urls


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m frugal.testing``: serve a stub until SIGTERM/SIGINT (``--help`` says more).

    Args:
        argv: the arguments (default: ``sys.argv[1:]``).

    Returns:
        The exit status.
    """
    return _cli.main(argv)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
