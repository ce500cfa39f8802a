"""frugal's pytest plugin: fixtures for testing code that calls the OpenAI or Anthropic APIs.

Installed with frugal (the ``pytest11`` entry point ``frugal``), so these fixtures are there in every
test, nothing to import:

- ``frugal_stub``: a :class:`~frugal.testing.VendorStub` (one server for the session, reset before each
  test): point a client's ``base_url`` at it, script replies and faults, read the requests it received.
- ``deny_network``: no connection off loopback during the test; a test that tries one fails, naming it
  (the SDKs turn a refused connection into ``APIConnectionError`` and may retry: the guard records every
  attempt).

``frugal_client`` builds a :class:`frugal.Client` on the stub (any policy; its keyword arguments are the
client's). Opt out with ``-p no:frugal``. Nothing here imports a vendor SDK.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .testing import NetworkGuard, VendorStub
from .testing import deny_network as _deny_network

__all__ = ["deny_network", "frugal_client", "frugal_stub"]


@pytest.fixture(scope="session")
def _frugal_stub_server() -> Iterator[VendorStub]:
    """The session's one stub server (started the first time a test asks for it)."""
    with VendorStub() as stub:
        yield stub


@pytest.fixture
def frugal_stub(_frugal_stub_server: VendorStub) -> VendorStub:
    """A loopback vendor stub speaking both vendors' wire formats, reset for this test."""
    _frugal_stub_server.reset()
    return _frugal_stub_server


@pytest.fixture
def deny_network() -> Iterator[NetworkGuard]:
    """No connection off loopback during the test; the test fails if one was tried."""
    with _deny_network() as guard:
        yield guard
    if guard.violations:
        pytest.fail(f"the test tried to reach the network: {guard.violations}", pytrace=False)


@pytest.fixture
def frugal_client(frugal_stub: VendorStub) -> Iterator[Callable[..., Any]]:
    """A factory of :class:`frugal.Client` objects whose vendors are the stub: ``frugal_client(policy=...)``.

    Every client it built is closed when the test ends.
    """
    from ._client import Client

    built: list[Any] = []

    def make(**options: Any) -> Any:
        stub = frugal_stub
        options.setdefault("openai", {"api_key": "sk-test", "base_url": stub.openai_base_url})
        options.setdefault("anthropic", {"api_key": "sk-ant-test", "base_url": stub.anthropic_base_url})
        options.setdefault("max_retries", 0)
        client = Client(**options)
        built.append(client)
        return client

    yield make
    for client in built:
        client.close()
