"""The router as a pure function: tiers, eligibility, rules, ceilings, and its invariants (hypothesis)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from frugal import RoutingError
from frugal._context import with_context
from frugal._plan import dry_run as decide
from frugal.policy import load_policy
from frugal.providers.calls import CHAT, MESSAGES
from frugal.request import RoutingRequest
from frugal.routing import Decision, Router
from frugal.routing.compile import compile_policy

from .conftest import POLICIES

KINDS = {"openai": "openai", "anthropic": "anthropic"}
ROUTING_POLICY = POLICIES / "routing.yaml"
TIER_OF = {
    "small-text": 0,
    "small-vision": 0,
    "small-anthropic": 0,
    "medium-a": 1,
    "medium-b": 1,
    "large-a": 2,
    "large-anthropic": 2,
}
VISION = {"small-vision", "small-anthropic", "medium-a", "medium-b", "large-a", "large-anthropic"}


def router(available: frozenset[str] = frozenset(KINDS), path: Any = ROUTING_POLICY) -> Router:
    policy, located = load_policy(path)
    return compile_policy(policy, located, providers=KINDS, models={}, available_providers=available)


@pytest.fixture(scope="module")
def routing_router() -> Router:
    return router()


def route(r: Router, score: float, op: Any = CHAT, **params: Any) -> Decision:
    params.setdefault("model", "auto")
    params.setdefault("messages", [{"role": "user", "content": "hello"}])
    extra = params.pop("context", {})
    with with_context(score=score, **extra):
        return decide(r, op, params)


@pytest.mark.parametrize(
    ("score", "tier", "model"),
    [(0.1, "small", "small-text"), (0.5, "medium", "medium-a"), (0.9, "large", "large-a")],
)
def test_score_picks_the_tier_and_the_cheapest_model(
    routing_router: Router, score: float, tier: str, model: str
) -> None:
    """The score maps through the thresholds to a tier; the cheapest eligible model of it is chosen."""
    decision = route(routing_router, score)
    assert (decision.tier, decision.model) == (tier, model)
    assert decision.score == score
    assert decision.reasons == ("score from metadata",)


def test_fallback_chain_is_the_tier_by_cost_then_stronger_tiers(routing_router: Router) -> None:
    """The chain lists the tier's other eligible models by cost, then the next tier's, capped."""
    decision = route(routing_router, 0.1)
    assert [c.model for c in decision.chain] == ["small-text", "small-vision", "small-anthropic"]
    decision = route(routing_router, 0.5)
    assert [c.model for c in decision.chain] == ["medium-a", "medium-b", "large-a"]


def test_images_need_vision(routing_router: Router) -> None:
    """A request with an image skips models without vision."""
    content = [
        {"type": "text", "text": "what is this"},
        {"type": "image_url", "image_url": {"url": "https://x/y.png"}},
    ]
    decision = route(routing_router, 0.1, messages=[{"role": "user", "content": content}])
    assert decision.model == "small-vision"
    assert all(c.model in VISION for c in decision.chain)


def test_tools_need_tool_use(routing_router: Router) -> None:
    """A request offering tools skips models without tool use."""
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    assert route(routing_router, 0.1, tools=tools).model == "small-vision"


def test_context_window_is_respected(routing_router: Router) -> None:
    """A request larger than a model's context window skips that model."""
    long_prompt = "word " * 8000  # ~10k tokens > small-text's 8k window
    assert (
        route(routing_router, 0.1, messages=[{"role": "user", "content": long_prompt}]).model
        == "small-vision"
    )


def test_unavailable_provider_is_skipped() -> None:
    """Models of a provider without credentials are never chosen."""
    only_anthropic = router(frozenset({"anthropic"}))
    decision = route(only_anthropic, 0.1)
    assert decision.model == "small-anthropic"
    assert all(c.provider == "anthropic" for c in decision.chain)


def test_untranslatable_request_stays_on_its_vendor(routing_router: Router) -> None:
    """n=2 cannot be served by Anthropic: only OpenAI models are candidates."""
    decision = route(routing_router, 0.9, n=2)
    assert all(c.kind == "openai" for c in decision.chain)


def test_rules_clamp_pin_and_deny(routing_router: Router) -> None:
    """Rules on metadata raise the floor, cap the tier, pin a model, deny models."""
    assert route(routing_router, 0.1, context={"team": "research"}).tier == "medium"
    assert route(routing_router, 0.9, context={"feature": "autocomplete-v2"}).tier == "small"
    pinned = route(routing_router, 0.1, context={"user": "vip-7"})
    assert (pinned.model, len(pinned.chain)) == ("large-anthropic", 1)
    assert route(routing_router, 0.1, context={"team": "frugal"}).model == "small-vision"


