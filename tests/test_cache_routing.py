"""Cache-aware routing (policy ``prompt_cache.routing``): a candidate on which the call's prompt prefix is
warm is priced as cached, so routing does not trade a warm cache for a nominally cheaper, cold model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import frugal
from frugal.policy import parse_policy
from frugal.request import RoutingRequest
from frugal.routing.compile import compile_policy
from frugal.routing.decide import Candidate, Router
from frugal.routing.warmth import WarmPrefixes
from frugal.testing import Reply, Usage, VendorStub
from frugal.usage import TokenUsage

from .conftest import vendor_options
from .redis_server import RedisServer

SYSTEM = "You are the agent of Example Corp. Follow the handbook below.\n" + "Handbook rule. " * 2700
HARD, EASY = {"score": "0.9"}, {"score": "0.1"}


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _client(
    stub: VendorStub,
    tmp_path: Any,
    tiers: str,
    *,
    routing: bool = True,
    ledger: str = "memory://",
    **extra: Any,
) -> frugal.Client:
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "classifier: {name: 'tests.helpers:MetadataScore'}\n"
        f"vendors: any\n{tiers}thresholds: [0.5]\n"
        "rules:\n  - {match: {feature: cheap}, max_tier: small}\n"
        f"prompt_cache: {{anthropic: true, openai: true, routing: {str(routing).lower()}}}\n"
        f"ledger: '{ledger}'\n",
        encoding="utf-8",
    )
    return frugal.Client(**vendor_options(stub, policy=policy, **extra))  # type: ignore[arg-type]


CLAUDE = """tiers:
  - {name: small, models: [claude-haiku-4-5], expected_output_tokens: 100}
  - {name: large, models: [claude-sonnet-4-5], expected_output_tokens: 100}
"""
GPT = """tiers:
  - {name: small, models: [gpt-5-mini], expected_output_tokens: 100}
  - {name: large, models: [gpt-5], expected_output_tokens: 100}
