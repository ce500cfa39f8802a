"""``frugal.Client`` and ``frugal.AsyncClient``: drop-ins for ``openai.OpenAI`` and ``anthropic.Anthropic``.

One call goes: namespace method (``chat.completions.create``, ``messages.create``, ...) → ``_call`` →
place the model on a provider (the seam where routing plugs in) → the vendor SDK method directly when
the provider speaks the caller's shape, or a translated call (:mod:`frugal.providers.cross`) when it does
not. Everything but the final ``await`` is shared by the two clients.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Mapping
from contextlib import AbstractContextManager
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, cast

from ._context import call_metadata, with_context
from ._resources import (
    ChatNamespace,
    EmbeddingsNamespace,
    MessagesNamespace,
    ResponsesNamespace,
)
from .exceptions import ConfigError
from .providers import ProviderHandle, handle_from_spec
from .providers.calls import (
    CHAT,
    COUNT_TOKENS,
    DEFAULT_MAX_TOKENS,
    MESSAGES,
    MESSAGES_STREAM,
    RESPONSES,
    Operation,
)
from .providers.streams import close_with, peek_async, peek_sync, rewrap

if TYPE_CHECKING:
    import anthropic as anthropic_sdk
    import openai as openai_sdk
    from anthropic.resources.messages import AsyncMessages, Messages
    from openai.resources.chat import AsyncChat, Chat
    from openai.resources.embeddings import AsyncEmbeddings, Embeddings
    from openai.resources.responses import AsyncResponses, Responses
    from typing_extensions import Self

    from ._cascade_run import CascadePlan, CascadeRun
    from .budgets.budget import Spend
    from .budgets.ledger import Ledger
    from .policy import Policy
    from .providers.cross import Translated
    from .routing import Candidate, Decision
    from .telemetry import AttemptTelemetry, CallTelemetry

__all__ = ["DEFAULT_MAX_TOKENS", "AsyncClient", "Client"]


_DEFAULT_KEY_ENV = {"openai": ("OPENAI_API_KEY",), "anthropic": ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN")}


def _policy_provider_specs(policy: Policy) -> dict[str, object]:
    """Provider specs declared in the policy (constructor arguments override them)."""
    specs: dict[str, object] = {}
    for name, spec in policy.providers.items():
        options: dict[str, Any] = {"kind": spec.kind or name}
        if spec.base_url:
            options["base_url"] = spec.base_url
        if spec.api_key_env and os.environ.get(spec.api_key_env):
            options["api_key"] = os.environ[spec.api_key_env]
        specs[name] = options
    return specs


def _enabled(policy: Policy, provider: str) -> bool:
    spec = policy.providers.get(provider)
    return spec is None or spec.enabled


def _has_credentials(handle: ProviderHandle, policy: Policy) -> bool:
    """Whether a provider can authenticate: a ready-made client, an explicit key, or the key's env var."""
    if handle.built or handle.has_option("api_key") or handle.has_option("auth_token"):
        return True
    spec = policy.providers.get(handle.name)
    names = (spec.api_key_env,) if spec is not None and spec.api_key_env else _DEFAULT_KEY_ENV[handle.kind]
    return any(os.environ.get(name) for name in names)


def _fatal(exc: BaseException) -> bool:
    """Whether ``exc`` ends the call instead of moving on to the next candidate."""
    from ._retry import verdict

    return verdict(exc) == "raise"


def _first_answer(
    op: Operation, candidates: list[Candidate], params: dict[str, Any]
) -> Generator[tuple[Operation, Candidate, dict[str, Any]], Any, Any]:
    """Each candidate in turn until one answers; the last failure, or a fatal one, is re-raised."""
    for position, candidate in enumerate(candidates):
        try:
            return (yield op, candidate, params)
        except Exception as exc:
            if position == len(candidates) - 1 or _fatal(exc):
                raise
    raise AssertionError("unreachable: the chain is never empty")  # pragma: no cover


