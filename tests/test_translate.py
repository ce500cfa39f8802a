"""Tests for frugal.providers.translate: OpenAI chat <-> Anthropic messages, both directions."""

from __future__ import annotations

import inspect
import itertools
import json
from collections.abc import Callable, Iterator
from typing import Any

import anthropic
import httpx2
import openai
import pytest
from anthropic.lib.streaming._messages import accumulate_event
from anthropic.types import Message, RawMessageStreamEvent
from hypothesis import given, settings
from hypothesis import strategies as st
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from pydantic import TypeAdapter

from frugal.exceptions import UnsupportedFeature
from frugal.providers.translate import (
    DEFAULT_MAX_TOKENS,
    ChatChunksToMessagesStream,
    MessagesStreamToChatChunks,
    chat_request_to_messages,
    chat_response_to_messages,
    check_chat_for_anthropic,
    check_messages_for_openai,
    messages_request_to_chat,
    messages_response_to_chat,
)

ANTHROPIC_EVENT: TypeAdapter[RawMessageStreamEvent] = TypeAdapter(RawMessageStreamEvent)
USER_HI = [{"role": "user", "content": "hi"}]
WEATHER_SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
OPENAI_WEATHER_TOOL = {
    "type": "function",
    "function": {"name": "get_weather", "description": "Weather now", "parameters": WEATHER_SCHEMA},
}
ANTHROPIC_WEATHER_TOOL = {"name": "get_weather", "description": "Weather now", "input_schema": WEATHER_SCHEMA}

ANTHROPIC_MESSAGE: dict[str, Any] = {
    "id": "msg_stub",
    "type": "message",
    "role": "assistant",
    "model": "claude-haiku-4-5",
    "content": [{"type": "text", "text": "Hello from stub."}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {
        "input_tokens": 12,
        "output_tokens": 5,
        "cache_creation_input_tokens": 3,
        "cache_read_input_tokens": 4,
        "cache_creation": {"ephemeral_5m_input_tokens": 3, "ephemeral_1h_input_tokens": 0},
        "service_tier": "standard",
    },
}
OPENAI_COMPLETION: dict[str, Any] = {
    "id": "chatcmpl-stub",
    "object": "chat.completion",
    "created": 1700000000,
    "model": "gpt-4o-mini",
    "choices": [
        {
            "index": 0,
            "finish_reason": "stop",
            "logprobs": None,
            "message": {
                "role": "assistant",
                "content": "Hello from stub.",
                "refusal": None,
                "annotations": [],
            },
        }
    ],
    "usage": {
        "prompt_tokens": 12,
        "completion_tokens": 5,
        "total_tokens": 17,
        "prompt_tokens_details": {"cached_tokens": 4, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 2},
    },
}


# --- helpers: the real SDKs over httpx2.MockTransport -------------------------------------------------


class Wire:
    """Captures what a vendor SDK put on the wire and answers with a canned body."""

    def __init__(self, reply: dict[str, Any]) -> None:
        self.reply = reply
        self.body: dict[str, Any] = {}
        self.headers: dict[str, str] = {}
        self.url = ""

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.body = json.loads(request.content)
        self.headers = dict(request.headers)
        self.url = str(request.url)
        return httpx2.Response(200, json=self.reply, headers={"request-id": "req_1", "x-request-id": "req_1"})


def send_anthropic(kwargs: dict[str, Any]) -> Wire:
    """Call anthropic's messages.create with ``kwargs``; the SDK must accept them."""
    wire = Wire(ANTHROPIC_MESSAGE)
    client = anthropic.Anthropic(
        api_key="x",
        http_client=httpx2.Client(transport=httpx2.MockTransport(wire)),
        open_telemetry=False,
        max_retries=0,
    )
    Message.model_validate(client.messages.create(**kwargs).model_dump())
    return wire


def send_openai(kwargs: dict[str, Any]) -> Wire:
    """Call openai's chat.completions.create with ``kwargs``; the SDK must accept them."""
    wire = Wire(OPENAI_COMPLETION)
    client = openai.OpenAI(
        api_key="x", http_client=httpx2.Client(transport=httpx2.MockTransport(wire)), max_retries=0
    )
    client.chat.completions.create(**kwargs)
    return wire


def anthropic_kwargs() -> set[str]:
    return set(inspect.signature(anthropic.Anthropic(api_key="x").messages.create).parameters)


def openai_kwargs() -> set[str]:
    return set(inspect.signature(openai.OpenAI(api_key="x").chat.completions.create).parameters)


def to_anthropic(**params: Any) -> dict[str, Any]:
    return chat_request_to_messages(
        {"model": "gpt-4o", "messages": USER_HI, **params}, model="claude-haiku-4-5"
    )


def to_openai(**params: Any) -> dict[str, Any]:
    base = {"model": "claude-haiku-4-5", "max_tokens": 100, "messages": USER_HI}
    return messages_request_to_chat({**base, **params}, model="gpt-4o-mini")


# --- OpenAI-shaped request -> Anthropic ---------------------------------------------------------------


def test_minimal_chat_request_gets_the_default_max_tokens_and_the_target_model() -> None:
    """A bare chat call becomes a valid Anthropic call with DEFAULT_MAX_TOKENS and the serving model."""
    out = to_anthropic()
    assert out == {"model": "claude-haiku-4-5", "max_tokens": DEFAULT_MAX_TOKENS, "messages": USER_HI}
    assert DEFAULT_MAX_TOKENS == 4096


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"max_tokens": 50}, 50),
        ({"max_completion_tokens": 70}, 70),
        ({"max_completion_tokens": 70, "max_tokens": 50}, 70),
        ({"max_tokens": None}, DEFAULT_MAX_TOKENS),
    ],
)
def test_max_tokens_prefers_max_completion_tokens(params: dict[str, Any], expected: int) -> None:
    """max_completion_tokens wins over max_tokens, and None means "use the default"."""
    assert to_anthropic(**params)["max_tokens"] == expected


def test_default_max_tokens_is_configurable() -> None:
    """The caller (the router) can choose another default max_tokens."""
    out = chat_request_to_messages({"messages": USER_HI}, model="m", default_max_tokens=1000)
    assert out["max_tokens"] == 1000


def test_system_and_developer_messages_anywhere_become_the_system_prompt() -> None:
    """System and developer messages, wherever they are, are lifted in order into Anthropic's system."""
    out = chat_request_to_messages(
        {
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "hi"},
                {"role": "developer", "content": [{"type": "text", "text": "Use French."}]},
                {"role": "user", "content": "again"},
            ]
        },
        model="m",
    )
    assert out["system"] == [{"type": "text", "text": "Be brief."}, {"type": "text", "text": "Use French."}]
    assert out["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "hi"}, {"type": "text", "text": "again"}]}
    ]
    assert to_anthropic(messages=[{"role": "system", "content": "S"}, *USER_HI])["system"] == "S"


def test_consecutive_same_role_messages_merge_and_empty_ones_drop() -> None:
    """Same-role neighbours merge into one turn; empty messages (which Anthropic rejects) vanish."""
    out = to_anthropic(
        messages=[
            {"role": "user", "content": "a"},
            {"role": "user", "content": ""},
            {"role": "user", "content": [{"type": "text", "text": "b"}]},
            {"role": "assistant", "content": "c"},
            {"role": "assistant", "content": None, "refusal": "no"},
        ]
    )
    assert out["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "c"}, {"type": "text", "text": "no"}]},
    ]


