"""The router an evaluation runs: a policy file as production compiles it, or one tier per named model.

Both are compiled by the same :func:`~frugal.routing.compile.compile_policy` the client uses, with every
provider assumed configured (as ``frugal route`` does): an evaluation sends nothing anywhere.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

from ..catalog import ModelSpec, PricesSpec
from ..classifiers.base import suggested_thresholds
from ..classifiers.registry import load_classifier
from ..exceptions import ConfigError
from ..policy import ClassifierSpec, Policy, ProviderSpec, Tier, load_policy, parse_policy
from ..routing import RouteConfig, Router
from ..routing.compile import compile_policy

__all__ = [
    "EVAL_PROVIDER",
    "builtin_classifier",
    "classifier_spec",
    "compile_for_evaluation",
    "models_policy",
    "parse_price",
]

#: The provider that serves the models of a ``--models`` evaluation (never called).
EVAL_PROVIDER = "eval"


def parse_price(text: str) -> tuple[str, PricesSpec]:
    """``MODEL=INPUT/OUTPUT`` (USD per million tokens) as a model name and its prices.

    Raises:
        ConfigError: not of that form, or a price that is not a number >= 0.
    """
    model, sep, prices = text.rpartition("=")
    parts = prices.split("/")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if not sep or not model or len(values) != 2 or not all(0 <= v < float("inf") for v in values):
        raise ConfigError(
            f"--price {text!r}: expected MODEL=INPUT/OUTPUT in USD per million tokens, "
            "e.g. 'my-model=0.2/0.8'"
        )
    return model, PricesSpec(input=values[0], output=values[1])


def builtin_classifier() -> ClassifierSpec:
    """The classifier of frugal's built-in default policy (what a client without a policy file uses)."""
    text = resources.files("frugal").joinpath("policies/default.yaml").read_text(encoding="utf-8")
    return parse_policy(text, "<built-in default policy>")[0].classifier


def models_policy(
    models: Sequence[str],
    classifier: ClassifierSpec | None = None,
    *,
    output_tokens: int = 400,
) -> Policy:
    """One tier per model, cheapest first, each model declared so that names known only to the data work.

    Args:
        models: the models, cheapest first: one tier each.
        classifier: the classifier (default: the built-in default policy's).
        output_tokens: each tier's expected output tokens (for cost estimates).

    The thresholds are the classifier's own (:func:`~frugal.classifiers.base.suggested_thresholds`):
    evenly spaced ones mean nothing on a scale such as the learned classifier's.

    Raises:
        ConfigError: fewer than two models, a model named twice, or a classifier that does not load.
    """
    if len(models) < 2:
        raise ConfigError("--models: name at least two models, cheapest first (one tier each)")
    repeated = sorted({m for m in models if models.count(m) > 1})
    if repeated:
        raise ConfigError(f"--models: each model once; repeated: {', '.join(repeated)}")
    classifier = classifier or builtin_classifier()
    try:
        thresholds = suggested_thresholds(load_classifier(classifier.name, classifier.options), len(models))
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    return Policy(
        name="evaluation",
        classifier=classifier,
        thresholds=list(thresholds),
        tiers=[Tier(name=model, models=[model], expected_output_tokens=output_tokens) for model in models],
        providers={EVAL_PROVIDER: ProviderSpec(kind="openai")},
        models={model: ModelSpec(provider=EVAL_PROVIDER) for model in models},
    )


def compile_for_evaluation(
    policy: Policy | str | os.PathLike[str],
    *,
    prices: Mapping[str, PricesSpec] | None = None,
    classifier: ClassifierSpec | None = None,
) -> tuple[Router, RouteConfig]:
    """The compiled policy and its default route, ready for :func:`~frugal.evaluation.evaluate.prepare`.

    Args:
        policy: a policy object (e.g. from :func:`models_policy`) or a policy file.
        prices: price overrides by model (``--price``), applied on top of the policy's ``models:``.
        classifier: a classifier to use instead of the policy's (``--classifier``).

    Raises:
        ConfigError: as when a client is built from the policy (with ``file:line:column``).
    """
    loaded, located = load_policy(policy)
    if prices:
        models = dict(loaded.models)
        for model, price in prices.items():
            spec = models.get(model) or ModelSpec()
            models[model] = spec.model_copy(update={"prices": price})
        loaded = loaded.model_copy(update={"models": models})
    kinds = {"openai": "openai", "anthropic": "anthropic"}
    kinds.update({name: spec.kind or name for name, spec in loaded.providers.items()})
    router = compile_policy(loaded, located, providers=kinds, models={}, available_providers=frozenset(kinds))
    route = router.default_route
    if classifier is not None:
        route = RouteConfig(
            route.name,
            route.tiers,
            route.thresholds,
            load_classifier(classifier.name, classifier.options),
            route.min_tier,
            route.max_tier,
        )
    return router, route


def classifier_spec(name: str | None, options: Mapping[str, Any] | None) -> ClassifierSpec | None:
    """A classifier override from the command line (None when neither is given)."""
    if name is None and not options:
        return None
    return ClassifierSpec(name=name or "heuristic", options=dict(options or {}))