class _BaseClient:
    """State and logic shared by :class:`Client` and :class:`AsyncClient`."""

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
        timeout: float | None = None,
        default_max_tokens: int = DEFAULT_MAX_TOKENS,
        tracer_provider: Any = None,
        meter_provider: Any = None,
        ledger: str | Ledger | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        # pydantic, genai-prices and the classifiers load here, not at `import frugal`.
        from ._compile import compile_policy
        from ._dispatch import decide
        from .policy import load_policy

        self._decide = decide
        loaded, located = load_policy(policy)
        from ._retry import RetryPlan

        self._retry = RetryPlan.from_spec(loaded.fallback, retries=max_retries)
        defaults: dict[str, Any] = {}
        if timeout is not None:
            defaults["timeout"] = timeout
        specs: dict[str, object] = {"openai": {}, "anthropic": {}}
        specs.update(_policy_provider_specs(loaded))
        explicit = {"openai": openai, "anthropic": anthropic, **(providers or {})}
        specs.update({name: spec for name, spec in explicit.items() if spec is not None})
        self._providers: dict[str, ProviderHandle] = {
            name: handle_from_spec(name, spec, is_async=self._is_async, defaults=defaults)
            for name, spec in specs.items()
        }
        self._kinds = {name: handle.kind for name, handle in self._providers.items()}
        self._models = dict(models or {})
        for model, provider in self._models.items():
            if provider not in self._providers:
                raise ConfigError(
                    f"models[{model!r}] names provider {provider!r}, which is not configured "
                    f"(configured: {', '.join(sorted(self._providers))})"
                )
        if default_max_tokens < 1:
            raise ConfigError(f"default_max_tokens must be a positive integer, got {default_max_tokens!r}")
        self._default_max_tokens = default_max_tokens
        available = frozenset(
            name
            for name, handle in self._providers.items()
            if _enabled(loaded, name) and _has_credentials(handle, loaded)
        )
        self._router = compile_policy(
            loaded, located, providers=self._kinds, models=self._models, available_providers=available
        )
        self._honor = loaded.requested_model == "honor"
        self._cascades: dict[str, CascadePlan] = {}
        if loaded.strategy == "cascade" or any(r.strategy == "cascade" for r in loaded.routes.values()):
            from ._cascade_run import compile_cascades

            self._cascades = compile_cascades(loaded, located, self._router)
        self._spend: Spend | None = None
        self._blocking_ledger = False
        self._inline_settle = False
        wants_ledger = ledger is not None or loaded.ledger is not None or os.environ.get("FRUGAL_LEDGER")
        if loaded.budgets or wants_ledger:
            from .budgets.budget import spend_from_policy

            self._spend = spend_from_policy(loaded, located, self._router, ledger=ledger, clock=clock)
            self._blocking_ledger = self._spend is not None and self._spend.ledger.blocking
            self._inline_settle = self._spend is not None and self._spend.settles_inline
        from .telemetry import Telemetry

        self._telemetry = Telemetry(
            tracer_provider,
            meter_provider,
            policy_id=self._router.policy_id,
            hash_users=loaded.hash_user_ids,
            capture_content=loaded.capture_content,
        )

        self._bind_namespaces()

    @property
    def policy(self) -> Policy:
        """The routing policy in force."""
        return self._router.policy

    @property
    def ledger(self) -> Ledger | None:
        """The ledger that records this client's calls (None when neither budgets nor a ledger are set)."""
        return self._spend.ledger if self._spend is not None else None

    def route(self, **params: Any) -> Decision:
        """Dry run: the routing decision for a call, without calling anything.

        Takes the arguments of ``chat.completions.create`` (``messages=``, ``model=`` defaulting to
        ``"auto"``, ``tools=``, ...). With ``operation="messages"`` it takes those of ``messages.create``.
        """
        operation = params.pop("operation", "chat")
        op = {"chat": CHAT, "messages": MESSAGES, "responses": RESPONSES}.get(operation)
        if op is None:
            raise ValueError(f"operation must be 'chat', 'messages' or 'responses', got {operation!r}")
        params.setdefault("model", "auto")
        return self._decide(self._router, op, params)

    def with_context(self, **metadata: object) -> AbstractContextManager[Mapping[str, str]]:
        """Attach routing metadata (``user=``, ``team=``, ``feature=``, any key) to calls in a ``with`` block.

        Backed by ``contextvars``: safe across threads and asyncio tasks.
        """
        return with_context(**metadata)

    def _bind_namespaces(self) -> None:
        raise NotImplementedError

    def _call(self, op: Operation, params: dict[str, Any]) -> Any:
        """Carry out ``op``: the result on the sync client, an awaitable on the async one."""
        raise NotImplementedError

    # -- the seam: which provider serves which model ------------------------------------------------

    def _chain(self, op: Operation, params: dict[str, Any]) -> tuple[list[Candidate], Decision | None]:
        """The candidates to try, in order, and the routing decision (None when nothing was decided)."""
        model = params.get("model")
        if self._honor and model != "auto" and model not in self._router.routes:
            return [self._placed_target(params)], None  # honoured: no decision, only a placement
        if op.routed:
            for key in ("messages", "tools", "input"):  # the SDKs take any iterable; routing reads them first
                value = params.get(key)
                if value is not None and not isinstance(value, (list, tuple, str, dict)):
                    params[key] = list(value)
            decision = self._decide(self._router, op, params)
            return list(decision.chain), decision
        return [self._placed_target(params)], None

    def _placed_target(self, params: dict[str, Any]) -> Candidate:
        """The candidate for an unrouted call: the model named is the model called."""
        model = params.get("model")
        if not isinstance(model, str):
            raise TypeError(f"model must be a string naming a model, got {type(model).__name__}")
        return self._router.place(model)

    def _begin(
        self, op: Operation, params: dict[str, Any]
    ) -> tuple[list[Candidate], CallTelemetry, CascadeRun | None]:
        """Decide, reserve against the budgets, and open the call span (with the baseline of savings).

        A call on a cascade route starts at its first step; the reservation covers every step.

        Raises:
            BudgetExceeded: a ``block`` budget would be crossed (nothing was sent).
            LedgerUnavailable: the ledger is unreachable and the policy fails closed (nothing was sent).
        """
        candidates, decision = self._chain(op, params)
        cascade: CascadeRun | None = None
        reserved = decision
        if self._cascades and decision is not None and not params.get("stream"):
            from ._cascade_run import start_cascade

            cascade = start_cascade(self._cascades, self._router, op, params, decision, self._decide)
            if cascade is not None:
                decision, reserved = cascade.current, cascade.reservation
                candidates = list(decision.chain)
        spend = self._spend
        if spend is None or op is COUNT_TOKENS:  # counting tokens is free: nothing to limit or record
            telemetry = self._telemetry.start_call(op.name, decision, params)
        else:
            metadata = call_metadata(op.name, params)
            ticket = spend.admit(op, params, metadata, reserved, candidates[0], self._capped)
            if ticket.decision is not reserved and ticket.decision is not None:
                decision = ticket.decision  # downgraded by a budget: no escalation past its cap
                candidates = list(decision.chain)
                cascade = None
            telemetry = self._telemetry.start_call(
                op.name, decision, params, metadata=metadata, account=ticket
            )
            ticket.emit_events()
        if telemetry.observing:
            if decision is None:  # an unrouted call is its own baseline: no savings, but a figure
                telemetry.set_baseline(candidates[0].info)
            else:
                baseline = decision.baseline_model
                try:
                    telemetry.set_baseline(self._router.place(baseline).info if baseline else None)
                except Exception:  # a baseline that cannot be placed only costs the savings figure
                    telemetry.set_baseline(None)
        return candidates, telemetry, cascade

    def _attempts(
        self,
        op: Operation,
        candidates: list[Candidate],
        params: dict[str, Any],
        telemetry: CallTelemetry,
        cascade: CascadeRun | None,
    ) -> Generator[tuple[Operation, Candidate, dict[str, Any]], Any, Any]:
        """What to call, in order, and when to stop: the one plan both clients carry out.

        Yields ``(operation, model, arguments)`` for each vendor request; the client sends back the
        answer, or throws back the exception (after retries). Returns the answer for the caller, or
        re-raises the last vendor exception unchanged. Without a cascade: the first candidate that
        answers. With one: each step's answer is checked (and judged) and a failing one escalates.
        """
        while True:
            try:
                answer = yield from _first_answer(op, candidates, params)
            except Exception as exc:
                if cascade is None or _fatal(exc):
                    raise
                escalated = self._escalate(cascade, telemetry, f"error: {type(exc).__name__}")
                if escalated is None:
                    raise
                candidates = escalated
                continue
            if cascade is None:
                return answer
            failure = cascade.failure(op.name, params, answer)
            if failure is None:
                judge = cascade.judge_call(op.name, params, answer)
                if judge is not None:
                    try:
                        rating = yield judge
                    except Exception as exc:
                        cascade.judge_failed(exc)
                        rating = None
                    failure = cascade.judged(rating)
            escalated = None if failure is None else self._escalate(cascade, telemetry, failure)
            if escalated is None:
                return answer
            candidates = escalated

    @staticmethod
    def _escalate(cascade: CascadeRun, telemetry: CallTelemetry, reason: str) -> list[Candidate] | None:
        """The next step's candidates (recorded on the spans and the account), or None at the top."""
        failed = telemetry.model or cascade.current.model
        step = cascade.advance()
        if step is None:
            return None
        telemetry.escalate(failed, step, reason)
        return list(step.chain)

    def _capped(
        self, op: Operation, params: dict[str, Any], max_tier: int | None, pin: Candidate | None
    ) -> Decision | None:
        """The decision again, capped by a budget's ``downgrade`` (None: the call is not routed)."""
        if not op.routed:
            return None
        return self._decide(self._router, op, params, max_tier=max_tier, pin=pin)

    def _start_attempt(
        self, op: Operation, candidate: Candidate, params: dict[str, Any], telemetry: CallTelemetry
    ) -> tuple[ProviderHandle, dict[str, Any], AttemptTelemetry, bool]:
        """The provider, the arguments to send, the attempt span, and whether a usage chunk is hidden.

        When spans are recorded, an OpenAI-shaped stream is asked for its usage chunk (so its cost is
        known) and that chunk is kept from a caller who did not ask for it.
        """
        handle = self._providers[candidate.provider]
        hide_usage = False
        if telemetry.observing and op is CHAT and params.get("stream"):
            options = params.get("stream_options") or {}
            if not options.get("include_usage"):
                params = {**params, "stream_options": {**options, "include_usage": True}}
                hide_usage = True
        server = handle.server if telemetry.exporting else None
        attempt = telemetry.attempt(handle.name, handle.kind, candidate.model, candidate.info, params, server)
        return handle, params, attempt, hide_usage

    def _translated(
        self, op: Operation, handle: ProviderHandle, params: dict[str, Any], model: str
    ) -> Translated:
        from .providers import cross

        return cross.prepare(
            op,
            handle.call_sdk,
            params,
            model,
            is_async=self._is_async,
            default_max_tokens=self._default_max_tokens,
        )

    def _deliver(
        self,
        result: Any,
        sent: dict[str, Any],
        attempt: AttemptTelemetry,
        telemetry: CallTelemetry,
        hide_usage: bool,
    ) -> Any:
        """Record a finished answer; hand a stream over wrapped so that its spans end with it."""
        if not sent.get("stream"):
            attempt.succeed(result)
            return result
        if not telemetry.observing:
            return result
        observe = attempt.observe_async if self._is_async else attempt.observe
        items = observe(result._iterator, hide_usage=hide_usage)
        return close_with(rewrap(type(result), result.response, items), items)

    def _stream_manager(self, params: dict[str, Any]) -> Any:
        """``messages.stream(...)``: the SDK's own stream manager over ``messages.create(stream=True)``.

        So the helper gets routing, retries and fallback like every other call: the request is sent when
        the manager is entered, as with the SDK. ``output_format`` (structured parsing of the stream) goes
        to the SDK's own ``messages.stream`` on the placed model, without fallback.
        """
        if "output_format" in params:
            candidate = self._placed_target(params)
            params["model"] = candidate.model
            return MESSAGES_STREAM.native(self._providers[candidate.provider].call_sdk)(**params)
        from .providers import cross

        streaming = {**params, "stream": True}
        run = self._call(MESSAGES, streaming) if self._is_async else partial(self._call, MESSAGES, streaming)
        return cross.stream_manager(run, is_async=self._is_async)

    def _vendor_client(self, provider: str) -> Any:
        """The vendor SDK client of a configured provider (built on first use)."""
        return self._providers[provider].sdk

    def __repr__(self) -> str:
        return f"<frugal.{type(self).__name__} providers={sorted(self._providers)}>"


