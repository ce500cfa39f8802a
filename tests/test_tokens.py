"""Input-token estimates: UTF-8 bytes / 4, tool definitions and tool history counted, pluggable counters."""

from __future__ import annotations

import sys
import types
import warnings
from typing import Any

import pytest

import frugal
from frugal import ConfigError
from frugal.exceptions import FrugalWarning
from frugal.request import RoutingRequest, estimate_text_tokens
from frugal.testing import VendorStub

from .conftest import vendor_options
from .test_policy import GOOD, compile_text

TOOLS: Any = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The weather in a city, today.",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]


def test_ascii_is_characters_over_four() -> None:
    """ASCII text: characters / 4, rounded up (the estimate before multilingual counting)."""
    assert estimate_text_tokens("") == 0
    assert estimate_text_tokens("abcd") == 1
    assert estimate_text_tokens("abcde") == 2
    assert estimate_text_tokens("ab", "cd", "e") == 2


def test_non_ascii_text_is_counted_by_its_utf8_bytes() -> None:
    """Japanese (3 bytes a character) is ~0.75 tokens a character, not 0.25; Cyrillic 0.5."""
    japanese = "日本語のテキストです" * 10  # 100 characters, 300 bytes
    assert estimate_text_tokens(japanese) == 75
    assert estimate_text_tokens("Привет" * 10) == 30  # 60 characters, 120 bytes
    assert RoutingRequest(prompt=japanese).estimated_input_tokens == 75
    assert RoutingRequest(prompt="a", system=japanese).estimated_input_tokens == 76  # (1 + 300) / 4


