"""Compiling a policy: into a :class:`~frugal.routing.Router`, its cascade plans and its budgets,
checking every name on the way.

Model names are placed on providers (did-you-mean on failure), prices and capabilities resolved once
from the catalog, classifiers loaded with validated options, tier names in rules, routes and budgets
resolved. Each problem is a :class:`~frugal.exceptions.ConfigError` pointing at the policy's
file:line:column (:class:`PolicyErrors`).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from .._models import place_model
from .._tokens import load_token_counter
from .._util import did_you_mean
from .._yaml import Located
from ..catalog import Catalog, known_model_names
from ..classifiers.base import Classifier
from ..classifiers.registry import load_classifier, resolve_object
from ..exceptions import ConfigError, UnknownModelError
from ..policy import CascadeSpec, ClassifierSpec, Policy
from .answer_model import AnswerModel, load_answer_model
from .cascade import AnswerChecker, CascadePlan, UserCheck
from .decide import Candidate, RouteConfig, Router, RuleConfig, TierConfig

if TYPE_CHECKING:
    from ..budgets.rules import Budget

__all__ = [
    "DEFAULT_ROUTE",
    "PolicyErrors",
    "compile_budgets",
    "compile_cascades",
    "compile_glob",
    "compile_policy",
]

#: The key of the default route's cascade plan (the policy's top-level ``strategy: cascade``).
DEFAULT_ROUTE = ""


class PolicyErrors:
    """Makes the :class:`ConfigError` of a policy setting: ``file:line:column: path: message``.

    Without positions (a policy given as a :class:`~frugal.policy.Policy` object), the source is
    ``<policy object>`` and the path says where.
    """

    def __init__(self, located: Located | None, source: str = "<policy object>") -> None:
        self.located = located
        self.source = source

    def __call__(self, path: Sequence[str | int], message: str) -> ConfigError:
        if self.located is not None:
            return self.located.error(path, message)
        dotted = ".".join(str(p) for p in path) or "(top level)"
        return ConfigError(f"{self.source}: {dotted}: {message}")


def compile_glob(patterns: str | list[str]) -> re.Pattern[str]:
    """One regular expression for a glob or a list of globs (rule and budget ``match`` values)."""
    items = [patterns] if isinstance(patterns, str) else patterns
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in items))


def compile_policy(
    policy: Policy,
    located: Located | None,
    *,
    providers: Mapping[str, str],
    models: Mapping[str, str],
    available_providers: frozenset[str],
) -> Router:
    """Check ``policy`` against the client's providers and compile it.

    Args:
        policy: the validated policy.
        located: its YAML positions, for error messages (None for a policy given as an object).
        providers: provider name → kind, as configured on the client (policy providers included).
        models: the client's explicit model → provider map.
        available_providers: providers that are enabled and have credentials.

    Raises:
        ConfigError: an unknown model, tier, classifier or option, with its location.
    """
    error = PolicyErrors(located)
    models_map = dict(models)
    for name, model_spec in policy.models.items():
        if model_spec.provider is not None:
            if model_spec.provider not in providers:
                raise error(
                    ("models", name, "provider"),
                    f"unknown provider {model_spec.provider!r}; "
                    f"expected one of: {', '.join(sorted(providers))}",
                )
            models_map[name] = model_spec.provider

    def placement(model: str, path: Sequence[str | int]) -> tuple[str, str, str]:
        try:
            placed = place_model(model, providers=providers, models=models_map)
        except UnknownModelError as exc:
            hint = did_you_mean(model, exc.suggestions, cutoff=0)
            raise error(
                path,
                f"unknown model {model!r}: not a known OpenAI/Anthropic name and not declared under "
                f"'models:' with a provider{hint}",
            ) from None
        return placed.provider, providers[placed.provider], placed.model

    placements: dict[str, tuple[str, str, str]] = {}
    where: dict[str, tuple[str | int, ...]] = {}
    for t, tier in enumerate(policy.tiers):
        for m, model in enumerate(tier.models):
            where.setdefault(model, ("tiers", t, "models", m))
    for r, rule in enumerate(policy.rules):
        if rule.pin:
            where.setdefault(rule.pin, ("rules", r, "pin"))
    for model, path in where.items():
        placements[model] = placement(model, path)
    catalog = Catalog.build(sorted({*where, *policy.models}), overrides=policy.models)
    for model, path in where.items():
        info = catalog.get(model)
        if info is not None and not info.priced and model not in policy.models:
            hint = did_you_mean(model, known_model_names(placements[model][1]))
            raise error(
                path,
                f"model {model!r} has no known price (genai-prices does not list it){hint} "
                "If it is right, declare it under 'models:' with its prices.",
            )

    def candidate(model: str) -> Candidate:
        provider, kind, sent = placements[model]
        info = catalog.get(model)
        assert info is not None, model  # built from the same names
        return Candidate(sent, provider, kind, info)

    tier_names = [tier.name for tier in policy.tiers]
    duplicates = {n for n in tier_names if tier_names.count(n) > 1}
    if duplicates:
        raise error(("tiers",), f"tier names must be unique; repeated: {', '.join(sorted(duplicates))}")
    tiers = tuple(
        TierConfig(
            tier.name,
            i,
            tuple(candidate(m) for m in tier.models),
            tier.expected_output_tokens,
            tier.max_output_tokens,
            tier.reasoning_effort,
        )
        for i, tier in enumerate(policy.tiers)
    )

    def tier_index(name: str, path: Sequence[str | int]) -> int:
        if name in tier_names:
            return tier_names.index(name)
        hint = did_you_mean(name, tier_names, count=1)
        raise error(path, f"unknown tier {name!r}; expected one of: {', '.join(tier_names)}{hint}")

    thresholds = _thresholds(policy.thresholds, len(tiers), ("thresholds",), error)
    default_classifier = _classifier(policy.classifier, ("classifier",), error)
    default_route = RouteConfig("default", tuple(range(len(tiers))), thresholds, default_classifier)

    routes: dict[str, RouteConfig] = {}
    for name, spec in policy.routes.items():
        base = ("routes", name)
        if name == "auto":
            raise error(base, "'auto' is reserved: it always means the default route")
        indices = (
            tuple(tier_index(n, (*base, "tiers", i)) for i, n in enumerate(spec.tiers))
            if spec.tiers
            else default_route.tiers
        )
        if list(indices) != sorted(set(indices)):
            raise error((*base, "tiers"), "list each tier once, from cheapest to strongest")
        if spec.thresholds is not None:
            route_thresholds = _thresholds(spec.thresholds, len(indices), (*base, "thresholds"), error)
        elif indices == default_route.tiers:
            route_thresholds = thresholds
        else:
            route_thresholds = _even(len(indices))
        routes[name] = RouteConfig(
            name,
            indices,
            route_thresholds,
            _classifier(spec.classifier, (*base, "classifier"), error)
            if spec.classifier
            else default_classifier,
            tier_index(spec.min_tier, (*base, "min_tier")) if spec.min_tier else 0,
            tier_index(spec.max_tier, (*base, "max_tier")) if spec.max_tier else len(tiers) - 1,
            spec.max_output_tokens,
            spec.reasoning_effort,
            spec.background,
        )

    rules = []
    for r, rule in enumerate(policy.rules):
        rule_path = ("rules", r)
        rules.append(
            RuleConfig(
                match=tuple((key, compile_glob(pattern)) for key, pattern in rule.match.items()),
                when=rule.when,
                min_tier=tier_index(rule.min_tier, (*rule_path, "min_tier")) if rule.min_tier else None,
                max_tier=tier_index(rule.max_tier, (*rule_path, "max_tier")) if rule.max_tier else None,
                pin=candidate(rule.pin) if rule.pin else None,
                deny=frozenset(rule.deny),
            )
        )
    default_tier = (
        tier_index(policy.default_tier, ("default_tier",)) if policy.default_tier else (len(tiers) - 1) // 2
    )

    extra: dict[str, Candidate] = {model: candidate(model) for model in placements}

    def place(model: str) -> Candidate:
        """A Candidate for any model name (a requested ceiling may be outside the tiers)."""
        found = extra.get(model)
        if found is None:
            if len(extra) > 4096:  # names come from code, but never trust that blindly
                for name in [name for name in extra if name not in placements]:
                    del extra[name]
            placed = place_model(model, providers=providers, models=models_map)
            # "provider/model" is priced as the model it names (a price declared for "llama3.2" applies).
            name = placed.model
            info = catalog.get(name) or Catalog.build([name], overrides=policy.models).get(name)
            assert info is not None
            found = extra[model] = Candidate(placed.model, placed.provider, providers[placed.provider], info)
        return found

    try:
        count_tokens = load_token_counter(policy.token_counter)
    except ConfigError as exc:
        raise error(("token_counter",), str(exc)) from None

    return Router(
        policy=policy,
        policy_id=policy.id,
        tiers=tiers,
        default_route=default_route,
        routes=routes,
        rules=tuple(rules),
        default_tier=default_tier,
        fallback=policy.fallback,
        catalog=catalog,
        available_providers=available_providers,
        place=place,
        count_tokens=count_tokens,
    )


def _even(count: int) -> tuple[float, ...]:
    return tuple(i / count for i in range(1, count))


def _thresholds(
    values: Sequence[float], tiers: int, path: Sequence[str | int], error: PolicyErrors
) -> tuple[float, ...]:
    if not values:
        return _even(tiers)
    if len(values) != tiers - 1:
        raise error(
            path, f"expected {tiers - 1} thresholds (one between each pair of tiers), got {len(values)}"
        )
    return tuple(values)


def _classifier(spec: ClassifierSpec, path: Sequence[str | int], error: PolicyErrors) -> Classifier:
    try:
        return load_classifier(spec.name, spec.options)
    except ConfigError as exc:
        raise error((*path, "name"), str(exc)) from None


def compile_cascades(
    policy: Policy, located: Located | None, router: Router, source: str = "<policy object>"
) -> dict[str, CascadePlan]:
    """Route name (:data:`DEFAULT_ROUTE` for the default route) → plan, for every cascade route.

    ``source`` names the settings in errors when they have no positions (``located`` is None).

    Raises:
        ConfigError: a user check that does not import or is not callable, an unknown judge model, or an
            answer model file that cannot be read, with the policy's file:line:column.
    """
    error = PolicyErrors(located, source)
    plans: dict[str, CascadePlan] = {}
    if policy.strategy == "cascade":
        plans[DEFAULT_ROUTE] = _plan(policy.cascade or CascadeSpec(), ("cascade",), router, error)
    for name, route in policy.routes.items():
        if route.strategy == "cascade":
            plans[name] = _plan(route.cascade or CascadeSpec(), ("routes", name, "cascade"), router, error)
    return plans


def _plan(spec: CascadeSpec, path: tuple[str | int, ...], router: Router, error: PolicyErrors) -> CascadePlan:
    user_check: UserCheck | None = None
    if spec.check is not None:
        try:
            target = resolve_object(spec.check, f"cascade check {spec.check!r}")
        except ConfigError as exc:
            raise error((*path, "check"), str(exc)) from None
        if not callable(target):
            raise error((*path, "check"), f"cascade check {spec.check!r} is not callable")
        user_check = target
    judge: Candidate | None = None
    if spec.judge is not None:
        name = spec.judge.model
        try:
            judge = router.place(name)
        except UnknownModelError as exc:
            raise error((*path, "judge", "model"), _unknown_judge(name, exc.suggestions)) from None
        # Its calls are paid for like any other: a judge without a price would make every cost unknown.
        if not judge.info.priced and name not in router.policy.models:
            raise error((*path, "judge", "model"), _unknown_judge(name, known_model_names(judge.kind)))
    answer_model: AnswerModel | None = None
    if spec.answer_model is not None:
        try:
            answer_model = load_answer_model(spec.answer_model.path)
        except ConfigError as exc:
            raise error((*path, "answer_model", "path"), str(exc)) from None
    checker = AnswerChecker(
        spec.checks,
        user_check,
        spec.check or "",
        answer_model=answer_model,
        min_probability=spec.answer_model.min_probability if spec.answer_model else 0.5,
    )
    return CascadePlan(
        checker=checker,
        judge=judge,
        judge_min_score=spec.judge.min_score if spec.judge else 0.7,
        judge_max_tokens=spec.judge.max_tokens if spec.judge else 16,
        start_cheapest=spec.start == "cheapest",
        max_steps=spec.max_steps,
    )


def _unknown_judge(name: str, known: Sequence[str]) -> str:
    hint = did_you_mean(name, known, cutoff=0.5)
    return (
        f"unknown judge model {name!r} (no known price){hint} If it is right, declare it under 'models:' "
        "with its prices."
    )


def compile_budgets(policy: Policy, located: Located | None, router: Router) -> tuple[Budget, ...]:
    """Check the policy's budgets against its tiers and models.

    Raises:
        ConfigError: a ``downgrade_to`` that is neither a tier nor a model that can be placed.
    """
    from ..budgets.rules import Budget
    from ..budgets.windows import Window

    error = PolicyErrors(located)
    tiers = [tier.name for tier in router.tiers]
    budgets = []
    for index, spec in enumerate(policy.budgets):
        max_tier: int | None = None
        pin: Candidate | None = None
        if spec.downgrade_to in tiers:
            max_tier = tiers.index(spec.downgrade_to)
        elif spec.downgrade_to:
            try:
                pin = router.place(spec.downgrade_to)
            except Exception:
                raise error(
                    ("budgets", index, "downgrade_to"),
                    f"{spec.downgrade_to!r} is neither a tier ({', '.join(tiers)}) "
                    "nor a model frugal can place",
                ) from None
        patterns = [spec.match] if isinstance(spec.match, str) else spec.match
        budgets.append(
            Budget(
                name=spec.key,
                scope=spec.scope,
                pattern=None if patterns == ["*"] else compile_glob(patterns),
                limit_usd=spec.limit_usd,
                limit_calls=spec.limit_calls,
                window=Window(spec.window, spec.rolling),
                action=spec.action,
                max_tier=max_tier,
                pin=pin,
                thresholds=tuple(spec.thresholds),
                unpriced=spec.unpriced,
            )
        )
    return tuple(budgets)
