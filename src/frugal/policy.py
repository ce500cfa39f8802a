"""Routing policies: YAML → frozen pydantic models, with ``file:line:column`` errors.

A policy says which models may serve a call and how to choose among them: ordered *tiers* of candidate
models (cheapest capability first), a *classifier* whose score picks the tier through *thresholds*,
named *routes*, *rules* on request metadata and properties, what a concrete requested model means,
*providers*, price and capability *overrides*, and *fallback* settings.

Where the policy comes from: an explicit path (or ``Policy`` object), else ``$FRUGAL_POLICY``, else
``./frugal.yaml``, else the built-in default (``frugal/policies/default.yaml``). Everything is checked
when the client is built; a bad policy raises :class:`~frugal.exceptions.ConfigError` naming the file,
line, column, key and what was expected, never mid-call.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import itertools
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails

from ._policy_errors import config_error
from ._policy_extends import DEFAULT_SOURCE, builtin_default_text, resolve_extends
from ._yaml import Located, load_located
from .catalog import ModelSpec, PricesSpec
from .exceptions import ConfigError

__all__ = [
    "AnswerModelSpec",
    "BudgetSpec",
    "CascadeSpec",
    "ClassifierSpec",
    "FallbackSpec",
    "JudgeSpec",
    "LedgerSpec",
    "Policy",
    "ProviderSpec",
    "Route",
    "Rule",
    "Tier",
    "WhenSpec",
    "find_policy_source",
    "load_policy",
    "policy_json_schema",
]

ENV_VAR = "FRUGAL_POLICY"
LOCAL_FILE = "frugal.yaml"
#: The policy schema's ``$id``: names the format (version 1 policies); it is not a URL to fetch.
SCHEMA_ID = "urn:frugal-router:schema:policy:1"

# Bounds of the numeric settings: generous for any real deployment, tight enough that a typo or a
# hostile file (retries: 1e20, max_backoff: .inf) is refused when the policy is loaded. The JSON Schema
# states them too.
MAX_RETRIES = 10
MAX_CANDIDATES = 20
MAX_BACKOFF_SECONDS = 600.0
MAX_LEDGER_RETRY_AFTER_SECONDS = 3600.0
MAX_CASCADE_STEPS = 100
MAX_INPUT_TOKENS = 100_000_000
MAX_OUTPUT_TOKENS = 1_000_000
MAX_LIMIT_USD = 1_000_000_000.0
MAX_PRICE_USD_PER_MTOK = 10_000.0
MAX_CALLS = 1_000_000_000
MAX_LOOP_REPEATS = 100_000
MAX_LOOP_WINDOW_SECONDS = 86_400

ReasoningEffort = Literal["minimal", "low", "medium", "high"]
# The numeric fields of catalog.ModelSpec (a policy's `models:` entries), which the catalog bounds only
# below: (path, low, high).
_MODEL_SPEC_BOUNDS: tuple[tuple[tuple[str, ...], float, float], ...] = (
    (("context_window",), 1, MAX_INPUT_TOKENS),
    (("max_output_tokens",), 1, MAX_OUTPUT_TOKENS),
    *((("prices", price), 0, MAX_PRICE_USD_PER_MTOK) for price in PricesSpec.model_fields),
)

#: A fraction strictly between 0 and 1 (thresholds).
Fraction = Annotated[float, Field(gt=0, lt=1)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ClassifierSpec(_Frozen):
    """Which classifier scores requests: a registered name or a dotted path, and its options."""

    name: str = Field(
        default="heuristic", description="Registered classifier name or 'package.module:Class'."
    )
    options: dict[str, Any] = Field(default_factory=dict, description="Validated by the classifier.")


class Tier(_Frozen):
    """One tier: models of comparable capability, any of which may serve a call routed here."""

    name: str = Field(description="Tier name, used by thresholds, rules and routes.")
    models: list[str] = Field(min_length=1, description="Candidate models; the cheapest eligible is chosen.")
    expected_output_tokens: int = Field(
        default=400,
        gt=0,
        le=MAX_OUTPUT_TOKENS,
        description="Output tokens assumed by the pre-call estimate when max_tokens is larger.",
    )
    max_output_tokens: int | None = Field(
        default=None,
        gt=0,
        le=MAX_OUTPUT_TOKENS,
        description="Output limit sent when the caller set none (max_completion_tokens / max_output_tokens);"
        " caps what a runaway answer can cost. Off when unset.",
    )
    reasoning_effort: ReasoningEffort | None = Field(
        default=None,
        description="Reasoning effort sent to reasoning models when the caller set none. Off when unset.",
    )


class WhenSpec(_Frozen):
    """Request properties a rule can match (all given ones must hold)."""

    tools: bool | None = None
    images: bool | None = None
    structured_output: bool | None = None
    min_input_tokens: int | None = Field(default=None, ge=0, le=MAX_INPUT_TOKENS)
    max_input_tokens: int | None = Field(default=None, ge=0, le=MAX_INPUT_TOKENS)
    operation: Literal["chat", "messages", "responses"] | None = None


class Rule(_Frozen):
    """Adjust routing for calls whose metadata (and properties) match.

    ``match`` maps metadata keys (``user``, ``team``, ``feature`` or any other) to a glob pattern or a list
    of them; every key given must match. Effects: ``min_tier`` / ``max_tier`` clamp the tier, ``pin``
    forces one model, ``deny`` removes models from the candidates.
    """

    match: dict[str, str | list[str]] = Field(default_factory=dict)
    when: WhenSpec | None = None
    min_tier: str | None = None
    max_tier: str | None = None
    pin: str | None = None
    deny: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _has_effect(self) -> Rule:
        if not (self.min_tier or self.max_tier or self.pin or self.deny):
            raise ValueError("a rule needs at least one of min_tier, max_tier, pin, deny")
        return self


class JudgeSpec(_Frozen):
    """A model that rates a cascade step's answer; a rating below ``min_score`` escalates."""

    model: str = Field(description="The judge model (called as named, never routed).")
    min_score: float = Field(
        default=0.7, ge=0, le=1, description="Lowest accepted rating, 0..1 (judges say 0-10)."
    )
    max_tokens: int = Field(
        default=16, gt=0, le=MAX_OUTPUT_TOKENS, description="Output limit of the judge's reply (one number)."
    )


