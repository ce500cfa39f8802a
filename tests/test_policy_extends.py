"""`extends:`: policies built on the default or on other files, merged with located errors; the schema's
`$id` and the file beside the default; the starter policy `frugal init` writes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from frugal import ConfigError, cli
from frugal._jsonschema import first_violation
from frugal._policy_starter import SCHEMA_FILE, schema_text, write_starter_policy
from frugal._yaml import load_located
from frugal.policy import SCHEMA_ID, Policy, load_policy, parse_policy, policy_json_schema
from frugal.routing.compile import compile_policy

POLICIES = Path(__file__).parents[1] / "src" / "frugal" / "policies"
KINDS = {"openai": "openai", "anthropic": "anthropic", "local": "openai"}


def write(folder: Path, name: str, text: str) -> Path:
    """Write a policy file (creating its folder) and return its path."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def compiles(policy: Policy, located: Any) -> None:
    """The policy compiles (every model, tier and classifier name resolves) with every provider available."""
    compile_policy(policy, located, providers=KINDS, models={}, available_providers=frozenset(KINDS))


def default() -> Policy:
    """The built-in default policy."""
    return load_policy(POLICIES / "default.yaml")[0]


# -- merging ---------------------------------------------------------------------------------------


def test_extends_default_adds_budgets_rules_and_providers(tmp_path: Path) -> None:
    """A policy that extends the default keeps its tiers, classifier and fallback and adds its own."""
    path = write(
        tmp_path,
        "frugal.yaml",
        """\
extends: default
name: mine
budgets:
  - {scope: team, limit_usd: 5}
rules:
  - {match: {team: research}, min_tier: medium}
providers:
  local: {kind: openai, base_url: "http://127.0.0.1:8000/v1"}
models:
  llama-3.3-70b: {provider: local, prices: {input: 0.6, output: 0.6}}
""",
    )
    policy, located = load_policy(path)
    base = default()
    assert policy.name == "mine"
    assert (policy.tiers, policy.thresholds, policy.classifier, policy.fallback) == (
        base.tiers,
        base.thresholds,
        base.classifier,
        base.fallback,
    )
    assert [budget.limit_usd for budget in policy.budgets] == [5]
    assert [rule.min_tier for rule in policy.rules] == ["medium"]
    assert set(policy.providers) == {"local"}
    compiles(policy, located)


def test_merge_semantics_lists_appended_mappings_by_key_others_replaced(tmp_path: Path) -> None:
    """budgets/rules appended; models/providers/routes/fallback merged key by key; everything else
    replaced."""
    write(
        tmp_path,
        "base.yaml",
        """\
name: base
tiers: [{name: a, models: [gpt-4o-mini]}, {name: b, models: [gpt-4.1]}]
thresholds: [0.4]
default_tier: a
classifier: {name: heuristic}
budgets: [{name: one, limit_usd: 1}]
rules: [{match: {team: x}, min_tier: b}]
models: {m1: {context_window: 1000}, m2: {context_window: 2000}}
providers: {p1: {kind: openai}, p2: {kind: anthropic}}
routes: {r1: {tiers: [a]}, r2: {tiers: [b]}}
fallback: {retries: 1, max_backoff: 4}
""",
    )
    path = write(
        tmp_path,
        "over.yaml",
        """\
extends: base.yaml
name: over
tiers: [{name: only, models: [gpt-4.1]}]
thresholds: []
budgets: [{name: two, limit_usd: 2}]
rules: [{match: {team: y}, max_tier: only}]
models: {m2: {max_output_tokens: 10}, m3: {context_window: 3000}}
routes: {r2: {tiers: [only]}}
fallback: {retries: 3}
""",
    )
    policy, _ = load_policy(path)
    assert policy.name == "over"
    assert [tier.name for tier in policy.tiers] == ["only"]
    assert policy.thresholds == []
    assert policy.default_tier == "a"  # not set by over.yaml: the base's
    assert [budget.key for budget in policy.budgets] == ["one", "two"]
    assert [rule.match for rule in policy.rules] == [{"team": "x"}, {"team": "y"}]
    assert {name: (spec.context_window, spec.max_output_tokens) for name, spec in policy.models.items()} == {
        "m1": (1000, None),
        "m2": (None, 10),  # replaced whole, not merged field by field
        "m3": (3000, None),
    }
    assert set(policy.providers) == {"p1", "p2"}
    assert {name: route.tiers for name, route in policy.routes.items()} == {"r1": ["a"], "r2": ["only"]}
    assert (policy.fallback.retries, policy.fallback.max_backoff) == (3, 4)