"""


def _turns(n: int) -> list[dict[str, str]]:
    """A conversation of ``n`` user turns (the last one unanswered)."""
    messages = []
    for i in range(n):
        messages.append({"role": "user", "content": f"Question {i} about order {1000 + i}? " * 10})
        if i < n - 1:
            messages.append({"role": "assistant", "content": f"Answer {i}: it shipped on day {i}."})
    return messages


def _chat(c: frugal.Client, turns: int, metadata: Mapping[str, str], **params: Any) -> Any:
    with frugal.with_context(**metadata):
        return c.chat.completions.create(
            model="auto", messages=[{"role": "system", "content": SYSTEM}, *_turns(turns)], **params
        )


def _claude_usage(stub: VendorStub) -> None:
    """Claude answers as a cache would: the first sends write the prefix, later ones read it."""
    stub.reply(
        "claude-sonnet-4-5",
        Reply(usage=Usage(input_tokens=10_300, output_tokens=50, cache_write_tokens=10_200)),
    )
    stub.reply("claude-haiku-4-5", Reply(usage=Usage(input_tokens=10_300, output_tokens=50)))


def test_a_conversation_warm_on_a_stronger_model_stays_there_while_that_is_cheaper(
    stub: VendorStub, tmp_path: Any
) -> None:
    """Turn 1 is hard (Sonnet, which writes the 10k-token prefix to its cache); turn 2 is easy: Haiku cold
    would cost more than Sonnet reading its warm prefix, so Sonnet serves it, and the decision says why.
    Without cache-aware routing the easy turn goes to Haiku and pays for the prefix again."""
    _claude_usage(stub)
    c = _client(stub, tmp_path, CLAUDE)
    assert _chat(c, 1, HARD).model == "claude-sonnet-4-5"
    with frugal.with_context(**EASY):
        dry = c.route(messages=[{"role": "system", "content": SYSTEM}, *_turns(2)])
    assert dry.model == "claude-sonnet-4-5"
    assert any(r.startswith("cache: prefix warm on claude-sonnet-4-5 (~10200 tokens)") for r in dry.reasons)
    haiku_cold = c._setup.router.catalog.estimate("claude-haiku-4-5", dry.estimated_input_tokens, 100)
    assert dry.estimated_cost_usd is not None
    assert haiku_cold is not None
    assert dry.estimated_cost_usd < haiku_cold, "priced with the warm prefix as cached"
    assert _chat(c, 2, EASY).model == "claude-sonnet-4-5"

    plain = _client(stub, tmp_path, CLAUDE, routing=False)
    assert _chat(plain, 1, HARD).model == "claude-sonnet-4-5"
    assert _chat(plain, 2, EASY).model == "claude-haiku-4-5", "without it, the cache is traded away"


def test_a_cold_prefix_a_weaker_warm_model_and_a_rule_leave_routing_alone(
    stub: VendorStub, tmp_path: Any
) -> None:
    """The prefix goes cold after its TTL; a rule capping the tier wins over a warm cache; a model warm in
    a weaker tier than the call needs is never chosen for it; a different system prompt is cold."""
    _claude_usage(stub)
    stub.reply(
        "claude-haiku-4-5",
        Reply(usage=Usage(input_tokens=10_300, output_tokens=50, cache_write_tokens=10_200)),
    )
    clock = Clock()
    c = _client(stub, tmp_path, CLAUDE, clock=clock)
    _chat(c, 1, HARD)
    with frugal.with_context(**EASY, feature="cheap"):
        assert (
            c.route(messages=[{"role": "system", "content": SYSTEM}, *_turns(2)]).model == "claude-haiku-4-5"
        )
    with frugal.with_context(**EASY):
        other = c.route(messages=[{"role": "system", "content": SYSTEM + " v2"}, *_turns(2)])
    assert other.model == "claude-haiku-4-5"
    assert not any(r.startswith("cache:") for r in other.reasons)
    clock.now += 301  # the 5-minute cache is gone
    assert _chat(c, 2, EASY).model == "claude-haiku-4-5"
    # Now warm on Haiku (it wrote the prefix): a hard turn still needs Sonnet.
    with frugal.with_context(**HARD):
        hard = c.route(messages=[{"role": "system", "content": SYSTEM}, *_turns(3)])
    assert hard.model == "claude-sonnet-4-5"
    assert (
        "cache: prefix warm on claude-haiku-4-5, not eligible or still dearer than claude-sonnet-4-5"
        in hard.reasons
    )


def test_openai_prompts_are_warm_by_themselves_and_streams_count(stub: VendorStub, tmp_path: Any) -> None:
    """OpenAI caches any prompt of 1,024 tokens or more: after a streamed hard turn on gpt-5, the easy
    next turn stays on gpt-5 (cached input at a tenth of the price beats gpt-5-mini cold)."""
    stub.reply(None, Reply(usage=Usage(input_tokens=10_300, output_tokens=50)))
    c = _client(stub, tmp_path, GPT)
    stream = _chat(c, 1, HARD, stream=True)
    assert list(stream)
    assert c.ledger is not None
    with frugal.with_context(**EASY):
        dry = c.route(messages=[{"role": "system", "content": SYSTEM}, *_turns(2)])
    assert dry.model == "gpt-5"
    assert any(r.startswith("cache: prefix warm on gpt-5 (~10240 tokens)") for r in dry.reasons), dry.reasons
    assert _chat(c, 2, EASY).model == "gpt-5"
    assert [r.model for r in c.ledger.records()] == ["gpt-5", "gpt-5"]


def test_the_fleet_shares_warm_prefixes_through_a_redis_ledger(
    stub: VendorStub, tmp_path: Any, redis_server: RedisServer
) -> None:
    """With a Redis ledger, what one process left warm routes the next turn on another (here: two
    clients, each with its own memory of warm prefixes)."""
    _claude_usage(stub)
    first = _client(stub, tmp_path, CLAUDE, ledger=redis_server.url)
    second = _client(stub, tmp_path, CLAUDE, ledger=redis_server.url)
    assert _chat(first, 1, HARD).model == "claude-sonnet-4-5"
    first.close()  # its fleet writes are done
    assert _chat(second, 2, EASY).model == "claude-sonnet-4-5"
    second.close()


async def test_the_async_client_reads_the_fleet_off_the_event_loop(
    stub: VendorStub, tmp_path: Any, redis_server: RedisServer
) -> None:
    """The async client routes on the fleet's warmth too (its Redis read runs in a worker thread)."""
    _claude_usage(stub)
    sync = _client(stub, tmp_path, CLAUDE, ledger=redis_server.url)
    assert _chat(sync, 1, HARD).model == "claude-sonnet-4-5"
    sync.close()
    policy = tmp_path / "p.yaml"
    async with frugal.AsyncClient(**vendor_options(stub, policy=policy)) as c:  # type: ignore[arg-type]
        with frugal.with_context(**EASY):
            answer = await c.chat.completions.create(
                model="auto", messages=[{"role": "system", "content": SYSTEM}, *_turns(2)]
            )
    assert answer.model == "claude-sonnet-4-5"


def test_a_fleet_that_fails_only_costs_the_fleet_s_warmth(stub: VendorStub, tmp_path: Any) -> None:
    """A fleet store that raises is logged, and the call is routed on this process's warmth."""

    class Broken:
        def warm_read(self, roots: Any) -> Any:
            raise ConnectionError("down")

        def warm_write(self, entries: Any) -> None:
            raise ConnectionError("down")

    _claude_usage(stub)
    c = _client(stub, tmp_path, CLAUDE)
    assert c._setup.warmth is not None
    c._setup.warmth.fleet = Broken()
    assert _chat(c, 1, HARD).model == "claude-sonnet-4-5"
    c._setup.warmth.flush()
    assert _chat(c, 2, EASY).model == "claude-sonnet-4-5"


