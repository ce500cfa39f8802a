"""Shared fixtures: the loopback vendor stub, frugal clients pointed at it, and the network guard."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

import frugal
from frugal.testing import VendorStub, deny_network

POLICIES = Path(__file__).parent / "policies"
#: A policy that honours the requested model: the drop-in tests assert exactly what was sent.
HONOR_POLICY = POLICIES / "honor.yaml"

_VENDOR_ENV = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_ORG_ID",
    "OPENAI_PROJECT_ID",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "ANTHROPIC_BASE_URL",
    "ANTHROPIC_PROFILE",
    "FRUGAL_POLICY",
)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test: no vendor credentials from the environment and no connection off loopback."""
    for name in _VENDOR_ENV:
        monkeypatch.delenv(name, raising=False)
    with deny_network() as guard:
        yield
    assert not guard.violations, f"a test tried to reach the network: {guard.violations}"


@pytest.fixture(scope="session")
def _stub_server() -> Iterator[VendorStub]:
    with VendorStub() as stub:
        yield stub


@pytest.fixture
def stub(_stub_server: VendorStub) -> Iterator[VendorStub]:
    """The loopback vendor stub, with no scripts and an empty request log."""
    _stub_server.reset()
    yield _stub_server
    _stub_server.reset()


def vendor_options(stub: VendorStub, **extra: object) -> dict[str, object]:
    """Keyword arguments pointing a frugal client at ``stub`` (SDK retries off unless given)."""
    return {
        "policy": HONOR_POLICY,
        "openai": {"api_key": "sk-test", "base_url": stub.openai_base_url},
        "anthropic": {"api_key": "sk-ant-test", "base_url": stub.anthropic_base_url},
        "max_retries": 0,
        **extra,
    }


@pytest.fixture
def client(stub: VendorStub) -> Iterator[frugal.Client]:
    """A sync frugal client against the stub."""
    with frugal.Client(**vendor_options(stub)) as c:  # type: ignore[arg-type]
        yield c


@pytest.fixture
async def aclient(stub: VendorStub) -> AsyncIterator[frugal.AsyncClient]:
    """An async frugal client against the stub."""
    async with frugal.AsyncClient(**vendor_options(stub)) as c:  # type: ignore[arg-type]
        yield c