class AnswerModelSpec(_Frozen):
    """A learned answer check (``frugal train --answers``): an answer it rates below ``min_probability``
    escalates."""

    path: str = Field(description="The model file made by 'frugal train --answers'.")
    min_probability: float = Field(
        default=0.5, ge=0, le=1, description="Lowest accepted probability that the answer is adequate, 0..1."
    )


CheckName = Literal["finish_reason", "refusal", "empty", "json", "tool_arguments"]
_ALL_CHECKS: tuple[CheckName, ...] = ("finish_reason", "refusal", "empty", "json", "tool_arguments")


class CascadeSpec(_Frozen):
    """How a cascade route checks each answer before it escalates to the next tier (FrugalGPT)."""

    checks: list[CheckName] = Field(
        default_factory=lambda: list(_ALL_CHECKS), description="Built-in answer checks, in order."
    )
    check: str | None = Field(
        default=None, description="A check of your own, 'package.module:function': function(params, answer)."
    )
    judge: JudgeSpec | None = None
    answer_model: AnswerModelSpec | None = Field(
        default=None, description="A learned answer check, run after the built-in checks."
    )
    start: Literal["cheapest", "classifier"] = Field(
        default="cheapest", description="First tier: the route's cheapest, or the one the classifier picks."
    )
    max_steps: int | None = Field(
        default=None, ge=1, le=MAX_CASCADE_STEPS, description="Tiers tried at most (default: all allowed)."
    )


Strategy = Literal["route", "cascade"]


class Route(_Frozen):
    """A named route, callable as ``model="<route name>"``."""

    tiers: list[str] | None = Field(default=None, description="Tiers this route may use (default: all).")
    thresholds: list[Fraction] | None = Field(
        default=None, description="Thresholds between this route's tiers."
    )
    classifier: ClassifierSpec | None = None
    min_tier: str | None = None
    max_tier: str | None = None
    strategy: Strategy = Field(
        default="route",
        description="route: the classifier picks one tier; cascade: try the cheapest tier first and "
        "escalate while the answer fails its checks.",
    )
    cascade: CascadeSpec | None = Field(default=None, description="Cascade settings (strategy: cascade).")
    max_output_tokens: int | None = Field(
        default=None, gt=0, le=MAX_OUTPUT_TOKENS, description="As a tier's, for this route's calls (it wins)."
    )
    background: bool = Field(
        default=False,
        description="This route's calls are background work: sent on OpenAI's flex tier where the model has "
        "one (as with_context(priority='background') does for any call).",
    )
    reasoning_effort: ReasoningEffort | None = Field(
        default=None, description="As a tier's, for this route's calls (it wins)."
    )
    description: str = ""

    @model_validator(mode="after")
    def _cascade_needs_strategy(self) -> Route:
        _check_cascade(self.strategy, self.cascade)
        return self


