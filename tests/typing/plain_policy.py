"""Building a policy in code type-checks under plain mypy and pyright (no pydantic plugin): every field
with a default declares it as ``Field(default=...)``, which ``dataclass_transform`` reads."""

from __future__ import annotations

from frugal.catalog import ModelSpec, PricesSpec
from frugal.policy import BudgetSpec, FallbackSpec, LedgerSpec, Policy, ProviderSpec, Rule, Tier

policy = Policy(
    name="typed",
    tiers=[Tier(name="small", models=["gpt-4o-mini"]), Tier(name="large", models=["gpt-4.1"])],
    thresholds=[0.5],
    rules=[Rule(match={"team": "research"}, min_tier="large")],
    providers={"local": ProviderSpec(kind="openai", base_url="http://127.0.0.1:8000/v1")},
    budgets=[BudgetSpec(scope="team", limit_usd=5.0)],
    fallback=FallbackSpec(retries=1),
    ledger=LedgerSpec(url="sqlite:///ledger.db"),
    models={"my-model": ModelSpec(provider="local", prices=PricesSpec(input=0.1, output=0.4))},
)
name: str = policy.name