class Client(_BaseClient):
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
        timeout: passed to the SDK clients frugal builds (the SDK default when ``None``).
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

    if TYPE_CHECKING:
        chat: Chat
        responses: Responses
        embeddings: Embeddings
        messages: Messages

    def _bind_namespaces(self) -> None:
        self.chat = cast("Chat", ChatNamespace(self))
        self.responses = cast("Responses", ResponsesNamespace(self))
        self.embeddings = cast("Embeddings", EmbeddingsNamespace(self))
        self.messages = cast("Messages", MessagesNamespace(self))

    def _call(self, op: Operation, params: dict[str, Any]) -> Any:
        candidates, telemetry, cascade = self._begin(op, params)
        plan = self._attempts(op, candidates, params, telemetry, cascade)
        try:
            step = next(plan)
            while True:
                try:
                    answer = self._retry.run(partial(self._attempt, *step, telemetry))
                except Exception as exc:
                    step = plan.throw(exc)
                else:
                    step = plan.send(answer)
        except StopIteration as done:
            result = done.value
        except Exception as exc:
            telemetry.finish(exc)
            raise
        if not params.get("stream") or telemetry.ended:
            telemetry.finish()
        return result

    def _attempt(
        self, op: Operation, candidate: Candidate, params: dict[str, Any], telemetry: CallTelemetry
    ) -> Any:
        handle, sent, attempt, hide_usage = self._start_attempt(op, candidate, params, telemetry)
        try:
            if handle.kind == op.shape:
                sent["model"] = candidate.model
                result = op.native(handle.call_sdk)(**sent)
            else:
                result = self._translated(op, handle, sent, candidate.model).run_sync()
            if sent.get("stream"):
                result = peek_sync(result)
                attempt.first_chunk()
        except BaseException as exc:
            attempt.fail(exc)
            raise
        return self._deliver(result, sent, attempt, telemetry, hide_usage)

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
        return self._spend.flush(timeout) if self._spend is not None else True

    def close(self) -> None:
        """Flush the ledger's background writer and close the vendor clients frugal built (ready-made
        clients passed in stay open)."""
        if self._spend is not None:
            self._spend.close()
        for handle in self._providers.values():
            if handle.built and handle.owned:
                handle.sdk.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncClient(_BaseClient):
    """Drop-in for ``openai.AsyncOpenAI`` and ``anthropic.AsyncAnthropic``; arguments as :class:`Client`."""

    _is_async = True

    if TYPE_CHECKING:
        chat: AsyncChat
        responses: AsyncResponses
        embeddings: AsyncEmbeddings
        messages: AsyncMessages

    def _bind_namespaces(self) -> None:
        self.chat = cast("AsyncChat", ChatNamespace(self))
        self.responses = cast("AsyncResponses", ResponsesNamespace(self))
        self.embeddings = cast("AsyncEmbeddings", EmbeddingsNamespace(self))
        self.messages = cast("AsyncMessages", MessagesNamespace(self))

    async def _call(self, op: Operation, params: dict[str, Any]) -> Any:
        # A ledger that does I/O (SQLite, Redis) is awaited in a worker thread: the loop never waits on it.
        # A settlement queued for the background writer returns at once: no thread hop for it.
        # (asyncio is imported here, not at `import frugal`: it costs ~40 ms to import.)
        ledger_io = self._inline_settle
        if self._blocking_ledger:
            import asyncio

            candidates, telemetry, cascade = await asyncio.to_thread(self._begin, op, params)
        else:
            candidates, telemetry, cascade = self._begin(op, params)
        plan = self._attempts(op, candidates, params, telemetry, cascade)
        try:
            step = next(plan)
            while True:
                try:
                    answer = await self._retry.run_async(partial(self._attempt, *step, telemetry))
                except Exception as exc:
                    step = plan.throw(exc)
                else:
                    step = plan.send(answer)
        except StopIteration as done:
            result = done.value
        except Exception as exc:
            await asyncio.to_thread(telemetry.finish, exc) if ledger_io else telemetry.finish(exc)
            raise
        if not params.get("stream") or telemetry.ended:
            await asyncio.to_thread(telemetry.finish) if ledger_io else telemetry.finish()
        return result

    async def _attempt(
        self, op: Operation, candidate: Candidate, params: dict[str, Any], telemetry: CallTelemetry
    ) -> Any:
        handle, sent, attempt, hide_usage = self._start_attempt(op, candidate, params, telemetry)
        try:
            if handle.kind == op.shape:
                sent["model"] = candidate.model
                result = await op.native(handle.call_sdk)(**sent)
            else:
                result = await self._translated(op, handle, sent, candidate.model).run_async()
            if sent.get("stream"):
                result = await peek_async(result)
                attempt.first_chunk()
        except BaseException as exc:
            attempt.fail(exc)
            raise
        return self._deliver(result, sent, attempt, telemetry, hide_usage)

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
        if self._spend is None:
            return True
        import asyncio

        return await asyncio.to_thread(self._spend.flush, timeout)

    async def close(self) -> None:
        """Flush the ledger's background writer (in a worker thread) and close the vendor clients frugal
        built (ready-made clients passed in stay open)."""
        if self._spend is not None:
            import asyncio

            await asyncio.to_thread(self._spend.close)
        for handle in self._providers.values():
            if handle.built and handle.owned:
                await handle.sdk.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
