"""Issue 18 item 6, the part in the call path: keyless providers, a provider's missing key reported when
the client is built, ``provider/model`` priced as the model it names, rate-limited budget log lines."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import pytest

import frugal
import frugal.policy
from frugal.testing import Reply, Usage, VendorStub

OLLAMA = """
extends: default
providers:
  ollama: {{kind: openai, base_url: "{url}", {key}}}
models:
  llama3.2: {{provider: ollama, prices: {{input: 0.01, output: 0.02}}}}
tiers:
  - {{name: small, models: [llama3.2]}}
  - {{name: large, models: [gpt-4.1]}}
thresholds: [0.5]
default_tier: small
requested_model: honor
"""


def ollama(tmp_path: Path, stub: VendorStub, key: str) -> str:
    path = tmp_path / "frugal.yaml"
    path.write_text(OLLAMA.format(url=stub.openai_base_url, key=key), encoding="utf-8")
    return str(path)


def test_a_keyless_provider_needs_no_variable(stub: VendorStub, tmp_path: Path) -> None:
    """`api_key: none` in a policy's provider: a local server that takes no key is routable and called."""
    client = frugal.Client(policy=ollama(tmp_path, stub, "api_key: none"))
    answer = client.chat.completions.create(model="llama3.2", messages=[{"role": "user", "content": "hi"}])
    assert answer.model == "llama3.2"


def test_a_provider_whose_key_variable_is_unset_is_reported_when_the_client_is_built(
    stub: VendorStub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A provider the policy configures with `api_key_env: VAR`, VAR unset: a ConfigError at build naming
    the variable and the policy's line, not a missing-key error at the first call."""
    monkeypatch.delenv("OLLAMA_API_KEY", raising=False)
    with pytest.raises(frugal.ConfigError, match=r"frugal.yaml:4:\d+: .*OLLAMA_API_KEY"):
        frugal.Client(policy=ollama(tmp_path, stub, "api_key_env: OLLAMA_API_KEY"))


def test_provider_slash_model_uses_the_price_declared_for_the_model(
    stub: VendorStub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`model="ollama/llama3.2"` is priced as `llama3.2` is declared: no UnpricedModelWarning, a cost."""
    monkeypatch.setenv("OLLAMA_API_KEY", "ollama")
    client = frugal.Client(policy=ollama(tmp_path, stub, "api_key_env: OLLAMA_API_KEY"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", frugal.UnpricedModelWarning)
        decision = client.route(model="ollama/llama3.2", messages=[{"role": "user", "content": "hi"}])
    assert decision.estimated_cost_usd is not None


def test_budget_log_lines_are_rate_limited(
    stub: VendorStub, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    """A `warn` budget over its limit logs one line per budget and value for a run of calls (with the
    count of calls since), not one line per call."""
    policy = (
        "tiers:\n  - {name: all, models: [gpt-4o-mini]}\nrequested_model: honor\n"
        "budgets:\n  - {name: tiny, scope: team, limit_usd: 0.000001, action: warn}\n"
    )
    stub.reply(None, Reply(usage=Usage(100, 10)))
    client = frugal.Client(
        policy=frugal.policy.parse_policy(policy, "p.yaml")[0],
        openai={"api_key": "sk-test", "base_url": stub.openai_base_url},
        anthropic={"api_key": "sk-ant-test", "base_url": stub.anthropic_base_url},
    )
    with caplog.at_level(logging.WARNING, "frugal"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(30):
            with client.with_context(team="ads"):
                client.chat.completions.create(
                    model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}]
                )
    over = [r for r in caplog.records if "over the limit" in r.getMessage()]
    assert 1 <= len(over) <= 2