def test_call_metadata_counts_as_context(routing_router: Router) -> None:
    """OpenAI metadata/user and Anthropic metadata.user_id feed the rules like with_context does."""
    decision = decide(
        routing_router,
        CHAT,
        {
            "model": "auto",
            "messages": [{"role": "user", "content": "x"}],
            "metadata": {"team": "research", "score": "0.1"},
        },
    )
    assert decision.tier == "medium"
    decision = decide(
        routing_router,
        MESSAGES,
        {
            "model": "auto",
            "max_tokens": 10,
            "messages": [{"role": "user", "content": "x"}],
            "metadata": {"user_id": "vip-1"},
        },
    )
    assert decision.model == "large-anthropic"


def test_route_names(routing_router: Router) -> None:
    """A route name limits the tiers: 'cheap' never reaches the large tier."""
    decision = route(routing_router, 0.99, model="cheap")
    assert decision.tier == "medium"
    assert decision.route == "cheap"


def test_requested_model_is_a_ceiling(routing_router: Router) -> None:
    """A concrete model is a ceiling: simple prompts go down, hard ones never go above it."""
    down = route(routing_router, 0.1, model="large-anthropic")
    assert down.model == "small-text"
    assert down.baseline_model == "large-anthropic"
    capped = route(routing_router, 0.95, model="medium-a")
    assert capped.model == "medium-a"
    assert all(c.info.rates[0].input <= capped.chain[0].info.rates[0].input for c in capped.chain)


def test_honor_mode_sends_the_requested_model() -> None:
    """requested_model: honor sends exactly the model named, with no classification."""
    r = router(path=POLICIES / "honor.yaml")
    decision = decide(r, CHAT, {"model": "gpt-4.1", "messages": [{"role": "user", "content": "hi"}]})
    assert (decision.model, decision.tier, decision.score) == ("gpt-4.1", "requested", None)


def test_classifier_failure_uses_the_default_tier(tmp_path: Any) -> None:
    """A classifier that raises: the default tier, one warning, marked on the decision."""
    text = ROUTING_POLICY.read_text().replace("tests.helpers:MetadataScore", "tests.helpers:Exploding")
    path = tmp_path / "exploding.yaml"
    path.write_text(text)
    r = router(path=path)
    with pytest.warns(Warning, match="exploding"):
        decision = route(r, 0.1)
    assert decision.classifier_failed
    assert decision.tier == "medium"


def test_no_candidate_raises_routing_error_with_reasons() -> None:
    """When nothing can serve a request, RoutingError says why for each model."""
    r = router(frozenset())
    with pytest.raises(RoutingError, match="not configured"):
        route(r, 0.1)


def test_baseline_is_the_strongest_tier_and_savings_follow(routing_router: Router) -> None:
    """For model='auto' the baseline is the cheapest eligible model of the strongest tier."""
    decision = route(routing_router, 0.1)
    assert decision.baseline_model == "large-a"
    assert decision.estimated_cost_usd is not None
    assert decision.baseline_cost_usd is not None
    assert decision.estimated_savings_usd == pytest.approx(
        decision.baseline_cost_usd - decision.estimated_cost_usd
    )
    assert decision.estimated_savings_usd > 0


# -- invariants ---------------------------------------------------------------------------------

requests = st.fixed_dictionaries(
    {
        "score": st.floats(0, 1),
        "images": st.booleans(),
        "tools": st.booleans(),
        "words": st.integers(1, 12000),
        "max_tokens": st.none() | st.integers(1, 4000),
        "ceiling": st.none() | st.sampled_from(sorted(TIER_OF)),
        "team": st.sampled_from(["a", "research", "frugal"]),
    }
)


def _params(spec: Mapping[str, Any]) -> dict[str, Any]:
    content: Any = "word " * spec["words"]
    if spec["images"]:
        content = [
            {"type": "text", "text": content},
            {"type": "image_url", "image_url": {"url": "https://x/i.png"}},
        ]
    params: dict[str, Any] = {
        "model": spec["ceiling"] or "auto",
        "messages": [{"role": "user", "content": content}],
    }
    if spec["tools"]:
        params["tools"] = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    if spec["max_tokens"] is not None:
        params["max_tokens"] = spec["max_tokens"]
    return params


_INVARIANT_ROUTER: list[Router] = []