def test_tool_calls_and_tool_messages_become_tool_use_and_one_user_turn_of_results() -> None:
    """Assistant tool calls -> tool_use blocks; consecutive tool messages -> one user turn of results."""
    out = to_anthropic(
        messages=[
            {"role": "user", "content": "weather?"},
            {
                "role": "assistant",
                "content": "Checking.",
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                    },
                    {"id": "c2", "type": "function", "function": {"name": "now", "arguments": ""}},
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
            {"role": "tool", "tool_call_id": "c2", "content": [{"type": "text", "text": "noon"}]},
            {"role": "user", "content": "thanks"},
        ]
    )
    assert out["messages"][1:] == [
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Checking."},
                {"type": "tool_use", "id": "c1", "name": "get_weather", "input": {"city": "Paris"}},
                {"type": "tool_use", "id": "c2", "name": "now", "input": {}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "c1", "content": "sunny"},
                {"type": "tool_result", "tool_use_id": "c2", "content": [{"type": "text", "text": "noon"}]},
                {"type": "text", "text": "thanks"},
            ],
        },
    ]


@pytest.mark.parametrize("arguments", ["{not json", "[1, 2]", '"text"'])
def test_tool_call_arguments_that_are_not_a_json_object_are_unsupported(arguments: str) -> None:
    """History with tool arguments Anthropic cannot hold as an input object raises, naming the problem."""
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": arguments}}
    with pytest.raises(UnsupportedFeature, match="not a JSON object") as err:
        to_anthropic(messages=[*USER_HI, {"role": "assistant", "tool_calls": [call]}])
    assert err.value.target == "anthropic"


@pytest.mark.parametrize(
    ("url", "source"),
    [
        ("https://example.com/cat.png", {"type": "url", "url": "https://example.com/cat.png"}),
        ("data:image/png;base64,AAAA", {"type": "base64", "media_type": "image/png", "data": "AAAA"}),
        ("data:image/jpg;base64,BBBB", {"type": "base64", "media_type": "image/jpeg", "data": "BBBB"}),
    ],
)
def test_image_parts_become_image_blocks_and_detail_is_dropped(url: str, source: dict[str, Any]) -> None:
    """https and base64 data URLs map to Anthropic url and base64 sources; detail has no counterpart."""
    parts = [
        {"type": "text", "text": "what?"},
        {"type": "image_url", "image_url": {"url": url, "detail": "high"}},
    ]
    out = to_anthropic(messages=[{"role": "user", "content": parts}])
    assert out["messages"][0]["content"] == [
        {"type": "text", "text": "what?"},
        {"type": "image", "source": source},
    ]


def test_cache_breakpoints_become_cache_control() -> None:
    """OpenAI's explicit prompt_cache_breakpoint marks the same block with Anthropic cache_control."""
    part = {"type": "text", "text": "long doc", "prompt_cache_breakpoint": {"mode": "explicit"}}
    out = to_anthropic(messages=[{"role": "system", "content": [part]}, *USER_HI])
    assert out["system"] == [{"type": "text", "text": "long doc", "cache_control": {"type": "ephemeral"}}]


@pytest.mark.parametrize(
    ("choice", "parallel", "expected"),
    [
        ("auto", None, {"type": "auto"}),
        ("required", None, {"type": "any"}),
        ("none", None, {"type": "none"}),
        (
            {"type": "function", "function": {"name": "get_weather"}},
            None,
            {"type": "tool", "name": "get_weather"},
        ),
        (None, False, {"type": "auto", "disable_parallel_tool_use": True}),
        ("required", False, {"type": "any", "disable_parallel_tool_use": True}),
        ("none", False, {"type": "none"}),
        (None, True, None),
    ],
)
def test_tools_and_tool_choice_translate(choice: Any, parallel: Any, expected: dict[str, Any] | None) -> None:
    """Function tools -> Anthropic tools; tool_choice and parallel_tool_calls -> Anthropic tool_choice."""
    params: dict[str, Any] = {"tools": [OPENAI_WEATHER_TOOL]}
    if choice is not None:
        params["tool_choice"] = choice
    if parallel is not None:
        params["parallel_tool_calls"] = parallel
    out = to_anthropic(**params)
    assert out["tools"] == [ANTHROPIC_WEATHER_TOOL]
    assert out.get("tool_choice") == expected


def test_strict_function_and_parameterless_function() -> None:
    """strict carries over; a function without parameters gets an empty object schema."""
    tool = {"type": "function", "function": {"name": "now", "strict": True}}
    assert to_anthropic(tools=[tool])["tools"] == [
        {"name": "now", "input_schema": {"type": "object", "properties": {}}, "strict": True}
    ]


@pytest.mark.parametrize(
    ("stop", "expected"),
    [("END", ["END"]), (["a", "b"], ["a", "b"]), (None, None), ([], None)],
)
def test_stop_becomes_stop_sequences(stop: Any, expected: list[str] | None) -> None:
    """stop (a string or a list) becomes stop_sequences."""
    assert to_anthropic(stop=stop).get("stop_sequences") == expected


def test_sampling_goes_into_extra_body_and_merges_with_the_callers() -> None:
    """temperature/top_p go into extra_body (anthropic 2.x has no kwargs for them), beside caller keys."""
    out = to_anthropic(temperature=0.2, top_p=0.9, extra_body={"custom": 1, "temperature": 0.7})
    assert out["extra_body"] == {"custom": 1, "temperature": 0.7, "top_p": 0.9}
    assert "temperature" not in out
    assert "extra_body" not in to_anthropic(temperature=None)


@pytest.mark.parametrize("where", ["kwarg", "extra_body"])
def test_temperature_above_one_is_unsupported(where: str) -> None:
    """OpenAI's 1..2 temperature range has no Anthropic equivalent: the router must pick another model."""
    params = {"temperature": 1.5} if where == "kwarg" else {"extra_body": {"temperature": 1.5}}
    with pytest.raises(UnsupportedFeature, match="temperature above 1"):
        to_anthropic(**params)
    assert to_anthropic(temperature=1)["extra_body"] == {"temperature": 1}


@pytest.mark.parametrize(
    ("params", "user_id"),
    [
        ({"user": "u1"}, "u1"),
        ({"safety_identifier": "s1"}, "s1"),
        ({"user": "u1", "safety_identifier": "s1"}, "s1"),
    ],
)
def test_user_identifiers_become_metadata_user_id(params: dict[str, Any], user_id: str) -> None:
    """safety_identifier (or the older user) becomes metadata.user_id."""
    assert to_anthropic(**params)["metadata"] == {"user_id": user_id}


@pytest.mark.parametrize(
    ("response_format", "expected"),
    [
        ({"type": "text"}, None),
        (
            {"type": "json_schema", "json_schema": {"name": "w", "schema": WEATHER_SCHEMA, "strict": True}},
            {"format": {"type": "json_schema", "schema": WEATHER_SCHEMA}},
        ),
    ],
)
def test_response_format_becomes_output_config(response_format: Any, expected: Any) -> None:
    """json_schema becomes output_config.format; text means nothing."""
    assert to_anthropic(response_format=response_format).get("output_config") == expected


@pytest.mark.parametrize(
    ("effort", "expected"),
    [
        ("minimal", {"output_config": {"effort": "low"}}),
        ("low", {"output_config": {"effort": "low"}}),
        ("medium", {"output_config": {"effort": "medium"}}),
        ("high", {"output_config": {"effort": "high"}}),
        ("xhigh", {"output_config": {"effort": "xhigh"}}),
        ("max", {"output_config": {"effort": "max"}}),
        ("none", {"thinking": {"type": "disabled"}}),
    ],
)
def test_reasoning_effort_becomes_output_config_effort(effort: str, expected: dict[str, Any]) -> None:
    """reasoning_effort maps to Anthropic's effort scale; "none" turns thinking off."""
    out = to_anthropic(reasoning_effort=effort)
    assert {key: out[key] for key in ("output_config", "thinking") if key in out} == expected