def test_tool_definitions_are_input_tokens() -> None:
    """The tools sent with a call raise the estimate by their size; a call without tools is unchanged."""
    params = {"model": "auto", "messages": [{"role": "user", "content": "weather in Paris?"}]}
    bare = RoutingRequest.from_call("chat", params, {})
    with_tools = RoutingRequest.from_call("chat", {**params, "tools": TOOLS}, {})
    assert bare.tool_chars == 0
    assert with_tools.tool_chars == len(repr(TOOLS))
    assert with_tools.estimated_input_tokens == -(-(len("weather in Paris?") + len(repr(TOOLS))) // 4)


def test_client_route_counts_tools_in_the_estimate(stub: VendorStub) -> None:
    """The dry-run decision's token estimate and cost include the tool definitions."""
    client = frugal.Client(**vendor_options(stub))
    messages = [{"role": "user", "content": "weather in Paris?"}]
    bare = client.route(messages=messages)
    tooled = client.route(messages=messages, tools=TOOLS)
    prompt = len("weather in Paris?")
    assert bare.estimated_input_tokens == -(-prompt // 4)
    assert tooled.estimated_input_tokens == -(-(prompt + len(repr(TOOLS))) // 4)
    assert tooled.estimated_cost_usd is not None
    assert bare.estimated_cost_usd is not None
    assert tooled.estimated_cost_usd > bare.estimated_cost_usd


def test_responses_tool_items_are_tool_history() -> None:
    """Responses input with function calls and their outputs needs a tool-capable model, and their text
    counts as history."""
    params = {
        "model": "auto",
        "input": [
            {"role": "user", "content": "What is the weather in Paris?"},
            {
                "type": "function_call",
                "call_id": "c1",
                "name": "get_weather",
                "arguments": '{"city":"Paris"}',
            },
            {"type": "function_call_output", "call_id": "c1", "output": "18 C, cloudy"},
        ],
    }
    request = RoutingRequest.from_call("responses", params, {})
    assert request.tool_history
    assert request.needs_tools
    assert request.prompt == "What is the weather in Paris?"
    assert request.history == '{"city":"Paris"}\n18 C, cloudy'
    plain = RoutingRequest.from_call("responses", {"model": "auto", "input": params["input"][:1]}, {})
    assert not plain.needs_tools


def test_counter_by_dotted_path_is_used_by_the_router(stub: VendorStub, tmp_path: Any) -> None:
    """A policy's token_counter replaces the estimate in decisions (tool definitions stay estimated)."""
    path = tmp_path / "p.yaml"
    path.write_text(GOOD + "token_counter: tests.helpers:count_words\n")
    client = frugal.Client(**vendor_options(stub, policy=path))
    decision = client.route(
        messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "one two three"}]
    )
    assert decision.estimated_input_tokens == 5  # 2 + 3 words
    tooled = client.route(messages=[{"role": "user", "content": "one two three"}], tools=TOOLS)
    assert tooled.estimated_input_tokens == 3 + -(-len(repr(TOOLS)) // 4)


def test_counter_failing_mid_call_warns_once_and_the_call_goes_on(stub: VendorStub, tmp_path: Any) -> None:
    """A counter that raises during a call: the built-in estimate, one warning, and the call succeeds."""
    path = tmp_path / "p.yaml"
    path.write_text(GOOD + "token_counter: tests.helpers:count_badly\n")
    client = frugal.Client(**vendor_options(stub, policy=path))
    fine = client.route(messages=[{"role": "user", "content": "abcdefgh"}])
    assert fine.estimated_input_tokens == 8  # the counter's figure: one token per character
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = client.chat.completions.create(
            model="auto", messages=[{"role": "user", "content": "crash abc"}]
        )
        again = client.route(messages=[{"role": "user", "content": "crash abcdefgh"}])
    assert first.choices[0].message.content
    assert again.estimated_input_tokens == estimate_text_tokens("crash abcdefgh")
    counter_warnings = [
        w for w in caught if issubclass(w.category, FrugalWarning) and "token counter" in str(w.message)
    ]
    assert len(counter_warnings) == 1
    assert "crash" not in str(counter_warnings[0].message)  # never the prompt's text


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("wordcount", "unknown token counter 'wordcount'"),
        ("tests.helpers:nothing_here", "has no attribute 'nothing_here'"),
        ("tests.helpers:TOOLS_MISSING", "has no attribute"),
        ("tests.helpers.TOOLS_NOT_CALLABLE", "has no attribute"),
    ],
)
def test_bad_counters_fail_at_load_with_the_location(value: str, message: str) -> None:
    """A token_counter that cannot be loaded: ConfigError at the key, when the policy compiles."""
    with pytest.raises(ConfigError) as info:
        compile_text(GOOD + f"token_counter: {value}\n")
    assert "p.yaml:8:16" in str(info.value)
    assert message in str(info.value)


def test_a_counter_that_is_not_callable_is_refused() -> None:
    """A dotted path to something that is not a function is refused when the policy compiles."""
    with pytest.raises(ConfigError, match="is not callable"):
        compile_text(GOOD + "token_counter: tests.test_tokens:TOOLS\n")


def test_tiktoken_missing_is_a_clear_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """'tiktoken' without the package: ConfigError saying what to install, at load."""
    monkeypatch.setitem(sys.modules, "tiktoken", None)  # import tiktoken -> ModuleNotFoundError
    with pytest.raises(ConfigError, match=r"p\.yaml:8:16.*pip install tiktoken"):
        compile_text(GOOD + "token_counter: tiktoken\n")


def test_tiktoken_encoding_that_cannot_load_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """tiktoken present but its encoding unavailable (no network): ConfigError naming TIKTOKEN_CACHE_DIR."""
    fake = types.ModuleType("tiktoken")

    def get_encoding(name: str) -> object:
        raise ValueError(f"Unknown encoding {name}")

    fake.get_encoding = get_encoding  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tiktoken", fake)
    with pytest.raises(ConfigError, match=r"tiktoken:cl100k_base.*TIKTOKEN_CACHE_DIR"):
        compile_text(GOOD + "token_counter: tiktoken:cl100k_base\n")
