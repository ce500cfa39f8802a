"""The ``frugal`` command.

- ``frugal route "PROMPT"``: explain which model the policy chooses for a prompt, why, and what it saves
  (no API key needed: a dry run assumes every provider of the policy is configured).
- ``frugal validate FILE``: check a policy file; errors name file:line:column.
- ``frugal schema``: the policy JSON Schema, for editors.
- ``frugal demo``: the drop-in client against the loopback vendor stub (:mod:`frugal.testing`), both
  shapes of call served by both vendors through the real SDKs.
- ``frugal report``: spend, savings and budget status from the ledger (:mod:`frugal._cli_report`).
- ``frugal eval``, ``frugal calibrate``, ``frugal train``: offline evaluation on labelled rows
  (:mod:`frugal._cli_eval`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from ._cli_eval import add_evaluation_commands
from ._version import __version__

__all__ = ["main"]


def _demo(args: argparse.Namespace) -> int:
    from . import Client
    from .policy import Policy, Tier
    from .testing import Reply, ToolCall, Usage, VendorStub

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
    if args.json:
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


def _router(policy: str | None) -> Any:
    """The compiled policy, every provider assumed configured (a dry run needs no credentials)."""
    from .policy import load_policy
    from .routing.compile import compile_policy

    loaded, located = load_policy(policy)
    kinds = {"openai": "openai", "anthropic": "anthropic"}
    kinds.update({name: spec.kind or name for name, spec in loaded.providers.items()})
    return compile_policy(loaded, located, providers=kinds, models={}, available_providers=frozenset(kinds))


def _route(args: argparse.Namespace) -> int:
    from ._context import with_context
    from ._plan import dry_run
    from .providers.calls import CHAT

    router = _router(args.policy)
    if args.messages:
        with open(args.messages, encoding="utf-8") as handle:
            loaded = json.load(handle)
        messages = loaded["messages"] if isinstance(loaded, dict) else loaded
        params: dict[str, Any] = dict(loaded) if isinstance(loaded, dict) else {}
        params["messages"] = messages
        if args.prompt:
            messages.append({"role": "user", "content": args.prompt})
    elif args.prompt:
        params = {"messages": [{"role": "user", "content": args.prompt}]}
    else:
        print("frugal route: give a PROMPT or --messages FILE.json", file=sys.stderr)
        return 2
    params["model"] = args.model
    if args.max_tokens is not None:
        params["max_tokens"] = args.max_tokens
    context = {k: v for k, v in (("user", args.user), ("team", args.team), ("feature", args.feature)) if v}
    with with_context(**context):
        decision = dry_run(router, CHAT, params)
    if args.json:
        print(json.dumps({**decision.to_dict(), "policy": router.policy_id}, indent=2))
        return 0
    print(f"model      {decision.model} ({decision.provider})")
    score = "n/a" if decision.score is None else f"{decision.score:.2f}"
    print(f"tier       {decision.tier}   score {score} ({decision.classifier})   route {decision.route}")
    print(f"reasons    {'; '.join(decision.reasons) or '-'}")
    print(
        f"estimate   {_usd(decision.estimated_cost_usd)} for ~{decision.estimated_input_tokens} input + "
        f"{decision.estimated_output_tokens} output tokens"
    )
    saving = decision.estimated_savings_usd
    share = (
        f" (saves {saving / decision.baseline_cost_usd:.0%})"
        if saving is not None and decision.baseline_cost_usd
        else ""
    )
    print(f"baseline   {decision.baseline_model or '-'} at {_usd(decision.baseline_cost_usd)}{share}")
    print(f"fallbacks  {', '.join(c.model for c in decision.chain[1:]) or '-'}")
    print(f"policy     {router.policy_id}")
    return 0


def _usd(value: float | None) -> str:
    return "unknown price" if value is None else f"${value:.6f}"


def _validate(args: argparse.Namespace) -> int:
    from .exceptions import ConfigError

    try:
        router = _router(args.file)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    models = {c.model for tier in router.tiers for c in tier.candidates}
    print(f"{args.file}: OK ({router.policy_id}: {len(router.tiers)} tiers, {len(models)} models)")
    return 0


def _schema(args: argparse.Namespace) -> int:
    from .policy import policy_json_schema

    print(json.dumps(policy_json_schema(), indent=2))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="frugal", description="Send every LLM call to the cheapest adequate model."
    )
    parser.add_argument("--version", action="version", version=f"frugal {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    route = commands.add_parser("route", help="explain the routing decision for a prompt (no API key)")
    route.add_argument("prompt", nargs="?", help="the user prompt")
    route.add_argument("--policy", help="policy file (default: $FRUGAL_POLICY, ./frugal.yaml, built-in)")
    route.add_argument("--messages", help="JSON file: a list of chat messages or chat.completions arguments")
    route.add_argument(
        "--model", default="auto", help="'auto', a route name, or a concrete model (a ceiling)"
    )
    route.add_argument("--max-tokens", type=int, default=None)
    route.add_argument("--user")
    route.add_argument("--team")
    route.add_argument("--feature")
    route.add_argument("--json", action="store_true", help="print the decision as JSON")
    route.set_defaults(run=_route)
    validate = commands.add_parser("validate", help="check a policy file")
    validate.add_argument("file")
    validate.set_defaults(run=_validate)
    schema = commands.add_parser("schema", help="print the policy JSON Schema")
    schema.set_defaults(run=_schema)
    demo = commands.add_parser("demo", help="run the drop-in client against the built-in loopback stub")
    demo.add_argument("--json", action="store_true", help="print the calls as JSON")
    demo.set_defaults(run=_demo)
    from ._cli_report import add_parser as add_report

    add_report(commands)
    add_evaluation_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``frugal`` console script."""
    args = _parser().parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