# -- the property: never a dearer model than the warm one, unless a cap forces it -------------------------

POLICY = """
classifier: {name: 'tests.helpers:MetadataScore'}
tiers:
  - {name: small, models: [s-a, s-b], expected_output_tokens: 200}
  - {name: medium, models: [m-a, m-b], expected_output_tokens: 300}
  - {name: large, models: [l-a, l-b], expected_output_tokens: 500}
thresholds: [0.33, 0.66]
models:
  s-a: {provider: openai, prices: {input: 0.15, cache_read: 0.075, output: 0.6}}
  s-b: {provider: anthropic, prices: {input: 1.0, cache_read: 0.1, output: 5.0}}
  m-a: {provider: openai, prices: {input: 1.25, cache_read: 0.125, output: 10.0}}
  m-b: {provider: anthropic, prices: {input: 3.0, cache_read: 0.3, output: 15.0}}
  l-a: {provider: openai, prices: {input: 2.0, cache_read: 0.5, output: 8.0}}
  l-b: {provider: anthropic, prices: {input: 5.0, cache_read: 0.5, output: 25.0}}
"""
MODELS = ["s-a", "s-b", "m-a", "m-b", "l-a", "l-b"]


def _router() -> Router:
    policy, located = parse_policy(POLICY, "p.yaml")
    kinds = {"openai": "openai", "anthropic": "anthropic"}
    return compile_policy(policy, located, providers=kinds, models={}, available_providers=frozenset(kinds))


ROUTER = _router()


def _cost(router: Router, candidate: Candidate, tokens: int, output: int, warm: Mapping[str, int]) -> float:
    cached = warm.get(f"{candidate.provider}:{candidate.model}", 0)
    cost = router.catalog.estimate(candidate.info, tokens, output, cached)
    assert cost is not None
    return cost


@settings(max_examples=300, deadline=None)
@given(
    score=st.floats(0, 1),
    tokens=st.integers(1_000, 150_000),
    warm_models=st.dictionaries(st.sampled_from(MODELS), st.floats(0.05, 1.0), max_size=3),
)
def test_never_a_model_dearer_than_a_warm_one_of_a_tier_good_enough(
    score: float, tokens: int, warm_models: dict[str, float]
) -> None:
    """Property: the chosen model is of the tier the call needs or stronger, and costs (its own warm
    prefix counted) no more than any model warm in a tier at least as strong as the one the call needs."""
    router = ROUTER
    request = RoutingRequest(prompt="x" * (tokens * 4), metadata={"score": str(score)})
    classification = router.default_route.classifier.classify(request)
    places = {c.model: c for tier in router.tiers for c in tier.candidates}
    warm = {f"{places[m].provider}:{m}": int(share * tokens) for m, share in warm_models.items()}
    needed = sum(score > t for t in router.default_route.thresholds)
    decision = router.decide(request, classification, router.default_route, warm=warm)
    tier_of = {c.model: tier.index for tier in router.tiers for c in tier.candidates}
    chosen = decision.chain[0]
    assert tier_of[chosen.model] >= needed, "never weaker than the call needs"
    output = decision.estimated_output_tokens
    chosen_cost = _cost(router, chosen, tokens, output, warm)
    assert decision.estimated_cost_usd == pytest.approx(chosen_cost)
    for model in warm_models:
        if tier_of[model] >= needed:
            rival = _cost(router, places[model], tokens, output, warm)
            assert chosen_cost <= rival + 1e-12, f"{chosen.model} chosen over warm {model}"


def test_warmth_is_kept_as_hashes_with_two_roots() -> None:
    """What the process keeps is hashes and counts, never text; a shared system prompt is warm for a new
    conversation, a conversation's turns only for itself."""
    clock = Clock()
    warmth = WarmPrefixes(clock=clock)
    first = RoutingRequest(prompt="What is the refund policy for order 77?" * 10, system=SYSTEM, history="")
    warmth.record(first, "openai", "openai", "gpt-5", TokenUsage(input_tokens=10_400))
    kept = repr(warmth._roots)
    assert "Handbook" not in kept
    assert "refund" not in kept
    other = RoutingRequest(prompt="Something else entirely", system=SYSTEM)
    assert warmth.lookup(other) == {"openai:gpt-5": 10_112}, "the system prompt alone, in 128-token steps"
    follow_up = RoutingRequest(
        prompt="And order 78?", system=SYSTEM, history=first.prompt + "\nIt is 30 days."
    )
    assert warmth.lookup(follow_up) == {"openai:gpt-5": 10_368}
    clock.now += 301
    assert warmth.lookup(follow_up) == {}