def _check_cascade(strategy: str, cascade: CascadeSpec | None) -> None:
    if cascade is not None and strategy != "cascade":
        raise ValueError("cascade settings are only used with strategy: cascade")


class ProviderSpec(_Frozen):
    """A provider endpoint: the built-in ``openai`` / ``anthropic`` or any OpenAI-compatible server."""

    kind: Literal["openai", "anthropic"] | None = Field(
        default=None, description="Wire format; defaults to the provider's name for openai/anthropic."
    )
    base_url: str | None = None
    api_key_env: str | None = Field(default=None, description="Environment variable holding the API key.")
    api_key: Literal["none"] | None = Field(
        default=None,
        description="'none': the server takes no key (a local model server); the provider is usable "
        "without any variable.",
    )
    enabled: bool = True

    @model_validator(mode="after")
    def _one_key_source(self) -> ProviderSpec:
        if self.api_key == "none" and self.api_key_env:
            raise ValueError("api_key: none and api_key_env exclude each other (no key, or a key's variable)")
        return self


class FallbackSpec(_Frozen):
    """Retries on the same model, then the next candidate of the decision's chain."""

    enabled: bool = True
    max_candidates: int = Field(
        default=3, ge=1, le=MAX_CANDIDATES, description="Models tried per call, the chosen one included."
    )
    retries: int = Field(
        default=2,
        ge=0,
        le=MAX_RETRIES,
        description="Retries of the same model on 429/5xx/timeouts/connection.",
    )
    initial_backoff: float = Field(default=0.5, ge=0, le=MAX_BACKOFF_SECONDS, description="Seconds.")
    max_backoff: float = Field(default=8.0, ge=0, le=MAX_BACKOFF_SECONDS, description="Seconds.")
    jitter: bool = True
    cross_provider: bool = Field(default=True, description="May the chain continue on another provider.")


_LEDGER_SCHEMES = ("memory", "sqlite", "redis", "rediss", "unix")


class LedgerSpec(_Frozen):
    """Where calls are recorded and budgets counted, and what happens when that store is unreachable."""

    url: str = Field(
        description="memory:// (one process), sqlite:///path/to/ledger.db (one host), redis://host:port/db "
        "(a fleet). $FRUGAL_LEDGER overrides it."
    )
    on_error: Literal["fail_open", "fail_closed"] = Field(
        default="fail_open",
        description="Store unreachable: serve the call with a warning (records are spooled to disk and "
        "replayed) or raise frugal.LedgerUnavailable before any vendor request.",
    )
    spool: str | None = Field(
        default=None,
        description="Directory for records that could not be written (default: a per-user cache dir).",
    )
    retry_after: float = Field(
        default=1.0,
        ge=0,
        le=MAX_LEDGER_RETRY_AFTER_SECONDS,
        description="Seconds the store is left alone after a failure (calls fail open or closed).",
    )
    settle: Literal["auto", "background", "inline"] = Field(
        default="auto",
        description="Write each call's record and cost correction on the caller's thread (inline) or on a "
        "background writer that batches them (flushed by client.close(), client.flush_ledger() and at "
        "exit). auto: background for Redis, inline for memory and SQLite.",
    )

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        scheme = value.split("://", 1)[0] if "://" in value else ""
        if scheme not in _LEDGER_SCHEMES:
            raise ValueError(
                f"ledger url must start with one of {', '.join(s + '://' for s in _LEDGER_SCHEMES)}; "
                f"got {value!r}"
            )
        if scheme == "sqlite" and not value[len("sqlite://") :].strip("/"):
            raise ValueError("a sqlite ledger url names a file: sqlite:///path/to/ledger.db")
        if scheme == "memory" and value != "memory://":
            from .budgets.ledger import max_records_of

            try:
                max_records_of(value, 0)
            except ConfigError as exc:
                raise ValueError(str(exc)) from None
        return value


