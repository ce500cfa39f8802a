"""Tests for the Responses translation: an OpenAI ``responses.create`` call served by an Anthropic model.

Pure functions on JSON dicts, checked against the real SDKs: the anthropic SDK must accept every
translated request, the openai SDK's pydantic models must validate every translated answer and event.
"""

from __future__ import annotations

from typing import Any

import pytest
from openai.types.responses import ResponseFunctionToolCall, ResponseOutputMessage

from frugal.exceptions import UnsupportedFeature
from frugal.providers.translate import (
    DEFAULT_MAX_TOKENS,
    check_responses_for_anthropic,
    responses_request_to_messages,
)

from .test_translate import (
    WEATHER_SCHEMA,
    anthropic_kwargs,
    send_anthropic,
)

CLAUDE = "claude-haiku-4-5"
RESPONSES_WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather now",
    "parameters": WEATHER_SCHEMA,
    "strict": None,
}
ANTHROPIC_WEATHER_TOOL = {"name": "get_weather", "description": "Weather now", "input_schema": WEATHER_SCHEMA}


def to_anthropic(**params: Any) -> dict[str, Any]:
    return responses_request_to_messages({"model": "gpt-4.1", "input": "hi", **params}, model=CLAUDE)


def turns(*items: Any, **params: Any) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = to_anthropic(input=list(items), **params)["messages"]
    return messages


# --- the request --------------------------------------------------------------------------------------


def test_string_input_is_one_user_turn_with_the_default_max_tokens() -> None:
    """A bare Responses call becomes a valid Anthropic call with DEFAULT_MAX_TOKENS and the serving model."""
    assert to_anthropic() == {
        "model": CLAUDE,
        "max_tokens": DEFAULT_MAX_TOKENS,
        "messages": [{"role": "user", "content": "hi"}],
    }


@pytest.mark.parametrize(("params", "expected"), [({"max_output_tokens": 50}, 50), ({}, 1000)])
def test_max_output_tokens_becomes_max_tokens(params: dict[str, Any], expected: int) -> None:
    """max_output_tokens is max_tokens; without it the configured default applies."""
    out = responses_request_to_messages({"input": "hi", **params}, model="m", default_max_tokens=1000)
    assert out["max_tokens"] == expected


def test_instructions_and_system_items_become_the_system_prompt_in_order() -> None:
    """instructions come first, then system and developer messages wherever they are in input."""
    out = to_anthropic(
        instructions="Be brief.",
        input=[
            {"role": "developer", "content": "Answer in French."},
            {"role": "user", "content": "hi"},
            {"type": "message", "role": "system", "content": [{"type": "input_text", "text": "No emoji."}]},
        ],
    )
    assert out["system"] == [
        {"type": "text", "text": "Be brief."},
        {"type": "text", "text": "Answer in French."},
        {"type": "text", "text": "No emoji."},
    ]
    assert out["messages"] == [{"role": "user", "content": "hi"}]
    assert to_anthropic(instructions="Be brief.")["system"] == "Be brief."


def test_function_calls_and_outputs_become_tool_use_and_one_user_turn_of_results() -> None:
    """A tool loop's items: assistant text and calls in one turn, results (then the next user text) in one."""
    messages = turns(
        {"role": "user", "content": "Weather in Paris and Rome?"},
        {
            "type": "message",
            "id": "msg_1",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": "Checking.", "annotations": [], "logprobs": []}],
        },
        {"type": "function_call", "call_id": "c1", "name": "get_weather", "arguments": '{"city":"Paris"}'},
        {"type": "function_call", "id": "fc_2", "call_id": "c2", "name": "get_weather", "arguments": ""},
        {"type": "function_call_output", "call_id": "c1", "output": "sunny"},
        {"type": "function_call_output", "call_id": "c2", "output": ""},
        {"role": "user", "content": "Thanks."},
    )
    assert messages == [
        {"role": "user", "content": "Weather in Paris and Rome?"},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Checking."},
                {"type": "tool_use", "id": "c1", "name": "get_weather", "input": {"city": "Paris"}},
                {"type": "tool_use", "id": "c2", "name": "get_weather", "input": {}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "c1", "content": "sunny"},
                {"type": "tool_result", "tool_use_id": "c2"},
                {"type": "text", "text": "Thanks."},
            ],
        },
    ]


