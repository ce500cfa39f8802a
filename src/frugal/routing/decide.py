"""The router: a pure decision of which model serves a request, and what to fall back to.

``Router.decide(request, classification, route, translatable)`` maps the classifier's score to a tier
through the route's thresholds, clamps it with the matching rules, keeps the tier's candidates that can
serve the request (capabilities, context window, provider configured, translation possible, not
denied, not above a ceiling), takes the cheapest by estimated cost and lines the others up as the
fallback chain. No I/O, no clock, no randomness: the same inputs give the same :class:`Decision`.

A :class:`Router` is a compiled policy: model names placed on providers, prices and capabilities
resolved from the catalog, rules' globs compiled, classifiers loaded. Compiling raises
:class:`~frugal.exceptions.ConfigError` (with file:line) for anything unusable. What does not depend on
the request (whether a candidate's provider is configured, its capabilities, its prices) is settled when
the router is built: a decision loops over the few candidates left, and works out why the others were
left out only when it has to say so in a :class:`~frugal.exceptions.RoutingError`.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial

from .._util import warn_once
from ..catalog import Catalog, ModelInfo
from ..classifiers.base import Classification, Classifier
from ..exceptions import RoutingError
from ..policy import FallbackSpec, Policy, WhenSpec
from ..request import RoutingRequest

__all__ = [
    "AUTO",
    "Candidate",
    "Decision",
    "RouteConfig",
    "Router",
    "Routing",
    "RuleConfig",
    "TierConfig",
    "classify_safely",
]

#: The model name that asks frugal to choose freely with the policy's default route.
AUTO = "auto"
#: Output tokens expected of a call whose model is not chosen by a tier (it gave no output limit).
UNROUTED_OUTPUT_TOKENS = 400


@dataclass(frozen=True, slots=True)
class Candidate:
    """A model a call may go to."""

    model: str
    provider: str
    kind: str
    info: ModelInfo


@dataclass(frozen=True, slots=True)
class TierConfig:
    """A compiled tier (``max_output_tokens`` and ``reasoning_effort``: defaults sent when the caller set
    none; None: nothing is added)."""

    name: str
    index: int
    candidates: tuple[Candidate, ...]
    expected_output_tokens: int
    max_output_tokens: int | None = None
    reasoning_effort: str | None = None


@dataclass(frozen=True, slots=True)
class RouteConfig:
    """A compiled route: the tiers it may use, its thresholds and classifier."""

    name: str
    tiers: tuple[int, ...]
    thresholds: tuple[float, ...]
    classifier: Classifier
    min_tier: int = 0
    max_tier: int = 1 << 30
    max_output_tokens: int | None = None
    reasoning_effort: str | None = None
    background: bool = False


@dataclass(frozen=True, slots=True)
class RuleConfig:
    """A compiled rule."""

    match: tuple[tuple[str, re.Pattern[str]], ...]
    when: WhenSpec | None
    min_tier: int | None
    max_tier: int | None
    pin: Candidate | None
    deny: frozenset[str]

    def applies(self, request: RoutingRequest) -> bool:
        """Whether the request's metadata and properties match."""
        for key, pattern in self.match:
            value = request.metadata.get(key)
            if value is None or not pattern.fullmatch(value):
                return False
        when = self.when
        if when is None:
            return True
        tokens = request.estimated_input_tokens
        return not (
            (when.tools is not None and when.tools != request.needs_tools)
            or (when.images is not None and when.images != (request.images > 0))
            or (when.structured_output is not None and when.structured_output != request.structured_output)
            or (when.min_input_tokens is not None and tokens < when.min_input_tokens)
            or (when.max_input_tokens is not None and tokens > when.max_input_tokens)
            or (when.operation is not None and when.operation != request.operation)
        )


