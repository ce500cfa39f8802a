"""Tests for the Responses translation: an OpenAI ``responses.create`` call served by an Anthropic model.

Pure functions on JSON dicts, checked against the real SDKs: the anthropic SDK must accept every
translated request, the openai SDK's pydantic models must validate every translated answer and event.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import anthropic
import httpx2
import openai
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openai.lib.streaming.responses import ResponseStreamState
from openai.types.responses import (
    Response,
    ResponseFunctionToolCall,
    ResponseOutputMessage,
    ResponseStreamEvent,
)
from pydantic import TypeAdapter

from frugal.exceptions import UnsupportedFeature
from frugal.providers.calls import RESPONSES, check
from frugal.providers.translate import (
    DEFAULT_MAX_TOKENS,
    MessagesStreamToResponsesEvents,
    check_responses_for_anthropic,
    messages_response_to_responses,
    responses_request_to_messages,
)

from .test_translate import (
    ANTHROPIC_MESSAGE,
    WEATHER_SCHEMA,
    anthropic_events,
    anthropic_kwargs,
    counts,
    halves,
    send_anthropic,
    splitters,
    sse_client,
    texts,
    tool_inputs,
    tool_names,
)

RESPONSES_EVENT: TypeAdapter[ResponseStreamEvent] = TypeAdapter(ResponseStreamEvent)

CLAUDE = "claude-haiku-4-5"
RESPONSES_WEATHER_TOOL: dict[str, Any] = {
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
    """Each feature Claude cannot reproduce raises UnsupportedFeature naming it, in check() too."""
    with pytest.raises(UnsupportedFeature) as caught:
        to_anthropic(**params)
    assert feature in caught.value.feature
    assert caught.value.target == "anthropic"
    with pytest.raises(UnsupportedFeature):
        check(RESPONSES, "anthropic", {"model": "gpt-4.1", "input": "hi", **params})


@pytest.mark.parametrize(
    "params",
    [
        {"input": "hi"},
        {
            "input": [{"role": "user", "content": "hi"}],
            "instructions": "x",
            "temperature": 0.5,
            "store": False,
        },
        {"input": [{"role": "user", "content": [{"type": "input_text", "text": "hi"}]}]},
        {"input": "hi", "tools": [RESPONSES_WEATHER_TOOL], "text": {"format": {"type": "text"}}},
    ],
)
def test_check_accepts_what_translates(params: dict[str, Any]) -> None:
    """check() lets through plain calls (its fast path) and anything that translates."""
    check(RESPONSES, "anthropic", {"model": "auto", **params})
    check_responses_for_anthropic(params)


def test_check_consumes_no_generator_input() -> None:
    """An input given as a generator is checked and still there to be translated."""
    items = ({"role": "user", "content": text} for text in ["a", "b"])
    params: dict[str, Any] = {"model": "auto", "input": items, "tools": [RESPONSES_WEATHER_TOOL]}
    from frugal.providers.calls import clean

    cleaned = clean(params)
    check(RESPONSES, "anthropic", cleaned)
    assert len(responses_request_to_messages(cleaned, model=CLAUDE)["messages"]) == 1


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


# --- the answer ---------------------------------------------------------------------------------------


def test_message_becomes_a_valid_response_counting_cache_once() -> None:
    """Text, status, raw id, serving model and usage (cache reads and writes inside input_tokens)."""
    response = Response.model_validate(messages_response_to_responses(ANTHROPIC_MESSAGE, model="claude-x"))
    assert (response.id, response.model, response.status) == ("msg_stub", "claude-x", "completed")
    assert response.output_text == "Hello from stub."
    [item] = response.output
    assert item.type == "message"
    assert (item.id, item.status, item.role) == ("msg_stub_0", "completed", "assistant")
    assert response.incomplete_details is None
    usage = response.usage
    assert usage is not None
    # Anthropic: 12 uncached + 4 read + 3 written; OpenAI counts all 19 as input.
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (19, 5, 24)
    assert usage.input_tokens_details.cached_tokens == 4
    assert usage.input_tokens_details.cache_write_tokens == 3
    assert usage.output_tokens_details.reasoning_tokens == 0
    assert messages_response_to_responses(ANTHROPIC_MESSAGE)["model"] == "claude-haiku-4-5"


def test_tool_use_becomes_function_calls_and_thinking_is_dropped() -> None:
    """Text runs are message items, each tool_use a function_call item (call_id = tool_use id), in order."""
    message = {
        **ANTHROPIC_MESSAGE,
        "content": [
            {"type": "thinking", "thinking": "hmm", "signature": "sig"},
            {"type": "text", "text": "Checking "},
            {"type": "text", "text": "both."},
            {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
            {"type": "redacted_thinking", "data": "opaque"},
            {"type": "tool_use", "id": "toolu_2", "name": "now", "input": {}},
            {"type": "text", "text": "Done."},
        ],
        "stop_reason": "tool_use",
        "usage": {**ANTHROPIC_MESSAGE["usage"], "output_tokens_details": {"thinking_tokens": 2}},
    }
    response = Response.model_validate(messages_response_to_responses(message))
    assert [item.type for item in response.output] == ["message", "function_call", "function_call", "message"]
    first, call, other, last = response.output
    assert first.type == "message"
    assert last.type == "message"
    assert [part.text for part in first.content if part.type == "output_text"] == ["Checking ", "both."]
    assert call.type == "function_call"
    assert other.type == "function_call"
    assert (call.id, call.call_id, call.name, json.loads(call.arguments)) == (
        "fc_toolu_1",
        "toolu_1",
        "get_weather",
        {"city": "Paris"},
    )
    assert other.arguments == "{}"
    assert (first.id, last.id) == ("msg_stub_0", "msg_stub_3")
    assert response.status == "completed"
    assert response.output_text == "Checking both.Done."
    assert response.usage is not None
    assert response.usage.output_tokens_details.reasoning_tokens == 2


@pytest.mark.parametrize(
    ("stop_reason", "status", "reason"),
    [
        ("end_turn", "completed", None),
        ("stop_sequence", "completed", None),
        ("tool_use", "completed", None),
        ("pause_turn", "completed", None),
        ("max_tokens", "incomplete", "max_output_tokens"),
        ("model_context_window_exceeded", "incomplete", "max_output_tokens"),
        ("refusal", "incomplete", "content_filter"),
    ],
)
def test_stop_reason_becomes_status(stop_reason: str, status: str, reason: str | None) -> None:
    """A cut answer is incomplete with OpenAI's reason, and its last item is marked incomplete."""
    response = Response.model_validate(
        messages_response_to_responses({**ANTHROPIC_MESSAGE, "stop_reason": stop_reason})
    )
    assert response.status == status
    assert (response.incomplete_details.reason if response.incomplete_details else None) == reason
    assert getattr(response.output[-1], "status", None) == ("incomplete" if reason else "completed")