def test_content_parts_images_and_cache_breakpoints() -> None:
    """input_text and input_image parts (URL or base64), a cache breakpoint, a tool output with an image."""
    breakpoint_ = {"mode": "explicit"}
    messages = turns(
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": "Look:", "prompt_cache_breakpoint": breakpoint_},
                {"type": "input_image", "image_url": "https://x/cat.png", "detail": "high"},
                {"type": "input_image", "image_url": "data:image/png;base64,AAAA", "detail": "auto"},
                {"type": "input_text", "text": ""},
            ],
        },
        {"type": "function_call", "call_id": "c1", "name": "snap", "arguments": "{}"},
        {
            "type": "function_call_output",
            "call_id": "c1",
            "output": [
                {"type": "input_text", "text": "here"},
                {"type": "input_image", "image_url": "https://x/shot.png"},
            ],
        },
    )
    assert messages[0]["content"] == [
        {"type": "text", "text": "Look:", "cache_control": {"type": "ephemeral"}},
        {"type": "image", "source": {"type": "url", "url": "https://x/cat.png"}},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}},
    ]
    assert messages[2]["content"] == [
        {
            "type": "tool_result",
            "tool_use_id": "c1",
            "content": [
                {"type": "text", "text": "here"},
                {"type": "image", "source": {"type": "url", "url": "https://x/shot.png"}},
            ],
        }
    ]


def test_reasoning_items_and_refusals_in_input() -> None:
    """Reasoning items (an OpenAI model's encrypted reasoning) are dropped; a refusal part is text."""
    messages = turns(
        {"role": "user", "content": "hi"},
        {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "opaque"},
        {"type": "message", "role": "assistant", "content": [{"type": "refusal", "refusal": "No."}]},
        {"role": "user", "content": "Please?"},
    )
    assert messages == [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "No."},
        {"role": "user", "content": "Please?"},
    ]


@pytest.mark.parametrize(
    ("choice", "parallel", "expected"),
    [
        (None, None, None),
        ("auto", None, {"type": "auto"}),
        ("required", None, {"type": "any"}),
        ("none", None, {"type": "none"}),
        ({"type": "function", "name": "get_weather"}, None, {"type": "tool", "name": "get_weather"}),
        (None, False, {"type": "auto", "disable_parallel_tool_use": True}),
        ("required", False, {"type": "any", "disable_parallel_tool_use": True}),
        (None, True, None),
    ],
)
def test_tools_and_tool_choice_translate(choice: Any, parallel: Any, expected: dict[str, Any] | None) -> None:
    """Function tools become Anthropic tools; tool_choice and parallel_tool_calls map to tool_choice."""
    params: dict[str, Any] = {"tools": [RESPONSES_WEATHER_TOOL]}
    if choice is not None:
        params["tool_choice"] = choice
    if parallel is not None:
        params["parallel_tool_calls"] = parallel
    out = to_anthropic(**params)
    assert out["tools"] == [ANTHROPIC_WEATHER_TOOL]
    assert out.get("tool_choice") == expected


def test_strict_and_parameterless_function_tools() -> None:
    """strict=True is kept; a function without parameters gets an empty object schema."""
    out = to_anthropic(
        tools=[
            {**RESPONSES_WEATHER_TOOL, "strict": True, "output_schema": {"type": "string"}},
            {"type": "function", "name": "now", "parameters": None, "strict": False},
        ]
    )
    assert out["tools"] == [
        {**ANTHROPIC_WEATHER_TOOL, "strict": True},
        {"name": "now", "input_schema": {"type": "object", "properties": {}}},
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            {"format": {"type": "json_schema", "name": "w", "schema": WEATHER_SCHEMA, "strict": True}},
            {"output_config": {"format": {"type": "json_schema", "schema": WEATHER_SCHEMA}}},
        ),
        ({"format": {"type": "text"}, "verbosity": "low"}, {}),
        ({"verbosity": "high"}, {}),
    ],
)
def test_text_format_becomes_output_config(text: dict[str, Any], expected: dict[str, Any]) -> None:
    """text.format json_schema is Anthropic structured output; text and verbosity send nothing."""
    out = to_anthropic(text=text)
    assert {key: out[key] for key in ("output_config",) if key in out} == expected


