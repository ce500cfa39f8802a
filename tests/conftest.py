"""Shared fixtures: the loopback vendor stub, clients pointed at it, the network guard, redis-server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import frugal
import frugal._util
from frugal.testing import VendorStub, deny_network

from .library_calls import MODELS
from .redis_server import RedisServer

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
    "FRUGAL_LEDGER",
)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every test: no vendor credentials or ledger from the environment, no connection off loopback, and
    a private cache directory (ledger spools)."""
    for name in _VENDOR_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "cache"))
    with deny_network() as guard:
        yield
    assert not guard.violations, f"a test tried to reach the network: {guard.violations}"


@pytest.fixture(autouse=True)
def _fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sees frugal's once-per-process warnings and log lines afresh."""
    monkeypatch.setattr(frugal._util, "_SHOWN", set())


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


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    """The real OpenTelemetry SDK's in-memory span exporter."""
    exporter = InMemorySpanExporter()
    yield exporter
    exporter.clear()


@pytest.fixture
def provider(exporter: InMemorySpanExporter) -> TracerProvider:
    """A real SDK tracer provider exporting to ``exporter`` as spans end."""
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


@pytest.fixture(scope="session")
def _redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.kill()


@pytest.fixture
def redis_server(_redis_server: RedisServer) -> RedisServer:
    """A real redis-server on 127.0.0.1 (shared by the session), emptied for each test."""
    _redis_server.flush()
    return _redis_server


@pytest.fixture
def own_redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test alone (it may kill and restart it)."""
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.kill()


@pytest.fixture(params=sorted(MODELS))
def vendor(request: pytest.FixtureRequest) -> str:
    """The vendor serving a client library's calls (tests of LangChain, pydantic-ai, instructor):
    ``openai`` (same vendor) or ``anthropic`` (translated)."""
    return str(request.param)
