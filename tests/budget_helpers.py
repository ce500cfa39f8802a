"""Policies and clients for the budget tests."""

from __future__ import annotations

from typing import Any

import frugal
from frugal.policy import Policy, parse_policy
from frugal.testing import VendorStub

#: Two tiers of real models (known prices); budgets are appended per test.
TIERS = """
name: budgets-test
tiers:
  - name: small
    models: [gpt-4o-mini]
  - name: large
    models: [gpt-4.1]
requested_model: {mode}
"""

#: A 4,000-character prompt: ~1,000 input tokens estimated.
PROMPT = [{"role": "user", "content": "Summarise the quarterly report please. " * 100}]


def policy(budgets: str = "", *, mode: str = "honor", extra: str = "") -> Policy:
    """A policy with the two tiers, the given YAML ``budgets:`` block and any extra top-level YAML."""
    text = TIERS.format(mode=mode) + extra + (f"budgets:\n{budgets}" if budgets else "")
    return parse_policy(text, "budgets.yaml")[0]


def client(stub: VendorStub, chosen: Policy, cls: Any = frugal.Client, **options: Any) -> Any:
    """A client (sync or async) against the stub with ``chosen`` as its policy."""
    return cls(
        policy=chosen,
        openai={"api_key": "sk-test", "base_url": stub.openai_base_url},
        anthropic={"api_key": "sk-ant-test", "base_url": stub.anthropic_base_url},
        max_retries=0,
        **options,
    )


class Clock:
    """An injected wall clock that tests move by hand."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