@pytest.mark.parametrize(
    ("reasoning", "expected"),
    [
        ({"effort": "minimal"}, {"output_config": {"effort": "low"}}),
        ({"effort": "high", "summary": "auto"}, {"output_config": {"effort": "high"}}),
        ({"effort": "max", "mode": "standard", "context": "auto"}, {"output_config": {"effort": "max"}}),
        ({"effort": "none"}, {"thinking": {"type": "disabled"}}),
        ({"summary": "detailed"}, {}),
    ],
)
def test_reasoning_becomes_effort_or_thinking_off(
    reasoning: dict[str, Any], expected: dict[str, Any]
) -> None:
    """reasoning.effort maps as chat's reasoning_effort does; summary settings have nothing to shape."""
    out = to_anthropic(reasoning=reasoning)
    assert {key: out[key] for key in ("output_config", "thinking") if key in out} == expected


def test_sampling_goes_into_extra_body_and_user_into_metadata() -> None:
    """temperature and top_p go through extra_body (anthropic 2.x); safety_identifier wins over user."""
    out = to_anthropic(temperature=0.2, top_p=0.9, extra_body={"top_p": 0.5, "x": 1}, user="u")
    assert out["extra_body"] == {"x": 1, "temperature": 0.2, "top_p": 0.5}
    assert out["metadata"] == {"user_id": "u"}
    assert to_anthropic(user="u", safety_identifier="s")["metadata"] == {"user_id": "s"}


def test_hints_and_storage_flags_are_dropped() -> None:
    """Parameters that change nothing Claude generates are dropped (see docs/translation.md)."""
    out = to_anthropic(
        store=True,
        metadata={"k": "v"},
        prompt_cache_key="k",
        prompt_cache_retention="24h",
        service_tier="auto",
        max_tool_calls=3,
        stream_options={"include_obfuscation": False},
        include=["reasoning.encrypted_content", "message.input_image.image_url"],
        truncation="disabled",
        background=False,
        previous_response_id=None,
        top_logprobs=0,
    )
    assert out == {
        "model": CLAUDE,
        "max_tokens": DEFAULT_MAX_TOKENS,
        "messages": [{"role": "user", "content": "hi"}],
    }


def test_request_options_and_stream_pass_through() -> None:
    """extra_headers, extra_query, timeout and stream reach the Anthropic call unchanged."""
    out = to_anthropic(stream=True, extra_headers={"x-a": "1"}, extra_query={"q": "1"}, timeout=5.0)
    assert (out["stream"], out["extra_headers"], out["extra_query"], out["timeout"]) == (
        True,
        {"x-a": "1"},
        {"q": "1"},
        5.0,
    )


def test_sdk_output_items_passed_back_as_input_are_accepted() -> None:
    """A Response's own output items (SDK objects) passed back as input translate like their JSON."""
    message = ResponseOutputMessage.model_validate(
        {
            "type": "message",
            "id": "m1",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": "Let me look.", "annotations": []}],
        }
    )
    call = ResponseFunctionToolCall.model_validate(
        {"type": "function_call", "call_id": "c1", "name": "f", "arguments": '{"a":1}', "id": "fc_1"}
    )
    messages = turns({"role": "user", "content": "go"}, message, call)
    assert messages[1] == {
        "role": "assistant",
        "content": [
            {"type": "text", "text": "Let me look."},
            {"type": "tool_use", "id": "c1", "name": "f", "input": {"a": 1}},
        ],
    }


