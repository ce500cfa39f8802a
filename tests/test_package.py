"""The package surface: curated exports, lazy vendor SDK imports, the console script."""

from __future__ import annotations

import json
import subprocess
import sys

import frugal
from frugal import cli
from frugal.testing import VendorStub


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


def test_a_chat_call_does_not_import_the_sdks_responses_module(stub: VendorStub) -> None:
    """The openai SDK's ``responses`` module costs ~70 ms to import (its stream events): a chat call, the
    common first call, leaves it unloaded, as the raw SDK does; ``client.responses`` loads it."""
    code = (
        "import sys, frugal\n"
        f"c = frugal.Client(openai={{'api_key': 'k', 'base_url': {stub.openai_base_url!r}}})\n"
        "c.chat.completions.create(model='gpt-4.1-mini', messages=[{'role': 'user', 'content': 'hi'}])\n"
        "print('openai.resources.responses' in sys.modules)\n"
        "c.responses\n"
        "print('openai.resources.responses' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.split() == ["False", "True"]


def test_demo_runs_without_keys(capsys: object) -> None:
    """`frugal demo --json` serves both shapes with both vendors through the loopback stub."""
    assert cli.main(["demo", "--json"]) == 0
    rows = [r for r in json.loads(capsys.readouterr().out) if r["act"] == "drop-in"]  # type: ignore[attr-defined]
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


def _imports() -> list[tuple[str, str, str]]:
    """(importing module, imported module, name) of every ``from ... import`` in the package's source."""
    import ast
    from pathlib import Path

    root = Path(frugal.__file__).parent
    found = []
    for path in root.rglob("*.py"):
        parts = ("frugal", *path.relative_to(root).with_suffix("").parts)
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        package = module if parts[-1] == "__init__" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom):
                continue
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            if source == "frugal" or source.startswith("frugal."):
                found.extend((module, source, alias.name) for alias in node.names)
    return found


def test_no_module_imports_a_private_name_of_another_module() -> None:
    """Privacy follows the layers: no module imports another module's ``_private`` name, nor a private
    module of a package it is not part of (``frugal.providers._x`` from outside ``frugal.providers``)."""
    wrong = []
    for module, source, name in _imports():
        if name.startswith("_") and not name.startswith("__"):
            wrong.append(f"{module} imports {source}.{name}")
        parts = source.split(".")
        for depth, part in enumerate(parts[1:], start=1):
            owner = ".".join(parts[:depth])
            if part.startswith("_") and not (module == owner or module.startswith(owner + ".")):
                wrong.append(f"{module} imports the private module {source}")
    assert wrong == []


def test_the_layers_import_downwards() -> None:
    """Budgets know nothing of telemetry (both observe a call's account), and nothing below the CLI imports
    the package root."""
    wrong = []
    for module, source, name in _imports():
        if module.startswith("frugal.budgets") and source.startswith("frugal.telemetry"):
            wrong.append(f"{module} imports {source}")
        top = module == "frugal" or module.startswith("frugal.cli")
        if source == "frugal" and name != "__version__" and not top:
            wrong.append(f"{module} imports {name} from the package root")
    assert wrong == []


def test_plugin_authors_need_no_private_import() -> None:
    """`RoutingRequest` (what a classifier receives) and `DataError` are public names of the package."""
    from frugal.exceptions import DataError
    from frugal.request import RoutingRequest

    assert frugal.RoutingRequest is RoutingRequest
    assert frugal.DataError is DataError
    assert issubclass(frugal.DataError, frugal.FrugalError)


def test_frugal_logs_nothing_unless_the_application_configures_logging() -> None:
    """The `frugal` logger has a NullHandler: a budget's warning does not reach stderr through Python's
    last-resort handler when the application has not configured logging."""
    code = "import logging, frugal; logging.getLogger('frugal.budgets').warning('over the limit')"
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert done.stderr == ""
    configured = code.replace("import logging, frugal;", "import logging, frugal; logging.basicConfig();")
    done = subprocess.run([sys.executable, "-c", configured], check=True, capture_output=True, text=True)
    assert "over the limit" in done.stderr
