"""The call plan: one client call as a no-I/O state machine.

:meth:`CallPlan.steps` is a generator: it decides (routing, once), then yields what must be done, in
order, and receives each outcome: :class:`LedgerIo` (reserve the budgets, settle the call),
:class:`Send` (one vendor request), :class:`Sleep` (a retry's backoff). Its return value is what the
caller gets. :class:`~frugal.Client` and :class:`~frugal.AsyncClient` only carry the actions out (the
async one awaits the request and the sleep, and runs a blocking ledger in a worker thread), so the two
clients cannot drift apart::

    decide ─> admit ─> send ─┬─> answer ─> check / judge ─┬─> finish
                             │                            └─> escalate (a cascade's next tier) ─> send
                             └─> error ─> sleep ─> send again (same model) | next candidate | raise

Accounting happens here too: each attempt's answer is read by the provider of the call's shape and
charged to the :class:`~frugal.accounting.CallAccount`, and the call's observers (telemetry, the
budgets' settlement) are told; what they raise is logged once and never reaches the caller.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from functools import partial
from typing import TYPE_CHECKING, Any

from ._context import call_metadata
from ._retry import Backoff, verdict
from ._tokens import count_input_tokens
from ._util import log_once, suggestions, warn_at_caller
from .accounting import Attempt, CallAccount, CallObserver
from .catalog import known_model_names
from .exceptions import (
    BudgetExceeded,
    BudgetWarning,
    RoutingError,
    UnknownModelError,
    UnpricedModelWarning,
    UnsupportedFeature,
)
from .providers import SHAPES
from .providers.calls import COUNT_TOKENS, Operation, check, response_wrapper
from .providers.raw_responses import replace_parsed
from .providers.streams import observe
from .request import RoutingRequest
from .routing import Candidate, Decision, Router, Routing
from .routing.cascade import CascadePlan, CascadeRun, start_cascade
from .routing.compile import DEFAULT_ROUTE
from .routing.governance import governed

if TYPE_CHECKING:
    from .budgets.admission import Budgets
    from .budgets.loops import LoopDetector
    from .feedback.labels import Label
    from .feedback.recent import RecentCalls
    from .feedback.shadow import Shadowing
    from .feedback.store import LabelStore
    from .providers.base import AnswerSummary, Provider
    from .routing.warmth import Warm, WarmPrefixes
    from .telemetry import Telemetry

__all__ = ["Action", "Background", "CallPlan", "LedgerIo", "Send", "Setup", "Sleep", "dry_run", "route_call"]

log = logging.getLogger("frugal")


@dataclass(frozen=True, slots=True)
class Send:
    """Send one request: ``provider.send(operation, params, model)`` (or ``asend``). With ``read``, the
    result is a raw response (the SDKs' ``with_raw_response`` / ``with_streaming_response``): the outcome is
    then ``(raw response, its parsed answer)``."""

    operation: Operation
    provider: Provider
    model: str
    params: Mapping[str, Any]
    read: bool = False


@dataclass(frozen=True, slots=True)
class Sleep:
    """Wait ``seconds`` before the next attempt (a retry's backoff)."""

    seconds: float


@dataclass(frozen=True, slots=True)
class LedgerIo:
    """Run ``run()`` (a reservation, or the call's end and settlement); the async client runs it in a
    worker thread when ``blocking`` (the ledger does I/O on the caller's thread)."""

    run: Callable[[], Any]
    blocking: bool = False


@dataclass(frozen=True, slots=True)
class Background:
    """Run ``steps`` (another plan's actions: a shadow comparison) off the caller's path: the client
    starts it and goes on at once; what it does never reaches the caller."""

    steps: Generator[Action, Any, Any]


Action = Send | Sleep | LedgerIo | Background


@dataclass(frozen=True, slots=True)
class Setup:
    """What a client configured, as the call plan reads it.

    Attributes:
        router: the compiled policy.
        providers: provider name → provider.
        backoff: retries on one model.
        telemetry: the client's spans and metrics.
        budgets: the client's budgets and ledger (None: nothing is recorded).
        cascades: route name (``""`` for the default route) → cascade plan.
        honor: the policy honours a concrete requested model (``requested_model: honor``).
        loops: the runaway-loop detector (None: the policy sets no ``loops:``).
        warmth: warm prompt prefixes, for cache-aware routing (None: the policy's
            ``prompt_cache.routing`` is off).
        shadowing: shadow comparisons (None: the policy sets no ``shadow:``).
        labels: where cascade outcomes are labelled (None: nothing is labelled).
        recent: the client's recent calls, for ``client.feedback()``.
    """

    router: Router
    providers: Mapping[str, Provider]
    backoff: Backoff
    telemetry: Telemetry
    budgets: Budgets | None = None
    cascades: Mapping[str, CascadePlan] = field(default_factory=dict)
    honor: bool = False
    loops: LoopDetector | None = None
    warmth: WarmPrefixes | None = None
    shadowing: Shadowing | None = None
    labels: LabelStore | None = None
    recent: RecentCalls | None = None


def _translatable(op: Operation, params: Mapping[str, Any]) -> Callable[[str], bool]:
    """Whether a provider kind can serve the call (asked at most once per kind)."""
    verdicts: dict[str, bool] = {op.shape: True}

    def translatable(kind: str) -> bool:
        if kind not in verdicts:
            try:
                check(op, kind, params)
                verdicts[kind] = True
            except UnsupportedFeature:
                verdicts[kind] = False
        return verdicts[kind]

    return translatable


def call_request(router: Router, op: Operation, params: Mapping[str, Any]) -> RoutingRequest:
    """The call's request view (the policy's token counter applied)."""
    request = RoutingRequest.from_call(op.name, params, call_metadata(op.name, params))
    if router.count_tokens is not None:
        request = count_input_tokens(request, router.count_tokens, router.policy.token_counter)
    return request


def call_view(router: Router, op: Operation, params: dict[str, Any]) -> RoutingRequest:
    """The call's request view, built once (iterables the SDKs accept are made lists first: routing
    reads them before the SDK does).

    Raises:
        TypeError: ``model`` is not a string.
    """
    model = params.get("model")
    if not isinstance(model, str):
        raise TypeError(
            f"model must be a string naming a model, a route or 'auto', got {type(model).__name__}"
        )
    for key in ("messages", "tools", "input"):
        value = params.get(key)
        if value is not None and not isinstance(value, (list, tuple, str, dict)):
            params[key] = list(value)
    return call_request(router, op, params)


def route_call(
    router: Router,
    op: Operation,
    params: dict[str, Any],
    *,
    honor: bool,
    request: RoutingRequest | None = None,
    warm: Mapping[str, int] | None = None,
) -> tuple[RoutingRequest, Routing | None, Decision | None, Candidate]:
    """A call's request view (``request``, or built here), its routing and decision (None: an unrouted
    call), and its first model. ``honor``: a concrete model named by the caller is called as it is (no
    decision; its routing is still returned, for a budget's downgrade). ``warm``: the models on which the
    call's prompt prefix is warm (cache-aware routing).

    Raises:
        TypeError: ``model`` is not a string.
        UnknownModelError: a concrete model cannot be placed.
        RoutingError: no model of the policy can serve the call.
    """
    if request is None:
        request = call_view(router, op, params)
    model = params["model"]
    check_known(router, model)
    if not op.routed:
        return request, None, None, router.place(model)
    routing = Routing.of(router, request, _translatable(op, params), warm)
    if honor and model != "auto" and model not in router.routes:
        # Called as named; its routing stays at hand for a budget's downgrade.
        return request, routing, None, router.place(model)
    decision = routing.decide()
    return request, routing, decision, decision.chain[0]


def check_known(router: Router, model: str) -> None:
    """A concrete model named by a vendor's convention that frugal has no price for is a likely typo
    (``gpt-4o-mni``): a warning at the caller's line with the closest known names, or an error under
    ``strict_models: true``. Models of providers of your own are left alone.

    Raises:
        UnknownModelError: the name is unknown and the policy says ``strict_models: true`` (nothing sent).
    """
    if model == "auto" or model in router.routes or model in router.policy.models:
        return
    candidate = router.place(model)
    if candidate.info.priced or candidate.provider != candidate.kind or candidate.model != model:
        return  # priced, or a model of a provider of your own (its price is yours to declare)
    known = [name for name in known_model_names(candidate.kind) if ":" not in name and "/" not in name]
    close = suggestions(model, known, cutoff=0.8)
    if router.policy.strict_models:
        raise UnknownModelError(model, close)
    hint = f"; did you mean {', '.join(map(repr, close))}?" if close else "."
    warn_at_caller(
        f"unpriced:{model}",
        f"no price known for model {model!r}{hint} It is sent as named and its cost is reported as None, "
        "not 0 (declare it under 'models:' with its prices, or set strict_models: true to refuse such names)",
        UnpricedModelWarning,
    )


def dry_run(
    router: Router, op: Operation, params: dict[str, Any], warmth: WarmPrefixes | None = None
) -> Decision:
    """The decision a routed call would get, sending nothing (``client.route()``, ``frugal route``); a
    model the policy honours gets its own decision ("requested model honoured"). With ``warmth``, warm
    prompt prefixes are priced as cached, as in a call."""
    request = call_view(router, op, params)
    warm = warmth.lookup(request, warmth.read_fleet(request)) if warmth is not None else None
    _request, _routing, decision, _target = route_call(
        router, op, params, honor=False, request=request, warm=warm
    )
    assert decision is not None  # a routed operation always has one
    return decision


def _no_credentials(providers: Any) -> str:
    """The one-line error of a client none of whose providers can authenticate."""
    names = sorted({name for provider in providers for name in provider.credential_names()})
    return (
        f"no provider has credentials: set {' or '.join(names)} (or pass api_key= for a provider to "
        "frugal.Client); nothing was sent"
    )


def _flex_refused(error: BaseException) -> bool:
    """A flex request refused for capacity (429) or that timed out: worth sending again on the standard
    tier at once."""
    return getattr(error, "status_code", None) == 429 or type(error).__name__ == "APITimeoutError"


def _event(observer: CallObserver, *, name: str, attributes: Mapping[str, Any]) -> None:
    observer.event(name, attributes)


def _keep_labels(store: LabelStore, labels: list[Label]) -> None:
    """Store labels; a store that fails is logged once and the call goes on."""
    try:
        for label in labels:
            store.add(label)
    except Exception as exc:
        log_once(
            log,
            f"label-store:{type(exc).__name__}",
            "frugal: labels could not be stored (%s)",
            type(exc).__name__,
        )


class _Warming(CallObserver):
    """The call observer of cache-aware routing: each answer leaves its prompt prefix warm on its model."""

    def __init__(self, warmth: WarmPrefixes, request: RoutingRequest) -> None:
        self.warmth = warmth
        self.request = request

    def attempt_ended(self, account: CallAccount, attempt: Attempt) -> None:
        """An answer: what it left warm."""
        if attempt.error is None and attempt.summary is not None:
            self.warmth.record(
                self.request, attempt.provider, attempt.kind, attempt.model, attempt.summary.usage
            )


class CallPlan:
    """One call: its routing, its account, its observers, and :meth:`steps`."""

    def __init__(
        self, setup: Setup, op: Operation, params: dict[str, Any], *, shadow_of: str | None = None
    ) -> None:
        self.setup = setup
        self.shadow_of = shadow_of  # a shadow call: the id of the call it shadows
        self.op = op
        self.params = params
        self.observers: list[CallObserver] = []
        self.account: CallAccount | None = None
        self.routing: Routing | None = None
        self._outcomes: list[tuple[float, str, str | None, str, str | None]] = []  # cascade labels
        self._flexed = False  # the attempt in flight was sent on the flex tier
        self._no_flex: set[str] = set()  # models whose flex tier refused this call

    # -- the plan --------------------------------------------------------------------------------------

    def steps(self) -> Generator[Action, Any, Any]:
        """The actions of the call, in order; returns what the caller gets.

        Raises:
            BudgetExceeded: a ``block`` budget would be crossed (nothing was sent).
            LedgerUnavailable: the ledger is unreachable and the policy fails closed (nothing was sent).
            Exception: the last vendor exception, unchanged, when every attempt failed.
        """
        setup, op, params = self.setup, self.op, self.params
        if not setup.router.available_providers:
            raise RoutingError(_no_credentials(setup.providers.values()))
        request = call_view(setup.router, op, params)
        warm: Mapping[str, int] | None = None
        warmth = setup.warmth
        if warmth is not None and op.routed:
            fleet: list[Warm] = []
            if warmth.fleet is not None and warmth.worth_looking(request):
                fleet = yield LedgerIo(partial(warmth.read_fleet, request), blocking=True)
            warm = warmth.lookup(request, fleet)
            self.observers.append(_Warming(warmth, request))
        request, routing, decision, target = route_call(
            setup.router, op, params, honor=setup.honor, request=request, warm=warm
        )
        self.routing = routing
        account = self.account = CallAccount(
            op.name,
            requested=request.requested_model,
            metadata=request.metadata,
            decision=decision,
            time_s=setup.budgets.clock() if setup.budgets is not None else None,
        )
        account.shadow_of = self.shadow_of
        cascade = self._cascade(routing, decision)
        reserved = cascade.reservation if cascade is not None else decision
        events: list[tuple[str, dict[str, Any]]] = []
        if setup.loops is not None:
            yield from self._watch(setup.loops, request, account, decision, target, events)
        if setup.budgets is not None and op is not COUNT_TOKENS:  # counting tokens is free: nothing to limit
            estimate = (
                reserved.estimated_cost_usd
                if reserved is not None
                else setup.router.estimate(request, target)
            )
            budgets = setup.budgets
            settlement = yield LedgerIo(
                lambda: budgets.admit(account, routing, reserved, target, estimate),
                budgets.store.ledger.blocking,
            )
            admitted = settlement.admitted
            if admitted.downgraded is not None:  # capped by a budget: no escalation past its cap
                decision, cascade = admitted.decision, None
            events = admitted.events
            self.observers.append(settlement)
        if cascade is not None:
            assert decision is not None  # a cascade starts from a routing decision
            # Each step is decided within its own tier, so its baseline is that tier's model; the call's
            # baseline is the routed decision's (what would have served it without frugal).
            decision = replace(
                cascade.current,
                baseline_model=decision.baseline_model,
                baseline_cost_usd=decision.baseline_cost_usd,
            )
        account.decision = decision
        spans = setup.telemetry.observe(account)
        if spans is not None:
            self.observers.insert(0, spans)
        if self.observers and setup.recent is not None and op.routed:
            from .feedback.recent import Remembering

            self.observers.append(Remembering(setup.recent, request))
        for name, attributes in events:
            self._tell(partial(_event, name=name, attributes=attributes))
        account.baseline = self._baseline(decision, target)
        chain = list(decision.chain) if decision is not None else [target]
        settles_inline = setup.budgets is not None and setup.budgets.store.settles_inline
        try:
            result = yield from self._answer(chain, cascade)
        except Exception as exc:
            yield LedgerIo(partial(self.finish, exc), settles_inline)
            raise
        if not (params.get("stream") and self.observers):
            yield LedgerIo(partial(self.finish, None), settles_inline)
        if cascade is not None and setup.labels is not None:
            self._outcomes.append((1.0, account.model or "", account.tier, "accepted", None))
            labels = self._cascade_labels(request, account)
            yield LedgerIo(partial(_keep_labels, setup.labels, labels), setup.labels.blocking)
        shadowing = setup.shadowing
        if shadowing is not None and shadowing.wants(op.name, params, account.decision, account.model):
            from ._shadow import shadow_steps

            assert account.decision is not None
            yield Background(shadow_steps(setup, op, params, result, account.decision, request, account))
        return result

    def _cascade_labels(self, request: RoutingRequest, account: CallAccount) -> list[Label]:
        """The labels of a cascade's outcomes: each answer that failed its checks, and the one accepted."""
        from .feedback.labels import Label, hashed_features, label_id

        decision = account.decision
        features = hashed_features(request)
        return [
            Label(
                id=label_id(),
                time=account.time,
                source="cascade",
                good=good,
                method=method,
                call_id=account.response_id,
                route=decision.route if decision is not None else None,
                tier=tier or (decision.tier if decision is not None else None),
                model=model,
                detail=detail,
                team=account.metadata.get("team"),
                feature=account.metadata.get("feature"),
                classifier=decision.classifier if decision is not None else None,
                score=decision.score if decision is not None else None,
                features=features,
            )
            for good, model, tier, method, detail in self._outcomes
        ]

    def _watch(
        self,
        loops: LoopDetector,
        request: RoutingRequest,
        account: CallAccount,
        decision: Decision | None,
        target: Candidate,
        events: list[tuple[str, dict[str, Any]]],
    ) -> Generator[Action, Any, None]:
        """Count the request in its session; a loop is an event, a log line and a warning, or (``block``)
        a refused call, recorded as blocked."""
        spec = loops.spec
        repeats = loops.see(account.metadata, request.fingerprint(), account.time)
        if not loops.is_loop(repeats):
            return
        session = account.metadata[spec.scope]
        what = f"the same request {repeats} times in {spec.window_seconds} s in {spec.scope} {session!r}"
        events.append(
            (
                "frugal.loop.detected",
                {
                    "frugal.loop.scope": spec.scope,
                    "frugal.loop.repeats": repeats,
                    "frugal.loop.action": spec.action,
                },
            )
        )
        log.warning("frugal: a runaway loop? %s (loops.action: %s)", what, spec.action)
        if spec.action == "warn":
            warn_at_caller(f"loop:{spec.scope}:{session}", f"frugal: a runaway loop? {what}", BudgetWarning)
            return
        error = BudgetExceeded(
            budget="loops",
            scope=spec.scope,
            value=session,
            limit_usd=None,
            spent_usd=None,
            estimated_cost_usd=None,
            reset_at=datetime.fromtimestamp(account.time + spec.window_seconds, timezone.utc),
            reason=f"{what}: a runaway loop, refused (policy loops.action: block)",
            limit_calls=spec.max_repeats,
            calls=repeats,
        )
        budgets = self.setup.budgets
        if budgets is not None:
            yield LedgerIo(
                partial(budgets.record_blocked, account, decision, target, error),
                budgets.store.ledger.blocking,
            )
        raise error

    def _cascade(self, routing: Routing | None, decision: Decision | None) -> CascadeRun | None:
        """The call's cascade, when its route has one (never for a stream)."""
        params = self.params
        if routing is None or decision is None or not self.setup.cascades or params.get("stream"):
            return None
        if response_wrapper(params) is not None:  # a raw response: its checks would read raw HTTP
            return None
        route = routing.route
        plan = self.setup.cascades.get(
            DEFAULT_ROUTE if route is self.setup.router.default_route else route.name
        )
        return start_cascade(plan, routing, decision) if plan is not None else None

    def _baseline(self, decision: Decision | None, target: Candidate) -> Any:
        """The catalog entry of what the call would have cost without frugal (an unrouted call is its own
        baseline: no savings, but a figure)."""
        if decision is None:
            return target.info
        if decision.baseline_model is None:
            return None
        try:
            return self.setup.router.place(decision.baseline_model).info
        except Exception:  # a baseline that cannot be placed only costs the savings figure
            return None

    def _answer(self, chain: list[Candidate], cascade: CascadeRun | None) -> Generator[Action, Any, Any]:
        """The first answer of the chain; on a cascade, each step's answer is checked (and judged), and a
        failing one escalates to the next tier."""
        op, params = self.op, self.params
        while True:
            try:
                answer = yield from self._first_answer(op, chain, params)
            except Exception as exc:
                if cascade is None or verdict(exc) == "raise":
                    raise
                escalated = self._escalate(cascade, f"error: {type(exc).__name__}")
                if escalated is None:
                    raise
                chain = escalated
                continue
            if cascade is None:
                return answer
            failure = cascade.failure(op.name, params, answer)
            if failure is None:
                judge = cascade.judge_call(op.name, params, answer)
                if judge is not None:
                    judge_op, judge_model, judge_params = judge
                    try:
                        rating = yield from self._first_answer(judge_op, [judge_model], judge_params)
                    except Exception as exc:
                        cascade.judge_failed(exc)
                        rating = None
                    failure = cascade.judged(rating)
            escalated = None if failure is None else self._escalate(cascade, failure)
            if escalated is None:
                return answer
            chain = escalated

    def _escalate(self, cascade: CascadeRun, reason: str) -> list[Candidate] | None:
        """The next step's candidates (told to the observers), or None at the top."""
        account = self.account
        assert account is not None
        failed = account.model or cascade.current.model
        self._outcomes.append((0.0, failed, account.tier or cascade.current.tier, "escalated", reason))
        step = cascade.advance()
        if step is None:
            return None
        account.escalations += 1
        account.tier = step.tier
        self._tell(lambda o: o.escalated(account, failed, step, reason))
        return list(step.chain)

    def _first_answer(
        self, op: Operation, chain: list[Candidate], params: dict[str, Any]
    ) -> Generator[Action, Any, Any]:
        """Each candidate in turn, with retries on the same model, until one answers; the last failure, or
        a fatal one, is raised."""
        backoff = self.setup.backoff
        for position, candidate in enumerate(chain):
            retry = 0
            while True:
                try:
                    return (yield from self._attempt(op, candidate, params))
                except Exception as exc:
                    if self._flexed and _flex_refused(exc):
                        # The flex tier is short of capacity (429) or slow: the standard tier, at once.
                        self._no_flex.add(candidate.model)
                        continue
                    kind = verdict(exc)
                    if kind == "raise":
                        raise
                    wait = backoff.wait(retry + 1, exc) if kind == "retry" else None
                    if wait is None:  # retries spent (or not retried): the next candidate
                        if position == len(chain) - 1:
                            raise
                        break
                    retry += 1
                    if wait > 0:
                        yield Sleep(wait)
        raise AssertionError("unreachable: the chain is never empty")  # pragma: no cover

    def _attempt(
        self, op: Operation, candidate: Candidate, params: dict[str, Any]
    ) -> Generator[Action, Any, Any]:
        """One vendor request: sent, read, charged, told to the observers; a stream is handed over
        observed (its end is told when the caller reaches it)."""
        account = self.account
        assert account is not None
        provider = self.setup.providers[candidate.provider]
        params = self._governed(op, params, candidate)
        sent, hide_usage = dict(params), False
        if self.observers and params.get("stream"):
            sent, hide_usage = SHAPES[op.shape].prepare_stream(op, params)
        self._flexed = self._flex(op, sent, candidate)
        attempt = Attempt(
            index=account.count_attempt(provider.name, candidate.model),
            provider=provider.name,
            kind=provider.kind,
            model=candidate.model,
            info=candidate.info,
            params={**sent, "model": candidate.model},
            server=provider.server if self.observers else None,
            step=account.escalations,
        )
        self._tell(lambda o: o.attempt_started(account, attempt))
        wrapped = response_wrapper(params) is not None
        try:
            outcome = yield Send(op, provider, candidate.model, sent, read=wrapped)
        except Exception as exc:
            attempt.error = exc
            self._tell(lambda o: o.attempt_ended(account, attempt))
            raise
        result, answer = outcome if wrapped else (outcome, outcome)
        if not self.observers:
            return result
        if sent.get("stream"):
            self._tell(lambda o: o.first_chunk(account, attempt))

            def ended(summary: AnswerSummary, error: BaseException | None, abandoned: bool) -> None:
                self._stream_ended(attempt, summary, error, abandoned)

            observed = observe(answer, SHAPES[op.shape].stream_reader(hide_usage), ended)
            if not wrapped:
                return observed
            replace_parsed(result, answer, observed)  # the caller's parse() gets the observed stream
            return result
        self._charge(attempt, SHAPES[op.shape].summarize(answer))
        self._tell(lambda o: o.attempt_ended(account, attempt))
        return result

    def _flex(self, op: Operation, sent: dict[str, Any], candidate: Candidate) -> bool:
        """Send background work on OpenAI's flex tier (``sent`` is changed), where the model has a flex price
        and the caller chose no tier; whether it was."""
        spec = self.setup.router.policy.flex
        if (
            not spec.enabled
            or candidate.kind != "openai"
            or op.shape != "openai"
            or op.name not in ("chat", "responses")
        ):
            return False
        if not candidate.info.flex_rates or candidate.model in self._no_flex or sent.get("service_tier"):
            return False
        account = self.account
        background = (self.routing is not None and self.routing.route.background) or (
            account is not None and account.metadata.get("priority") == "background"
        )
        if not background:
            return False
        sent["service_tier"] = "flex"
        if sent.get("timeout") is None:
            sent["timeout"] = spec.timeout_seconds
        return True

    def _governed(self, op: Operation, params: dict[str, Any], candidate: Candidate) -> dict[str, Any]:
        """``params`` with the output limit and reasoning effort the call's route or tier sets, where the
        caller set none (a routed call of the caller's own; never a judge's)."""
        routing, decision = self.routing, self.account.decision if self.account else None
        if routing is None or decision is None or op.name != self.op.name or params is not self.params:
            return params
        tier_name = self.account.tier if self.account and self.account.tier else decision.tier
        return governed(op.name, params, routing.route, self.setup.router.tier_named(tier_name), candidate)

    def _charge(self, attempt: Attempt, summary: AnswerSummary) -> None:
        account = self.account
        assert account is not None
        attempt.summary = summary
        if summary.finish_reasons:
            account.finish_reason = summary.finish_reasons[0]
        account.service_tier = summary.service_tier
        account.response_id = summary.response_id or account.response_id
        if attempt.info is not None:  # priced on the tier that served it (flex: batch prices)
            attempt.info = attempt.info.at_tier(summary.service_tier)
        if summary.usage is not None:
            attempt.cost = account.charge(attempt.info, summary.usage)

    def _stream_ended(
        self, attempt: Attempt, summary: AnswerSummary, error: BaseException | None, abandoned: bool
    ) -> None:
        """An observed stream ended: its attempt and the call end with it."""
        account = self.account
        assert account is not None
        self._charge(attempt, summary)
        if error is not None and not abandoned:
            attempt.error = error
        self._tell(lambda o: o.attempt_ended(account, attempt))
        self.finish(None if abandoned else error, abandoned=abandoned)

    def finish(self, error: BaseException | None, *, abandoned: bool = False) -> None:
        """End the call (once): close the account, tell the observers."""
        account = self.account
        if account is None or account.closed:
            return
        account.close(error, abandoned=abandoned)
        self._tell(lambda o: o.finished(account, error))

    def _tell(self, event: Callable[[CallObserver], None]) -> None:
        """Tell every observer; what one raises is logged once and goes no further."""
        for observer in self.observers:
            try:
                event(observer)
            except Exception as exc:
                where = f"{type(observer).__name__}: {type(exc).__name__}"
                log_once(log, where, "frugal: a call observer failed (%s); the call is unaffected", where)
