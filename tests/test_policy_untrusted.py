"""Untrusted policy files: the located loader does linear work, refuses what it cannot read safely at its
line and column, and every numeric setting has bounds that the schema states and the loader enforces."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frugal import ConfigError
from frugal._jsonschema import first_violation
from frugal._yaml import MAX_DEPTH, MAX_VALUES, _Loader, load_located
from frugal.policy import parse_policy, policy_json_schema

#: Every line of a located error: ``p.yaml:LINE:COLUMN: ...`` (or the count of the errors left out).
LOCATED = re.compile(r"^(p\.yaml:\d+:\d+: .+|\.\.\. and \d+ more)$")

RICH = """\
version: 1
name: rich
classifier: {name: heuristic}
tiers:
  - {name: small, models: [gpt-4o-mini], expected_output_tokens: 300}
  - {name: large, models: [gpt-4.1, claude-sonnet-4-5]}
thresholds: [0.5]
default_tier: small
routes:
  support: {tiers: [small], max_tier: small, thresholds: []}
  careful:
    strategy: cascade
    cascade: {max_steps: 2, judge: {model: gpt-4o-mini, min_score: 0.6, max_tokens: 8}}
rules:
  - {match: {team: research}, min_tier: large}
  - {when: {min_input_tokens: 1000, max_input_tokens: 90000, tools: true}, min_tier: large}
providers:
  local: {kind: openai, base_url: "http://127.0.0.1:8000/v1"}
models:
  llama: {provider: local, context_window: 128000, max_output_tokens: 4096, prices: {input: 0.6, output: 0.6}}
fallback: {retries: 2, initial_backoff: 0.5, max_backoff: 8, max_candidates: 3}
budgets:
  - {scope: team, limit_usd: 100, window: day, thresholds: [0.5, 0.8]}
ledger: {url: "memory://", retry_after: 1}
"""


def billion_laughs(levels: int = 9) -> str:
    """The classic alias bomb: each level is nine aliases of the one before (9**levels strings)."""
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * 9)}]")
    return "\n".join(lines) + "\n"


def events_in(text: str) -> int:
    """How many parser events the text is (each node is one, or two: its start and end)."""
    return sum(1 for _ in yaml.parse(text, Loader=yaml.SafeLoader))


@contextmanager
def counting_composes() -> Iterator[list[int]]:
    """Count the loader's compose_node calls (its unit of work) while the block runs."""
    calls = [0]
    original = _Loader.compose_node

    def counted(self: _Loader, parent: Any, index: Any) -> Any:
        calls[0] += 1
        return original(self, parent, index)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_Loader, "compose_node", counted)
        yield calls