def test_hints_without_anthropic_counterpart_are_dropped() -> None:
    """seed, store, metadata, caching and tier hints, verbosity and stream_options are not sent."""
    out = to_anthropic(
        seed=1,
        store=True,
        metadata={"k": "v"},
        service_tier="flex",
        prompt_cache_key="k",
        prompt_cache_retention="24h",
        prompt_cache_options={"mode": "explicit"},
        verbosity="low",
        stream_options={"include_usage": True},
        n=1,
        logprobs=False,
        presence_penalty=0,
        frequency_penalty=0.0,
        logit_bias={},
        modalities=["text"],
    )
    assert out == {"model": "claude-haiku-4-5", "max_tokens": DEFAULT_MAX_TOKENS, "messages": USER_HI}


def test_request_options_and_stream_pass_through() -> None:
    """extra_headers, extra_query, timeout and stream reach the Anthropic call unchanged."""
    out = to_anthropic(stream=True, extra_headers={"x-a": "1"}, extra_query={"q": "1"}, timeout=5.0)
    assert (out["stream"], out["extra_headers"], out["extra_query"], out["timeout"]) == (
        True,
        {"x-a": "1"},
        {"q": "1"},
        5.0,
    )


def test_sdk_response_objects_in_history_are_accepted() -> None:
    """A ChatCompletionMessage passed back as history (the usual tool loop) translates like its JSON."""
    returned = (
        ChatCompletion.model_validate(
            messages_response_to_chat(
                {
                    **ANTHROPIC_MESSAGE,
                    "content": [{"type": "tool_use", "id": "t1", "name": "f", "input": {"a": 1}}],
                }
            )
        )
        .choices[0]
        .message
    )
    out = to_anthropic(messages=[*USER_HI, returned, {"role": "tool", "tool_call_id": "t1", "content": "ok"}])
    assert out["messages"][1] == {
        "role": "assistant",
        "content": [{"type": "tool_use", "id": "t1", "name": "f", "input": {"a": 1}}],
    }


UNSUPPORTED_CHAT = [
    ({"n": 2}, "n > 1"),
    ({"logprobs": True}, "logprobs"),
    ({"top_logprobs": 3}, "logprobs"),
    ({"audio": {"voice": "alloy", "format": "wav"}}, "audio output"),
    ({"modalities": ["text", "audio"]}, "modalities"),
    ({"prediction": {"type": "content", "content": "x"}}, "prediction"),
    ({"web_search_options": {}}, "web_search_options"),
    ({"moderation": {"model": "omni-moderation-latest"}}, "moderation"),
    ({"logit_bias": {"50256": -100}}, "logit_bias"),
    ({"presence_penalty": 0.5}, "presence_penalty"),
    ({"frequency_penalty": -1}, "frequency_penalty"),
    ({"functions": [{"name": "f"}]}, "functions"),
    ({"function_call": "auto"}, "function_call"),
    ({"some_future_param": 1}, "parameter 'some_future_param'"),
    ({"response_format": {"type": "json_object"}}, "response_format json_object"),
    ({"reasoning_effort": "extreme"}, "reasoning_effort 'extreme'"),
    ({"tools": [{"type": "custom", "custom": {"name": "x"}}]}, "custom tools"),
    (
        {"tools": [OPENAI_WEATHER_TOOL], "tool_choice": {"type": "allowed_tools", "allowed_tools": {}}},
        "tool_choice 'allowed_tools'",
    ),
    (
        {"messages": [{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}]},
        "audio input",
    ),
    (
        {"messages": [{"role": "user", "content": [{"type": "file", "file": {"file_id": "f"}}]}]},
        "file content",
    ),
    ({"messages": [{"role": "function", "name": "f", "content": "x"}]}, "function messages"),
    (
        {
            "messages": [
                {
                    "role": "user",
                    "content": [{"type": "image_url", "image_url": {"url": "data:image/bmp;base64,AA"}}],
                }
            ]
        },
        "image type 'image/bmp'",
    ),
    (
        {
            "messages": [
                {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "ftp://x/y.png"}}]}
            ]
        },
        "image URL",
    ),
    ({"messages": [{"role": "assistant", "audio": {"id": "a1"}}]}, "assistant audio"),
]


@pytest.mark.parametrize(("params", "feature"), UNSUPPORTED_CHAT)
def test_unsupported_chat_features_raise_naming_the_feature(params: dict[str, Any], feature: str) -> None:
    """Every OpenAI feature Anthropic cannot reproduce raises UnsupportedFeature naming it, check included."""
    full = {"model": "gpt-4o", "messages": USER_HI, **params}
    with pytest.raises(UnsupportedFeature) as err:
        check_chat_for_anthropic(full)
    assert feature in err.value.feature
    assert err.value.target == "anthropic"
    with pytest.raises(UnsupportedFeature):
        chat_request_to_messages(full, model="m")


def test_check_accepts_what_translates() -> None:
    """check_chat_for_anthropic is silent for a translatable call."""
    check_chat_for_anthropic({"model": "gpt-4o", "messages": USER_HI, "tools": [OPENAI_WEATHER_TOOL]})