def test_extending_is_the_same_as_writing_it_out(tmp_path: Path) -> None:
    """`extends: default` plus a budget is the very policy (same id) as the default with the budget added."""
    budget = "budgets:\n  - {scope: team, limit_usd: 5}\n"
    extended, _ = load_policy(write(tmp_path, "a.yaml", "extends: default\n" + budget))
    written, _ = parse_policy((POLICIES / "default.yaml").read_text() + budget)
    assert extended == written
    assert extended.id == written.id


def test_a_list_of_bases_merges_in_order_under_the_file(tmp_path: Path) -> None:
    """extends: [a, b] merges b over a, then the file over both; a base may extend the default itself."""
    write(
        tmp_path,
        "a.yaml",
        "extends: default\nname: a\ndefault_tier: small\nrules: [{match: {t: a}, pin: m}]\n",
    )
    write(tmp_path, "b.yaml", "name: b\ndefault_tier: large\nrules: [{match: {t: b}, pin: m}]\n")
    path = write(tmp_path, "top.yaml", "extends: [a.yaml, b.yaml]\nrules: [{match: {t: top}, pin: m}]\n")
    policy, _ = load_policy(path)
    assert (policy.name, policy.default_tier) == ("b", "large")
    assert [rule.match["t"] for rule in policy.rules] == ["a", "b", "top"]
    assert [tier.name for tier in policy.tiers] == ["small", "medium", "large"]


def test_relative_paths_resolve_against_the_extending_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each file's relative extends are resolved from its own directory, wherever the process runs."""
    write(tmp_path, "shared/common.yaml", "extends: default\nbudgets: [{name: common, limit_usd: 1}]\n")
    write(tmp_path, "shared/base.yaml", "extends: ./common.yaml\nbudgets: [{name: base, limit_usd: 2}]\n")
    path = write(tmp_path, "apps/prod/frugal.yaml", "extends: ../../shared/base.yaml\nname: prod\n")
    monkeypatch.chdir(write(tmp_path, "elsewhere/x", "").parent)
    policy, _ = load_policy(path)
    assert [budget.key for budget in policy.budgets] == ["common", "base"]
    monkeypatch.chdir(tmp_path / "apps")
    assert load_policy(Path("prod/frugal.yaml"))[0].name == "prod"  # a relative path to the policy too


def test_frugal_validate_reads_an_extending_policy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`frugal validate` checks the merged policy."""
    path = write(tmp_path, "p.yaml", "extends: default\nname: checked\n")
    assert cli.main(["validate", str(path)]) == 0
    assert "checked@" in capsys.readouterr().out


# -- errors, each in the file that holds it ---------------------------------------------------------


def test_errors_point_into_the_file_that_holds_them(tmp_path: Path) -> None:
    """A mistake in a base is reported in the base's file; one in the extending file in that file (the
    key path is the merged policy's: the file's budget 0 is budget 1 after the base's)."""
    write(tmp_path, "base.yaml", "extends: default\nfallback:\n  retries: 99\n")
    path = write(tmp_path, "top.yaml", "extends: base.yaml\n")
    with pytest.raises(ConfigError) as info:
        load_policy(path)
    assert str(info.value) == (
        f"{tmp_path / 'base.yaml'}:3:12: fallback.retries: expected an integer from 0 to 10, got 99"
    )
    write(tmp_path, "base.yaml", "extends: default\nbudgets: [{name: a, limit_usd: 1}]\n")
    path.write_text(
        "extends: base.yaml\nbudgets:\n  - {name: b, limit_usd: -1}\n  - {name: c, limit_usd: 1, bogus: 2}\n"
    )
    with pytest.raises(ConfigError) as info:
        load_policy(path)
    assert str(info.value).splitlines() == [
        f"{path}:3:26: budgets.1.limit_usd: expected a number greater than 0 and at most 1000000000, got -1",
        f"{path}:4:29: budgets.2.bogus: unknown key (expected one of: action, downgrade_to, limit_calls, "
        "limit_usd, match, name, rolling, scope, thresholds, unpriced, window)",
    ]