class BudgetSpec(_Frozen):
    """A limit on spend per window, counted per value of a scope (each team its own limit, ...)."""

    name: str | None = Field(
        default=None,
        description="Unique name; counters are stored under it (default: from scope, match, window).",
    )
    scope: str = Field(
        default="global",
        description="What spend is counted by: global, user, team, feature, route, or any metadata key.",
        pattern=r"^[A-Za-z_][A-Za-z0-9_.-]*$",
    )
    match: str | list[str] = Field(
        default="*", description="Glob(s) on the scope's value; calls without a value are not counted."
    )
    limit_usd: float | None = Field(default=None, gt=0, le=MAX_LIMIT_USD, description="USD per window.")
    limit_calls: int | None = Field(
        default=None,
        gt=0,
        le=MAX_CALLS,
        description="Calls per window (a runaway agent loop: scope: session, window: minute or hour).",
    )
    window: Literal["minute", "hour", "day", "week", "month"] = "day"
    rolling: bool = Field(default=False, description="A sliding window instead of the calendar one (UTC).")
    action: Literal["block", "downgrade", "warn"] = Field(
        default="block",
        description="At the limit: raise frugal.BudgetExceeded before the call, cap the call to "
        "downgrade_to, or only warn.",
    )
    downgrade_to: str | None = Field(
        default=None, description="Tier name or model that a downgraded call may use."
    )
    thresholds: list[float] = Field(
        default_factory=lambda: [0.8],
        json_schema_extra={"items": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}},
        description="Soft thresholds (fractions of the limit): a span event and a log line.",
    )
    unpriced: Literal["allow", "block"] = Field(
        default="allow",
        description="A call whose cost cannot be estimated (unknown price) reserves nothing: allow it "
        "with a warning, or block it.",
    )

    @field_validator("thresholds")
    @classmethod
    def _fractions(cls, value: list[float]) -> list[float]:
        for fraction in value:
            if not 0.0 < fraction < 1.0:
                raise ValueError(
                    f"thresholds are fractions of the limit, strictly between 0 and 1; got {fraction}"
                )
        return sorted(value)

    @model_validator(mode="after")
    def _one_limit(self) -> BudgetSpec:
        if (self.limit_usd is None) == (self.limit_calls is None):
            raise ValueError("a budget has one limit: limit_usd (dollars) or limit_calls (calls)")
        return self

    @model_validator(mode="after")
    def _downgrade_target(self) -> BudgetSpec:
        if self.action == "downgrade" and not self.downgrade_to:
            raise ValueError("action 'downgrade' needs downgrade_to (a tier name or a model)")
        if self.downgrade_to and self.action != "downgrade":
            raise ValueError("downgrade_to is only used with action 'downgrade'")
        return self

    @property
    def key(self) -> str:
        """The name counters are stored under."""
        if self.name:
            return self.name
        match = self.match if isinstance(self.match, str) else ",".join(self.match)
        calls = "/calls" if self.limit_calls is not None else ""
        return f"{self.scope}={match}/{self.window}{'-rolling' if self.rolling else ''}{calls}"


def _bounded_model_spec(spec: ModelSpec) -> ModelSpec:
    """Refuse a ``models:`` entry whose numbers are out of bounds (the catalog bounds them only below)."""
    for path, low, high in _MODEL_SPEC_BOUNDS:
        value: Any = spec
        for part in path:
            value = getattr(value, part, None)
        if value is not None and not low <= value <= high:
            kind = "less_than_equal" if value > low else "greater_than_equal"
            bound = {"le": high} if kind == "less_than_equal" else {"ge": low}
            detail = InitErrorDetails(type=kind, loc=path, input=value, ctx=bound)
            raise ValidationError.from_exception_data("ModelSpec", [detail])
    return spec


class FlexSpec(_Frozen):
    """OpenAI's flex service tier for background work (batch prices on the synchronous API)."""

    enabled: bool = Field(
        default=True,
        description="Send background work (a route's background: true, with_context(priority='background')) "
        "with service_tier flex to OpenAI models that have a flex price.",
    )
    timeout_seconds: float = Field(
        default=900.0,
        gt=0,
        le=MAX_BACKOFF_SECONDS * 6,
        description="The timeout of a flex request when the caller set none (flex may queue).",
    )