def test_empty_answer_has_no_output() -> None:
    """An answer without content is a completed response with no output items and no text."""
    response = Response.model_validate(messages_response_to_responses({**ANTHROPIC_MESSAGE, "content": []}))
    assert (response.output, response.output_text, response.status) == ([], "", "completed")


def test_response_repeats_the_request_settings() -> None:
    """Like OpenAI's, the Response repeats instructions, tools, tool_choice, text, sampling and metadata."""
    text = {"format": {"type": "json_schema", "name": "w", "schema": WEATHER_SCHEMA, "strict": True}}
    request = {
        "input": "hi",
        "instructions": "Be brief.",
        "tools": [RESPONSES_WEATHER_TOOL],
        "tool_choice": {"type": "function", "name": "get_weather"},
        "parallel_tool_calls": False,
        "text": text,
        "temperature": 0.2,
        "top_p": 0.9,
        "max_output_tokens": 99,
        "metadata": {"k": "v"},
        "reasoning": {"effort": "low"},
        "user": "u",
    }
    response = Response.model_validate(messages_response_to_responses(ANTHROPIC_MESSAGE, request=request))
    assert response.instructions == "Be brief."
    assert [tool.type for tool in response.tools] == ["function"]
    assert not isinstance(response.tool_choice, str)
    assert response.tool_choice.type == "function"
    assert response.parallel_tool_calls is False
    assert response.text is not None
    assert response.text.format is not None
    assert response.text.format.type == "json_schema"
    assert (response.temperature, response.top_p, response.max_output_tokens) == (0.2, 0.9, 99)
    assert response.metadata == {"k": "v"}
    assert response.reasoning is not None
    assert response.reasoning.effort == "low"
    assert response.user == "u"
    bare = Response.model_validate(messages_response_to_responses(ANTHROPIC_MESSAGE))
    assert (bare.tools, bare.tool_choice, bare.parallel_tool_calls) == ([], "auto", True)


