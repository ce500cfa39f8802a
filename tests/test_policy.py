"""Policies: loading, discovery, and errors that name file, line, column, key and what was expected."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import frugal
from frugal import ConfigError, cli
from frugal.policy import Policy, load_policy, parse_policy, policy_json_schema
from frugal.routing.compile import compile_policy

from .conftest import POLICIES

KINDS = {"openai": "openai", "anthropic": "anthropic"}
GOOD = """\
name: t
tiers:
  - name: small
    models: [gpt-4o-mini, claude-haiku-4-5]
  - name: large
    models: [gpt-4.1]
thresholds: [0.5]
"""


def compile_text(text: str, source: str = "p.yaml") -> object:
    policy, located = parse_policy(text, source)
    return compile_policy(policy, located, providers=KINDS, models={}, available_providers=frozenset(KINDS))


def test_builtin_default_policy_compiles() -> None:
    """The built-in default policy loads and every model in it is priced by the catalog."""
    policy, located = load_policy()
    router = compile_policy(policy, located, providers=KINDS, models={}, available_providers=frozenset(KINDS))
    assert [t.name for t in router.tiers] == ["small", "medium", "large"]
    for tier in router.tiers:
        for candidate in tier.candidates:
            assert candidate.info.priced, candidate.model
            assert candidate.info.context_window, candidate.model


def test_policy_objects_are_frozen() -> None:
    """Policies are immutable once loaded."""
    policy, _ = parse_policy(GOOD)
    with pytest.raises(Exception, match="frozen"):
        policy.name = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        (GOOD.replace("name: t", "name: t\nbogus: 1"), "p.yaml:2:1", "bogus: unknown key (expected one of:"),
        (
            GOOD.replace("    models: [gpt-4.1]", "    modles: [gpt-4.1]"),
            "p.yaml:6:5",
            "tiers.1.modles: unknown key",
        ),
        (
            GOOD.replace("thresholds: [0.5]", "thresholds: [1.5]"),
            "p.yaml:7:14",
            "strictly between 0 and 1, got 1.5",
        ),
        (GOOD.replace("thresholds: [0.5]", "thresholds: [0.2, 0.4]"), "p.yaml:7:13", "expected 1 thresholds"),
        (GOOD.replace("gpt-4o-mini", "gpt-4o-mni"), "p.yaml:4:14", "did you mean 'gpt-4o-mini'"),
        (GOOD + "classifier: {name: heuristc}\n", "p.yaml:8:20", "heuristic"),
        (GOOD + "rules:\n  - match: {team: x}\n    min_tier: smal\n", "p.yaml:10:15", "did you mean 'small'"),
        (GOOD + "requested_model: ceil\n", "p.yaml:8:18", "'ceiling', 'honor' or 'route'"),
        ("tiers: [\n", "p.yaml:2:1", "invalid YAML"),
        ("- just\n- a list\n", "p.yaml:1:1", "expected a mapping"),
    ],
)
def test_bad_policies_point_at_the_problem(text: str, where: str, message: str) -> None:
    """Each mistake raises ConfigError with file:line:column and what was expected."""
    with pytest.raises(ConfigError) as info:
        compile_text(text)
    assert where in str(info.value)
    assert message in str(info.value).replace('"', "'")


def test_bad_policy_fails_when_the_client_is_built(tmp_path: Path) -> None:
    """A client with a bad policy fails at construction, never mid-call."""
    path = tmp_path / "bad.yaml"
    path.write_text(GOOD.replace("gpt-4.1", "gpt-9000"))
    with pytest.raises(ConfigError, match=f"{path}:6:14"):
        frugal.Client(policy=path)


def test_policy_discovery_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Explicit path, then $FRUGAL_POLICY, then ./frugal.yaml, then the built-in default."""
    monkeypatch.chdir(tmp_path)
    assert load_policy()[0].name == "default"
    (tmp_path / "frugal.yaml").write_text(GOOD.replace("name: t", "name: local"))
    assert load_policy()[0].name == "local"
    env = tmp_path / "env.yaml"
    env.write_text(GOOD.replace("name: t", "name: from-env"))
    monkeypatch.setenv("FRUGAL_POLICY", str(env))
    assert load_policy()[0].name == "from-env"
    explicit = tmp_path / "explicit.yaml"
    explicit.write_text(GOOD.replace("name: t", "name: explicit"))
    assert load_policy(explicit)[0].name == "explicit"
    monkeypatch.setenv("FRUGAL_POLICY", str(tmp_path / "missing.yaml"))
    with pytest.raises(
        ConfigError, match=r"missing.yaml: cannot read the policy named by the \$FRUGAL_POLICY"
    ):
        load_policy()


def test_policy_id_changes_with_content() -> None:
    """policy.id is name@content-hash: the same text gives the same id, an edit changes it."""
    first, _ = parse_policy(GOOD)
    again, _ = parse_policy(GOOD)
    edited, _ = parse_policy(GOOD.replace("[0.5]", "[0.6]"))
    assert first.id == again.id
    assert first.id != edited.id
    assert first.id.startswith("t@")


def test_json_schema_describes_the_policy() -> None:
    """frugal schema prints a JSON Schema that names the top-level keys."""
    schema = policy_json_schema()
    assert {"tiers", "thresholds", "rules", "routes", "models", "fallback"} <= set(schema["properties"])
    assert Policy.model_validate({"tiers": [{"name": "a", "models": ["gpt-4o-mini"]}]}).tiers[0].name == "a"


def test_cli_validate_and_schema(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """frugal validate says OK or prints the located error with exit 1; frugal schema prints JSON."""
    good = tmp_path / "good.yaml"
    good.write_text(GOOD)
    assert cli.main(["validate", str(good)]) == 0
    assert "OK" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("gpt-4.1", "gtp-4.1"))
    assert cli.main(["validate", str(bad)]) == 1
    assert f"{bad}:6:14" in capsys.readouterr().err
    assert cli.main(["schema"]) == 0
    assert "tiers" in json.loads(capsys.readouterr().out)["properties"]


def test_cli_route_explains_without_keys(capsys: pytest.CaptureFixture[str]) -> None:
    """frugal route --json prints the decision with model, tier, score, reasons, cost and baseline."""
    assert cli.main(["route", "What is 2+2?", "--json"]) == 0
    decision = json.loads(capsys.readouterr().out)
    for key in (
        "model",
        "tier",
        "score",
        "reasons",
        "estimated_cost_usd",
        "baseline_model",
        "baseline_cost_usd",
    ):
        assert key in decision
    assert decision["tier"] == "small"
    hard = (
        "Design a distributed rate limiter for a multi-region API. Explain the trade-offs step by step, "
        "prove the consistency guarantees, and write the core algorithm in Python:\n"
        "```python\ndef allow(key):\n```"
    )
    assert cli.main(["route", hard, "--json", "--policy", str(POLICIES / "routing.yaml")]) == 0
    assert json.loads(capsys.readouterr().out)["model"] == "medium-a"  # MetadataScore: 0.5 without context
    assert cli.main(["route", "hello"]) == 0
    assert "baseline" in capsys.readouterr().out