class PromptCacheSpec(_Frozen):
    """Provider prompt caching used automatically (off by default: it changes what is sent)."""

    anthropic: bool = Field(
        default=False,
        description="Put cache breakpoints on the stable prefix (tools, system, conversation) of Anthropic "
        "requests whose caller set none, while that prefix's reuse pays for its writes.",
    )
    openai: bool = Field(
        default=False,
        description="Set prompt_cache_key from the prefix on OpenAI requests whose caller set none.",
    )
    routing: bool = Field(
        default=False,
        description="Cache-aware routing: price a candidate on which the call's prompt prefix is warm (seen "
        "within its cache lifetime by this process, or by the fleet through a Redis ledger) as cached, so a "
        "warm cache is not traded for a nominally cheaper model.",
    )
    ttl: Literal["5m", "1h"] = Field(default="5m", description="The Anthropic cache lifetime asked for.")
    min_tokens: int | None = Field(
        default=None,
        gt=0,
        le=MAX_INPUT_TOKENS,
        description="The shortest prefix worth marking (default: the model's documented minimum).",
    )


class LoopSpec(_Frozen):
    """A runaway-loop detector: the same request, again and again, in one session."""

    scope: str = Field(
        default="session",
        description="The metadata key whose value is one run (with_context(session=...)); calls without it "
        "are not watched.",
        pattern=r"^[A-Za-z_][A-Za-z0-9_.-]*$",
    )
    max_repeats: int = Field(
        default=10,
        gt=1,
        le=MAX_LOOP_REPEATS,
        description="How many identical requests (same system prompt, messages and tools) in one session "
        "within the window make a loop.",
    )
    window_seconds: int = Field(
        default=300, gt=0, le=MAX_LOOP_WINDOW_SECONDS, description="The window, in seconds."
    )
    action: Literal["warn", "block"] = Field(
        default="warn",
        description="warn: a span event, a log line and a warning; block: raise frugal.BudgetExceeded "
        "before the call (nothing sent).",
    )


ShadowCompare = Literal["auto", "exact", "normalized", "json", "tools", "judge"]


class ShadowSpec(_Frozen):
    """Shadow comparisons: the baseline model answers a sample of routed calls too, off the caller's path,
    and the two answers are compared; each comparison is a label."""

    sample: float = Field(
        default=0.05,
        ge=0,
        le=1,
        description="Share of calls routed below their baseline model that are shadowed (non-streamed chat, "
        "messages and responses calls).",
    )
    compare: ShadowCompare = Field(
        default="auto",
        description="How the answers are compared: exact text, normalized text (case, spaces, punctuation), "
        "json (equal JSON values), tools (the same tool calls with equal arguments), judge (a model rates "
        "the routed answer against the baseline's), or auto (tools when either called one, json for "
        "structured output, the judge when one is set, else normalized).",
    )
    judge: JudgeSpec | None = Field(
        default=None,
        description="The judge model for compare: judge (and auto); its rating >= min_score is a match.",
    )
    limit_usd: float = Field(
        default=1.0,
        gt=0,
        le=MAX_LIMIT_USD,
        description="What shadow calls (and their judge) may spend per day (UTC); at the limit sampling "
        "stops until the next day. Counted apart from every other budget.",
    )
    routes: list[str] | None = Field(
        default=None,
        description="Routes whose calls are sampled (default: all; the default route is 'default').",
    )

    @model_validator(mode="after")
    def _judge_when_judging(self) -> ShadowSpec:
        if self.compare == "judge" and self.judge is None:
            raise ValueError("compare: judge needs judge: {model: ...}")
        return self


class FeedbackSpec(_Frozen):
    """Where labels (shadow comparisons, cascade outcomes, client.feedback()) are kept, and what of them."""

    store: str | None = Field(
        default=None,
        description="The label store: memory://, sqlite:///PATH or redis://... (default: the ledger's URL, "
        "else memory://).",
    )
    store_content: bool = Field(
        default=False,
        description="Keep the prompt and the answers' text with each label (off: only the classifier's "
        "features, hashed, and counts: enough to train on, no text kept).",
    )


SpanConvention = Literal["openinference", "langfuse", "logfire"]
_SPAN_CONVENTIONS: tuple[SpanConvention, ...] = ("openinference", "langfuse", "logfire")


