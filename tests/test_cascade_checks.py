"""Cascade answer checks on the SDKs' own answer objects, and the JSON Schema subset they validate with."""

from __future__ import annotations

from typing import Any

import anthropic
import openai
import pytest
from hypothesis import given
from hypothesis import strategies as st

from frugal._jsonschema import first_violation
from frugal.routing.cascade import AnswerChecker, judge_messages, parse_judge_score, read_answer

WEATHER = {
    "type": "object",
    "properties": {"city": {"type": "string", "minLength": 1}, "days": {"type": "integer", "maximum": 14}},
    "required": ["city"],
    "additionalProperties": False,
}


def chat(
    content: str | None = "Paris.",
    finish: str = "stop",
    refusal: str | None = None,
    tool_arguments: str | None = None,
) -> Any:
    message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": refusal}
    if tool_arguments is not None:
        message["tool_calls"] = [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": tool_arguments},
            }
        ]
    return openai.types.chat.ChatCompletion.model_validate(
        {
            "id": "c",
            "object": "chat.completion",
            "created": 1,
            "model": "gpt-5-nano",
            "choices": [{"index": 0, "finish_reason": finish, "message": message}],
        }
    )


def message(blocks: list[dict[str, Any]], stop: str = "end_turn") -> Any:
    return anthropic.types.Message.model_validate(
        {
            "id": "m",
            "type": "message",
            "role": "assistant",
            "model": "claude-haiku-5-5",
            "content": blocks,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": {"input_tokens": 1, "output_tokens": 1},
        }
    )


def response(output: list[dict[str, Any]], status: str = "completed", reason: str | None = None) -> Any:
    return openai.types.responses.Response.model_validate(
        {
            "id": "r",
            "object": "response",
            "created_at": 1,
            "model": "gpt-5-nano",
            "output": output,
            "status": status,
            "incomplete_details": {"reason": reason} if reason else None,
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": [],
        }
    )


def text_item(text: str) -> dict[str, Any]:
    return {
        "type": "message",
        "id": "msg",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }


ALL = AnswerChecker(("finish_reason", "refusal", "empty", "json", "tool_arguments"))
CHAT_TOOLS = {"tools": [{"type": "function", "function": {"name": "get_weather", "parameters": WEATHER}}]}


def test_a_good_chat_answer_passes() -> None:
    """A complete, non-empty, non-refusing chat answer passes every built-in check."""
    assert ALL.failure("chat", {}, chat("The capital of France is Paris.")) is None


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (chat("Paris is", finish="length"), "finish_reason: cut short (length)"),
        (chat("", finish="content_filter"), "finish_reason: content filter"),
        (chat(None, refusal="I can't help with that."), "refusal: the model refused"),
        (chat("I'm sorry, but I can't help with that request."), "refusal: the answer reads as a refusal"),
        (chat("   "), "empty: no text and no tool call"),
    ],
)
def test_chat_failures_are_named(answer: Any, expected: str) -> None:
    """Each kind of failing chat answer is escalated with the failing check's name and reason."""
    assert ALL.failure("chat", {}, answer) == expected


def test_a_long_apologetic_answer_is_not_a_refusal() -> None:
    """Only short answers are read as refusals: a long one that opens with an apology goes on to help."""
    text = "I'm sorry, but I can't help noticing the bug: " + "the loop runs one step too far. " * 20
    assert ALL.failure("chat", {}, chat(text)) is None


def test_anthropic_answers_are_read_alike() -> None:
    """Anthropic's max_tokens and refusal stop reasons and empty content fail like their OpenAI twins."""
    assert ALL.failure("messages", {}, message([{"type": "text", "text": "ok"}])) is None
    cut = message([{"type": "text", "text": "Par"}], stop="max_tokens")
    assert ALL.failure("messages", {}, cut) == "finish_reason: cut short (max_tokens)"
    refused = message([{"type": "text", "text": "No."}], stop="refusal")
    assert ALL.failure("messages", {}, refused) == "refusal: the model refused"
    assert ALL.failure("messages", {}, message([])) == "empty: no text and no tool call"


def test_responses_answers_are_read_alike() -> None:
    """A Responses answer: text passes; an incomplete one names its reason; a refusal part is a refusal."""
    assert ALL.failure("responses", {}, response([text_item("Paris.")])) is None
    cut = response([text_item("Par")], status="incomplete", reason="max_output_tokens")
    assert ALL.failure("responses", {}, cut) == "finish_reason: cut short (max_output_tokens)"
    refusal = {
        "type": "message",
        "id": "msg",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "refusal", "refusal": "No."}],
    }
    assert ALL.failure("responses", {}, response([refusal])) == "refusal: the model refused"


def test_json_output_is_checked_against_the_schema_in_each_shape() -> None:
    """Structured output: invalid JSON and schema violations fail; a conforming answer passes."""
    chat_params = {
        "response_format": {"type": "json_schema", "json_schema": {"name": "w", "schema": WEATHER}}
    }
    assert ALL.failure("chat", chat_params, chat('{"city": "Paris"}')) is None
    assert ALL.failure("chat", chat_params, chat('{"city": "Paris"')) == "json: the answer is not valid JSON"
    assert ALL.failure("chat", chat_params, chat('{"days": 3}')) == (
        "json: $: missing required property 'city'"
    )
    assert ALL.failure("chat", {"response_format": {"type": "json_object"}}, chat("[1]")) is None
    assert ALL.failure("chat", {}, chat("not json")) is None  # JSON was not asked for
    messages_params = {"output_config": {"format": {"type": "json_schema", "schema": WEATHER}}}
    answer = message([{"type": "text", "text": '{"city": "Paris", "days": 40}'}])
    assert ALL.failure("messages", messages_params, answer) == "json: $.days: above maximum 14"
    responses_params = {"text": {"format": {"type": "json_schema", "name": "w", "schema": WEATHER}}}
    passing = response([text_item('{"city": "Oslo"}')])
    assert ALL.failure("responses", responses_params, passing) is None
    failing = response([text_item('{"city": ""}')])
    assert ALL.failure("responses", responses_params, failing) == "json: $.city: below minLength 1"