def test_translated_chat_requests_are_accepted_by_the_anthropic_sdk() -> None:
    """The anthropic SDK takes every translated kwarg and puts sampling, system and tools on the wire."""
    out = to_anthropic(
        messages=[
            {"role": "system", "content": "Be brief."},
            {
                "role": "user",
                "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}],
            },
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city":"P"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
        ],
        tools=[OPENAI_WEATHER_TOOL],
        tool_choice="required",
        parallel_tool_calls=False,
        temperature=0.3,
        top_p=0.8,
        stop="END",
        max_completion_tokens=300,
        user="u1",
        reasoning_effort="low",
        response_format={"type": "json_schema", "json_schema": {"name": "w", "schema": WEATHER_SCHEMA}},
        extra_headers={"x-trace": "t"},
        extra_query={"q": "1"},
        timeout=9.0,
    )
    assert set(out) <= anthropic_kwargs()
    wire = send_anthropic(out)
    assert wire.body["temperature"] == 0.3
    assert wire.body["top_p"] == 0.8
    assert wire.body["system"] == "Be brief."
    assert wire.body["max_tokens"] == 300
    assert wire.body["stop_sequences"] == ["END"]
    assert wire.body["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}
    assert wire.body["output_config"] == {
        "format": {"type": "json_schema", "schema": WEATHER_SCHEMA},
        "effort": "low",
    }
    assert wire.body["metadata"] == {"user_id": "u1"}
    assert wire.headers["x-trace"] == "t"
    assert wire.url.endswith("/v1/messages?q=1")


# --- Anthropic response -> OpenAI ---------------------------------------------------------------------


def test_message_response_becomes_a_valid_chat_completion() -> None:
    """Text, usage, raw id and serving model come through; the SDK validates the result."""
    out = messages_response_to_chat(ANTHROPIC_MESSAGE)
    completion = ChatCompletion.model_validate(out)
    assert completion.id == "msg_stub"
    assert completion.model == "claude-haiku-4-5"
    assert completion.choices[0].message.content == "Hello from stub."
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None
    assert completion.usage.model_dump(exclude_none=True) == {
        "prompt_tokens": 19,
        "completion_tokens": 5,
        "total_tokens": 24,
        "prompt_tokens_details": {"cached_tokens": 4, "cache_write_tokens": 3},
    }
    assert (
        messages_response_to_chat(ANTHROPIC_MESSAGE, model="anthropic/claude")["model"] == "anthropic/claude"
    )


def test_tool_use_and_thinking_in_a_message_response() -> None:
    """tool_use -> tool_calls with JSON arguments; thinking is dropped but its tokens stay counted."""
    message = {
        **ANTHROPIC_MESSAGE,
        "content": [
            {"type": "thinking", "thinking": "hmm", "signature": "sig"},
            {"type": "text", "text": "Checking."},
            {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
        ],
        "stop_reason": "tool_use",
        "usage": {"input_tokens": 10, "output_tokens": 30, "output_tokens_details": {"thinking_tokens": 20}},
    }
    completion = ChatCompletion.model_validate(messages_response_to_chat(message))
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content == "Checking."
    assert choice.message.tool_calls is not None
    call = choice.message.tool_calls[0]
    assert call.type == "function"
    assert (call.id, call.function.name, json.loads(call.function.arguments)) == (
        "toolu_1",
        "get_weather",
        {"city": "Paris"},
    )
    assert completion.usage is not None
    assert completion.usage.completion_tokens == 30
    assert completion.usage.completion_tokens_details is not None
    assert completion.usage.completion_tokens_details.reasoning_tokens == 20


def test_tool_only_response_has_null_content_and_empty_response_has_empty_text() -> None:
    """Like OpenAI: content is null beside tool calls, and "" (not null) when there is nothing at all."""
    only_tool = {**ANTHROPIC_MESSAGE, "content": [{"type": "tool_use", "id": "t", "name": "f", "input": {}}]}
    assert messages_response_to_chat(only_tool)["choices"][0]["message"]["content"] is None
    empty = {**ANTHROPIC_MESSAGE, "content": []}
    assert messages_response_to_chat(empty)["choices"][0]["message"]["content"] == ""


@pytest.mark.parametrize(
    ("stop_reason", "finish_reason"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("tool_use", "tool_calls"),
        ("refusal", "content_filter"),
        ("pause_turn", "stop"),
        ("model_context_window_exceeded", "length"),
    ],
)
def test_stop_reason_becomes_finish_reason(stop_reason: str, finish_reason: str) -> None:
    """Every Anthropic stop_reason maps to the OpenAI finish_reason with the same meaning."""
    out = messages_response_to_chat({**ANTHROPIC_MESSAGE, "stop_reason": stop_reason})
    assert ChatCompletion.model_validate(out).choices[0].finish_reason == finish_reason


# --- Anthropic-shaped request -> OpenAI ---------------------------------------------------------------


def test_minimal_messages_request() -> None:
    """A bare Anthropic call becomes a chat call with max_completion_tokens and the serving model."""
    assert to_openai() == {"model": "gpt-4o-mini", "messages": USER_HI, "max_completion_tokens": 100}


@pytest.mark.parametrize(
    ("system", "content"),
    [
        ("Be brief.", "Be brief."),
        ([{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}], "Be brief."),
        (
            [{"type": "text", "text": "A"}, {"type": "text", "text": "B"}],
            [{"type": "text", "text": "A"}, {"type": "text", "text": "B"}],
        ),
    ],
)
def test_system_becomes_a_leading_system_message(system: Any, content: Any) -> None:
    """Anthropic's system (string or blocks) becomes the first message; cache_control is dropped."""
    assert to_openai(system=system)["messages"] == [{"role": "system", "content": content}, *USER_HI]


def test_system_role_message_stays_in_place() -> None:
    """anthropic 2.x accepts role "system" inside messages; it stays where it is."""
    messages = [*USER_HI, {"role": "system", "content": "Now French."}, {"role": "user", "content": "ok"}]
    assert to_openai(messages=messages)["messages"] == [
        *USER_HI,
        {"role": "system", "content": "Now French."},
        {"role": "user", "content": "ok"},
    ]


def test_tool_use_and_tool_results_become_tool_calls_and_tool_messages() -> None:
    """tool_use -> tool_calls; each tool_result -> a tool message before the turn's text; thinking dropped."""
    out = to_openai(
        messages=[
            {"role": "user", "content": "weather?"},
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "hmm", "signature": "s"},
                    {"type": "text", "text": "Checking."},
                    {"type": "tool_use", "id": "t1", "name": "get_weather", "input": {"city": "Paris"}},
                    {"type": "tool_use", "id": "t2", "name": "now", "input": {}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "t1", "content": "sunny", "is_error": False},
                    {
                        "type": "tool_result",
                        "tool_use_id": "t2",
                        "content": [{"type": "text", "text": "noon"}],
                        "is_error": True,
                    },
                    {"type": "text", "text": "thanks"},
                ],
            },
        ]
    )
    assert out["messages"][1:] == [
        {
            "role": "assistant",
            "content": "Checking.",
            "tool_calls": [
                {
                    "id": "t1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                },
                {"id": "t2", "type": "function", "function": {"name": "now", "arguments": "{}"}},
            ],
        },
        {"role": "tool", "tool_call_id": "t1", "content": "sunny"},
        {"role": "tool", "tool_call_id": "t2", "content": "noon"},
        {"role": "user", "content": "thanks"},
    ]


@pytest.mark.parametrize(
    ("source", "url"),
    [
        ({"type": "url", "url": "https://example.com/a.png"}, "https://example.com/a.png"),
        ({"type": "base64", "media_type": "image/webp", "data": "AAAA"}, "data:image/webp;base64,AAAA"),
    ],
)
def test_image_blocks_become_image_url_parts(source: dict[str, Any], url: str) -> None:
    """Anthropic url and base64 image sources become OpenAI image URLs."""
    content = [{"type": "image", "source": source}, {"type": "text", "text": "what?"}]
    out = to_openai(messages=[{"role": "user", "content": content}])
    assert out["messages"][0]["content"] == [
        {"type": "image_url", "image_url": {"url": url}},
        {"type": "text", "text": "what?"},
    ]


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ({"type": "auto"}, {"tool_choice": "auto"}),
        ({"type": "any"}, {"tool_choice": "required"}),
        ({"type": "none"}, {"tool_choice": "none"}),
        (
            {"type": "tool", "name": "get_weather"},
            {"tool_choice": {"type": "function", "function": {"name": "get_weather"}}},
        ),
        (
            {"type": "auto", "disable_parallel_tool_use": True},
            {"tool_choice": "auto", "parallel_tool_calls": False},
        ),
        ({"type": "any", "disable_parallel_tool_use": False}, {"tool_choice": "required"}),
        (None, {}),
    ],
)
def test_anthropic_tools_and_tool_choice_translate(choice: Any, expected: dict[str, Any]) -> None:
    """Anthropic tools -> function tools; tool_choice and disable_parallel_tool_use -> OpenAI kwargs."""
    params: dict[str, Any] = {"tools": [{**ANTHROPIC_WEATHER_TOOL, "cache_control": {"type": "ephemeral"}}]}
    if choice is not None:
        params["tool_choice"] = choice
    out = to_openai(**params)
    assert out["tools"] == [OPENAI_WEATHER_TOOL]
    assert {key: out[key] for key in ("tool_choice", "parallel_tool_calls") if key in out} == expected


def test_sampling_is_lifted_out_of_extra_body() -> None:
    """temperature/top_p from extra_body (the only way in anthropic 2.x) become OpenAI kwargs."""
    out = to_openai(extra_body={"temperature": 0.4, "top_p": 0.9, "other": True})
    assert (out["temperature"], out["top_p"], out["extra_body"]) == (0.4, 0.9, {"other": True})
    assert to_openai(temperature=0.1)["temperature"] == 0.1