def expanded_size(text: str) -> int:
    """Values the document stands for with every alias expanded, counted through a memo (PyYAML's nodes)."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        if id(node) not in sizes:
            if isinstance(node, yaml.ScalarNode):
                sizes[id(node)] = 1
            elif isinstance(node, yaml.SequenceNode):
                sizes[id(node)] = 1 + sum(size(item) for item in node.value)
            else:
                sizes[id(node)] = 1 + sum(size(key) + size(value) for key, value in node.value)
        return sizes[id(node)]

    return size(yaml.compose(text, Loader=yaml.SafeLoader))


def assert_loads_or_fails_located(text: str) -> None:
    """The text loads as a policy, or fails with a located ConfigError (any other exception escapes)."""
    with pytest.raises(ConfigError) if _fails(text) else nullcontext() as info:
        parse_policy(text, "p.yaml")
    if info is not None:
        assert_located(info.value)


def _fails(text: str) -> bool:
    try:
        parse_policy(text, "p.yaml")
    except ConfigError:
        return True
    return False


def assert_located(error: ConfigError) -> None:
    """Every line of the error names p.yaml, a line and a column."""
    for line in str(error).splitlines():
        assert LOCATED.match(line), str(error)


# -- alias bombs: linear work, counted ---------------------------------------------------------------


def test_billion_laughs_is_refused_after_work_linear_in_the_text() -> None:
    """The nine-level alias bomb is refused at the level that crosses MAX_VALUES, after one compose step
    per node of the text (shared nodes are never walked again)."""
    text = billion_laughs()
    with counting_composes() as calls, pytest.raises(ConfigError) as info:
        parse_policy(text, "p.yaml")
    assert str(info.value) == (
        f"p.yaml:6:5: this value expands to more than {MAX_VALUES:,} values through YAML aliases "
        "(each alias repeats its anchor's content)"
    )
    assert 0 < calls[0] <= events_in(text)


@st.composite
def alias_documents(draw: st.DrawFn) -> str:
    """Documents whose anchors alias earlier anchors any number of times (bombs and harmless ones)."""
    levels = draw(st.integers(1, 10))
    lines = [f"l0: &l0 [{', '.join(['x'] * draw(st.integers(1, 9)))}]"]
    for level in range(1, levels):
        refs = draw(st.lists(st.integers(0, level - 1), min_size=1, max_size=10))
        lines.append(f"l{level}: &l{level} [{', '.join(f'*l{ref}' for ref in refs)}]")
    return "\n".join(lines) + "\n"


@settings(max_examples=60, deadline=None)
@given(text=alias_documents())
def test_loader_work_is_linear_and_the_expansion_limit_is_exact(text: str) -> None:
    """For any aliased document: compose steps and recorded positions are bounded by the text's events,
    and the document is refused exactly when it expands past MAX_VALUES."""
    events = events_in(text)
    refused: ConfigError | None = None
    with counting_composes() as calls:
        try:
            located = load_located(text, "p.yaml")
        except ConfigError as error:
            refused = error
    if refused is not None:
        assert "expands to more than" in str(refused)
        assert expanded_size(text) > MAX_VALUES
    else:
        assert expanded_size(text) <= MAX_VALUES
        assert len(located.positions) <= 2 * events
    assert calls[0] <= events


# -- what the loader refuses, at its line and column ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "tiers: " + "[" * 3000 + "]" * 3000 + "\n",
            f"p.yaml:1:{7 + MAX_DEPTH}: nested more than {MAX_DEPTH} levels deep",
        ),
        (
            "tiers: []\nfallback: {retries: " + "9" * 5000 + "}\n",
            "p.yaml:2:21: an integer of 5000 characters (at most 64)",
        ),
        (
            "name: a\x07b\ntiers: []\n",
            "p.yaml:1:8: invalid YAML: control character U+0007 is not allowed (inside a double-quoted "
            'string, write it as an escape such as "\\t")',
        ),
        (
            'tiers: []\nname: "\\e[2J"\n',
            "p.yaml:2:7: character U+001B in a string: control and bidirectional-override characters are "
            "not allowed (tab and newline are)",
        ),
        (
            "tiers: []\nname: \u202egnp.exe\n",
            "p.yaml:2:7: character U+202E in a string: control and bidirectional-override characters are "
            "not allowed (tab and newline are)",
        ),
        ("tiers: &t [*t]\n", "p.yaml:1:12: the alias *t is inside the value it names (a recursive alias)"),
        ("tiers: []\nrules: []\nrules: [x]\n", "p.yaml:3:1: duplicate key 'rules' (first at line 2)"),
    ],
)
def test_unreadable_documents_are_located_config_errors(text: str, expected: str) -> None:
    """Deep nesting, huge integers, control characters (raw or escaped), recursive aliases and duplicate
    keys: each a ConfigError at its line and column, never RecursionError or ValueError."""
    with pytest.raises(ConfigError) as info:
        parse_policy(text, "p.yaml")
    assert str(info.value) == expected


def test_shared_values_are_reported_where_the_alias_is_used() -> None:
    """A mistake inside an aliased value points at the alias that brought it there."""
    text = "x-fallback: &f {retries: 99}\ntiers: [{name: a, models: [m]}]\nfallback: *f\n"
    data = load_located(text, "p.yaml")
    assert str(data.where(("fallback", "retries"))) == "p.yaml:3:11"
    with pytest.raises(ConfigError) as info:
        parse_policy(text, "p.yaml")
    first = str(info.value).splitlines()[0]
    assert first == "p.yaml:3:11: fallback.retries: expected an integer from 0 to 10, got 99"


# -- mutated policies: a Policy or a located ConfigError, nothing else ------------------------------

LONG_INT = "__a 5000-digit integer__"
_chain: list[Any] = ["lol"] * 9
for _ in range(8):
    _chain = [_chain] * 9
NASTY: list[Any] = [
    LONG_INT,
    10**20,
    math.inf,
    -math.inf,
    math.nan,
    -1,
    0,
    1e308,
    "\x1b[2J",
    "a\u202eb",
    "\x00",
    None,
    True,
    [],
    {},
    "text",
    [
        [
            [
                [
                    [
                        [
                            [
                                [
                                    [
                                        [
                                            [
                                                [
                                                    [
                                                        [
                                                            [
                                                                [
                                                                    [
                                                                        [
                                                                            [
                                                                                [
                                                                                    [
                                                                                        [
                                                                                            [
                                                                                                [
                                                                                                    [
                                                                                                        [
                                                                                                            [
                                                                                                                [
                                                                                                                    [
                                                                                                                        [
                                                                                                                            [
                                                                                                                                [
                                                                                                                                    [
                                                                                                                                        [
                                                                                                                                            [
                                                                                                                                                [
                                                                                                                                                    [
                                                                                                                                                        [
                                                                                                                                                            [
                                                                                                                                                                [
                                                                                                                                                                    [
                                                                                                                                                                        [
                                                                                                                                                                            [
                                                                                                                                                                                [
                                                                                                                                                                                    [
                                                                                                                                                                                        [
                                                                                                                                                                                            [
                                                                                                                                                                                                [
                                                                                                                                                                                                    [
                                                                                                                                                                                                        [
                                                                                                                                                                                                            [
                                                                                                                                                                                                                [
                                                                                                                                                                                                                    [
                                                                                                                                                                                                                        [
                                                                                                                                                                                                                            [
                                                                                                                                                                                                                                [
                                                                                                                                                                                                                                    [
                                                                                                                                                                                                                                        [
                                                                                                                                                                                                                                            [
                                                                                                                                                                                                                                                [
                                                                                                                                                                                                                                                    [
                                                                                                                                                                                                                                                        [
                                                                                                                                                                                                                                                            [
                                                                                                                                                                                                                                                                [
                                                                                                                                                                                                                                                                    [
                                                                                                                                                                                                                                                                        [
                                                                                                                                                                                                                                                                            [
                                                                                                                                                                                                                                                                                [
                                                                                                                                                                                                                                                                                    [
                                                                                                                                                                                                                                                                                        [
                                                                                                                                                                                                                                                                                            [
                                                                                                                                                                                                                                                                                                [
                                                                                                                                                                                                                                                                                                    "deep"
                                                                                                                                                                                                                                                                                                ]
                                                                                                                                                                                                                                                                                            ]
                                                                                                                                                                                                                                                                                        ]
                                                                                                                                                                                                                                                                                    ]
                                                                                                                                                                                                                                                                                ]
                                                                                                                                                                                                                                                                            ]
                                                                                                                                                                                                                                                                        ]
                                                                                                                                                                                                                                                                    ]
                                                                                                                                                                                                                                                                ]
                                                                                                                                                                                                                                                            ]
                                                                                                                                                                                                                                                        ]
                                                                                                                                                                                                                                                    ]
                                                                                                                                                                                                                                                ]
                                                                                                                                                                                                                                            ]
                                                                                                                                                                                                                                        ]
                                                                                                                                                                                                                                    ]
                                                                                                                                                                                                                                ]
                                                                                                                                                                                                                            ]
                                                                                                                                                                                                                        ]
                                                                                                                                                                                                                    ]
                                                                                                                                                                                                                ]
                                                                                                                                                                                                            ]
                                                                                                                                                                                                        ]
                                                                                                                                                                                                    ]
                                                                                                                                                                                                ]
                                                                                                                                                                                            ]
                                                                                                                                                                                        ]
                                                                                                                                                                                    ]
                                                                                                                                                                                ]
                                                                                                                                                                            ]
                                                                                                                                                                        ]
                                                                                                                                                                    ]
                                                                                                                                                                ]
                                                                                                                                                            ]
                                                                                                                                                        ]
                                                                                                                                                    ]
                                                                                                                                                ]
                                                                                                                                            ]
                                                                                                                                        ]
                                                                                                                                    ]
                                                                                                                                ]
                                                                                                                            ]
                                                                                                                        ]
                                                                                                                    ]
                                                                                                                ]
                                                                                                            ]
                                                                                                        ]
                                                                                                    ]
                                                                                                ]
                                                                                            ]
                                                                                        ]
                                                                                    ]
                                                                                ]
                                                                            ]
                                                                        ]
                                                                    ]
                                                                ]
                                                            ]
                                                        ]
                                                    ]
                                                ]
                                            ]
                                        ]
                                    ]
                                ]
                            ]
                        ]
                    ]
                ]
            ]
        ]
    ],
    _chain,  # safe_dump writes shared lists as anchors and aliases: a billion laughs
]
RICH_DATA: dict[str, Any] = yaml.safe_load(RICH)
RICH_PATHS = sorted(
    (path for path in load_located(RICH, "rich.yaml").positions if path and path[-1] != "__key__"), key=str
)


def replaced(data: Any, path: tuple[str | int, ...], value: Any) -> Any:
    """A copy of ``data`` with the value at ``path`` replaced."""
    if not path:
        return value
    head, *rest = path
    if isinstance(data, dict):
        return {
            key: replaced(item, tuple(rest), value) if key == head else item for key, item in data.items()
        }
    return [replaced(item, tuple(rest), value) if index == head else item for index, item in enumerate(data)]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(RICH_PATHS), value=st.sampled_from(NASTY))
def test_mutated_policies_load_or_fail_located(path: tuple[str | int, ...], value: Any) -> None:
    """Any setting of a valid policy replaced by a hostile value: a Policy, or a ConfigError whose every
    line names the file, line and column; never another exception."""
    text = yaml.safe_dump(replaced(RICH_DATA, path, value), allow_unicode=True, width=10_000)
    text = text.replace(f"'{LONG_INT}'", "9" * 5000)
    assert_loads_or_fails_located(text)


@settings(max_examples=80, deadline=None)
@given(
    position=st.integers(0, len(RICH)),
    inserted=st.text(st.characters(codec="utf-8"), min_size=1, max_size=3),
)
def test_garbled_policy_text_loads_or_fails_located(position: int, inserted: str) -> None:
    """Characters (control characters included) inserted anywhere in a valid policy: a Policy, or a
    located ConfigError."""
    assert_loads_or_fails_located(RICH[:position] + inserted + RICH[position:])


# -- bounds: every number has both, the schema states them, the loader enforces them ----------------


def _numeric_branches(node: Any) -> Iterator[dict[str, Any]]:
    if not isinstance(node, dict):
        return
    if node.get("type") in ("integer", "number") and "const" not in node:
        yield node
    for branch in node.get("anyOf", []):
        yield from _numeric_branches(branch)
    yield from _numeric_branches(node.get("items"))


def numeric_fields() -> dict[tuple[str, str], dict[str, Any]]:
    """(model, field) -> the schema of each numeric policy setting (list items included)."""
    schema = policy_json_schema()
    fields = {}
    for model, definition in [("Policy", schema), *schema["$defs"].items()]:
        for name, prop in definition.get("properties", {}).items():
            for branch in _numeric_branches(prop):
                fields[(model, name)] = branch
    return fields


# (model, field) -> the policy text with that setting at V.
ONE_TIER = "tiers: [{name: a, models: [m]}]\n"
CASCADE = ONE_TIER + "strategy: cascade\n"
SETTING = {
    ("Policy", "thresholds"): ONE_TIER + "thresholds: [V]\n",
    ("Tier", "expected_output_tokens"): "tiers: [{name: a, models: [m], expected_output_tokens: V}]\n",
    ("WhenSpec", "min_input_tokens"): ONE_TIER + "rules: [{when: {min_input_tokens: V}, min_tier: a}]\n",
    ("WhenSpec", "max_input_tokens"): ONE_TIER + "rules: [{when: {max_input_tokens: V}, min_tier: a}]\n",
    ("JudgeSpec", "min_score"): CASCADE + "cascade: {judge: {model: m, min_score: V}}\n",
    ("JudgeSpec", "max_tokens"): CASCADE + "cascade: {judge: {model: m, max_tokens: V}}\n",
    ("CascadeSpec", "max_steps"): CASCADE + "cascade: {max_steps: V}\n",
    ("AnswerModelSpec", "min_probability"): CASCADE
    + "cascade: {answer_model: {path: m.json, min_probability: V}}\n",
    ("Route", "thresholds"): ONE_TIER + "routes: {r: {thresholds: [V]}}\n",
    ("FallbackSpec", "max_candidates"): ONE_TIER + "fallback: {max_candidates: V}\n",
    ("FallbackSpec", "retries"): ONE_TIER + "fallback: {retries: V}\n",
    ("FallbackSpec", "initial_backoff"): ONE_TIER + "fallback: {initial_backoff: V}\n",
    ("FallbackSpec", "max_backoff"): ONE_TIER + "fallback: {max_backoff: V}\n",
    ("LedgerSpec", "retry_after"): ONE_TIER + "ledger: {url: 'memory://', retry_after: V}\n",
    ("BudgetSpec", "limit_usd"): ONE_TIER + "budgets: [{limit_usd: V}]\n",
    ("BudgetSpec", "limit_calls"): ONE_TIER + "budgets: [{limit_calls: V}]\n",
    ("Tier", "max_output_tokens"): "tiers: [{name: a, models: [m], max_output_tokens: V}]\n",
    ("Route", "max_output_tokens"): ONE_TIER + "routes: {r: {max_output_tokens: V}}\n",
    ("LoopSpec", "max_repeats"): ONE_TIER + "loops: {max_repeats: V}\n",
    ("PromptCacheSpec", "min_tokens"): ONE_TIER + "prompt_cache: {min_tokens: V}\n",
    ("FlexSpec", "timeout_seconds"): ONE_TIER + "flex: {timeout_seconds: V}\n",
    ("LoopSpec", "window_seconds"): ONE_TIER + "loops: {window_seconds: V}\n",
    ("BudgetSpec", "thresholds"): ONE_TIER + "budgets: [{limit_usd: 1, thresholds: [V]}]\n",
    ("ShadowSpec", "sample"): ONE_TIER + "shadow: {sample: V}\n",
    ("ShadowSpec", "limit_usd"): ONE_TIER + "shadow: {limit_usd: V}\n",
    ("ModelSpec", "context_window"): ONE_TIER + "models: {m: {context_window: V}}\n",
    ("ModelSpec", "max_output_tokens"): ONE_TIER + "models: {m: {max_output_tokens: V}}\n",
    **{
        ("PricesSpec", price): ONE_TIER + f"models: {{m: {{prices: {{{price}: V}}}}}}\n"
        for price in ("input", "output", "cache_read", "cache_write_5m", "cache_write_1h")
    },
}


def test_every_numeric_setting_has_bounds_in_the_schema() -> None:
    """Each number a policy holds has a lowest and a highest value in the JSON Schema, and each is tested
    below (a new numeric setting without bounds or without a test fails here)."""
    fields = numeric_fields()
    for name, leaf in fields.items():
        assert {"minimum", "exclusiveMinimum"} & set(leaf), name
        assert {"maximum", "exclusiveMaximum"} & set(leaf), name
    assert set(fields) == set(SETTING)


def _yaml_number(value: float) -> str:
    return ".inf" if value == math.inf else ".nan" if math.isnan(value) else repr(value)


@pytest.mark.parametrize("setting", sorted(SETTING), ids=".".join)
def test_the_loader_enforces_the_schemas_bounds(setting: tuple[str, str]) -> None:
    """At its bounds a setting loads and conforms to the schema; past them it breaks the schema and the
    loader refuses it (inf and nan too) at its line, with the bounds in the message."""
    leaf = numeric_fields()[setting]
    integer = leaf["type"] == "integer"
    low = leaf.get("minimum", leaf.get("exclusiveMinimum"))
    high = leaf.get("maximum", leaf.get("exclusiveMaximum"))
    inside = [value for value in (leaf.get("minimum"), leaf.get("maximum")) if value is not None] or [
        (low + high) / 2
    ]
    step = 1 if integer else max(abs(high), 1) * 1e-6
    outside = [
        leaf["exclusiveMinimum"] if "exclusiveMinimum" in leaf else low - step,
        leaf["exclusiveMaximum"] if "exclusiveMaximum" in leaf else high + step,
    ]
    if not integer:
        outside += [math.inf, math.nan]
    schema = policy_json_schema()
    for value in inside:
        text = SETTING[setting].replace("V", _yaml_number(value))
        parse_policy(text, "p.yaml")
        assert first_violation(load_located(text, "p.yaml").data, schema) is None
    for value in outside:
        if math.isfinite(value):  # the schema, which editors check, refuses it too
            text = SETTING[setting].replace("V", _yaml_number(value))
            assert first_violation(load_located(text, "p.yaml").data, schema) is not None
        with pytest.raises(ConfigError) as info:
            parse_policy(SETTING[setting].replace("V", _yaml_number(value)), "p.yaml")
        message = str(info.value)
        assert_located(info.value)
        assert setting[1] in message, message
        for bound in (low, high):
            shown = str(int(bound)) if float(bound).is_integer() else repr(bound)
            assert re.search(rf"(?<![\d.]){re.escape(shown)}(?![\d.])", message), message


def test_absurd_values_of_the_issue_are_refused_with_their_bounds() -> None:
    """`retries: 100000000000000000000` and `max_backoff: .inf` name their key, line and bounds."""
    text = ONE_TIER + "fallback:\n  retries: 100000000000000000000\n  max_backoff: .inf\n"
    with pytest.raises(ConfigError) as info:
        parse_policy(text, "p.yaml")
    assert str(info.value).splitlines() == [
        "p.yaml:3:12: fallback.retries: expected an integer from 0 to 10, got 100000000000000000000",
        "p.yaml:4:16: fallback.max_backoff: expected a number from 0 to 600, got inf",
    ]


def test_only_tab_and_newline_pass_among_control_characters() -> None:
    """CRLF files load and tab and newline may stand in strings; a vertical tab or carriage return in a
    string is refused at its line."""
    text = 'name: "a\\tb\\nc"\r\ntiers:\r\n  - name: x\r\n    models: [m]\r\n'
    assert parse_policy(text, "p.yaml")[0].name == "a\tb\nc"
    for escape in ("\\v", "\\r"):
        with pytest.raises(ConfigError, match=r"^p\.yaml:1:7: character U\+000[BD] in a string"):
            parse_policy(text.replace("\\t", escape), "p.yaml")
