"""A demo ledger: routed calls through the real client against the loopback stub, over four weeks.

Run: ``python scripts/report_demo.py LEDGER_URL POLICY_FILE [--calls 1000] [--days 28]``: writes the
policy (the built-in default tiers plus budgets and the ledger URL) to POLICY_FILE and fills the ledger.
Teams, users and features call with prompts from one-word greetings to design questions, some naming a
premium model (a ceiling that routing brings down for simple prompts); the clock is injected so the calls
spread over the days (a two-week report then has a previous period to compare with) and the budgets block
and downgrade some of them. No API key, no network.
"""

from __future__ import annotations

import argparse
import logging
import random
import warnings
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import frugal
from frugal.policy import find_policy_source
from frugal.testing import Reply, Usage, VendorStub

BUDGETS = """
budgets:
  - {name: team-daily, scope: team, limit_usd: 0.10, window: day, action: block}
  - {name: autocomplete-cap, scope: feature, match: autocomplete, limit_usd: 0.05, window: day,
     action: downgrade, downgrade_to: small}
  - {name: user-weekly, scope: user, limit_usd: 1.50, window: week, action: warn, thresholds: [0.5, 0.8]}
  - {name: company-monthly, limit_usd: 25, window: month, action: block}
"""

PROMPTS = [
    ("hi!", 40),
    ("What is the capital of France?", 60),
    ("Translate 'good morning' into Spanish.", 50),
    ("Summarise this paragraph in one sentence: " + "The quarterly numbers improved. " * 20, 300),
    ("Write a Python function that parses ISO dates and handles time zones, with tests.", 900),
    ("Explain step by step how to prove that there are infinitely many primes.", 1100),
    ("Design a multi-region event-sourced billing system; compare consistency trade-offs.", 1600),
    ("Review this SQL migration for locking problems:\n" + "ALTER TABLE orders ADD COLUMN x int;\n" * 8, 500),
    ("Draft a polite reply to a customer whose refund is late, in three short paragraphs.", 400),
]
TEAMS = {"search": ["ann", "bo"], "ads": ["cy", "dee", "eli"], "support": ["fay"], "research": ["gus", "hal"]}
FEATURES = ["chat", "autocomplete", "summaries", "agent"]
PREMIUM = ["claude-opus-5-5", "gpt-6.1-sol"]


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("ledger")
    parser.add_argument("policy")
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    logging.getLogger("frugal").setLevel(logging.ERROR)  # the demo's budgets log as they work

    default = find_policy_source("src/frugal/policies/default.yaml")[1]
    Path(args.policy).write_text(default + BUDGETS + f"ledger: {args.ledger}\n", encoding="utf-8")
    rng = random.Random(args.seed)
    start = datetime.now(timezone.utc) - timedelta(days=args.days)
    clock = Clock(start.timestamp())
    served = blocked = 0
    with VendorStub() as stub, warnings.catch_warnings():
        warnings.simplefilter("ignore", frugal.FrugalWarning)
        client = frugal.Client(
            policy=args.policy,
            openai={"api_key": "sk-demo", "base_url": stub.openai_base_url},
            anthropic={"api_key": "sk-ant-demo", "base_url": stub.anthropic_base_url},
            max_retries=0,
            clock=clock,
        )
        for index in range(args.calls):
            clock.now = start.timestamp() + (index + rng.random()) * (args.days * 86_400 / args.calls)
            team = rng.choice(list(TEAMS))
            prompt, output = rng.choice(PROMPTS)
            model = rng.choice(PREMIUM) if rng.random() < 0.45 else "auto"
            usage = Usage(input_tokens=len(prompt) // 4 + rng.randint(200, 1500), output_tokens=output)
            stub.queue(None, Reply(text="ok", usage=usage))
            params: dict[str, Any] = {"model": model, "messages": [{"role": "user", "content": prompt}]}
            with client.with_context(team=team, user=rng.choice(TEAMS[team]), feature=rng.choice(FEATURES)):
                try:
                    client.chat.completions.create(**params)
                    served += 1
                except frugal.BudgetExceeded:
                    blocked += 1
                    stub.reset()
    print(f"report_demo: {served} calls served, {blocked} blocked, into {args.ledger}")


if __name__ == "__main__":
    main()