def test_an_unknown_top_level_key_lists_extends(tmp_path: Path) -> None:
    """The unknown-key hint at the top level names `extends` among the accepted keys."""
    with pytest.raises(
        ConfigError, match=r"p.yaml:2:1: extend: unknown key \(expected one of: budgets, .*extends"
    ):
        parse_policy("tiers: [{name: a, models: [m]}]\nextend: default\n", "p.yaml")


def test_cycles_are_located_at_the_extends_that_closes_them(tmp_path: Path) -> None:
    """a -> b -> a: a ConfigError at b's extends, showing the chain; a file extending itself too."""
    a = write(tmp_path, "a.yaml", "extends: b.yaml\n")
    b = write(tmp_path, "b.yaml", "name: b\nextends: [default, a.yaml]\n")
    with pytest.raises(ConfigError) as info:
        load_policy(a)
    assert str(info.value) == (
        f"{b}:2:20: extends.1: extends 'a.yaml', which leads back to it: {a.resolve()} -> {b.resolve()} -> "
        f"{a.resolve()}"
    )
    itself = write(tmp_path, "self.yaml", "extends: ./self.yaml\n")
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(itself))}:1:10: extends: extends './self.yaml'"):
        load_policy(itself)


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("extends: missing.yaml\n", "1:10", "extends: cannot read the policy 'missing.yaml' ("),
        ("extends: [default, gone.yaml]\n", "1:20", "extends.1: cannot read the policy 'gone.yaml' ("),
        ("extends: 3\n", "1:10", "extends: expected 'default' or a policy file's path, or a non-empty list"),
        ("extends: []\n", "1:10", "extends: expected 'default' or a policy file's path, or a non-empty list"),
        ("extends: list.yaml\n", "1:10", "extends: 'list.yaml' is not a policy (a mapping of settings)"),
        ("extends: broken.yaml\n", "", "broken.yaml:2:1: invalid YAML"),
    ],
)
def test_bad_extends_are_located(tmp_path: Path, text: str, where: str, message: str) -> None:
    """Missing files, wrong types, a base that is not a policy or not YAML: located ConfigErrors."""
    write(tmp_path, "list.yaml", "- a\n- b\n")
    write(tmp_path, "broken.yaml", "tiers: [\n")
    path = write(tmp_path, "p.yaml", text)
    with pytest.raises(ConfigError) as info:
        load_policy(path)
    assert f"{path}:{where}: {message}" in str(info.value) if where else message in str(info.value)
    if "cannot read" in message:
        assert str(info.value).endswith("No such file or directory")


def test_a_chain_of_extends_is_bounded(tmp_path: Path) -> None:
    """A chain through more than 10 files is refused at the extends that goes too far."""
    write(tmp_path, "p11.yaml", "extends: default\n")
    for index in range(11):
        write(tmp_path, f"p{index}.yaml", f"extends: p{index + 1}.yaml\n")
    with pytest.raises(ConfigError, match=r"p9.yaml:1:10: extends: a chain of extends longer than 10 files"):
        load_policy(tmp_path / "p0.yaml")
    assert load_policy(tmp_path / "p3.yaml")[0].name == "default"  # p3 ... p11, then the default: 10


# -- the schema, its $id and the file beside the default -----------------------------------------


def test_the_schema_has_an_id_and_describes_extends() -> None:
    """The schema names itself with $id and accepts extends as a name or a list of names."""
    schema = policy_json_schema()
    assert schema["$id"] == SCHEMA_ID
    assert schema["title"] == "frugal routing policy"
    data = {"extends": ["default", "base.yaml"], "name": "x"}
    assert first_violation(data, schema) is None  # no tiers: the bases have them
    assert first_violation({"extends": 3}, schema) is not None
    assert first_violation({"name": "x"}, schema) is not None  # neither tiers nor extends