@settings(max_examples=60, deadline=None)
@given(uncached=counts, read=counts, write=counts, output=counts)
def test_responses_usage_never_double_counts(uncached: int, read: int, write: int, output: int) -> None:
    """input_tokens = uncached + cache reads + cache writes; total = input + output; breakdowns kept."""
    usage = {
        "input_tokens": uncached,
        "output_tokens": output,
        "cache_read_input_tokens": read,
        "cache_creation_input_tokens": write,
    }
    response = Response.model_validate(messages_response_to_responses({**ANTHROPIC_MESSAGE, "usage": usage}))
    assert response.usage is not None
    assert response.usage.input_tokens == uncached + read + write
    assert response.usage.total_tokens == uncached + read + write + output
    assert response.usage.input_tokens_details.cached_tokens == read
    assert response.usage.input_tokens_details.cache_write_tokens == write


# --- streams ------------------------------------------------------------------------------------------


def translate_events(
    events: Iterable[dict[str, Any]], request: dict[str, Any] | None = None
) -> list[ResponseStreamEvent]:
    """Feed Anthropic events through the translator; each Responses event validated by the openai SDK."""
    translator = MessagesStreamToResponsesEvents(model=None, request=request or {})
    return [RESPONSES_EVENT.validate_python(out) for event in events for out in translator.feed(event)]


TOOL_MESSAGE: dict[str, Any] = {
    **ANTHROPIC_MESSAGE,
    "content": [
        {"type": "thinking", "thinking": "hmm"},
        {"type": "text", "text": "Let me look."},
        {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
    ],
    "stop_reason": "tool_use",
}


def test_stream_event_sequence_is_openais() -> None:
    """Lifecycle, item, part, delta and done events in OpenAI's order, sequence numbers 0, 1, 2, ..."""
    events = translate_events(anthropic_events(TOOL_MESSAGE, halves))
    assert [event.type for event in events] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.output_item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [event.sequence_number for event in events] == list(range(len(events)))
    created = events[0]
    assert created.type == "response.created"
    assert (created.response.status, created.response.output, created.response.usage) == (
        "in_progress",
        [],
        None,
    )
    done = events[-1]
    assert done.type == "response.completed"
    assert done.response.output_text == "Let me look."
    assert done.response.usage is not None
    assert done.response.usage.input_tokens == 19


def test_tool_block_without_json_deltas_still_sends_its_arguments() -> None:
    """A tool_use whose input came whole on content_block_start gets one arguments delta with it."""
    events: list[dict[str, Any]] = [
        {"type": "message_start", "message": {**ANTHROPIC_MESSAGE, "content": [], "stop_reason": None}},
        {"type": "content_block_start", "index": 0, "content_block": {**TOOL_MESSAGE["content"][2]}},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 5}},
        {"type": "message_stop"},
    ]
    translated = translate_events(events)
    deltas = [event.delta for event in translated if event.type == "response.function_call_arguments.delta"]
    assert deltas == ['{"city":"Paris"}']
    done = translated[-1]
    assert done.type == "response.completed"
    assert done.response.output[0].type == "function_call"
    assert done.response.output[0].arguments == '{"city":"Paris"}'


def test_cut_stream_ends_with_response_incomplete() -> None:
    """An answer cut by max_tokens ends with response.incomplete; its last item is done as incomplete."""
    events = translate_events(anthropic_events({**ANTHROPIC_MESSAGE, "stop_reason": "max_tokens"}, halves))
    item_done = [event for event in events if event.type == "response.output_item.done"]
    assert [getattr(event.item, "status", None) for event in item_done] == ["incomplete"]
    last = events[-1]
    assert last.type == "response.incomplete"
    assert last.response.incomplete_details is not None
    assert last.response.incomplete_details.reason == "max_output_tokens"