class Policy(_Frozen):
    """A routing policy, as written in YAML."""

    version: Literal[1] = 1
    name: str = "default"
    classifier: ClassifierSpec = Field(default_factory=ClassifierSpec)
    tiers: list[Tier] = Field(min_length=1, description="Ordered from cheapest to strongest.")
    thresholds: list[Fraction] = Field(
        default_factory=list, description="Scores between consecutive tiers, increasing, in (0, 1)."
    )
    default_tier: str | None = Field(
        default=None, description="Tier used when the classifier fails (default: middle)."
    )
    requested_model: Literal["ceiling", "honor", "route"] = Field(
        default="ceiling",
        description="A concrete requested model is a ceiling (route down, never up), honoured, or ignored.",
    )
    vendors: Literal["caller", "any"] = Field(
        default="caller",
        description="Which vendors may serve a call that names a concrete model: only that model's vendor "
        "('caller'; data-processing agreements differ per vendor), or any ('any'). Calls with 'auto' or a "
        "route name may always be served by any vendor the policy lists.",
    )
    strict_models: bool = Field(
        default=False,
        description="A requested model that fits a vendor's naming but is unknown (no price, not declared "
        "under models:) is an error instead of a warning with the closest known names.",
    )
    strategy: Strategy = Field(default="route", description="The default route's strategy (see routes).")
    cascade: CascadeSpec | None = Field(default=None, description="The default route's cascade settings.")
    routes: dict[str, Route] = Field(default_factory=dict)
    rules: list[Rule] = Field(default_factory=list)
    providers: dict[str, ProviderSpec] = Field(default_factory=dict)
    models: dict[str, Annotated[ModelSpec, AfterValidator(_bounded_model_spec)]] = Field(
        default_factory=dict, description="Price/capability overrides."
    )
    fallback: FallbackSpec = Field(default_factory=FallbackSpec)
    budgets: list[BudgetSpec] = Field(default_factory=list, description="Limits on spend.")
    ledger: LedgerSpec | None = Field(
        default=None,
        description="Where calls are recorded (a URL or a mapping); default: memory when budgets exist.",
    )
    flex: FlexSpec = Field(default_factory=FlexSpec, description="The flex tier for background work.")
    prompt_cache: PromptCacheSpec = Field(
        default_factory=PromptCacheSpec,
        description="Provider prompt caching (breakpoints for Claude, cache keys for OpenAI); what caching "
        "saved is measured either way.",
    )
    loops: LoopSpec | None = Field(
        default=None,
        description="Detect runaway loops (the same request repeated in one session); off when unset.",
    )
    hash_user_ids: bool = Field(
        default=False, description="Hash user ids before they reach spans and the ledger."
    )
    shadow: ShadowSpec | None = Field(
        default=None,
        description="Shadow comparisons against the baseline model on a sample of calls; off when unset.",
    )
    feedback: FeedbackSpec = Field(
        default_factory=FeedbackSpec, description="The label store (shadow, cascade and explicit feedback)."
    )
    token_counter: str = Field(
        default="bytes",
        description="How input tokens are counted before a call: 'bytes' (UTF-8 bytes / 4, free), "
        "'tiktoken' or 'tiktoken:ENCODING' (needs tiktoken), or 'package.module:function' (text -> int).",
    )
    span_conventions: list[SpanConvention] = Field(
        default_factory=lambda: list(_SPAN_CONVENTIONS),
        description="Span attributes besides the OpenTelemetry GenAI ones and frugal's own, named after "
        "who reads them: 'openinference' (llm.token_count.*, llm.cost.total: Arize Phoenix and Arize), "
        "'langfuse' (gen_ai.usage.cost: Langfuse, OpenLIT), 'logfire' (operation.cost: Pydantic Logfire).",
    )
    capture_content: bool = Field(
        default=False,
        description="Put prompts and answers on spans; the environment variable "
        "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT does too.",
    )

    @field_validator("ledger", mode="before")
    @classmethod
    def _ledger_url(cls, value: Any) -> Any:
        return {"url": value} if isinstance(value, str) else value

    @field_validator("budgets")
    @classmethod
    def _unique_budgets(cls, value: list[BudgetSpec]) -> list[BudgetSpec]:
        keys = [budget.key for budget in value]
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        if repeated:
            raise ValueError(f"budget names must be unique (set name:); repeated: {', '.join(repeated)}")
        return value

    @model_validator(mode="after")
    def _cascade_needs_strategy(self) -> Policy:
        _check_cascade(self.strategy, self.cascade)
        return self

    @field_validator("thresholds")
    @classmethod
    def _increasing(cls, value: list[float]) -> list[float]:
        if any(b <= a for a, b in itertools.pairwise(value)):
            raise ValueError("thresholds must be strictly increasing")
        return value

    @property
    def id(self) -> str:
        """``name@hash``: the policy's name and a short hash of its content (for telemetry).

        Settings left at their defaults are not hashed: a setting added to frugal (or one written out at
        its default value) leaves a policy's id as it was.
        """
        data = self.model_dump(mode="json", exclude_defaults=True)
        digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
        return f"{self.name}@{digest[:12]}"