def test_tool_call_arguments_are_checked() -> None:
    """Tool calls: arguments must be a JSON object, name an offered tool, and fit its schema."""
    assert (
        ALL.failure("chat", CHAT_TOOLS, chat(None, "tool_calls", tool_arguments='{"city": "Paris"}')) is None
    )
    broken = chat(None, "tool_calls", tool_arguments='{"city": ')
    assert (
        ALL.failure("chat", CHAT_TOOLS, broken)
        == "tool_arguments: tool call 0: arguments are not a JSON object"
    )
    extra = chat(None, "tool_calls", tool_arguments='{"city": "Paris", "secret": 1}')
    assert ALL.failure("chat", CHAT_TOOLS, extra) == "tool_arguments: tool call 0: $: unexpected property"
    anthropic_params = {"tools": [{"name": "get_weather", "input_schema": WEATHER}]}
    unknown = message([{"type": "tool_use", "id": "t", "name": "get_time", "input": {}}], stop="tool_use")
    assert ALL.failure("messages", anthropic_params, unknown) == (
        "tool_arguments: tool call 0: names a tool that was not offered"
    )
    wrong_type = message(
        [{"type": "tool_use", "id": "t", "name": "get_weather", "input": {"city": 3}}], stop="tool_use"
    )
    assert ALL.failure("messages", anthropic_params, wrong_type) == (
        "tool_arguments: tool call 0: $.city: expected string"
    )


def test_only_the_named_checks_run() -> None:
    """A checker runs only the checks the policy names."""
    assert AnswerChecker(("empty",)).failure("chat", {}, chat("x", finish="length")) is None
    with pytest.raises(ValueError, match="unknown cascade check 'emtpy'"):
        AnswerChecker(("emtpy",))


def test_user_check_verdicts() -> None:
    """A user check accepts with True/None, escalates with False (rejected) or a reason string."""
    seen: list[Any] = []

    def check(params: Any, answer: Any) -> object:
        seen.append((params, answer))
        return params.get("verdict")

    checker = AnswerChecker((), check, "mypkg:check")
    answer = chat("x")
    assert checker.failure("chat", {"verdict": True}, answer) is None
    assert checker.failure("chat", {"verdict": None}, answer) is None
    assert checker.failure("chat", {"verdict": False}, answer) == "mypkg:check: rejected"
    assert checker.failure("chat", {"verdict": "too vague"}, answer) == "mypkg:check: too vague"
    assert seen[0][1] is answer  # the caller's own SDK object


def test_read_answer_rejects_other_objects() -> None:
    """Only the three answer types are understood."""
    with pytest.raises(TypeError, match="not a chat completion"):
        read_answer(object())


def test_judge_prompt_and_score() -> None:
    """The judge sees the request and the answer; its rating becomes a fraction; no number is None."""
    messages = judge_messages("What is 2+2?", "4")
    assert messages[0]["role"] == "system"
    assert "What is 2+2?" in messages[1]["content"]
    assert "Answer:\n4" in messages[1]["content"]
    assert parse_judge_score("7") == pytest.approx(0.7)
    assert parse_judge_score("Rating: 10/10") == pytest.approx(1.0)
    assert parse_judge_score("8.5") == pytest.approx(0.85)
    assert parse_judge_score("no idea") is None


@pytest.mark.parametrize(
    ("value", "schema", "expected"),
    [
        ({"a": [1, 2]}, {"properties": {"a": {"type": "array", "items": {"type": "integer"}}}}, None),
        ({"a": [1, "x"]}, {"properties": {"a": {"items": {"type": "integer"}}}}, "$.a[1]: expected integer"),
        (True, {"type": "integer"}, "$: expected integer"),
        (2.0, {"type": "integer"}, None),
        ("b", {"enum": ["a", "c"]}, "$: not one of the allowed values"),
        (None, {"anyOf": [{"type": "string"}, {"type": "null"}]}, None),
        (3, {"anyOf": [{"type": "string"}, {"type": "null"}]}, "$: matches none of the allowed schemas"),
        ([], {"type": "array", "minItems": 1}, "$: below minItems 1"),
        (
            {"x": {"n": 1}},
            {
                "$defs": {"N": {"type": "string"}},
                "properties": {"x": {"properties": {"n": {"$ref": "#/$defs/N"}}}},
            },
            "$.x.n: expected string",
        ),
        (
            {"q": 1},
            {"type": "object", "patternProperties": {"^q": {"type": "string"}}},
            None,
        ),  # unknown keyword: ignored
        ("anything", None, None),
    ],
)
def test_schema_subset(value: Any, schema: Any, expected: str | None) -> None:
    """The validator checks the structured-output subset and ignores keywords it does not know."""
    assert first_violation(value, schema) == expected


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=10,
)


@given(value=json_values, secret=st.text(min_size=6, alphabet="QXZJKW"))
def test_violations_never_quote_values(value: Any, secret: str) -> None:
    """A violation message never contains the answer's content (it may reach logs and spans)."""
    wrapped = {"payload": value, secret: secret}
    schema = {"type": "object", "properties": {"payload": {"type": "string"}}, "additionalProperties": False}
    problem = first_violation(wrapped, schema)
    assert problem is not None
    assert secret not in problem