def test_stop_sequences_metadata_and_stream() -> None:
    """stop_sequences -> stop, metadata.user_id -> safety_identifier, stream asks for usage."""
    out = to_openai(stop_sequences=["A", "B"], metadata={"user_id": "u1"}, stream=True)
    assert (out["stop"], out["safety_identifier"]) == (["A", "B"], "u1")
    assert (out["stream"], out["stream_options"]) == (True, {"include_usage": True})
    assert "stream_options" not in to_openai(stream=False)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"output_config": {"effort": "medium"}}, "medium"),
        ({"output_config": {"effort": "max"}, "thinking": {"type": "enabled", "budget_tokens": 1024}}, "max"),
        ({"thinking": {"type": "enabled", "budget_tokens": 1024}}, "low"),
        ({"thinking": {"type": "enabled", "budget_tokens": 8000}}, "medium"),
        ({"thinking": {"type": "enabled", "budget_tokens": 32000}}, "high"),
        ({"thinking": {"type": "adaptive"}}, None),
        ({"thinking": {"type": "disabled"}}, None),
        ({"thinking": {"type": "between_tools"}}, None),
    ],
)
def test_effort_and_thinking_become_reasoning_effort(params: dict[str, Any], expected: str | None) -> None:
    """output_config.effort maps 1:1; a manual thinking budget maps to an effort band; else nothing."""
    assert to_openai(**params).get("reasoning_effort") == expected


def test_output_format_becomes_strict_json_schema() -> None:
    """output_config.format becomes a strict json_schema response_format (Anthropic always constrains)."""
    out = to_openai(output_config={"format": {"type": "json_schema", "schema": WEATHER_SCHEMA}})
    assert out["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "output", "schema": WEATHER_SCHEMA, "strict": True},
    }


def test_anthropic_hints_without_openai_counterpart_are_dropped() -> None:
    """service_tier, speed, top-level cache_control, diagnostics and workspace_id are not sent."""
    out = to_openai(
        service_tier="auto",
        speed="fast",
        cache_control={"type": "ephemeral"},
        diagnostics={"previous_message_id": "msg_1"},
        workspace_id="wrkspc_1",
    )
    assert out == {"model": "gpt-4o-mini", "messages": USER_HI, "max_completion_tokens": 100}


def test_anthropic_sdk_content_blocks_in_history_are_accepted() -> None:
    """Message.content (pydantic blocks) passed back as assistant history translates like its JSON."""
    returned = Message.model_validate(
        {
            **ANTHROPIC_MESSAGE,
            "content": [{"type": "tool_use", "id": "t1", "name": "f", "input": {"a": None}}],
        }
    )
    history = [*USER_HI, {"role": "assistant", "content": returned.content}]
    out = to_openai(messages=history)
    assert out["messages"][1]["tool_calls"][0]["function"] == {"name": "f", "arguments": '{"a":null}'}


UNSUPPORTED_MESSAGES = [
    ({"extra_body": {"top_k": 5}}, "top_k"),
    ({"top_k": 5}, "top_k"),
    ({"container": "cnt_1"}, "container"),
    ({"mcp_servers": [{"type": "url", "url": "https://x", "name": "x"}]}, "mcp_servers"),
    ({"inference_geo": "eu"}, "inference_geo"),
    ({"user_profile_id": "up_1"}, "user_profile_id"),
    ({"betas": ["x"]}, "parameter 'betas'"),
    ({"stop_sequences": ["1", "2", "3", "4", "5"]}, "more than 4 stop_sequences"),
    ({"tools": [{"type": "web_search_20250305", "name": "web_search"}]}, "server tool 'web_search_20250305'"),
    (
        {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "document",
                            "source": {"type": "text", "data": "x", "media_type": "text/plain"},
                        }
                    ],
                }
            ]
        },
        "document blocks",
    ),
    (
        {
            "messages": [
                {"role": "user", "content": [{"type": "image", "source": {"type": "file", "file_id": "f"}}]}
            ]
        },
        "image source of type 'file'",
    ),
    (
        {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "tool_result",
                            "tool_use_id": "t",
                            "content": [
                                {"type": "image", "source": {"type": "url", "url": "https://x/a.png"}}
                            ],
                        }
                    ],
                }
            ]
        },
        "image blocks in tool results",
    ),
    (
        {
            "messages": [
                {
                    "role": "assistant",
                    "content": [{"type": "server_tool_use", "id": "s", "name": "web_search", "input": {}}],
                }
            ]
        },
        "server_tool_use blocks",
    ),
    ({"output_config": {"format": {"type": "xml"}}}, "output format 'xml'"),
    ({"output_config": {"task_budget": 5}}, "output_config.task_budget"),
]


@pytest.mark.parametrize(("params", "feature"), UNSUPPORTED_MESSAGES)
def test_unsupported_messages_features_raise_naming_the_feature(params: dict[str, Any], feature: str) -> None:
    """Every Anthropic feature OpenAI cannot reproduce raises UnsupportedFeature naming it, check included."""
    full = {"model": "claude", "max_tokens": 10, "messages": USER_HI, **params}
    with pytest.raises(UnsupportedFeature) as err:
        check_messages_for_openai(full)
    assert feature in err.value.feature
    assert err.value.target == "openai"
    with pytest.raises(UnsupportedFeature):
        messages_request_to_chat(full, model="m")


def test_translated_messages_requests_are_accepted_by_the_openai_sdk() -> None:
    """The openai SDK takes every translated kwarg and puts them on the wire as expected."""
    out = to_openai(
        system="Be brief.",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}}
                ],
            },
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "t1", "name": "get_weather", "input": {"city": "P"}}],
            },
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "sunny"}]},
        ],
        tools=[ANTHROPIC_WEATHER_TOOL],
        tool_choice={"type": "any", "disable_parallel_tool_use": True},
        stop_sequences=["END"],
        metadata={"user_id": "u1"},
        output_config={"effort": "low", "format": {"type": "json_schema", "schema": WEATHER_SCHEMA}},
        extra_body={"temperature": 0.3, "top_p": 0.8},
        extra_headers={"x-trace": "t"},
        timeout=9.0,
    )
    assert set(out) <= openai_kwargs()
    wire = send_openai(out)
    body = wire.body
    assert (body["temperature"], body["top_p"], body["max_completion_tokens"]) == (0.3, 0.8, 100)
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}
    assert body["messages"][3] == {"role": "tool", "tool_call_id": "t1", "content": "sunny"}
    assert (body["tool_choice"], body["parallel_tool_calls"]) == ("required", False)
    assert (body["stop"], body["safety_identifier"], body["reasoning_effort"]) == (["END"], "u1", "low")
    assert body["response_format"]["type"] == "json_schema"
    assert wire.headers["x-trace"] == "t"


# --- OpenAI response -> Anthropic ---------------------------------------------------------------------


def test_chat_completion_becomes_a_valid_message() -> None:
    """Text, usage (without double counting), raw id and serving model come through; the SDK validates it."""
    message = Message.model_validate(chat_response_to_messages(OPENAI_COMPLETION))
    assert (message.id, message.model, message.stop_reason) == ("chatcmpl-stub", "gpt-4o-mini", "end_turn")
    assert message.content[0].type == "text"
    assert message.content[0].text == "Hello from stub."
    usage = message.usage
    assert (usage.input_tokens, usage.cache_read_input_tokens, usage.cache_creation_input_tokens) == (8, 4, 0)
    assert usage.output_tokens == 5
    assert usage.output_tokens_details is not None
    assert usage.output_tokens_details.thinking_tokens == 2
    assert chat_response_to_messages(OPENAI_COMPLETION, model="openai/gpt")["model"] == "openai/gpt"


