"""The package surface: curated exports, lazy vendor SDK imports, the console script."""

from __future__ import annotations

import json
import subprocess
import sys

import frugal
from frugal import cli


def test_all_is_sorted_and_complete() -> None:
    """frugal.__all__ is sorted (constants, classes, then the rest: ruff's RUF022 order) and complete."""

    def order(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[:1].isupper() else 2, name)

    assert frugal.__all__ == sorted(frugal.__all__, key=order)
    public = {name for name in vars(frugal) if not name.startswith("_") and name != "annotations"}
    modules = {name for name in public if type(getattr(frugal, name)).__name__ == "module"}
    assert set(frugal.__all__) - {"__version__"} == public - modules


def test_import_frugal_imports_no_vendor_sdk() -> None:
    """`import frugal` imports no vendor SDK (nor pydantic); building a client imports no vendor SDK."""
    code = (
        "import sys, frugal;"
        "print(sorted(m for m in ('openai', 'anthropic', 'httpx2', 'pydantic') if m in sys.modules));"
        "frugal.Client(); frugal.AsyncClient();"
        "print(sorted(m for m in ('openai', 'anthropic') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.split() == ["[]", "[]"]


def test_demo_runs_without_keys(capsys: object) -> None:
    """`frugal demo --json` serves both shapes with both vendors through the loopback stub."""
    assert cli.main(["demo", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)  # type: ignore[attr-defined]
    served = {(row["call"], row["model"]): row["served_by"] for row in rows}
    assert served[("chat.completions.create", "claude-haiku-4-5")] == "anthropic"
    assert served[("messages.create", "gpt-4o-mini")] == "openai"
    returned = {(row["call"], row["model"]): row["returned"] for row in rows}
    assert returned[("chat.completions.create", "claude-haiku-4-5")] == "ChatCompletion"
    assert returned[("messages.create", "gpt-4o-mini")] == "Message"
    assert rows[-1]["answer"].replace(" ", "") == 'get_weather({"city":"Paris"})'


def test_import_frugal_loads_no_ledger_machinery() -> None:
    """`import frugal` loads neither the budgets package, rich, redis, sqlite3 nor asyncio (~40 ms)."""
    names = ("frugal.budgets", "rich", "redis", "sqlite3", "asyncio")
    code = f"import sys, frugal; print(sorted(m for m in {names!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.split() == ["[]"]