@settings(max_examples=150, deadline=None)
@given(spec=requests)
def test_invariants(spec: Mapping[str, Any]) -> None:
    """Never a model lacking a needed capability (unless it is the caller's own choice); never pricier
    than the cheapest eligible one of its tier; never above a requested ceiling."""
    if not _INVARIANT_ROUTER:
        _INVARIANT_ROUTER.append(router())
    r = _INVARIANT_ROUTER[0]
    params = _params(spec)
    try:
        with with_context(score=spec["score"], team=spec["team"]):
            decision = decide(r, CHAT, params)
    except RoutingError:
        return
    chosen = decision.chain[0]
    caps = chosen.info.capabilities
    if chosen.model != spec["ceiling"]:  # nothing cheaper fits: the caller's own model is used as asked
        if spec["images"]:
            assert caps.vision
        if spec["tools"]:
            assert caps.tools
    inputs, outputs = decision.estimated_input_tokens, decision.estimated_output_tokens
    cost = r.catalog.estimate(chosen.info, inputs, outputs)
    assert cost is not None
    if decision.tier in ("small", "medium", "large") and spec["ceiling"] != chosen.model:
        tier = next(t for t in r.tiers if t.name == decision.tier)
        for other in tier.candidates:
            other_caps = other.info.capabilities
            window = other.info.context_window or 1 << 40
            eligible = (
                (not spec["images"] or other_caps.vision)
                and (not spec["tools"] or other_caps.tools)
                and inputs + (spec["max_tokens"] or outputs) <= window
                and not (spec["team"] == "frugal" and other.model == "small-text")
            )
            other_cost = r.catalog.estimate(other.info, inputs, outputs)
            if eligible and other_cost is not None:
                assert cost <= other_cost + 1e-12
    if spec["ceiling"] is not None:
        ceiling = r.place(spec["ceiling"])
        ceiling_cost = r.catalog.estimate(ceiling.info, inputs, outputs)
        assert ceiling_cost is not None
        assert cost <= ceiling_cost + 1e-12


plain_messages = st.lists(
    st.fixed_dictionaries(
        {
            "role": st.sampled_from(["system", "developer", "user", "assistant"]),
            "content": st.text(max_size=30),
        }
    ),
    min_size=1,
    max_size=5,
)


@settings(max_examples=200, deadline=None)
@given(
    messages=plain_messages,
    temperature=st.none() | st.floats(0, 2),
    extra=st.fixed_dictionaries(
        {},
        optional={
            "top_p": st.floats(0, 1),
            "user": st.text(min_size=1, max_size=8),
            "max_tokens": st.integers(1, 9000),
            "n": st.integers(1, 3),
            "logprobs": st.booleans(),
            "stop": st.lists(st.text(min_size=1, max_size=3), max_size=6),
        },
    ),
)
def test_fast_translatability_check_agrees_with_translation(
    messages: list[dict[str, str]], temperature: float | None, extra: dict[str, Any]
) -> None:
    """The router's fast 'plainly translatable' answer never says yes where a full translation says no."""
    from frugal import UnsupportedFeature
    from frugal.providers import translate
    from frugal.providers.calls import _plainly_translatable

    params: dict[str, Any] = {"model": "auto", "messages": messages, **extra}
    if temperature is not None:
        params["temperature"] = temperature
    if _plainly_translatable(CHAT, params):
        translate.check_chat_for_anthropic(params)  # must not raise UnsupportedFeature
    else:  # the slow path decides; it answers with UnsupportedFeature or nothing
        try:
            translate.check_chat_for_anthropic(params)
        except UnsupportedFeature:
            assert set(params) - {"model", "messages", "temperature", "top_p", "user", "max_tokens"} or (
                temperature is not None and temperature > 1
            )


# -- the precomputed fast path agrees with the slow one -------------------------------------------

_ELIGIBILITY_ROUTERS: dict[tuple[str, frozenset[str]], Router] = {}
# Prompt sizes whose token estimate (4 characters a token) sits on a context window or a price bracket.
EDGES = [
    4 * tokens + d for tokens in (8000, 100_000, 128_000, 272_000, 400_000, 1_000_000) for d in (-4, 0, 4)
]


def _router_for(policy: str, available: frozenset[str]) -> Router:
    key = (policy, available)
    if key not in _ELIGIBILITY_ROUTERS:
        path = ROUTING_POLICY if policy == "routing" else None  # None: the built-in default policy
        _ELIGIBILITY_ROUTERS[key] = router(available, path)
    return _ELIGIBILITY_ROUTERS[key]