def test_the_shipped_schema_file_is_current_and_the_default_points_at_it() -> None:
    """policies/policy.schema.json is the current schema, and the default policy's modeline names it."""
    assert (POLICIES / "policy.schema.json").read_text() == schema_text()
    first_line = (POLICIES / "default.yaml").read_text().splitlines()[0]
    assert first_line == "# yaml-language-server: $schema=./policy.schema.json"
    default_data = load_located((POLICIES / "default.yaml").read_text(), "default.yaml").data
    assert first_violation(default_data, json.loads(schema_text())) is None


# -- the starter policy (`frugal init`) --------------------------------------------------------------


def modeline_target(policy_file: Path) -> Path:
    """The schema file a policy's yaml-language-server modeline points at."""
    first = policy_file.read_text().splitlines()[0]
    match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
    assert match, first
    return policy_file.parent / match.group(1)


def test_starter_policy_loads_extends_the_default_and_points_at_its_schema(tmp_path: Path) -> None:
    """write_starter_policy writes frugal.yaml (the default under another name) and the schema its
    modeline names; the policy conforms to the schema and compiles."""
    policy_file, schema_file = write_starter_policy(tmp_path / "project")
    assert policy_file == tmp_path / "project" / "frugal.yaml"
    assert modeline_target(policy_file) == schema_file == tmp_path / "project" / SCHEMA_FILE
    schema = json.loads(schema_file.read_text())
    assert schema == policy_json_schema()
    assert first_violation(load_located(policy_file.read_text(), "f").data, schema) is None
    policy, located = load_policy(policy_file)
    assert policy.name == "my-app"
    assert policy.ledger is not None
    assert policy.ledger.url == "sqlite:///frugal-ledger.db", "calls are recorded for budgets and the report"
    assert policy.model_copy(update={"name": "default", "ledger": default().ledger}) == default()
    compiles(policy, located)


def test_starter_examples_are_valid_once_uncommented(tmp_path: Path) -> None:
    """Every commented example in the starter policy is valid: uncommented, the policy still loads,
    conforms to the schema and compiles."""
    policy_file, schema_file = write_starter_policy(tmp_path)
    lines = policy_file.read_text().splitlines()
    body = lines[lines.index("name: my-app") :]
    uncommented = "\n".join(re.sub(r"^# (?=[a-z_]+:| )", "", line) for line in body)
    path = write(tmp_path, "examples.yaml", "extends: default\n" + uncommented + "\n")
    policy, located = load_policy(path)
    assert (len(policy.budgets), len(policy.rules), set(policy.routes)) == (1, 3, {"support-bot"})
    assert policy.fallback.retries == 3
    assert (
        first_violation(load_located(path.read_text(), "e").data, json.loads(schema_file.read_text())) is None
    )
    compiles(policy, located)


def test_starter_policy_never_overwrites_unless_asked(tmp_path: Path) -> None:
    """Existing files are kept (FileExistsError, nothing written) unless overwrite=True; names can be
    chosen, and the modeline follows the schema's name."""
    (tmp_path / "frugal.yaml").write_text("mine")
    with pytest.raises(FileExistsError, match=r"frugal\.yaml exists"):
        write_starter_policy(tmp_path)
    assert (tmp_path / "frugal.yaml").read_text() == "mine"
    assert not (tmp_path / SCHEMA_FILE).exists()
    policy_file, _ = write_starter_policy(tmp_path, overwrite=True)
    assert load_policy(policy_file)[0].name == "my-app"
    other, other_schema = write_starter_policy(tmp_path, policy_name="p.yaml", schema_name="s.json")
    assert modeline_target(other) == other_schema == tmp_path / "s.json"


def test_the_documented_policies_conform_to_the_schema_and_load() -> None:
    """The whole policies shown in docs/routing.md conform to the schema (ledger URLs and extends
    included) and load."""
    docs = (Path(__file__).parents[1] / "docs" / "routing.md").read_text()
    blocks = [
        block for block in re.findall(r"```yaml\n(.*?)```", docs, re.S) if "yaml-language-server" in block
    ]
    assert len(blocks) == 2
    schema = policy_json_schema()
    for block in blocks:
        assert first_violation(load_located(block, "docs").data, schema) is None
        parse_policy(block, "docs/routing.md")
    assert first_violation({"extends": "default", "ledger": "sqlite:///ledger.db"}, schema) is None
