"""The client's recent calls, by answer id: what ``client.feedback()`` needs to label one of them.

Kept in memory only (the request view included, for its features), for the last :data:`REMEMBERED`
calls of calls that already read their answers (a ledger or spans are configured): feedback about an
older call, or one of a bare client, is labelled with its id alone.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..accounting import CallObserver

if TYPE_CHECKING:
    from ..accounting import CallAccount
    from ..request import RoutingRequest

__all__ = ["REMEMBERED", "CallFacts", "RecentCalls", "Remembering"]

#: How many recent calls the client remembers for feedback.
REMEMBERED = 1024


@dataclass(frozen=True, slots=True)
class CallFacts:
    """What a label says about the call it is about."""

    time: float
    route: str | None
    tier: str | None
    model: str | None
    baseline_model: str | None
    classifier: str | None
    score: float | None
    metadata: Mapping[str, str] = field(default_factory=dict)
    request: RoutingRequest | None = None


class RecentCalls:
    """The last :data:`REMEMBERED` calls' facts, by answer id; thread-safe."""

    def __init__(self, size: int = REMEMBERED) -> None:
        self._size = size
        self._calls: OrderedDict[str, CallFacts] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, call_id: str, facts: CallFacts) -> None:
        """Remember a call."""
        with self._lock:
            self._calls[call_id] = facts
            self._calls.move_to_end(call_id)
            while len(self._calls) > self._size:
                self._calls.popitem(last=False)

    def get(self, call_id: str) -> CallFacts | None:
        """A remembered call's facts, or None."""
        with self._lock:
            return self._calls.get(call_id)


class Remembering(CallObserver):
    """The call observer that remembers a finished call's facts for feedback."""

    def __init__(self, recent: RecentCalls, request: RoutingRequest) -> None:
        self.recent = recent
        self.request = request

    def finished(self, account: CallAccount, error: BaseException | None) -> None:
        """Remember an answered call."""
        if error is not None or account.response_id is None:
            return
        decision = account.decision
        self.recent.put(
            account.response_id,
            CallFacts(
                time=account.time,
                route=decision.route if decision is not None else None,
                tier=account.tier or (decision.tier if decision is not None else None),
                model=account.model,
                baseline_model=decision.baseline_model if decision is not None else None,
                classifier=decision.classifier if decision is not None else None,
                score=decision.score if decision is not None else None,
                metadata=account.metadata,
                request=self.request,
            ),
        )