def _completion_with(message: dict[str, Any], finish_reason: str) -> dict[str, Any]:
    choice = {"index": 0, "finish_reason": finish_reason, "logprobs": None, "message": message}
    return {**OPENAI_COMPLETION, "choices": [choice]}


@pytest.mark.parametrize(
    ("finish_reason", "stop_reason"),
    [
        ("stop", "end_turn"),
        ("length", "max_tokens"),
        ("tool_calls", "tool_use"),
        ("content_filter", "refusal"),
    ],
)
def test_finish_reason_becomes_stop_reason(finish_reason: str, stop_reason: str) -> None:
    """Every OpenAI finish_reason maps to the Anthropic stop_reason with the same meaning."""
    completion = _completion_with({"role": "assistant", "content": "x"}, finish_reason)
    assert Message.model_validate(chat_response_to_messages(completion)).stop_reason == stop_reason


def test_tool_calls_become_tool_use_and_forced_calls_still_say_tool_use() -> None:
    """tool_calls -> tool_use blocks; OpenAI's "stop" beside a forced call becomes tool_use."""
    calls = [
        {
            "id": "c1",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
        },
        {"id": "c2", "type": "function", "function": {"name": "now", "arguments": ""}},
    ]
    out = chat_response_to_messages(
        _completion_with({"role": "assistant", "content": None, "tool_calls": calls}, "stop")
    )
    message = Message.model_validate(out)
    assert message.stop_reason == "tool_use"
    assert out["content"] == [
        {"type": "tool_use", "id": "c1", "name": "get_weather", "input": {"city": "Paris"}},
        {"type": "tool_use", "id": "c2", "name": "now", "input": {}},
    ]


