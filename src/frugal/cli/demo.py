"""``frugal demo``: the drop-in client against the loopback vendor stub (:mod:`frugal.testing`), both
shapes of call served by both vendors through the real SDKs, no API key needed."""

from __future__ import annotations

import json
from typing import Any

import rich_click as click

__all__ = ["demo"]


@click.command(epilog="Example:\n\n\b\n  frugal demo\n  frugal demo --json")
@click.option("--json", "as_json", is_flag=True, help="Print the calls as JSON.")
def demo(as_json: bool) -> int:
    """Run the drop-in client against the built-in loopback stub (no API key, no network)."""
    from .. import Client
    from ..policy import Policy, Tier
    from ..testing import Reply, ToolCall, Usage, VendorStub

    # The drop-in part of frugal: the model named is the model called (routing is `frugal route`).
    honour = Policy(
        name="demo",
        tiers=[Tier(name="all", models=["gpt-4o-mini", "claude-haiku-4-5", "claude-sonnet-5-5"])],
        requested_model="honor",
    )

    rows: list[dict[str, Any]] = []
    with VendorStub() as stub:
        usage = Usage(input_tokens=1200, output_tokens=80, cache_read_tokens=1000)
        stub.reply("gpt-4o-mini", Reply(text="Paris.", usage=usage))
        stub.reply("claude-haiku-4-5", Reply(text="Paris.", usage=usage))
        stub.reply(
            "claude-sonnet-5-5", Reply(text=None, tool_calls=[ToolCall("get_weather", {"city": "Paris"})])
        )
        client = Client(
            policy=honour,
            openai={"api_key": "sk-demo", "base_url": stub.openai_base_url},
            anthropic={"api_key": "sk-ant-demo", "base_url": stub.anthropic_base_url},
            max_retries=0,
        )
        question: Any = [{"role": "user", "content": "What is the capital of France?"}]
        for model in ("gpt-4o-mini", "claude-haiku-4-5"):
            completion = client.chat.completions.create(model=model, messages=question)
            assert completion.usage is not None
            rows.append(
                {
                    "call": "chat.completions.create",
                    "model": model,
                    "served_by": stub.requests[-1].vendor,
                    "returned": type(completion).__name__,
                    "answer": completion.choices[0].message.content,
                    "input_tokens": completion.usage.prompt_tokens,
                    "output_tokens": completion.usage.completion_tokens,
                }
            )
            message = client.messages.create(model=model, max_tokens=100, messages=question)
            text = "".join(block.text for block in message.content if block.type == "text")
            rows.append(
                {
                    "call": "messages.create",
                    "model": model,
                    "served_by": stub.requests[-1].vendor,
                    "returned": type(message).__name__,
                    "answer": text,
                    "input_tokens": message.usage.input_tokens,
                    "output_tokens": message.usage.output_tokens,
                }
            )
        tools: Any = [
            {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}
        ]
        stream = client.chat.completions.create(
            model="claude-sonnet-5-5", messages=question, tools=tools, stream=True
        )
        arguments = "".join(
            call.function.arguments or ""
            for chunk in stream
            for choice in chunk.choices
            for call in choice.delta.tool_calls or []
            if call.function is not None
        )
        rows.append(
            {
                "call": "chat.completions.create(stream=True, tools)",
                "model": "claude-sonnet-5-5",
                "served_by": stub.requests[-1].vendor,
                "returned": type(stream).__name__,
                "answer": f"get_weather({arguments})",
                "input_tokens": None,
                "output_tokens": None,
            }
        )
    if as_json:
        print(json.dumps(rows, indent=2))
        return 0
    print("frugal demo: the drop-in client against the loopback vendor stub (no API key, no network)\n")
    for row in rows:
        tokens = (
            ""
            if row["input_tokens"] is None
            else f"  [{row['input_tokens']} in / {row['output_tokens']} out]"
        )
        print(f"{row['call']:<46} {row['model']:<18} served by {row['served_by']:<9} -> {row['returned']}")
        print(f"{'':<46} {row['answer']}{tokens}")
    return 0