@settings(max_examples=300, deadline=None)
@given(
    policy=st.sampled_from(["routing", "default"]),
    available=st.sampled_from(
        [frozenset(KINDS), frozenset({"openai"}), frozenset({"anthropic"}), frozenset()]
    ),
    # Up to past 1M tokens (context windows, long-context price brackets), and right at their edges.
    chars=st.integers(0, 5_000_000) | st.sampled_from(EDGES),
    images=st.integers(-1, 3),
    tools=st.integers(-1, 2),
    tool_history=st.booleans(),
    structured=st.booleans(),
    max_tokens=st.none() | st.integers(-5, 2_000_000),
    output_tokens=st.sampled_from([0, 1]) | st.integers(0, 100_000),
    deny=st.frozensets(st.sampled_from([*sorted(TIER_OF), "gpt-5-nano", "claude-opus-5-5", "gpt-6.1-sol"])),
    translatable_kinds=st.frozensets(st.sampled_from(sorted(KINDS))),
)
def test_precomputed_eligibility_and_prices_match_the_slow_path(
    policy: str,
    available: frozenset[str],
    chars: int,
    images: int,
    tools: int,
    tool_history: bool,
    structured: bool,
    max_tokens: int | None,
    output_tokens: int,
    deny: frozenset[str],
    translatable_kinds: frozenset[str],
) -> None:
    """Per tier, the candidates the router keeps (provider and capabilities settled when it is built) are
    exactly those _exclusion() admits, priced as Catalog.estimate prices them."""
    from frugal.request import RoutingRequest

    request = RoutingRequest(
        prompt="x" * chars,
        images=images,
        tools=tools,
        tool_history=tool_history,
        structured_output=structured,
        max_output_tokens=max_tokens,
    )
    _assert_fast_path_agrees(_router_for(policy, available), request, output_tokens, deny, translatable_kinds)


@pytest.mark.parametrize("policy", ["routing", "default"])
def test_precomputed_eligibility_at_the_context_window_edge(policy: str) -> None:
    """A request that needs exactly a candidate's context window fits it; one token more does not."""
    from frugal.request import RoutingRequest

    r = _router_for(policy, frozenset(KINDS))
    windows = {c.info.context_window for tier in r.tiers for c in tier.candidates} - {None}
    for window in sorted(w for w in windows if w is not None):
        for needed in (window - 1, window, window + 1):
            request = RoutingRequest(prompt="x" * (4 * (needed - 1)), max_output_tokens=1)
            assert request.estimated_input_tokens + 1 == needed
            _assert_fast_path_agrees(r, request, 1, frozenset(), frozenset(KINDS))


def _assert_fast_path_agrees(
    r: Router, request: Any, output_tokens: int, deny: frozenset[str], kinds: frozenset[str]
) -> None:
    from frugal.routing.decide import _needs

    inputs = request.estimated_input_tokens

    def translatable(kind: str) -> bool:
        return kind in kinds

    for t, tier in enumerate(r.tiers):
        fast = r._eligible(t, request, _needs(request), deny, translatable, {}, inputs, output_tokens)
        slow = [
            (r.catalog.estimate(c.info, inputs, output_tokens), c)
            for c in tier.candidates
            if r._exclusion(c, request, translatable, deny, inputs, output_tokens) is None
        ]
        ranked = sorted(((float("inf") if cost is None else cost, c) for cost, c in slow), key=lambda x: x[0])
        assert fast == ranked


def test_tools_are_a_capability_not_a_tier() -> None:
    """A request with tools is scored by its content like any other (the default classifiers give tools
    no weight), and only models that support tools can serve it: here the small tier's tool-less model
    is skipped for its tool-capable neighbour, not the call moved up a tier."""
    from frugal.classifiers.heuristic import HeuristicClassifier
    from frugal.classifiers.learned import LearnedClassifier

    plain = RoutingRequest.from_prompt("What time is it in Paris?")
    with_tools = RoutingRequest.from_prompt("What time is it in Paris?", tools=3, tool_chars=600)
    for classifier in (HeuristicClassifier(), LearnedClassifier()):
        assert classifier.classify(with_tools).score == classifier.classify(plain).score
    compiled = router()
    request = RoutingRequest.from_prompt("hi", tools=1, metadata={"score": "0.1"})
    route = compiled.default_route
    decision = compiled.decide(request, route.classifier.classify(request), route)
    assert (decision.tier, decision.model) == ("small", "small-vision")