def test_invalid_tool_arguments_in_a_response_are_kept_raw() -> None:
    """A paid-for response with invalid tool JSON is not lost: the text is kept under input._raw."""
    calls = [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{oops"}}]
    out = chat_response_to_messages(
        _completion_with({"role": "assistant", "tool_calls": calls}, "tool_calls")
    )
    assert Message.model_validate(out).content[0].model_dump()["input"] == {"_raw": "{oops"}


def test_refusal_becomes_text_with_refusal_stop_reason() -> None:
    """An OpenAI refusal is shown as text and stops with Anthropic's refusal reason."""
    out = chat_response_to_messages(
        _completion_with({"role": "assistant", "content": None, "refusal": "No."}, "stop")
    )
    message = Message.model_validate(out)
    assert (message.stop_reason, out["content"]) == ("refusal", [{"type": "text", "text": "No."}])


# --- usage --------------------------------------------------------------------------------------------

counts = st.integers(min_value=0, max_value=10**7)


@settings(max_examples=60, deadline=None)
@given(uncached=counts, read=counts, write=counts, output=counts, thinking=st.none() | counts)
def test_usage_round_trips_and_never_double_counts(
    uncached: int, read: int, write: int, output: int, thinking: int | None
) -> None:
    """Anthropic usage -> OpenAI -> Anthropic keeps every number; OpenAI's total counts each token once."""
    usage: dict[str, Any] = {
        "input_tokens": uncached,
        "output_tokens": output,
        "cache_read_input_tokens": read,
        "cache_creation_input_tokens": write,
    }
    if thinking is not None:
        usage["output_tokens_details"] = {"thinking_tokens": min(thinking, output)}
    message = {**ANTHROPIC_MESSAGE, "usage": usage}
    completion = ChatCompletion.model_validate(messages_response_to_chat(message))
    assert completion.usage is not None
    assert completion.usage.prompt_tokens == uncached + read + write
    assert completion.usage.total_tokens == uncached + read + write + output
    back = Message.model_validate(chat_response_to_messages(completion.model_dump(mode="json"))).usage
    assert (back.input_tokens, back.cache_read_input_tokens, back.cache_creation_input_tokens) == (
        uncached,
        read,
        write,
    )
    assert back.output_tokens == output
    assert back.cache_creation is not None
    assert back.cache_creation.ephemeral_5m_input_tokens == write
    if thinking is not None:
        assert back.output_tokens_details is not None
        assert back.output_tokens_details.thinking_tokens == min(thinking, output)


@settings(max_examples=60, deadline=None)
@given(prompt=counts, cached=counts, write=counts, completion=counts)
def test_openai_usage_never_yields_negative_or_inflated_input(
    prompt: int, cached: int, write: int, completion: int
) -> None:
    """OpenAI usage -> Anthropic: input + cache read + cache write equals prompt_tokens (never negative)."""
    usage = {
        "prompt_tokens": prompt + cached + write,
        "completion_tokens": completion,
        "total_tokens": prompt + cached + write + completion,
        "prompt_tokens_details": {"cached_tokens": cached, "cache_write_tokens": write},
    }
    out = Message.model_validate(chat_response_to_messages({**OPENAI_COMPLETION, "usage": usage})).usage
    assert out.input_tokens == prompt
    assert (
        out.input_tokens + (out.cache_read_input_tokens or 0) + (out.cache_creation_input_tokens or 0)
        == prompt + cached + write
    )
    inconsistent = {**usage, "prompt_tokens": 1}
    assert (
        chat_response_to_messages({**OPENAI_COMPLETION, "usage": inconsistent})["usage"]["input_tokens"] >= 0
    )


# --- streams ------------------------------------------------------------------------------------------


def anthropic_events(message: dict[str, Any], pieces: Callable[[str], list[str]]) -> Iterator[dict[str, Any]]:
    """The raw event stream Anthropic would send for ``message``, text and JSON split by ``pieces``."""
    usage = message["usage"]
    start_usage = {key: value for key, value in usage.items() if key != "output_tokens_details"}
    start = {**message, "content": [], "stop_reason": None, "usage": {**start_usage, "output_tokens": 1}}
    yield {"type": "message_start", "message": start}
    for index, block in enumerate(message["content"]):
        if block["type"] == "text":
            yield {
                "type": "content_block_start",
                "index": index,
                "content_block": {"type": "text", "text": ""},
            }
            for piece in pieces(block["text"]):
                yield {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "text_delta", "text": piece},
                }
        elif block["type"] == "tool_use":
            yield {"type": "content_block_start", "index": index, "content_block": {**block, "input": {}}}
            for piece in pieces(json.dumps(block["input"])) if block["input"] else []:
                delta = {"type": "input_json_delta", "partial_json": piece}
                yield {"type": "content_block_delta", "index": index, "delta": delta}
        else:
            thinking_start = {"type": "thinking", "thinking": "", "signature": ""}
            yield {"type": "content_block_start", "index": index, "content_block": thinking_start}
            yield {
                "type": "content_block_delta",
                "index": index,
                "delta": {"type": "thinking_delta", "thinking": block["thinking"]},
            }
            yield {
                "type": "content_block_delta",
                "index": index,
                "delta": {"type": "signature_delta", "signature": "sig"},
            }
        yield {"type": "content_block_stop", "index": index}
    delta_usage = {
        key: value for key, value in usage.items() if key in ("output_tokens", "output_tokens_details")
    }
    yield {
        "type": "message_delta",
        "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
        "usage": delta_usage,
    }
    yield {"type": "message_stop"}


def halves(text: str) -> list[str]:
    middle = len(text) // 2
    return [part for part in (text[:middle], text[middle:]) if part]


def chunks_for(events: Iterator[dict[str, Any]], *, include_usage: bool) -> list[ChatCompletionChunk]:
    translator = MessagesStreamToChatChunks(model=None, include_usage=include_usage)
    return [ChatCompletionChunk.model_validate(chunk) for event in events for chunk in translator.feed(event)]


def test_anthropic_stream_becomes_chat_chunks_with_usage_last() -> None:
    """Role chunk first, text and tool-call deltas (numbered by call), finish chunk, then a usage chunk."""
    message = {
        **ANTHROPIC_MESSAGE,
        "content": [
            {"type": "thinking", "thinking": "hmm"},
            {"type": "text", "text": "Checking."},
            {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
        ],
        "stop_reason": "tool_use",
    }
    chunks = chunks_for(anthropic_events(message, halves), include_usage=True)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[0].choices[0].delta.content == ""
    assert all(chunk.usage is None for chunk in chunks[:-1])
    assert all(chunk.id == "msg_stub" and chunk.model == "claude-haiku-4-5" for chunk in chunks)
    assert len({chunk.created for chunk in chunks}) == 1
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    assert text == "Checking."
    calls = [call for chunk in chunks if chunk.choices for call in chunk.choices[0].delta.tool_calls or []]
    assert calls[0].index == 0
    assert calls[0].id == "toolu_1"
    assert json.loads("".join(call.function.arguments or "" for call in calls if call.function)) == {
        "city": "Paris"
    }
    assert chunks[-2].choices[0].finish_reason == "tool_calls"
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
    assert (chunks[-1].usage.prompt_tokens, chunks[-1].usage.completion_tokens) == (19, 5)


def test_anthropic_stream_without_include_usage_has_no_usage_key() -> None:
    """Without include_usage no chunk has a usage key and no choices-less chunk is sent."""
    translator = MessagesStreamToChatChunks(model="served", include_usage=False)
    raw = [chunk for event in anthropic_events(ANTHROPIC_MESSAGE, halves) for chunk in translator.feed(event)]
    assert all("usage" not in chunk and chunk["choices"] and chunk["model"] == "served" for chunk in raw)


def test_tool_block_without_json_deltas_still_sends_its_arguments() -> None:
    """A tool_use whose input arrives whole on content_block_start is sent as one arguments fragment."""
    translator = MessagesStreamToChatChunks(model=None, include_usage=False)
    translator.feed({"type": "message_start", "message": {**ANTHROPIC_MESSAGE, "content": []}})
    block = {"type": "tool_use", "id": "t", "name": "f", "input": {"a": 1}}
    translator.feed({"type": "content_block_start", "index": 0, "content_block": block})
    [chunk] = translator.feed({"type": "content_block_stop", "index": 0})
    assert chunk["choices"][0]["delta"]["tool_calls"] == [{"index": 0, "function": {"arguments": '{"a":1}'}}]


def openai_chunks(completion: dict[str, Any], pieces: Callable[[str], list[str]]) -> Iterator[dict[str, Any]]:
    """The chunks OpenAI would stream for ``completion`` with include_usage, split by ``pieces``."""
    head = {key: completion[key] for key in ("id", "created", "model")}

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}
        return {**head, "object": "chat.completion.chunk", "choices": [choice], "usage": None}

    message = completion["choices"][0]["message"]
    yield chunk({"role": "assistant", "content": ""})
    for piece in pieces(message.get("content") or ""):
        yield chunk({"content": piece})
    for index, call in enumerate(message.get("tool_calls") or []):
        function = call["function"]
        yield chunk(
            {
                "tool_calls": [
                    {
                        "index": index,
                        "id": call["id"],
                        "type": "function",
                        "function": {"name": function["name"], "arguments": ""},
                    }
                ]
            }
        )
        for piece in pieces(function["arguments"]):
            yield chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
    yield chunk({}, completion["choices"][0]["finish_reason"])
    yield {**head, "object": "chat.completion.chunk", "choices": [], "usage": completion["usage"]}


def events_for(chunks: Iterator[dict[str, Any]], model: str | None = None) -> list[RawMessageStreamEvent]:
    translator = ChatChunksToMessagesStream(model=model)
    raw = [event for chunk in chunks for event in translator.feed(chunk)] + translator.finish()
    assert translator.finish() == []
    return [ANTHROPIC_EVENT.validate_python(event) for event in raw]


def accumulate(events: list[RawMessageStreamEvent]) -> Message:
    snapshot = None
    json_bufs: dict[int, bytes] = {}
    for event in events:
        snapshot = accumulate_event(event=event, current_snapshot=snapshot, json_bufs=json_bufs)
    assert snapshot is not None
    return Message.model_validate(snapshot.model_dump())


def test_chat_chunks_become_anthropic_events_with_usage_in_message_delta() -> None:
    """message_start, one block per text run and tool call, message_delta with full usage, message_stop."""
    calls = [
        {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}}
    ]
    completion = _completion_with(
        {"role": "assistant", "content": "Checking.", "tool_calls": calls}, "tool_calls"
    )
    events = events_for(openai_chunks(completion, halves))
    kinds = [event.type for event in events]
    assert kinds[0] == "message_start"
    assert kinds[-2:] == ["message_delta", "message_stop"]
    assert [e.content_block.type for e in events if e.type == "content_block_start"] == ["text", "tool_use"]
    assert kinds.count("content_block_stop") == 2
    message = accumulate(events)
    assert message.stop_reason == "tool_use"
    assert (
        message.usage.input_tokens,
        message.usage.cache_read_input_tokens,
        message.usage.output_tokens,
    ) == (8, 4, 5)
    assert message.content[1].model_dump()["input"] == {"city": "Paris"}


def test_finish_without_any_chunk_emits_nothing() -> None:
    """An empty OpenAI stream produces no half-open Anthropic message."""
    assert ChatChunksToMessagesStream(model=None).finish() == []


# --- property tests: round trips and stream/non-stream agreement --------------------------------------

texts = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=12)
json_values = st.none() | st.booleans() | st.integers(-1000, 1000) | texts
tool_inputs = st.dictionaries(st.text("abcxyz_", min_size=1, max_size=5), json_values, max_size=3)
tool_names = st.sampled_from(["get_weather", "search", "now"])


