"""``frugal demo``: the story of frugal in four acts, against the loopback vendor stub (:mod:`frugal.testing`)
through the real SDKs, no API key and no network.

1. Routing: prompts from a greeting to a design question, with ``model="auto"`` or a premium model named
   (a ceiling): which model served each, what it cost against the baseline.
2. A budget stops a team: a daily team budget with ``action: block`` raises ``BudgetExceeded`` before the
   call that would cross it is sent; another team keeps working.
3. The report: what ``frugal report`` shows for this ledger.
4. The drop-in: both shapes of call (``chat.completions``, ``messages``) served by both vendors, and a
   streamed tool call, each returning its own SDK's objects.

``frugal demo --shadow`` tells another story, the quality audit (:mod:`~frugal.cli.demo_shadow`).
"""

from __future__ import annotations

import json
import logging
import time
import warnings
from typing import Any

import rich_click as click

__all__ = ["demo", "stub_client"]

#: The story's policy: the built-in default's tiers, one team budget, the ledger in memory.
_POLICY = """
extends: default
name: demo
budgets:
  - {name: team-daily, scope: team, match: ads, limit_usd: 0.005, window: day, action: block}
ledger: memory://
"""

#: (model asked for, team, feature, prompt).
_PROMPTS = [
    ("auto", "search", "answers", "What is the capital of France?"),
    ("auto", "search", "answers", "Translate 'good morning' into Spanish."),
    ("claude-opus-5-5", "support", "chat", "hi! can you help me?"),
    (
        "auto",
        "research",
        "coding",
        "Write a Python function that parses ISO 8601 dates with time zones, with tests.",
    ),
    (
        "gpt-6.1-sol",
        "research",
        "design",
        "Design a multi-region event-sourced billing system and compare its consistency trade-offs, "
        "step by step, with a migration plan.",
    ),
]
_HARD = "Prove, step by step, that there are infinitely many primes, then generalise the argument. " * 6


@click.command(
    epilog="Examples:\n\n\b\n  frugal demo\n  frugal demo --json\n"
    "  frugal demo --shadow   # the quality audit: shadow comparisons, cascades, feedback"
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print every call of the story as JSON (--shadow: the report)."
)
@click.option(
    "--shadow",
    is_flag=True,
    help="Tell the quality audit instead: shadow comparisons, cascade and explicit feedback labels.",
)
def demo(as_json: bool, shadow: bool) -> int:
    """The story against the built-in loopback stub: routing, cost vs the baseline, a budget stopping a
    team, the report, the drop-in client (no API key, no network). With --shadow: the quality audit."""
    if shadow:
        from .demo_shadow import shadow_story

        return shadow_story(as_json)
    from ..testing import VendorStub

    rows: list[dict[str, Any]] = []
    with VendorStub() as stub, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the budget's warning is the story's second act, told below
        logging.getLogger("frugal").setLevel(logging.ERROR)
        routing, report = _routing_and_budget(stub, rows)
        rows.extend(_drop_in(stub))
    if as_json:
        print(json.dumps(rows, indent=2))
        return 0
    _tell(rows, routing, report)
    return 0


def stub_client(stub: Any, policy: Any) -> Any:
    """A client with ``policy`` against the loopback ``stub`` (demo keys, no retries)."""
    from .. import Client

    return Client(
        policy=policy,
        openai={"api_key": "sk-demo", "base_url": stub.openai_base_url},
        anthropic={"api_key": "sk-ant-demo", "base_url": stub.anthropic_base_url},
        max_retries=0,
    )


