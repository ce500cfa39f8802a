"""A loopback vendor stub in its own process, so benchmarks do not share a GIL with the server."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class StubURLs:
    url: str

    @property
    def openai_base_url(self) -> str:
        return f"{self.url}/v1"

    @property
    def anthropic_base_url(self) -> str:
        return self.url


@contextmanager
def stub_process() -> Iterator[StubURLs]:
    """Start ``python -m frugal.testing`` and yield its URLs; stop it on exit."""
    process = subprocess.Popen(
        [sys.executable, "-m", "frugal.testing"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        yield StubURLs(process.stdout.readline().strip())
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(timeout=10)