@dataclass(frozen=True, slots=True)
class Decision:
    """Which model serves a call, why, and what it is expected to cost.

    Attributes:
        model: the chosen model (the first of ``chain``).
        provider: the provider that serves it.
        chain: the chosen candidate and its fallbacks, in order.
        tier: the chosen tier's name (``"requested"`` when a requested model was honoured).
        score: the classifier's score, or None when no classification was made.
        reasons: short explanations (classifier signals and routing steps); never prompt text.
        classifier: the classifier's name ("" when none ran).
        classifier_failed: the classifier raised; the policy's default tier was used.
        route: the route's name.
        requested_model: the model the caller named.
        estimated_cost_usd: estimated cost of the call on ``model`` (None when a price is unknown).
        baseline_model: what would have served the call without frugal: the requested model, or the
            cheapest eligible model of the strongest tier.
        baseline_cost_usd: its estimated cost.
        estimated_input_tokens: the local input token estimate used.
        estimated_output_tokens: the output token estimate used.
    """

    model: str
    provider: str
    chain: tuple[Candidate, ...]
    tier: str
    score: float | None
    reasons: tuple[str, ...]
    classifier: str
    classifier_failed: bool
    route: str
    requested_model: str | None
    estimated_cost_usd: float | None
    baseline_model: str | None
    baseline_cost_usd: float | None
    estimated_input_tokens: int
    estimated_output_tokens: int

    @property
    def estimated_savings_usd(self) -> float | None:
        """Baseline minus chosen estimate (None when either is unknown)."""
        if self.estimated_cost_usd is None or self.baseline_cost_usd is None:
            return None
        return self.baseline_cost_usd - self.estimated_cost_usd

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready view (``frugal route --json``)."""
        return {
            "model": self.model,
            "provider": self.provider,
            "tier": self.tier,
            "score": self.score,
            "reasons": list(self.reasons),
            "classifier": self.classifier,
            "classifier_failed": self.classifier_failed,
            "route": self.route,
            "requested_model": self.requested_model,
            "chain": [c.model for c in self.chain],
            "estimated_input_tokens": self.estimated_input_tokens,
            "estimated_output_tokens": self.estimated_output_tokens,
            "estimated_cost_usd": self.estimated_cost_usd,
            "baseline_model": self.baseline_model,
            "baseline_cost_usd": self.baseline_cost_usd,
            "estimated_savings_usd": self.estimated_savings_usd,
        }


_INF = float("inf")
_NOTHING: frozenset[str] = frozenset()

# A request's needs and a candidate's lacks, as bit sets: a candidate can serve the request only if their
# intersection is empty. The router sorts its candidates by these once, when it is built.
_TOOLS, _VISION, _STRUCTURED = 1, 2, 4
_ALL_NEEDS = _TOOLS | _VISION | _STRUCTURED


def _needs(request: RoutingRequest) -> int:
    return (
        (_TOOLS if request.needs_tools else 0)
        | (_VISION if request.images else 0)
        | (_STRUCTURED if request.structured_output else 0)
    )


def _lacks(candidate: Candidate) -> int:
    caps = candidate.info.capabilities
    return (
        (0 if caps.tools else _TOOLS)
        | (0 if caps.vision else _VISION)
        | (0 if caps.structured_output else _STRUCTURED)
    )


def _only(kinds: frozenset[str], translatable: Callable[[str], bool]) -> Callable[[str], bool]:
    """``translatable`` restricted to provider ``kinds``."""
    return lambda kind: kind in kinds and translatable(kind)


def _cost_key(item: tuple[float, Candidate]) -> float:
    return item[0]


def _tiers(
    route_tiers: tuple[int, ...], low: int, high: int, position: int
) -> tuple[int, int, tuple[int, ...], tuple[int, ...]]:
    """(the scored tier, the tier after the rules' clamp, the allowed tiers, the order to scan them in)."""
    allowed = tuple(t for t in route_tiers if low <= t <= high) or (
        min(route_tiers, key=lambda t: abs(t - low)),
    )
    scored = route_tiers[min(position, len(route_tiers) - 1)]
    tier_index = min(max(scored, allowed[0]), allowed[-1])
    return scored, tier_index, allowed, _order(tier_index, allowed)


def _order(tier_index: int, allowed: tuple[int, ...]) -> tuple[int, ...]:
    """The chosen tier, then the stronger allowed ones upwards, then the weaker ones downwards."""
    return (
        tier_index,
        *(t for t in allowed if t > tier_index),
        *(t for t in reversed(allowed) if t < tier_index),
    )


def _is_warm(candidate: Candidate, warm: Mapping[str, int]) -> bool:
    return f"{candidate.provider}:{candidate.model}" in warm


def _warm_first(
    chain: list[tuple[float, Candidate]],
    stronger: list[tuple[float, Candidate]],
    warm: Mapping[str, int],
    cost: Callable[[Candidate], float | None],
) -> list[tuple[float, Candidate]]:
    """The chain with the cheapest warm candidate of a stronger tier first, when it costs (``cost``) less
    than the chain's first: a warm cache is worth more than a nominally cheaper, cold model."""
    priced = [(cost(c), c) for _, c in stronger if _is_warm(c, warm)]
    best = min(((p, c) for p, c in priced if p is not None), key=_cost_key, default=None)
    if best is None or best[0] >= chain[0][0]:
        return chain
    return [best, *chain]


def _warm_reason(first: tuple[float, Candidate], warm: Mapping[str, int]) -> str:
    """What cache-aware routing did, for the decision's reasons."""
    cost, candidate = first
    key = f"{candidate.provider}:{candidate.model}"
    if key in warm:
        return f"cache: prefix warm on {candidate.model} (~{warm[key]} tokens), priced as cached: ${cost:.6f}"
    models = ", ".join(sorted(name.split(":", 1)[1] for name in warm))
    return f"cache: prefix warm on {models}, not eligible or still dearer than {candidate.model}"


@dataclass(frozen=True, slots=True)
class Router:
    """A compiled policy; :meth:`decide` is the routing decision."""

    policy: Policy
    policy_id: str
    tiers: tuple[TierConfig, ...]
    default_route: RouteConfig
    routes: Mapping[str, RouteConfig]
    rules: tuple[RuleConfig, ...]
    default_tier: int
    fallback: FallbackSpec
    catalog: Catalog
    available_providers: frozenset[str]
    place: Callable[[str], Candidate] = field(repr=False)
    count_tokens: Callable[[str], int] | None = field(default=None, repr=False)
    _plans: tuple[tuple[tuple[Candidate, ...], ...], ...] = field(init=False, repr=False, compare=False)
    _room: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # What does not depend on the request is settled once: per tier and per set of needed
        # capabilities, the candidates whose provider is configured and which have those capabilities.
        plans = tuple(
            tuple(
                tuple(
                    c
                    for c in tier.candidates
                    if c.provider in self.available_providers and not _lacks(c) & needs
                )
                for needs in range(_ALL_NEEDS + 1)
            )
            for tier in self.tiers
        )
        object.__setattr__(self, "_plans", plans)
        # How many candidates fill the chain: without fallback, the first one does.
        fallback = self.fallback
        room = fallback.max_candidates if fallback.enabled else min(1, fallback.max_candidates)
        object.__setattr__(self, "_room", room)

    def estimate(self, request: RoutingRequest, candidate: Candidate) -> float | None:
        """The pre-call cost estimate of an unrouted call on ``candidate``: its input tokens, and its output
        limit (or :data:`UNROUTED_OUTPUT_TOKENS`; none for embeddings). None when the price is unknown."""
        if request.operation == "embeddings":
            output_tokens = 0
        else:
            output_tokens = request.max_output_tokens or UNROUTED_OUTPUT_TOKENS
        return self.catalog.estimate(candidate.info, request.estimated_input_tokens, output_tokens)

    def tier_named(self, name: str) -> TierConfig | None:
        """The tier of that name (None: ``"requested"``, a model honoured outside the tiers)."""
        return next((tier for tier in self.tiers if tier.name == name), None)

    def route_for(self, requested: str | None) -> tuple[RouteConfig, str | None]:
        """(route, concrete requested model or None) for the ``model=`` the caller gave."""
        if requested is None or requested == AUTO:
            return self.default_route, None
        route = self.routes.get(requested)
        if route is not None:
            return route, None
        return self.default_route, requested

    def decide(
        self,
        request: RoutingRequest,
        classification: Classification | None,
        route: RouteConfig,
        requested: str | None = None,
        translatable: Callable[[str], bool] = lambda kind: True,
        *,
        classifier_failed: bool = False,
        min_tier: int | None = None,
        max_tier: int | None = None,
        pin: Candidate | None = None,
        kinds: frozenset[str] | None = None,
        warm: Mapping[str, int] | None = None,
    ) -> Decision:
        """Choose the model for ``request``.

        Args:
            request: the vendor-neutral view of the call.
            classification: the route classifier's verdict (None when it failed or was not needed).
            route: from :meth:`route_for`.
            requested: the concrete model the caller named, if any (from :meth:`route_for`).
            translatable: whether a provider *kind* other than the call's shape can serve it.
            classifier_failed: the classifier raised; use the default tier.
            min_tier: a floor on the tier (a cascade's escalation); unlike a rule's ``min_tier`` it yields to
                every cap (route, rules, ``max_tier``): it never lifts a call above one.
            max_tier: a cap on the tier (a budget's ``downgrade``), applied like a rule's ``max_tier``.
            pin: a model the call must use (a budget's ``downgrade`` to a model), like a rule's ``pin``.
            kinds: the provider kinds that may serve the call (None: any); the policy's ``vendors: caller``
                keeps a call naming a concrete model on that model's vendor.
            warm: ``provider:model`` → the tokens of the call's prefix warm in that model's prompt cache
                (cache-aware routing): such a candidate is priced with them as cached, and one in a
                stronger allowed tier than the call needs is chosen when that makes it the cheapest.

        Raises:
            RoutingError: no candidate can serve the request (each exclusion reason is listed).
        """
        mode = self.policy.requested_model
        requested_candidate = self.place(requested) if requested is not None else None
        reasons: list[str] = []
        capped = min_tier is not None or max_tier is not None or pin is not None
        if requested_candidate is not None and mode == "honor" and not capped:
            return self._honour(request, requested_candidate, route)

        # 1. score -> tier, clamped by the route and the rules.
        if classification is None or classifier_failed:
            position = self._position(route, self.default_tier)
            score = None
            reasons.append("classifier failed: default tier" if classifier_failed else "no classification")
        else:
            score = classification.score
            position = bisect.bisect_right(route.thresholds, score)
            reasons.extend(classification.reasons)
        low = route.min_tier
        high = route.max_tier if max_tier is None else min(route.max_tier, max_tier)
        deny: frozenset[str] | set[str] = _NOTHING
        for rule in self.rules:
            if rule.applies(request):
                if rule.min_tier is not None:
                    low = max(low, rule.min_tier)
                if rule.max_tier is not None:
                    high = min(high, rule.max_tier)
                if rule.deny:
                    deny = deny | rule.deny
                if pin is None and rule.pin is not None:
                    pin = rule.pin
        if min_tier is not None:  # a cascade's floor yields to every cap: it never lifts a call past one
            low = max(low, min(min_tier, high))
        scored, tier_index, allowed, order = _tiers(route.tiers, low, high, position)
        if tier_index != scored:
            reasons.append(f"rule: tier {self.tiers[scored].name} -> {self.tiers[tier_index].name}")

        input_tokens = request.estimated_input_tokens
        needs = _needs(request)
        if kinds is not None:
            translatable = _only(kinds, translatable)
        verdicts: dict[str, bool] = {}  # translatable(kind), asked once per kind
        if pin is not None:
            output_tokens = self._output_tokens(request, self.tiers[tier_index])
            cost = self.catalog.estimate(pin.info, input_tokens, output_tokens)
            reasons.append(f"rule: pinned to {pin.model}")
            baseline = requested_candidate or self._baseline(
                request, allowed, translatable, needs, input_tokens, verdicts
            )
            return self._decision(
                request,
                (pin,),
                self.tiers[tier_index].name,
                score,
                reasons,
                classification,
                classifier_failed,
                route,
                cost,
                baseline,
                input_tokens,
                output_tokens,
            )

        # 2. the ceiling, when the caller named a concrete model: compared on the same token estimates.
        ceiling: Candidate | None = None
        if requested_candidate is not None and mode == "ceiling":
            ceiling = requested_candidate
            if self.catalog.estimate(ceiling.info, input_tokens, 1) is None:
                # Without a price, the ceiling is the requested model's tier (or the model itself).
                tiers_with = [t.index for t in self.tiers if any(c.model == requested for c in t.candidates)]
                if not tiers_with:
                    return self._honour(request, requested_candidate, route)
                allowed = tuple(t for t in allowed if t <= max(tiers_with)) or allowed[:1]
                tier_index = min(tier_index, allowed[-1])
                order = _order(tier_index, allowed)
                ceiling = None

        # 3. eligible candidates of the chosen tier, then upwards, then downwards.
        chain: list[tuple[float, Candidate]] = []
        strongest: list[tuple[float, Candidate]] | None = None  # the strongest allowed tier, if scanned
        chosen_tier = tier_index
        for t in order:
            tier = self.tiers[t]
            output_tokens = self._output_tokens(request, tier)
            found = self._eligible(
                t, request, needs, deny, translatable, verdicts, input_tokens, output_tokens, warm
            )
            if ceiling is not None:
                ceiling_cost = self._cost(ceiling, input_tokens, output_tokens, warm)
                if ceiling_cost is not None:
                    found = [item for item in found if item[0] <= ceiling_cost]
            elif t == allowed[-1]:
                strongest = found
            if found and not chain:
                chosen_tier = t
                if t != tier_index:
                    reasons.append(
                        f"no eligible model in tier {self.tiers[tier_index].name}: used {tier.name}"
                    )
            if t >= chosen_tier or not chain:
                chain.extend(found)
            if len(chain) >= self._room and not warm:
                break  # the chain is full: stronger tiers would not make it in
            if warm and chain and t > chosen_tier:
                # The same call, served by a stronger model: priced with the chosen tier's output.
                same_call = self._output_tokens(request, self.tiers[chosen_tier])
                price = partial(self._cost, input_tokens=input_tokens, output_tokens=same_call, warm=warm)
                chain = _warm_first(chain, found, warm, price)
        if requested_candidate is not None and mode == "ceiling":
            if not chain:
                reasons.append(f"ceiling: nothing cheaper than {requested} fits; using it")
                chosen_tier = tier_index
            if all(c.model != requested_candidate.model for _, c in chain):
                chain.append((_INF, requested_candidate))
        if not chain:
            exclusions = self._exclusions(order, request, translatable, deny, input_tokens, kinds)
            details = "; ".join(f"{m}: {why}" for m, why in exclusions.items())
            raise RoutingError(
                f"no model of route {route.name!r} can serve this request ({details or 'no candidates'})"
            )

        if warm:
            reasons.append(_warm_reason(chain[0], warm))
        candidates = self._limit_chain(chain)
        output_tokens = self._output_tokens(request, self.tiers[chosen_tier])
        cost = chain[0][0] if chain[0][0] != _INF else None
        if requested_candidate is not None and chain[0][1] is requested_candidate:
            cost = self.catalog.estimate(requested_candidate.info, input_tokens, output_tokens)
        baseline = requested_candidate
        if baseline is None:
            baseline = (
                strongest[0][1]  # already priced for the chain: the cheapest eligible of the strongest tier
                if strongest and not warm  # the baseline is what serves the call without frugal: no warmth
                else self._baseline(request, allowed, translatable, needs, input_tokens, verdicts)
            )
        return self._decision(
            request,
            candidates,
            self.tiers[chosen_tier].name,
            score,
            reasons,
            classification,
            classifier_failed,
            route,
            cost,
            baseline,
            input_tokens,
            output_tokens,
        )

    # -- helpers ----------------------------------------------------------------------------------

    def _position(self, route: RouteConfig, tier_index: int) -> int:
        """The position in ``route.tiers`` closest to a policy tier index."""
        return min(range(len(route.tiers)), key=lambda i: abs(route.tiers[i] - tier_index))

    @staticmethod
    def _output_tokens(request: RoutingRequest, tier: TierConfig) -> int:
        limit = request.max_output_tokens
        return tier.expected_output_tokens if limit is None else min(limit, tier.expected_output_tokens)

    def _eligible(
        self,
        t: int,
        request: RoutingRequest,
        needs: int,
        deny: frozenset[str] | set[str],
        translatable: Callable[[str], bool],
        verdicts: dict[str, bool],
        input_tokens: int,
        output_tokens: int,
        warm: Mapping[str, int] | None = None,
    ) -> list[tuple[float, Candidate]]:
        """(estimated cost, candidate) for each candidate of tier ``t`` that can serve the request, cheapest
        first (an unknown price ranks last; a warm prefix priced as cached). The same verdicts as
        :meth:`_exclusion`, with the parts that do not depend on the request (provider, capabilities)
        settled when the router was built."""
        needed = input_tokens + (request.max_output_tokens or output_tokens)
        found = []
        for candidate in self._plans[t][needs]:
            window = candidate.info.context_window
            if (deny and candidate.model in deny) or (window is not None and needed > window):
                continue
            verdict = verdicts.get(candidate.kind)
            if verdict is None:
                verdict = verdicts[candidate.kind] = translatable(candidate.kind)
            if not verdict:
                continue
            cost = self._cost(candidate, input_tokens, output_tokens, warm)  # None: warns once
            found.append((_INF if cost is None else cost, candidate))
        found.sort(key=_cost_key)
        return found

    def _cost(
        self, candidate: Candidate, input_tokens: int, output_tokens: int, warm: Mapping[str, int] | None
    ) -> float | None:
        """The candidate's estimated cost, its warm prefix (if any) read from the prompt cache."""
        cached = warm.get(f"{candidate.provider}:{candidate.model}", 0) if warm else 0
        return self.catalog.estimate(candidate.info, input_tokens, output_tokens, cached)

    def _exclusion(
        self,
        candidate: Candidate,
        request: RoutingRequest,
        translatable: Callable[[str], bool],
        deny: frozenset[str] | set[str],
        input_tokens: int,
        output_tokens: int,
        kinds: frozenset[str] | None = None,
    ) -> str | None:
        """Why ``candidate`` cannot serve ``request``, or None when it can."""
        if candidate.model in deny:
            return "denied by a rule"
        if kinds is not None and candidate.kind not in kinds:
            return f"the call names a {'/'.join(sorted(kinds))} model and the policy says vendors: caller"
        if candidate.provider not in self.available_providers:
            return f"provider {candidate.provider} is not configured (no credentials or disabled)"
        caps = candidate.info.capabilities
        if request.needs_tools and not caps.tools:
            return "no tool use"
        if request.images and not caps.vision:
            return "no image input"
        if request.structured_output and not caps.structured_output:
            return "no structured output"
        window = candidate.info.context_window
        needed = input_tokens + (request.max_output_tokens or output_tokens)
        if window is not None and needed > window:
            return f"context window {window} < {needed} tokens"
        if not translatable(candidate.kind):
            return f"the request cannot be translated for {candidate.kind}"
        return None

    def _exclusions(
        self,
        order: Sequence[int],
        request: RoutingRequest,
        translatable: Callable[[str], bool],
        deny: frozenset[str] | set[str],
        input_tokens: int,
        kinds: frozenset[str] | None = None,
    ) -> dict[str, str]:
        """Why each candidate of the tiers in ``order`` cannot serve the request: the first reason per model.

        Only asked when none can (with a ceiling, the requested model itself always can), so the price
        is never what excluded one.
        """
        exclusions: dict[str, str] = {}
        for t in order:
            tier = self.tiers[t]
            output_tokens = self._output_tokens(request, tier)
            for candidate in tier.candidates:
                why = self._exclusion(
                    candidate, request, translatable, deny, input_tokens, output_tokens, kinds
                )
                if why is not None:
                    exclusions.setdefault(candidate.model, why)
        return exclusions

    def _limit_chain(self, ranked: Sequence[tuple[float, Candidate]]) -> tuple[Candidate, ...]:
        seen: dict[str, Candidate] = {}
        for _, candidate in ranked:
            if candidate.model not in seen:
                seen[candidate.model] = candidate
        chain = tuple(seen.values())
        if not self.fallback.enabled:
            return chain[:1]
        if not self.fallback.cross_provider:
            chain = tuple(c for c in chain if c.provider == chain[0].provider)
        return chain[: self.fallback.max_candidates]

    def _baseline(
        self,
        request: RoutingRequest,
        allowed: Sequence[int],
        translatable: Callable[[str], bool],
        needs: int,
        input_tokens: int,
        verdicts: dict[str, bool],
    ) -> Candidate | None:
        """The cheapest eligible model of the strongest allowed tier: what a premium-by-default app uses.

        Rules' denials do not apply: the baseline is what would serve the call without frugal.
        """
        for t in reversed(allowed):
            output_tokens = self._output_tokens(request, self.tiers[t])
            found = self._eligible(
                t, request, needs, _NOTHING, translatable, verdicts, input_tokens, output_tokens
            )
            if found:
                return found[0][1]
        return None

    def _honour(self, request: RoutingRequest, candidate: Candidate, route: RouteConfig) -> Decision:
        tier = next((t for t in self.tiers if any(c.model == candidate.model for c in t.candidates)), None)
        output_tokens = (
            self._output_tokens(request, tier)
            if tier is not None
            else (request.max_output_tokens or UNROUTED_OUTPUT_TOKENS)
        )
        cost = self.catalog.estimate(candidate.info, request.estimated_input_tokens, output_tokens)
        return self._decision(
            request,
            (candidate,),
            "requested",
            None,
            ["requested model honoured"],
            None,
            False,
            route,
            cost,
            candidate,
            request.estimated_input_tokens,
            output_tokens,
        )

    def _decision(
        self,
        request: RoutingRequest,
        chain: tuple[Candidate, ...],
        tier: str,
        score: float | None,
        reasons: Sequence[str],
        classification: Classification | None,
        classifier_failed: bool,
        route: RouteConfig,
        cost: float | None,
        baseline: Candidate | None,
        input_tokens: int,
        output_tokens: int,
    ) -> Decision:
        baseline_cost = (
            None if baseline is None else self.catalog.estimate(baseline.info, input_tokens, output_tokens)
        )
        return Decision(
            model=chain[0].model,
            provider=chain[0].provider,
            chain=chain,
            tier=tier,
            score=score,
            reasons=tuple(reasons),
            classifier=classification.classifier if classification is not None else route.classifier.name,
            classifier_failed=classifier_failed,
            route=route.name,
            requested_model=request.requested_model,
            estimated_cost_usd=cost,
            baseline_model=None if baseline is None else baseline.model,
            baseline_cost_usd=baseline_cost,
            estimated_input_tokens=input_tokens,
            estimated_output_tokens=output_tokens,
        )


def classify_safely(classifier: Classifier, request: RoutingRequest) -> Classification | None:
    """The classifier's verdict, or None (and one warning per classifier) when it raises."""
    try:
        return classifier.classify(request)
    except Exception as exc:
        name = getattr(classifier, "name", type(classifier).__name__)
        warn_once(
            f"classifier:{name}",
            f"classifier {name!r} failed ({type(exc).__name__}); using the policy's default tier. "
            "This warning is shown once per classifier.",
            stacklevel=4,
        )
        return None


@dataclass(frozen=True, slots=True)
class Routing:
    """What routing settled about one call, once: its request view, route, classification and which
    provider kinds can serve it. :meth:`decide` is the call's decision; a budget's ``downgrade`` and a
    cascade's steps decide again with a cap or a floor, without classifying again.

    Attributes:
        router: the compiled policy.
        request: the call's request view.
        route: the route it is on.
        requested: the concrete model the caller named, if any.
        classification: the classifier's verdict (None: it failed, or the requested model is honoured).
        classifier_failed: the classifier raised (the policy's default tier is used).
        translatable: whether a provider kind other than the call's shape can serve it.
        kinds: the provider kinds that may serve it (None: any): the requested model's own, when the call
            names a concrete model and the policy says ``vendors: caller``.
        warm: ``provider:model`` → tokens of the call's prefix warm in that model's prompt cache (empty
            unless the policy's ``prompt_cache.routing`` is on).
    """

    router: Router
    request: RoutingRequest
    route: RouteConfig
    requested: str | None
    classification: Classification | None
    classifier_failed: bool
    translatable: Callable[[str], bool]
    kinds: frozenset[str] | None = None
    warm: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        router: Router,
        request: RoutingRequest,
        translatable: Callable[[str], bool],
        warm: Mapping[str, int] | None = None,
    ) -> Routing:
        """Route ``request``: find its route and classify it (unless a requested model is honoured).

        Raises:
            UnknownModelError: a concrete requested model cannot be placed (from :meth:`decide`).
        """
        route, concrete = router.route_for(request.requested_model)
        kinds = None
        if concrete is not None and router.policy.vendors == "caller":
            kinds = frozenset({router.place(concrete).kind})
        warm = warm or {}
        if concrete is not None and router.policy.requested_model == "honor":
            return cls(router, request, route, concrete, None, False, translatable, kinds, warm)
        classification = classify_safely(route.classifier, request)
        return cls(
            router,
            request,
            route,
            concrete,
            classification,
            classification is None,
            translatable,
            kinds,
            warm,
        )

    def decide(
        self, *, min_tier: int | None = None, max_tier: int | None = None, pin: Candidate | None = None
    ) -> Decision:
        """The decision, with an optional floor (a cascade step) and caps (a budget's ``downgrade``).

        Raises:
            UnknownModelError: a concrete requested model cannot be placed.
            RoutingError: no candidate can serve the call.
        """
        return self.router.decide(
            self.request,
            self.classification,
            self.route,
            self.requested,
            self.translatable,
            classifier_failed=self.classifier_failed,
            min_tier=min_tier,
            max_tier=max_tier,
            pin=pin,
            kinds=self.kinds,
            warm=self.warm,
        )