def _routing_and_budget(stub: Any, rows: list[dict[str, Any]]) -> tuple[Any, dict[str, Any]]:
    """Acts 1 and 2 on one client and ledger; returns the compiled policy and act 3's report."""
    from .. import BudgetExceeded
    from ..budgets.report import Period, build_report
    from ..budgets.rules import budget_status
    from ..policy import parse_policy
    from ..routing.compile import compile_budgets
    from ..testing import Reply, Usage
    from .route import dry_run_router

    policy = parse_policy(_POLICY, "demo.yaml")[0]
    router = dry_run_router(policy)
    client = stub_client(stub, policy)
    start = time.time()
    for model, team, feature, prompt in _PROMPTS:
        stub.reply(None, Reply(text="(an answer)", usage=Usage(len(prompt) // 4 + 200, 250)))
        with client.with_context(team=team, feature=feature):
            client.chat.completions.create(model=model, messages=[{"role": "user", "content": prompt}])
        rows.append(_row("routing", model, team, prompt, client.ledger.records()[-1]))
    stub.reply(None, Reply(text="(a proof)", usage=Usage(len(_HARD) // 4, 400)))
    for team in ("ads", "ads", "ads", "ads", "search"):
        with client.with_context(team=team, feature="proofs"):
            try:
                client.chat.completions.create(
                    model="auto", messages=[{"role": "user", "content": _HARD}], max_tokens=400
                )
            except BudgetExceeded as exc:
                rows.append(
                    {**_row("budget", "auto", team, _HARD, client.ledger.records()[-1]), "error": str(exc)}
                )
                continue
        rows.append(_row("budget", "auto", team, _HARD, client.ledger.records()[-1]))
    now = time.time()
    statuses = budget_status(compile_budgets(router.policy, None, router), client.ledger, now)
    report = build_report(
        client.ledger.records(), Period(start - 1, now), statuses=statuses, ledger="memory://"
    )
    client.close()
    return router, report


def _row(act: str, model: str, team: str, prompt: str, record: Any) -> dict[str, Any]:
    return {
        "act": act,
        "call": "chat.completions.create",
        "model": model,
        "team": team,
        "prompt": prompt if len(prompt) <= 60 else prompt[:57] + "...",
        "served_by": record.model,
        "tier": record.tier,
        "outcome": record.outcome,
        "cost_usd": record.cost_usd,
        "baseline_usd": record.baseline_cost_usd,
        "savings_usd": record.savings_usd,
    }


def _drop_in(stub: Any) -> list[dict[str, Any]]:
    """Act 4: the model named is the model called, either shape of call on either vendor."""
    from ..policy import Policy, Tier
    from ..testing import Reply, ToolCall, Usage

    honour = Policy(
        name="demo-drop-in",
        tiers=[Tier(name="all", models=["gpt-4o-mini", "claude-haiku-4-5", "claude-sonnet-5-5"])],
        requested_model="honor",
    )
    rows: list[dict[str, Any]] = []
    usage = Usage(input_tokens=1200, output_tokens=80, cache_read_tokens=1000)
    stub.reply("gpt-4o-mini", Reply(text="Paris.", usage=usage))
    stub.reply("claude-haiku-4-5", Reply(text="Paris.", usage=usage))
    stub.reply("claude-sonnet-5-5", Reply(text=None, tool_calls=[ToolCall("get_weather", {"city": "Paris"})]))
    client = stub_client(stub, honour)
    question: Any = [{"role": "user", "content": "What is the capital of France?"}]
    for model in ("gpt-4o-mini", "claude-haiku-4-5"):
        completion = client.chat.completions.create(model=model, messages=question)
        assert completion.usage is not None
        rows.append(
            {
                "act": "drop-in",
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
                "act": "drop-in",
                "call": "messages.create",
                "model": model,
                "served_by": stub.requests[-1].vendor,
                "returned": type(message).__name__,
                "answer": text,
                "input_tokens": message.usage.input_tokens,
                "output_tokens": message.usage.output_tokens,
            }
        )
    tools: Any = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
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
            "act": "drop-in",
            "call": "chat.completions.create(stream=True, tools)",
            "model": "claude-sonnet-5-5",
            "served_by": stub.requests[-1].vendor,
            "returned": type(stream).__name__,
            "answer": f"get_weather({arguments})",
            "input_tokens": None,
            "output_tokens": None,
        }
    )
    client.close()
    return rows


def _tell(rows: list[dict[str, Any]], router: Any, report: dict[str, Any]) -> None:
    """Print the story."""
    from ..budgets.report import render_terminal, usd
    from ._output import console, table

    out = console()
    out.print(
        "[bold]frugal demo[/bold]: one application's calls against the loopback vendor stub "
        "(real SDKs, no API key, no network)",
        highlight=False,
    )
    routed = [r for r in rows if r["act"] == "routing"]
    out.print(
        f"\n[bold]1. Routing[/bold]: a policy extending the built-in default ({router.policy_id}) sends "
        "each call to the cheapest adequate model; a premium model named by the caller is a ceiling.",
        highlight=False,
    )
    table(
        out,
        None,
        ["Prompt", "Asked for", "Served by", "Tier", "Cost", "Without frugal", "Saved"],
        [
            [
                r["prompt"],
                r["model"],
                r["served_by"],
                r["tier"],
                usd(r["cost_usd"]),
                usd(r["baseline_usd"]),
                _saved(r),
            ]
            for r in routed
        ],
        numeric=["Cost", "Without frugal", "Saved"],
    )
    cost = sum(r["cost_usd"] or 0 for r in routed)
    baseline = sum(r["baseline_usd"] or 0 for r in routed)
    share = f" ({1 - cost / baseline:.0%} less)" if baseline else ""
    out.print(
        f"these {len(routed)} calls cost {usd(cost)} instead of {usd(baseline)}{share}", highlight=False
    )

    out.print(
        "\n[bold]2. A budget stops a team[/bold]: team 'ads' has $0.005 a day (action: block); each call's "
        "estimate is reserved before it is sent.",
        highlight=False,
    )
    for r in (r for r in rows if r["act"] == "budget"):
        if "error" in r:
            out.print(f"  team {r['team']:<7} [red]BudgetExceeded[/red]: {r['error']}", highlight=False)
            out.print("                  nothing was sent to the vendor", highlight=False)
        else:
            out.print(
                f"  team {r['team']:<7} served by {r['served_by']} for {usd(r['cost_usd'])}", highlight=False
            )

    out.print("\n[bold]3. The report[/bold] (what `frugal report` prints for this ledger)\n", highlight=False)
    render_terminal(report, out)

    out.print(
        "\n[bold]4. The drop-in[/bold]: either shape of call on either vendor, each returning its own SDK's "
        "objects (here the model named is the model called)",
        highlight=False,
    )
    table(
        out,
        None,
        ["Call", "Model", "Served by", "Returned", "Answer"],
        [
            [r["call"], r["model"], r["served_by"], r["returned"], r["answer"]]
            for r in rows
            if r["act"] == "drop-in"
        ],
    )
    out.print(
        '\nnext: frugal init (a policy of your own), frugal route "PROMPT" (why a model), frugal report '
        "--html report.html (after real calls)",
        highlight=False,
    )


def _saved(row: dict[str, Any]) -> str:
    from ..budgets.report import usd

    saving, baseline = row["savings_usd"], row["baseline_usd"]
    if saving is None or not baseline:
        return usd(saving)
    return f"{usd(saving)} ({saving / baseline:.0%})"
