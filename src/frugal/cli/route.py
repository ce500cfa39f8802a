"""``frugal route``, ``frugal validate``, ``frugal schema``, ``frugal init``: what a policy decides; whether
it is valid; the schema; a starter policy.

A dry run needs no API key: every provider of the policy is assumed configured.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import rich_click as click

from ._errors import CliError

if TYPE_CHECKING:
    from ..policy import Policy

__all__ = ["dry_run_router", "init", "route", "schema", "validate"]

_POLICY_HELP = "Policy file (default: $FRUGAL_POLICY, ./frugal.yaml, else the built-in default)."


def dry_run_router(policy: str | Policy | None) -> Any:
    """The compiled policy, every provider assumed configured (a dry run needs no credentials)."""
    from ..policy import load_policy
    from ..routing.compile import compile_policy

    loaded, located = load_policy(policy)
    kinds = {"openai": "openai", "anthropic": "anthropic"}
    kinds.update({name: spec.kind or name for name, spec in loaded.providers.items()})
    return compile_policy(loaded, located, providers=kinds, models={}, available_providers=frozenset(kinds))


def read_messages(path: str) -> dict[str, Any]:
    """The chat.completions arguments of a ``--messages`` file: a list of messages, or an object with a
    ``messages`` list (and any other arguments).

    Raises:
        CliError: the file cannot be read, is not JSON, or holds neither form (naming file:line:column).
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"{path}: cannot read the messages file: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise CliError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})") from None
    messages = loaded.get("messages") if isinstance(loaded, dict) else loaded
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        raise CliError(
            f'{path}: expected a JSON list of chat messages ([{{"role": "user", "content": ...}}]) '
            "or an object with a 'messages' list"
        )
    params = dict(loaded) if isinstance(loaded, dict) else {}
    params["messages"] = messages
    return params


@click.command(
    epilog="""Examples:

\b
  frugal route "What is the capital of France?"
  frugal route "Prove that sqrt(2) is irrational" --json
  frugal route --messages conversation.json --policy prod.yaml --team research"""
)
@click.argument("prompt", required=False)
@click.option("--policy", type=click.Path(dir_okay=False), help=_POLICY_HELP)
@click.option(
    "--messages",
    type=click.Path(dir_okay=False),
    help="JSON file: a list of chat messages, or chat.completions arguments with 'messages'.",
)
@click.option(
    "--model", default="auto", show_default=True, help="'auto', a route name, or a model (a ceiling)."
)
@click.option("--max-tokens", type=click.IntRange(min=1), help="The call's max_tokens.")
@click.option("--user", help="Routing context: the user.")
@click.option("--team", help="Routing context: the team.")
@click.option("--feature", help="Routing context: the feature.")
@click.option("--json", "as_json", is_flag=True, help="Print the decision as JSON.")
def route(
    prompt: str | None,
    policy: str | None,
    messages: str | None,
    model: str,
    max_tokens: int | None,
    user: str | None,
    team: str | None,
    feature: str | None,
    as_json: bool,
) -> int:
    """Explain the routing decision for a prompt: model, tier, score, reasons, cost vs the baseline.

    Nothing is sent and no API key is needed.
    """
    from .._context import with_context
    from .._plan import dry_run
    from ..providers.calls import CHAT

    if messages:
        params = read_messages(messages)
        if prompt:
            params["messages"].append({"role": "user", "content": prompt})
    elif prompt:
        params = {"messages": [{"role": "user", "content": prompt}]}
    else:
        raise click.UsageError("give a PROMPT or --messages FILE.json")
    router = dry_run_router(policy)
    params["model"] = model
    if max_tokens is not None:
        params["max_tokens"] = max_tokens
    context = {k: v for k, v in (("user", user), ("team", team), ("feature", feature)) if v}
    with with_context(**context):
        decision = dry_run(router, CHAT, params)
    if as_json:
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


@click.command(
    epilog="""Examples:

\b
  frugal validate frugal.yaml
  frugal validate policies/prod.yaml && echo ok"""
)
@click.argument("file", type=click.Path(dir_okay=False))
def validate(file: str) -> int:
    """Check a policy file: every mistake is one line with file:line:column, and exit code 1."""
    router = dry_run_router(file)
    models = {c.model for tier in router.tiers for c in tier.candidates}
    print(f"{file}: OK ({router.policy_id}: {len(router.tiers)} tiers, {len(models)} models)")
    return 0


@click.command(
    epilog="""Example:

\b
  frugal schema > frugal-policy.schema.json"""
)
def schema() -> int:
    """Print the policy JSON Schema (for editors: completion and checking of frugal.yaml)."""
    from .._policy_starter import schema_text

    print(schema_text(), end="")
    return 0


@click.command(
    epilog="""Examples:

\b
  frugal init                # ./frugal.yaml and ./frugal-policy.schema.json
  frugal init config/ --force"""
)
@click.argument("directory", default=".", type=click.Path(file_okay=False))
@click.option("--force", is_flag=True, help="Overwrite files that exist.")
def init(directory: str, force: bool) -> int:
    """Write a commented frugal.yaml (extending the built-in default) and its JSON Schema."""
    from .._policy_starter import write_starter_policy

    try:
        policy, schema_file = write_starter_policy(directory, overwrite=force)
    except FileExistsError as exc:
        raise CliError(f"{exc} (frugal init --force overwrites it)") from None
    except OSError as exc:
        raise CliError(f"cannot write to {directory}: {exc.strerror or exc}") from None
    print(f"wrote {policy} (extends the built-in default; edit it) and {schema_file} (its JSON Schema)")
    print(f"check it with: frugal validate {policy}")
    return 0