@st.composite
def openai_conversations(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A valid OpenAI conversation: systems, user turns, assistant text and tool calls, tool results."""
    messages: list[dict[str, Any]] = []
    if draw(st.booleans()):
        messages.append({"role": "system", "content": draw(texts)})
    call_number = 0
    for _ in range(draw(st.integers(1, 4))):
        messages.append({"role": "user", "content": draw(texts)})
        if draw(st.booleans()):
            messages.append({"role": "developer", "content": [{"type": "text", "text": draw(texts)}]})
        calls = []
        for _ in range(draw(st.integers(0, 2))):
            call_number += 1
            arguments = json.dumps(draw(tool_inputs))
            calls.append(
                {
                    "id": f"call_{call_number}",
                    "type": "function",
                    "function": {"name": draw(tool_names), "arguments": arguments},
                }
            )
        assistant: dict[str, Any] = {
            "role": "assistant",
            "content": draw(st.none() | texts) if calls else draw(texts),
        }
        if calls:
            assistant["tool_calls"] = calls
        messages.append(assistant)
        messages.extend(
            {"role": "tool", "tool_call_id": call["id"], "content": draw(texts)} for call in calls
        )
    return messages


def flatten(messages: list[dict[str, Any]]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """System texts, and everything else as an ordered list of comparable items."""
    system: list[str] = []
    items: list[tuple[Any, ...]] = []

    def texts_of(content: Any) -> list[str]:
        if content is None:
            return []
        if isinstance(content, str):
            return [content]
        return [part["text"] for part in content]

    for message in messages:
        role = message["role"]
        if role in ("system", "developer"):
            system.extend(texts_of(message["content"]))
        elif role == "tool":
            items.append(("tool", message["tool_call_id"], texts_of(message["content"])))
        else:
            items.extend((role, text) for text in texts_of(message.get("content")))
            for call in message.get("tool_calls") or []:
                function = call["function"]
                items.append(("call", call["id"], function["name"], json.loads(function["arguments"])))
    return system, items


@settings(max_examples=50, deadline=None)
@given(openai_conversations())
def test_conversations_survive_openai_to_anthropic_to_openai(messages: list[dict[str, Any]]) -> None:
    """Text, tool names, parsed arguments and order survive OpenAI -> Anthropic -> OpenAI."""
    anthropic_kwargs_ = chat_request_to_messages({"model": "gpt-4o", "messages": messages}, model="claude")
    roles = [turn["role"] for turn in anthropic_kwargs_["messages"]]
    assert all(a != b for a, b in itertools.pairwise(roles)), "Anthropic turns must alternate"
    back = messages_request_to_chat(anthropic_kwargs_, model="gpt-4o")
    assert flatten(back["messages"]) == flatten(messages)


anthropic_blocks = st.lists(
    st.one_of(
        texts.map(lambda text: {"type": "text", "text": text}),
        texts.map(lambda text: {"type": "thinking", "thinking": text, "signature": "sig"}),
        st.tuples(st.integers(0, 99), tool_names, tool_inputs).map(
            lambda t: {"type": "tool_use", "id": f"toolu_{t[0]}", "name": t[1], "input": t[2]}
        ),
    ),
    max_size=5,
)
stop_reasons = st.sampled_from(["end_turn", "max_tokens", "stop_sequence", "tool_use", "refusal"])
splitters = st.sampled_from([halves, lambda text: [text], lambda text: list(text)])


def normalized(completion: Any) -> dict[str, Any]:
    message = completion.choices[0].message
    return {
        "content": message.content or "",
        "tool_calls": [
            (call.id, call.function.name, json.loads(call.function.arguments))
            for call in message.tool_calls or []
        ],
        "finish_reason": completion.choices[0].finish_reason,
        "usage": completion.usage.model_dump(exclude_none=True) if completion.usage else None,
        "id": completion.id,
        "model": completion.model,
    }


@settings(max_examples=50, deadline=None)
@given(blocks=anthropic_blocks, stop_reason=stop_reasons, pieces=splitters, output=counts, read=counts)
def test_anthropic_stream_accumulates_to_the_non_stream_translation(
    blocks: list[dict[str, Any]], stop_reason: str, pieces: Callable[[str], list[str]], output: int, read: int
) -> None:
    """Chunks from an Anthropic stream, accumulated by openai's helper, equal the non-stream translation."""
    usage = {
        "input_tokens": 7,
        "output_tokens": output,
        "cache_read_input_tokens": read,
        "cache_creation_input_tokens": 2,
    }
    message = {**ANTHROPIC_MESSAGE, "content": blocks, "stop_reason": stop_reason, "usage": usage}
    Message.model_validate(message)
    state: ChatCompletionStreamState[None] = ChatCompletionStreamState()
    for chunk in chunks_for(anthropic_events(message, pieces), include_usage=True):
        state.handle_chunk(chunk)
    # current_completion_snapshot: get_final_completion() refuses finish_reason "length".
    streamed = normalized(state.current_completion_snapshot)
    direct = normalized(ChatCompletion.model_validate(messages_response_to_chat(message)))
    assert streamed == direct


@st.composite
def openai_completions(draw: st.DrawFn) -> dict[str, Any]:
    calls = [
        {
            "id": f"call_{index}",
            "type": "function",
            "function": {"name": draw(tool_names), "arguments": json.dumps(draw(tool_inputs))},
        }
        for index in range(draw(st.integers(0, 2)))
    ]
    message: dict[str, Any] = {"role": "assistant", "content": draw(st.none() | texts)}
    if calls:
        message["tool_calls"] = calls
    finish_reason = draw(st.sampled_from(["stop", "length", "tool_calls", "content_filter"]))
    usage = {
        "prompt_tokens": draw(counts) + 10,
        "completion_tokens": draw(counts),
        "total_tokens": 0,
        "prompt_tokens_details": {"cached_tokens": draw(st.integers(0, 10)), "cache_write_tokens": 0},
    }
    return {**_completion_with(message, finish_reason), "usage": usage}


@settings(max_examples=50, deadline=None)
@given(completion=openai_completions(), pieces=splitters)
def test_openai_stream_accumulates_to_the_non_stream_translation(
    completion: dict[str, Any], pieces: Callable[[str], list[str]]
) -> None:
    """Events from an OpenAI stream, accumulated by anthropic's helper, equal the non-stream translation."""
    ChatCompletion.model_validate(completion)
    streamed = accumulate(events_for(openai_chunks(completion, pieces))).model_dump()
    direct = Message.model_validate(chat_response_to_messages(completion)).model_dump()
    # message_delta has no field for the cache-write TTL split; its total is carried.
    direct["usage"]["cache_creation"] = streamed["usage"]["cache_creation"] = None
    assert streamed == direct


def sse_client(sdk: Any, body: str) -> Any:
    """A ``sdk`` client whose every request is answered with the server-sent events ``body``."""

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, text=body, headers={"content-type": "text/event-stream"})

    http_client = httpx2.Client(transport=httpx2.MockTransport(handler))
    if sdk is anthropic:
        return anthropic.Anthropic(api_key="x", http_client=http_client, open_telemetry=False)
    return openai.OpenAI(api_key="x", http_client=http_client)


def test_anthropic_sdk_stream_objects_translate_to_chat_chunks() -> None:
    """Event objects from the anthropic SDK's own stream translate into valid OpenAI chunks."""
    events = anthropic_events(ANTHROPIC_MESSAGE, halves)
    client = sse_client(anthropic, "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events))
    translator = MessagesStreamToChatChunks(model=None, include_usage=True)
    chunks = [
        ChatCompletionChunk.model_validate(chunk)
        for event in client.messages.create(**to_anthropic(stream=True))
        for chunk in translator.feed(event)
    ]
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Hello from stub."
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.total_tokens == 24


def test_openai_sdk_stream_objects_translate_to_anthropic_events() -> None:
    """Chunk objects from the openai SDK's own stream translate into events anthropic accumulates."""
    calls = [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"a":[1,2]}'}}]
    completion = _completion_with({"role": "assistant", "content": "Hi.", "tool_calls": calls}, "tool_calls")
    body = "".join(f"data: {json.dumps(chunk)}\n\n" for chunk in openai_chunks(completion, halves))
    client = sse_client(openai, body + "data: [DONE]\n\n")
    translator = ChatChunksToMessagesStream(model="served")
    stream = client.chat.completions.create(**to_openai(stream=True))
    raw = [event for chunk in stream for event in translator.feed(chunk)] + translator.finish()
    message = accumulate([ANTHROPIC_EVENT.validate_python(event) for event in raw])
    assert message.model == "served"
    assert message.stop_reason == "tool_use"
    assert [block.type for block in message.content] == ["text", "tool_use"]
    assert message.content[1].model_dump()["input"] == {"a": [1, 2]}
    assert (message.usage.input_tokens, message.usage.cache_read_input_tokens) == (8, 4)
