"""``frugal route``, ``frugal validate``, ``frugal schema``: what a policy decides; whether it is valid.

A dry run needs no API key: every provider of the policy is assumed configured.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

__all__ = ["add_parsers", "dry_run_router"]


def _init(args: argparse.Namespace) -> int:
    from .._policy_starter import write_starter_policy

    try:
        policy, schema = write_starter_policy(args.directory, overwrite=args.force)
    except FileExistsError as exc:
        print(f"frugal init: {exc} (frugal init --force overwrites it)", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"frugal init: cannot write to {args.directory}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"wrote {policy} (extends the built-in default; edit it) and {schema} (its JSON Schema)")
    print(f"check it with: frugal validate {policy}")
    return 0


def add_parsers(commands: Any) -> None:
    """Register ``frugal route``, ``frugal validate`` and ``frugal schema``."""
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
    init = commands.add_parser(
        "init", help="write a commented frugal.yaml (extending the built-in default) and its JSON Schema"
    )
    init.add_argument("directory", nargs="?", default=".", help="where to write them (default: here)")
    init.add_argument("--force", action="store_true", help="overwrite files that exist")
    init.set_defaults(run=_init)


def dry_run_router(policy: str | None) -> Any:
    """The compiled policy, every provider assumed configured (a dry run needs no credentials)."""
    from ..policy import load_policy
    from ..routing.compile import compile_policy

    loaded, located = load_policy(policy)
    kinds = {"openai": "openai", "anthropic": "anthropic"}
    kinds.update({name: spec.kind or name for name, spec in loaded.providers.items()})
    return compile_policy(loaded, located, providers=kinds, models={}, available_providers=frozenset(kinds))


def _route(args: argparse.Namespace) -> int:
    from .._context import with_context
    from .._plan import dry_run
    from ..providers.calls import CHAT

    router = dry_run_router(args.policy)
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
    from ..exceptions import ConfigError

    try:
        router = dry_run_router(args.file)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    models = {c.model for tier in router.tiers for c in tier.candidates}
    print(f"{args.file}: OK ({router.policy_id}: {len(router.tiers)} tiers, {len(models)} models)")
    return 0


def _schema(args: argparse.Namespace) -> int:
    from .._policy_starter import schema_text

    print(schema_text(), end="")
    return 0