UNSUPPORTED_RESPONSES: list[tuple[dict[str, Any], str]] = [
    ({"previous_response_id": "resp_1"}, "previous_response_id"),
    ({"conversation": "conv_1"}, "conversation"),
    ({"background": True}, "background"),
    ({"prompt": {"id": "pmpt_1"}}, "prompt"),
    ({"top_logprobs": 3}, "top_logprobs"),
    ({"truncation": "auto"}, "truncation='auto'"),
    ({"context_management": [{"type": "compaction"}]}, "context_management"),
    ({"moderation": {"model": "omni"}}, "moderation"),
    ({"include": ["message.output_text.logprobs"]}, "include 'message.output_text.logprobs'"),
    ({"include": ["something.new"]}, "include 'something.new'"),
    ({"image": {"size": "1024x1024"}}, "parameter 'image'"),
    ({"tools": [{"type": "web_search"}]}, "web_search tools"),
    ({"tools": [{"type": "file_search", "vector_store_ids": ["v"]}]}, "file_search tools"),
    ({"tools": [{"type": "custom", "name": "grammar"}]}, "custom tools"),
    ({"tools": [{**RESPONSES_WEATHER_TOOL, "defer_loading": True}]}, "defer_loading tools"),
    (
        {"tools": [{**RESPONSES_WEATHER_TOOL, "allowed_callers": ["programmatic"]}]},
        "programmatic tool callers",
    ),
    (
        {
            "tools": [RESPONSES_WEATHER_TOOL],
            "tool_choice": {"type": "allowed_tools", "mode": "auto", "tools": []},
        },
        "tool_choice 'allowed_tools'",
    ),
    ({"tools": [RESPONSES_WEATHER_TOOL], "tool_choice": {"type": "web_search_preview"}}, "tool_choice"),
    ({"text": {"format": {"type": "json_object"}}}, "text.format json_object"),
    ({"text": {"format": {"type": "json_schema", "name": "w"}}}, "without a schema"),
    ({"reasoning": {"effort": "high", "mode": "pro"}}, "reasoning.mode='pro'"),
    ({"reasoning": {"effort": "extreme"}}, "reasoning.effort 'extreme'"),
    ({"instructions": [{"role": "user", "content": "x"}]}, "instructions that are not a string"),
    ({"temperature": 1.5}, "temperature above 1"),
    ({"input": [{"type": "item_reference", "id": "msg_1"}]}, "item_reference"),
    ({"input": [{"type": "web_search_call", "id": "ws_1"}]}, "web_search_call input items"),
    ({"input": [{"role": "tool", "content": "x"}]}, "message role 'tool'"),
    ({"input": [{"role": "user", "content": [{"type": "input_file", "file_id": "f"}]}]}, "input_file"),
    ({"input": [{"role": "user", "content": [{"type": "input_image", "file_id": "f"}]}]}, "file_id"),
    (
        {"input": [{"role": "user", "content": [{"type": "input_image", "image_url": "ftp://x"}]}]},
        "image URL",
    ),
    (
        {"input": [{"role": "system", "content": [{"type": "input_image", "image_url": "https://x"}]}]},
        "system",
    ),
    (
        {"input": [{"type": "function_call", "call_id": "c", "name": "f", "arguments": "[1]"}]},
        "not a JSON object",
    ),
    (
        {
            "input": [
                {"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}", "namespace": "n"}
            ]
        },
        "namespaced",
    ),
    ({"input": [{"type": "function_call_output", "output": "x"}]}, "without a call_id"),
]


@pytest.mark.parametrize(("params", "feature"), UNSUPPORTED_RESPONSES)
def test_unsupported_responses_features_raise_naming_the_feature(
    params: dict[str, Any], feature: str
) -> None:
    """Each feature Claude cannot reproduce raises UnsupportedFeature naming it, in the check too."""
    with pytest.raises(UnsupportedFeature) as caught:
        to_anthropic(**params)
    assert feature in caught.value.feature
    assert caught.value.target == "anthropic"
    with pytest.raises(UnsupportedFeature):
        check_responses_for_anthropic({"model": "gpt-4.1", "input": "hi", **params})


def test_translated_responses_requests_are_accepted_by_the_anthropic_sdk() -> None:
    """The anthropic SDK takes every translated kwarg and puts sampling, system and tools on the wire."""
    out = to_anthropic(
        instructions="Be brief.",
        input=[
            {"role": "user", "content": [{"type": "input_image", "image_url": "data:image/png;base64,AAAA"}]},
            {"type": "function_call", "call_id": "c1", "name": "get_weather", "arguments": '{"city":"P"}'},
            {"type": "function_call_output", "call_id": "c1", "output": "sunny"},
        ],
        tools=[RESPONSES_WEATHER_TOOL],
        tool_choice="required",
        parallel_tool_calls=False,
        temperature=0.3,
        top_p=0.8,
        max_output_tokens=300,
        user="u1",
        reasoning={"effort": "low"},
        text={"format": {"type": "json_schema", "name": "w", "schema": WEATHER_SCHEMA}},
        extra_headers={"x-trace": "t"},
        extra_query={"q": "1"},
        timeout=9.0,
    )
    assert set(out) <= anthropic_kwargs()
    wire = send_anthropic(out)
    assert (wire.body["temperature"], wire.body["top_p"]) == (0.3, 0.8)
    assert wire.body["system"] == "Be brief."
    assert wire.body["max_tokens"] == 300
    assert wire.body["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}
    assert wire.body["output_config"] == {
        "format": {"type": "json_schema", "schema": WEATHER_SCHEMA},
        "effort": "low",
    }
    assert wire.body["metadata"] == {"user_id": "u1"}
    assert wire.body["messages"][1]["content"][0]["type"] == "tool_use"
    assert wire.headers["x-trace"] == "t"
    assert wire.url.endswith("/v1/messages?q=1")