def policy_json_schema() -> dict[str, Any]:
    """The JSON Schema of a policy file (for editors: ``# yaml-language-server: $schema=...``).

    It states every bound the loader enforces (every number has a lowest and a highest value).
    """
    return copy.deepcopy(_schema())


@functools.cache
def _schema() -> dict[str, Any]:
    schema = Policy.model_json_schema()
    for path, low, high in _MODEL_SPEC_BOUNDS:
        *parents, name = path
        model = "PricesSpec" if parents == ["prices"] else "ModelSpec"
        for branch in schema["$defs"][model]["properties"][name].get("anyOf", []):
            if branch.get("type") in ("integer", "number"):
                branch.pop("exclusiveMinimum", None)
                branch.update(minimum=low, maximum=high)
    schema["properties"] = {
        "extends": {
            "anyOf": [
                {"type": "string", "minLength": 1},
                {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1},
            ],
            "description": "Policies this one builds on: 'default' (the built-in one) or policy files (paths "
            "relative to this file), merged in order under this file's settings. budgets and rules are "
            "appended; models, providers, routes and fallback are merged key by key; anything else is "
            "replaced.",
            "title": "Extends",
        },
        **schema["properties"],
    }
    # `ledger: URL` is shorthand for `ledger: {url: URL}` (the field's before-validator).
    schema["properties"]["ledger"]["anyOf"].insert(1, {"type": "string"})
    # A file that extends another may leave the tiers to it.
    schema.pop("required", None)
    schema["anyOf"] = [{"required": ["tiers"]}, {"required": ["extends"]}]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
        "title": "frugal routing policy",
    }


def find_policy_source(explicit: str | os.PathLike[str] | None = None) -> tuple[str, str]:
    """(source name, YAML text) of the policy to use: explicit path, $FRUGAL_POLICY, ./frugal.yaml, built-in.

    Raises:
        ConfigError: an explicitly named file (argument or environment variable) cannot be read.
    """
    for candidate, origin in (
        (explicit, "policy argument"),
        (os.environ.get(ENV_VAR) or None, f"${ENV_VAR}"),
    ):
        if candidate is not None:
            path = Path(candidate)
            try:
                return str(path), path.read_text(encoding="utf-8")
            except OSError as exc:
                raise ConfigError(
                    f"{path}: cannot read the policy named by the {origin}: {exc.strerror}"
                ) from None
    local = Path(LOCAL_FILE)
    if local.is_file():
        return str(local), local.read_text(encoding="utf-8")
    return DEFAULT_SOURCE, builtin_default_text()


def load_policy(source: str | os.PathLike[str] | Policy | None = None) -> tuple[Policy, Located | None]:
    """Load and validate a policy (structure only; models and names are checked when it is compiled).

    Returns:
        The policy and its located YAML (None when a ``Policy`` object was given), whose positions let
        later checks point at the offending line.

    Raises:
        ConfigError: with ``file:line:column``, the key and what was expected.
    """
    if isinstance(source, Policy):
        return source, None
    name, text = find_policy_source(source)
    return parse_policy(text, name)


def parse_policy(
    text: str, source: str = "<string>", *, base_dir: str | os.PathLike[str] | None = None
) -> tuple[Policy, Located]:
    """Parse policy YAML text, with the policies it ``extends:`` merged in; see :func:`load_policy`.

    Args:
        text: the policy's YAML.
        source: the file it came from (named by errors).
        base_dir: the directory relative ``extends:`` paths are resolved against (default: the
            directory of ``source``, which is the current one for a name that is not a path).

    Returns:
        The policy and its located data (the merged data when it extends others).

    Raises:
        ConfigError: with ``file:line:column``, the key and what was expected.
    """
    located = load_located(text, source)
    if not isinstance(located.data, Mapping):
        raise located.error((), f"expected a mapping of policy settings, got {type(located.data).__name__}")
    located = resolve_extends(located, Path(source).parent if base_dir is None else Path(base_dir))
    try:
        policy = Policy.model_validate(located.data)
    except ValidationError as exc:
        raise config_error(exc, located, _schema()) from None
    return policy, located
