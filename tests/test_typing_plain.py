"""Public types are clean under plain mypy (no pydantic plugin), as a user's project checks them."""

from __future__ import annotations

import ast
from pathlib import Path
from types import ModuleType

import pytest

import frugal.catalog
import frugal.policy

TYPING = Path(__file__).parent / "typing"


@pytest.mark.parametrize("module", [frugal.policy, frugal.catalog], ids=lambda m: m.__name__)
def test_every_policy_field_default_is_a_keyword(module: ModuleType) -> None:
    """Type checkers read ``Field(default=...)`` (dataclass_transform), not a positional default."""
    tree = ast.parse(Path(str(module.__file__)).read_text(encoding="utf-8"))
    positional = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "Field"
        and node.args
    ]
    assert positional == [], f"Field(...) with a positional default on lines {positional}"


def test_policy_in_code_type_checks_under_plain_mypy(tmp_path: Path, pytestconfig: pytest.Config) -> None:
    """`Policy(...)`, `Tier(...)`, `BudgetSpec(...)` need only their required fields under plain mypy."""
    api = pytest.importorskip("mypy.api")
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\nstrict = True\n", encoding="utf-8")
    # pydantic takes ~25 s to analyse the first time: pytest's cache keeps mypy's between runs.
    store = getattr(pytestconfig, "cache", None)
    cache = store.mkdir("mypy-plain") if store is not None else tmp_path / "mypy-cache"
    out, err, status = api.run(
        ["--config-file", str(config), "--cache-dir", str(cache), str(TYPING / "plain_policy.py")]
    )
    assert status == 0, out + err