@st.composite
def claude_answers(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Anthropic content: text, thinking and tool_use blocks (tool ids unique, as Anthropic's are)."""
    blocks: list[dict[str, Any]] = []
    for index in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(["text", "thinking", "tool_use"]))
        if kind == "text":
            blocks.append({"type": "text", "text": draw(texts)})
        elif kind == "thinking":
            blocks.append({"type": "thinking", "thinking": draw(texts), "signature": "sig"})
        else:
            blocks.append(
                {
                    "type": "tool_use",
                    "id": f"toolu_{index}",
                    "name": draw(tool_names),
                    "input": draw(tool_inputs),
                }
            )
    return blocks


def comparable(response: Response) -> list[tuple[Any, ...]]:
    """A response's output, tool arguments parsed (a stream's JSON may be spaced differently), each
    item's status last."""
    return [comparable_item(item) for item in response.output]


def comparable_item(item: Any) -> tuple[Any, ...]:
    """One output item as :func:`comparable` shows it."""
    if item.type == "message":
        texts_ = [part.text for part in item.content if part.type == "output_text"]
        return (item.type, item.id, texts_, item.status)
    return (item.type, item.id, item.call_id, item.name, json.loads(item.arguments), item.status)


def accumulated(events: list[ResponseStreamEvent]) -> list[tuple[Any, ...]]:
    """What a client rebuilds from the added/delta/done events alone (the final response not looked at)."""
    items: dict[int, Any] = {}
    for event in events:
        if event.type == "response.output_item.added":
            items[event.output_index] = event.item.model_copy(deep=True)
        elif event.type == "response.content_part.added":
            items[event.output_index].content.append(event.part.model_copy())
        elif event.type == "response.output_text.delta":
            items[event.output_index].content[event.content_index].text += event.delta
        elif event.type == "response.function_call_arguments.delta":
            items[event.output_index].arguments += event.delta
        elif event.type == "response.output_item.done":
            # status aside: it is set when the item is done
            assert comparable_item(items[event.output_index])[:-1] == comparable_item(event.item)[:-1]
            items[event.output_index] = event.item
    return [comparable_item(items[index])[:-1] for index in sorted(items)]


@settings(max_examples=60, deadline=None)
@given(
    blocks=claude_answers(),
    stop_reason=st.sampled_from(["end_turn", "max_tokens", "tool_use", "refusal"]),
    pieces=splitters,
    output=counts,
    read=counts,
)
def test_stream_accumulates_to_the_non_stream_translation(
    blocks: list[dict[str, Any]], stop_reason: str, pieces: Callable[[str], list[str]], output: int, read: int
) -> None:
    """The streamed answer (its final response, its deltas, the openai SDK's accumulator) equals the
    non-streamed translation of the same Claude answer."""
    usage = {"input_tokens": 7, "output_tokens": output, "cache_read_input_tokens": read}
    message = {**ANTHROPIC_MESSAGE, "content": blocks, "stop_reason": stop_reason, "usage": usage}
    events = translate_events(anthropic_events(message, pieces))
    state: ResponseStreamState[None] = ResponseStreamState(input_tools=openai.omit, text_format=openai.omit)
    for event in events:
        state.handle_event(event)  # raises on any inconsistency between the events
    final = events[-1]
    assert final.type in ("response.completed", "response.incomplete")
    direct = Response.model_validate(messages_response_to_responses(message))
    assert comparable(final.response) == comparable(direct)
    assert accumulated(events) == [item[:-1] for item in comparable(direct)]
    assert final.response.usage == direct.usage
    assert (final.response.status, final.response.incomplete_details) == (
        direct.status,
        direct.incomplete_details,
    )


def test_openai_sdk_stream_helper_accumulates_the_translated_events() -> None:
    """openai's own responses.stream() over the translated events gives the final Response and the text."""
    events = translate_events(anthropic_events(TOOL_MESSAGE, halves))
    body = "".join(
        f"event: {event.type}\ndata: {json.dumps(event.model_dump(mode='json', exclude_unset=True))}\n\n"
        for event in events
    )

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, text=body, headers={"content-type": "text/event-stream"})

    client = openai.OpenAI(api_key="x", http_client=httpx2.Client(transport=httpx2.MockTransport(handler)))
    with client.responses.stream(model="gpt-4.1", input="hi", tools=[RESPONSES_WEATHER_TOOL]) as stream:
        text = "".join(event.delta for event in stream if event.type == "response.output_text.delta")
        final = stream.get_final_response()
    assert text == "Let me look."
    assert [item.type for item in final.output] == ["message", "function_call"]
    call = final.output[1]
    assert call.type == "function_call"
    assert (call.name, call.call_id, json.loads(call.arguments)) == (
        "get_weather",
        "toolu_1",
        {"city": "Paris"},
    )
    assert final.usage is not None
    assert final.usage.total_tokens == 24


def test_anthropic_sdk_stream_objects_translate_to_responses_events() -> None:
    """Event objects from the anthropic SDK's own stream translate into valid Responses events."""
    events = anthropic_events(TOOL_MESSAGE, halves)
    client = sse_client(anthropic, "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events))
    translator = MessagesStreamToResponsesEvents(model="claude-x", request={})
    raw = client.messages.create(**to_anthropic(stream=True))
    translated = [
        RESPONSES_EVENT.validate_python(out)
        for event in raw
        for out in translator.feed(event.model_dump(mode="json", exclude_unset=True))
    ]
    assert translated[-1].type == "response.completed"
    assert translated[-1].response.model == "claude-x"
    assert [item.type for item in translated[-1].response.output] == ["message", "function_call"]
