"""``frugal.Client`` and ``frugal.AsyncClient``: drop-ins for ``openai.OpenAI`` and ``anthropic.Anthropic``.

A client is configuration (its policy compiled into a router, its providers, budgets and telemetry) and
the carrying out of call plans: each SDK-shaped method (``chat.completions.create``, ``messages.create``,
...) makes a :class:`~frugal._plan.CallPlan` and does what it asks: reserve, send, sleep, settle. The
sync client does it in the caller's thread; the async one awaits the requests and sleeps, and runs a
blocking ledger (SQLite, Redis settled inline) in a worker thread. No vendor call is made here: the
providers (:mod:`frugal.providers`) make them.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Generator, Mapping
from contextlib import AbstractContextManager
from dataclasses import replace
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, cast

from ._context import with_context
from ._util import NOT_GIVEN, NotGiven
from .exceptions import ConfigError
from .providers.calls import CHAT, DEFAULT_MAX_TOKENS, MESSAGES, RESPONSES, Operation

if TYPE_CHECKING:
    import anthropic as anthropic_sdk
    import openai as openai_sdk
    from anthropic.resources.messages import AsyncMessages, Messages
    from openai.resources.chat import AsyncChat, Chat
    from openai.resources.embeddings import AsyncEmbeddings, Embeddings
    from openai.resources.responses import AsyncResponses, Responses
    from typing_extensions import Self

    from ._plan import Action, Setup
    from .budgets.admission import Budgets
    from .budgets.ledger import Ledger
    from .feedback.labels import Label
    from .feedback.store import LabelStore
    from .policy import Policy, PromptCacheSpec
    from .providers import Provider
    from .routing import Decision
    from .routing.warmth import WarmPrefixes

__all__ = ["DEFAULT_MAX_TOKENS", "AsyncClient", "BaseClient", "Client"]

#: SDK client options that ``with_options`` applies to every provider (the rest are per provider).
_SHARED_OPTIONS = ("timeout", "default_headers", "default_query")


class BaseClient:
    """Configuration shared by :class:`Client` and :class:`AsyncClient`."""

    _is_async: ClassVar[bool] = False

    def __init__(
        self,
        *,
        policy: str | os.PathLike[str] | Policy | None = None,
        openai: object | None = None,
        anthropic: object | None = None,
        providers: Mapping[str, object] | None = None,
        models: Mapping[str, str] | None = None,
        max_retries: int | None = None,
        timeout: float | NotGiven | None = NOT_GIVEN,
        default_max_tokens: int = DEFAULT_MAX_TOKENS,
        tracer_provider: Any = None,
        meter_provider: Any = None,
        ledger: str | Ledger | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        # pydantic, genai-prices and the classifiers load here, not at `import frugal`.
        from ._plan import Setup
        from ._retry import Backoff
        from ._version import __version__
        from .budgets import budgets_from_policy
        from .budgets.loops import LoopDetector
        from .policy import load_policy
        from .providers import provider_from_spec
        from .routing.compile import compile_cascades, compile_policy
        from .telemetry import Telemetry

        loaded, located = load_policy(policy)
        if default_max_tokens < 1:
            raise ConfigError(f"default_max_tokens must be a positive integer, got {default_max_tokens!r}")
        # timeout=None is the SDKs' "no timeout"; not given, the SDKs' own default (10 minutes) stands.
        defaults: dict[str, Any] = {} if isinstance(timeout, NotGiven) else {"timeout": timeout}
        specs: dict[str, object] = {"openai": {}, "anthropic": {}}
        key_variables: dict[str, str | None] = {}
        explicit = {"openai": openai, "anthropic": anthropic, **(providers or {})}
        for name, spec in loaded.providers.items():
            options: dict[str, Any] = {"kind": spec.kind or name}
            if spec.base_url:
                options["base_url"] = spec.base_url
            if spec.api_key == "none":
                options["api_key"] = "none"  # the SDKs want a string; a keyless server ignores it
            elif spec.api_key_env and os.environ.get(spec.api_key_env):
                options["api_key"] = os.environ[spec.api_key_env]
            elif spec.api_key_env and spec.enabled and explicit.get(name) is None:
                from .routing.compile import PolicyErrors

                raise PolicyErrors(located)(
                    ("providers", name, "api_key_env"),
                    f"provider {name!r} reads its key from ${spec.api_key_env}, which is not set: set it, "
                    "or write api_key: none for a server that takes no key, or enabled: false",
                )
            specs[name] = options
            key_variables[name] = spec.api_key_env
        specs.update({name: spec for name, spec in explicit.items() if spec is not None})
        self._providers: dict[str, Provider] = {
            name: provider_from_spec(
                name,
                spec,
                is_async=self._is_async,
                defaults=defaults,
                key_variable=key_variables.get(name),
                default_max_tokens=default_max_tokens,
            )
            for name, spec in specs.items()
        }
        from .providers.caching import CacheSettings, PromptCache

        cache_spec = loaded.prompt_cache
        prompt_cache = PromptCache(
            CacheSettings(cache_spec.anthropic, cache_spec.openai, cache_spec.ttl, cache_spec.min_tokens),
            clock=clock or time.monotonic,
        )
        for provider_object in self._providers.values():
            provider_object.prompt_cache = prompt_cache
        models_map = dict(models or {})
        for model, provider in models_map.items():
            if provider not in self._providers:
                raise ConfigError(
                    f"models[{model!r}] names provider {provider!r}, which is not configured "
                    f"(configured: {', '.join(sorted(self._providers))})"
                )
        # Providers the policy does not disable (a dry run assumes they all have credentials).
        self._enabled = frozenset(
            name for name in self._providers if name not in loaded.providers or loaded.providers[name].enabled
        )
        available = frozenset(name for name in self._enabled if self._providers[name].has_credentials())
        router = compile_policy(
            loaded,
            located,
            providers={name: provider.kind for name, provider in self._providers.items()},
            models=models_map,
            available_providers=available,
        )
        self._bind_classifiers(
            router,
            {
                "policy": loaded,
                "openai": openai,
                "anthropic": anthropic,
                "providers": providers,
                "models": models,
            },
        )
        budgets = (
            budgets_from_policy(loaded, located, router, ledger=ledger, clock=clock)
            if loaded.budgets
            or ledger is not None
            or loaded.ledger is not None
            or os.environ.get("FRUGAL_LEDGER")
            else None
        )
        self._setup: Setup = Setup(
            router=router,
            providers=self._providers,
            backoff=Backoff.from_spec(loaded.fallback, retries=max_retries),
            telemetry=Telemetry(
                tracer_provider,
                meter_provider,
                policy_id=router.policy_id,
                hash_users=loaded.hash_user_ids,
                capture_content=loaded.capture_content,
                conventions=tuple(loaded.span_conventions),
                version=__version__,
            ),
            budgets=budgets,
            cascades=compile_cascades(loaded, located, router),
            honor=loaded.requested_model == "honor",
            loops=LoopDetector(loaded.loops) if loaded.loops is not None else None,
            warmth=_warmth(cache_spec, budgets, clock) if cache_spec.routing else None,
        )
        self._background: Any = None  # the worker threads of shadow comparisons (Client)
        self._background_lock = threading.Lock()
        self._pending: set[Any] = set()  # shadow comparisons under way: futures, or tasks
        self._label_url = loaded.feedback.store or (
            budgets.store.ledger.url if budgets is not None else "memory://"
        )
        self._labels: LabelStore | None = None
        self._store_content = loaded.feedback.store_content
        from .feedback.recent import RecentCalls

        labels = self.labels if (self._setup.cascades or loaded.shadow is not None) else None
        shadowing = None
        if loaded.shadow is not None:
            from .feedback.shadow import Shadowing

            shadowing = Shadowing(
                loaded.shadow,
                self.labels,
                _shadow_budgets(loaded.shadow.limit_usd, budgets, router, clock or time.time),
                store_content=loaded.feedback.store_content,
                clock=clock or time.time,
            )
        self._setup = replace(self._setup, labels=labels, shadowing=shadowing, recent=RecentCalls())

    def _bind_classifiers(self, router: Any, arguments: Mapping[str, Any]) -> None:
        """Hand a client to the classifiers that call models through one (an embeddings endpoint), so their
        calls are priced, recorded and traced: this client, or for an async client a sync twin built with
        the same arguments (a classifier runs synchronously). A twin cannot be built over ready-made async
        SDK clients; such classifiers then say they have no client, and fall back to the default tier."""
        from .classifiers.base import bind_client

        classifiers = {
            id(r.classifier): r.classifier for r in (router.default_route, *router.routes.values())
        }
        needing = [c for c in classifiers.values() if callable(getattr(c, "bind_client", None))]
        if not needing:
            return
        target: object | None = self
        if self._is_async:
            specs = [arguments["openai"], arguments["anthropic"], *(arguments["providers"] or {}).values()]
            ready_made = any(spec is not None and not isinstance(spec, Mapping) for spec in specs)
            target = None if ready_made else Client(**arguments)
        if target is not None:
            for classifier in needing:
                bind_client(classifier, target)

    @property
    def labels(self) -> LabelStore:
        """The label store: shadow comparisons, cascade outcomes and :meth:`feedback` (opened on first use:
        the policy's ``feedback.store``, else the ledger's URL, else in memory)."""
        if self._labels is None:
            from .feedback.store import open_labels

            self._labels = open_labels(self._label_url)
        return self._labels

    def _feedback_label(self, call: object, good: bool | None, score: float | None) -> Label:
        """The label of :meth:`Client.feedback` (validated; the call's facts when it is remembered)."""
        from .feedback.labels import Label, hashed_features, label_id

        if (good is None) == (score is None):
            raise ValueError("feedback takes good=True/False or score= (0 to 1), one of them")
        if score is not None and not 0.0 <= score <= 1.0:
            raise ValueError(f"score must be between 0 and 1, got {score!r}")
        value = float(good) if good is not None else float(score or 0.0)
        call_id = call if isinstance(call, str) else call_id_of(call)
        if call_id is None:
            raise TypeError(
                "feedback names a call by its answer (what the client returned) or its id "
                f"(frugal.call_id(answer)); got a {type(call).__name__} without an id"
            )
        assert self._setup.recent is not None
        facts = self._setup.recent.get(call_id)
        content = self._store_content and facts is not None and facts.request is not None
        return Label(
            id=label_id(),
            time=facts.time if facts is not None else time.time(),
            source="feedback",
            good=value,
            method="user",
            call_id=call_id,
            route=facts.route if facts else None,
            tier=facts.tier if facts else None,
            model=facts.model if facts else None,
            team=facts.metadata.get("team") if facts else None,
            feature=facts.metadata.get("feature") if facts else None,
            classifier=facts.classifier if facts else None,
            score=facts.score if facts else None,
            features=hashed_features(facts.request) if facts and facts.request is not None else {},
            prompt=facts.request.prompt if content and facts and facts.request else None,
        )

    @property
    def policy(self) -> Policy:
        """The routing policy in force."""
        return self._setup.router.policy

    @property
    def ledger(self) -> Ledger | None:
        """The ledger that records this client's calls (None when neither budgets nor a ledger are set)."""
        budgets = self._setup.budgets
        return budgets.store.ledger if budgets is not None else None

    def route(self, **params: Any) -> Decision:
        """Dry run: the routing decision for a call, without calling anything (no credentials needed).

        Takes the arguments of ``chat.completions.create`` (``messages=``, ``model=`` defaulting to
        ``"auto"``, ``tools=``, ...). With ``operation="messages"`` it takes those of ``messages.create``.
        Every configured provider is assumed to have credentials; when some have none, the decision's
        reasons say so.
        """
        from dataclasses import replace

        from ._plan import dry_run

        operation = params.pop("operation", "chat")
        op = {"chat": CHAT, "messages": MESSAGES, "responses": RESPONSES}.get(operation)
        if op is None:
            raise ValueError(f"operation must be 'chat', 'messages' or 'responses', got {operation!r}")
        params.setdefault("model", "auto")
        router = self._setup.router
        everyone = self._enabled
        warmth = self._setup.warmth
        if router.available_providers == everyone:
            return dry_run(router, op, params, warmth)
        decision = dry_run(replace(router, available_providers=everyone), op, params, warmth)
        missing = ", ".join(sorted(everyone - router.available_providers))
        return replace(decision, reasons=(*decision.reasons, f"dry run: assumed {missing} configured"))

    def with_context(self, **metadata: object) -> AbstractContextManager[Mapping[str, str]]:
        """Attach routing metadata (``user=``, ``team=``, ``feature=``, any key) to calls in a ``with`` block.

        Backed by ``contextvars``: safe across threads and asyncio tasks.
        """
        return with_context(**metadata)

    def _call(self, op: Operation, params: dict[str, Any]) -> Any:
        """Carry out ``op``: the result on the sync client, an awaitable on the async one."""
        raise NotImplementedError

    def with_options(self, **options: Any) -> Self:
        """A client like this one with other SDK client options, as ``openai.OpenAI().with_options``; it
        shares the policy, budgets, ledger and telemetry (and each SDK client's connection pool).

        ``max_retries`` sets frugal's own retries of one model; ``timeout``, ``default_headers`` and
        ``default_query`` apply to every provider; any other option (``api_key``, ``base_url``, ...) needs
        ``provider=`` naming the provider it is for.

        Raises:
            TypeError: a provider-specific option without ``provider=``, or an unknown provider.
        """
        return self._derived(kind=None, options=options)

    copy = with_options

    def _derived(self, *, kind: str | None, options: Mapping[str, Any]) -> Self:
        """A copy with options applied to the providers of ``kind`` (None: all); see :meth:`with_options`."""
        import copy
        from dataclasses import replace

        options = dict(options)
        provider = options.pop("provider", kind)
        retries = options.pop("max_retries", None)
        shared = {key: options.pop(key) for key in _SHARED_OPTIONS if key in options}
        if options and provider is None:
            named = ", ".join(sorted(options))
            raise TypeError(f"with_options({named}=...) is for one provider: name it with provider=...")
        if provider is not None and provider not in self._providers:
            raise TypeError(f"with_options(provider={provider!r}): not a configured provider")
        providers = dict(self._providers)
        for name, current in providers.items():
            changes = dict(shared) if kind is None or current.kind == kind else {}
            if name == provider:
                changes.update(options)
            if changes:
                providers[name] = current.with_options(**changes)
        derived = copy.copy(self)
        for name in ("chat", "responses", "embeddings", "messages"):  # bound to this client: made afresh
            derived.__dict__.pop(name, None)
        derived._providers = providers
        backoff = self._setup.backoff if retries is None else replace(self._setup.backoff, retries=retries)
        derived._setup = replace(self._setup, providers=providers, backoff=backoff)
        return derived

    def _resource_sdk(self, kind: str) -> Any:
        """The SDK client the SDK-shaped namespaces of ``kind`` are built on (for the methods frugal does
        not intercept, which send no model request): the provider of that name's, or, without credentials
        for it, one with a placeholder key (such calls then fail with the vendor's 401)."""
        try:
            return self._vendor_client(kind)
        except Exception:
            return self._providers[kind].placeholder_sdk()

    def _vendor_client(self, provider: str) -> Any:
        """The vendor SDK client of a configured provider (built on first use)."""
        return self._providers[provider].sdk

    def __repr__(self) -> str:
        return f"<frugal.{type(self).__name__} providers={sorted(self._providers)}>"


class Client(BaseClient):
    """Drop-in for ``openai.OpenAI`` and ``anthropic.Anthropic``, in one object.

    Args:
        policy: the routing policy: a YAML file path or a :class:`~frugal.policy.Policy`. Default:
            ``$FRUGAL_POLICY``, else ``./frugal.yaml``, else the built-in default policy.
        openai: the ``openai`` provider: an ``openai.OpenAI`` (or ``AzureOpenAI``) client, or a mapping
            of keyword arguments for one. By default the SDK's own defaults and environment variables
            (``OPENAI_API_KEY``, ``OPENAI_BASE_URL``).
        anthropic: the ``anthropic`` provider, likewise (``ANTHROPIC_API_KEY``, ``ANTHROPIC_BASE_URL``).
        providers: more providers by name, e.g. ``{"azure": openai.AzureOpenAI(...)}`` or
            ``{"local": {"kind": "openai", "base_url": "http://127.0.0.1:8000/v1", "api_key": "x"}}``.
        models: model name → provider name, for names that the vendors' conventions do not place
            (``{"llama-3.3-70b": "local"}``). Models can also be named ``"provider/model"``.
        max_retries: passed to the SDK clients frugal builds (the SDK default when ``None``).
        timeout: passed to the SDK clients frugal builds: seconds, an ``httpx2.Timeout``, or ``None`` for no
            timeout at all; when not given, the SDK's own default.
        default_max_tokens: ``max_tokens`` for Anthropic when an OpenAI-shaped call gives none.
        tracer_provider: the OpenTelemetry tracer provider for frugal's spans (default: the global one).
        meter_provider: the OpenTelemetry meter provider for frugal's metrics (default: the global one).
        ledger: where calls are recorded and budgets counted: a URL (``sqlite:///ledger.db``,
            ``redis://host:6379/0``, ``memory://``) or a :class:`~frugal.budgets.Ledger`. Default:
            ``$FRUGAL_LEDGER``, else the policy's ``ledger:``, else in memory when the policy has budgets.
        clock: the wall clock (seconds since the epoch) that budget windows and ledger times read.

    Raises:
        ConfigError: the policy, a provider or a model mapping is not usable (with file:line for the policy).
    """

    @cached_property
    def chat(self) -> Chat:
        """``chat.completions``, as ``openai.OpenAI().chat`` (built on first use; imports openai)."""
        from .providers.openai_resources import FrugalChat

        return FrugalChat(self._resource_sdk("openai"), self)

    @cached_property
    def responses(self) -> Responses:
        """As ``openai.OpenAI().responses`` (built on first use; imports openai)."""
        from .providers.openai_responses import FrugalResponses

        return FrugalResponses(self._resource_sdk("openai"), self)

    @cached_property
    def embeddings(self) -> Embeddings:
        """As ``openai.OpenAI().embeddings`` (built on first use; imports openai)."""
        from .providers.openai_resources import FrugalEmbeddings

        return FrugalEmbeddings(self._resource_sdk("openai"), self)

    @cached_property
    def messages(self) -> Messages:
        """As ``anthropic.Anthropic().messages`` (built on first use; imports anthropic)."""
        from .providers.anthropic_resources import FrugalMessages

        return FrugalMessages(self._resource_sdk("anthropic"), self)

    def _call(self, op: Operation, params: dict[str, Any]) -> Any:
        from ._plan import CallPlan

        return _carry_out(CallPlan(self._setup, op, params).steps(), self._spawn)

    def _spawn(self, steps: Generator[Action, Any, Any]) -> None:
        """Run a background plan (a shadow comparison) on a worker thread, in the caller's context."""
        import contextvars
        from concurrent.futures import ThreadPoolExecutor

        with self._background_lock:
            if self._background is None:
                self._background = ThreadPoolExecutor(max_workers=2, thread_name_prefix="frugal-shadow")
            future = self._background.submit(contextvars.copy_context().run, _carry_out, steps)
            self._pending.add(future)
        future.add_done_callback(self._pending.discard)

    def flush_shadows(self, timeout: float | None = None) -> bool:
        """Wait until the shadow comparisons started so far are done (their labels stored).

        Returns:
            False when ``timeout`` seconds passed first.
        """
        from concurrent.futures import wait

        _done, pending = wait(list(self._pending), timeout=timeout)
        return not pending

    def feedback(self, call: object, good: bool | None = None, *, score: float | None = None) -> Label:
        """Say whether an answer was good enough: a label for training and the quality audit.

        Args:
            call: what the client returned (a ``ChatCompletion``, ``Message`` or ``Response``), or its
                id (:func:`frugal.call_id`).
            good: the answer was good enough (True) or not (False).
            score: instead of ``good``, a grade from 0 to 1.

        Returns:
            The label kept in :attr:`labels` (with the call's route, tier, model and features when it is
            one of the client's recent calls).

        Raises:
            ValueError: neither or both of ``good`` and ``score``, or a score outside 0..1.
            TypeError: ``call`` has no id.
        """
        label = self._feedback_label(call, good, score)
        self.labels.add(label)
        return label

    def as_openai(self) -> openai_sdk.OpenAI:
        """An ``openai.OpenAI`` instance whose chat, responses and embeddings calls go through frugal.

        For libraries that take an OpenAI client and check it with ``isinstance``.
        """
        from .providers.views import openai_view

        return cast("openai_sdk.OpenAI", openai_view(self))

    def as_anthropic(self) -> anthropic_sdk.Anthropic:
        """An ``anthropic.Anthropic`` instance whose ``messages`` calls go through frugal."""
        from .providers.views import anthropic_view

        return cast("anthropic_sdk.Anthropic", anthropic_view(self))

    def flush_ledger(self, timeout: float | None = None) -> bool:
        """Wait until the ledger holds every call made so far (records and counters settled, or spooled).

        Only a ledger settled in the background (Redis, by default) has anything to wait for; see
        ``docs/budgets.md``. :meth:`close`, the end of a ``with`` block and the end of the interpreter flush
        too.

        Returns:
            False when ``timeout`` seconds passed first (what is queued is still written afterwards).
        """
        budgets = self._setup.budgets
        return budgets.store.flush(timeout) if budgets is not None else True

    def close(self) -> None:
        """Flush the ledger's background writer and close the vendor clients frugal built (ready-made
        clients passed in stay open)."""
        with self._background_lock:
            background, self._background = self._background, None
        if background is not None:  # shadow comparisons record to the ledger: before it closes
            background.shutdown(wait=True)
        if self._setup.warmth is not None:  # its fleet writes go to the ledger: before it closes
            self._setup.warmth.close()
        if self._setup.budgets is not None:
            self._setup.budgets.store.close()
        if self._labels is not None:
            self._labels.close()
        for provider in self._providers.values():
            provider.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _warmth(
    spec: PromptCacheSpec, budgets: Budgets | None, clock: Callable[[], float] | None
) -> WarmPrefixes:
    """Warm prompt prefixes for cache-aware routing, shared by the fleet when the ledger can (Redis)."""
    from .routing.warmth import FleetWarmth, WarmPrefixes

    store = budgets.store.ledger if budgets is not None else None
    fleet = cast("FleetWarmth", store) if callable(getattr(store, "warm_read", None)) else None
    return WarmPrefixes(spec.ttl, clock=clock or time.time, fleet=fleet)


def call_id_of(answer: object) -> str | None:
    """The id frugal knows a call by: its answer's id, as the vendor gave it (``ChatCompletion.id``,
    ``Message.id``, ``Response.id``; a stream's chunks carry it too). None when ``answer`` has none."""
    value = getattr(answer, "id", None)
    return value if isinstance(value, str) else None


def _shadow_budgets(
    limit_usd: float, budgets: Budgets | None, router: Any, clock: Callable[[], float]
) -> Budgets:
    """The shadow calls' budgets: one, ``shadow.limit_usd`` a UTC day, on the client's ledger (or one in
    memory), counted apart from every other budget."""
    from .budgets.admission import Budgets
    from .budgets.guarded import GuardedLedger
    from .budgets.memory import MemoryLedger
    from .budgets.rules import Budget
    from .budgets.settlement import RecordMaker
    from .budgets.windows import Window

    cap = Budget(
        name="frugal.shadow",
        scope="global",
        pattern=None,
        limit_usd=limit_usd,
        window=Window("day", False),
        action="block",
        thresholds=(),
    )
    store = budgets.store if budgets is not None else GuardedLedger(MemoryLedger())
    records = budgets.records if budgets is not None else RecordMaker(router)
    return Budgets([cap], store, records, clock=clock)


def _carry_out(
    steps: Generator[Action, Any, Any], spawn: Callable[[Generator[Action, Any, Any]], None] | None = None
) -> Any:
    """Do what a call plan asks, in this thread; its result. ``spawn`` starts a background plan."""
    from ._plan import Background, LedgerIo, Send, Sleep
    from .providers.raw_responses import read

    outcome: Any = None
    failure: BaseException | None = None
    while True:
        try:
            action = steps.throw(failure) if failure is not None else steps.send(outcome)
        except StopIteration as done:
            return done.value
        outcome, failure = None, None
        try:
            if isinstance(action, Send):
                outcome = action.provider.send(action.operation, action.params, action.model)
                if action.read:
                    outcome = (outcome, read(outcome))
            elif isinstance(action, Sleep):
                time.sleep(action.seconds)
            elif isinstance(action, LedgerIo):
                outcome = action.run()
            elif isinstance(action, Background):
                if spawn is None:
                    action.steps.close()
                else:
                    spawn(action.steps)
        except Exception as exc:
            failure = exc


async def _acarry_out(
    steps: Generator[Action, Any, Any], spawn: Callable[[Generator[Action, Any, Any]], None] | None = None
) -> Any:
    """Do what a call plan asks, on the event loop: requests and sleeps are awaited, a blocking ledger runs
    in a worker thread (the event loop never waits on it); its result. asyncio is imported here, not at
    ``import frugal``."""
    import asyncio

    from ._plan import Background, LedgerIo, Send, Sleep
    from .providers.raw_responses import aread

    outcome: Any = None
    failure: BaseException | None = None
    while True:
        try:
            action = steps.throw(failure) if failure is not None else steps.send(outcome)
        except StopIteration as done:
            return done.value
        outcome, failure = None, None
        try:
            if isinstance(action, Send):
                outcome = await action.provider.asend(action.operation, action.params, action.model)
                if action.read:
                    outcome = (outcome, await aread(outcome))
            elif isinstance(action, Sleep):
                await asyncio.sleep(action.seconds)
            elif isinstance(action, LedgerIo):
                outcome = await asyncio.to_thread(action.run) if action.blocking else action.run()
            elif isinstance(action, Background):
                if spawn is None:
                    action.steps.close()
                else:
                    spawn(action.steps)
        except Exception as exc:
            failure = exc


class AsyncClient(BaseClient):
    """Drop-in for ``openai.AsyncOpenAI`` and ``anthropic.AsyncAnthropic``; arguments as :class:`Client`."""

    _is_async = True

    @cached_property
    def chat(self) -> AsyncChat:
        """As ``openai.AsyncOpenAI().chat`` (built on first use; imports openai)."""
        from .providers.openai_resources import FrugalAsyncChat

        return FrugalAsyncChat(self._resource_sdk("openai"), self)

    @cached_property
    def responses(self) -> AsyncResponses:
        """As ``openai.AsyncOpenAI().responses`` (built on first use; imports openai)."""
        from .providers.openai_responses import FrugalAsyncResponses

        return FrugalAsyncResponses(self._resource_sdk("openai"), self)

    @cached_property
    def embeddings(self) -> AsyncEmbeddings:
        """As ``openai.AsyncOpenAI().embeddings`` (built on first use; imports openai)."""
        from .providers.openai_resources import FrugalAsyncEmbeddings

        return FrugalAsyncEmbeddings(self._resource_sdk("openai"), self)

    @cached_property
    def messages(self) -> AsyncMessages:
        """As ``anthropic.AsyncAnthropic().messages`` (built on first use; imports anthropic)."""
        from .providers.anthropic_resources import FrugalAsyncMessages

        return FrugalAsyncMessages(self._resource_sdk("anthropic"), self)

    async def _call(self, op: Operation, params: dict[str, Any]) -> Any:
        from ._plan import CallPlan

        return await _acarry_out(CallPlan(self._setup, op, params).steps(), self._spawn)

    def _spawn(self, steps: Generator[Action, Any, Any]) -> None:
        """Run a background plan (a shadow comparison) as a task of the running event loop."""
        import asyncio

        task = asyncio.get_running_loop().create_task(_acarry_out(steps))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def flush_shadows(self, timeout: float | None = None) -> bool:
        """Wait until the shadow comparisons started so far are done (their labels stored).

        Returns:
            False when ``timeout`` seconds passed first.
        """
        import asyncio

        if not self._pending:
            return True
        _done, pending = await asyncio.wait(list(self._pending), timeout=timeout)
        return not pending

    async def feedback(self, call: object, good: bool | None = None, *, score: float | None = None) -> Label:
        """Say whether an answer was good enough (see :meth:`Client.feedback`); a blocking label store is
        written in a worker thread."""
        import asyncio

        label = self._feedback_label(call, good, score)
        store = self.labels
        if store.blocking:
            await asyncio.to_thread(store.add, label)
        else:
            store.add(label)
        return label

    def as_openai(self) -> openai_sdk.AsyncOpenAI:
        """An ``openai.AsyncOpenAI`` instance whose calls go through frugal (see :meth:`Client.as_openai`)."""
        from .providers.views import openai_view

        return cast("openai_sdk.AsyncOpenAI", openai_view(self))

    def as_anthropic(self) -> anthropic_sdk.AsyncAnthropic:
        """An ``anthropic.AsyncAnthropic`` instance whose ``messages`` calls go through frugal."""
        from .providers.views import anthropic_view

        return cast("anthropic_sdk.AsyncAnthropic", anthropic_view(self))

    async def flush_ledger(self, timeout: float | None = None) -> bool:
        """Wait (in a worker thread, never blocking the event loop) until the ledger holds every call made
        so far; see :meth:`Client.flush_ledger`."""
        budgets = self._setup.budgets
        if budgets is None:
            return True
        import asyncio

        return await asyncio.to_thread(budgets.store.flush, timeout)

    async def close(self) -> None:
        """Flush the ledger's background writer (in a worker thread) and close the vendor clients frugal
        built (ready-made clients passed in stay open)."""
        import asyncio

        if self._pending:  # shadow comparisons record to the ledger: before it closes
            await asyncio.wait(list(self._pending))
        if self._setup.warmth is not None:  # its fleet writes go to the ledger: before it closes
            await asyncio.to_thread(self._setup.warmth.close)
        budgets = self._setup.budgets
        if budgets is not None:
            await asyncio.to_thread(budgets.store.close)
        if self._labels is not None:
            await asyncio.to_thread(self._labels.close)
        for provider in self._providers.values():
            await provider.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
