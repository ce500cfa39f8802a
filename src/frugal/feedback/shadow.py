"""Shadow comparisons: the baseline model answers a sample of routed calls too, off the caller's path.

For a sampled share of calls that routing sent below their baseline model (``decision.model`` is not
``decision.baseline_model``), the client sends the same call to the baseline model in the background (a
worker thread for :class:`~frugal.Client`, a task for :class:`~frugal.AsyncClient`): the caller already
has its answer, its latency is untouched, and nothing the shadow does reaches it. The two answers are
compared (:mod:`~frugal.feedback.compare`) and the verdict is a :class:`~frugal.feedback.labels.Label`.

A shadow call is a call like any other to the ledger and the spans (its record and span say what it
shadows: ``shadow_of``, ``frugal.shadow.of``), but its cost counts against its own daily budget only,
``shadow.limit_usd``: when that is spent, sampling stops until the next UTC day.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..providers.calls import response_wrapper

if TYPE_CHECKING:
    from ..budgets.admission import Budgets
    from ..policy import ShadowSpec
    from ..routing import Decision
    from .store import LabelStore

__all__ = ["SHADOWED_OPERATIONS", "Shadowing"]

log = logging.getLogger("frugal")

#: The operations whose calls may be shadowed (their answers can be compared).
SHADOWED_OPERATIONS = frozenset({"chat", "messages", "responses"})


class Shadowing:
    """A client's shadow comparisons: which calls are sampled, the daily cap, where the labels go.

    Args:
        spec: the policy's ``shadow:``.
        labels: the label store.
        budgets: the shadow calls' own budgets (one: ``shadow.limit_usd`` a day) and the ledger.
        store_content: keep the prompt and answers' text with each label.
        clock: seconds since the epoch.
        rng: the sampling's random numbers (seeded in tests).
    """

    def __init__(
        self,
        spec: ShadowSpec,
        labels: LabelStore,
        budgets: Budgets,
        *,
        store_content: bool = False,
        clock: Callable[[], float],
        rng: random.Random | None = None,
    ) -> None:
        self.spec = spec
        self.labels = labels
        self.budgets = budgets
        self.store_content = store_content
        self.clock = clock
        self._rng = rng or random.Random()
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def wants(
        self,
        operation: str,
        params: Mapping[str, Any],
        decision: Decision | None,
        answered_by: str | None = None,
    ) -> bool:
        """Whether to shadow this call: routed below its baseline, comparable, sampled, under the cap.

        Args:
            operation: the call's operation.
            params: the call's arguments.
            decision: the call's routing decision.
            answered_by: the model that answered, when known: a cascade may have climbed to the baseline.
        """
        if decision is None or decision.baseline_model is None:
            return False
        if decision.baseline_model in (decision.model, answered_by):
            return False
        if (
            operation not in SHADOWED_OPERATIONS
            or params.get("stream")
            or response_wrapper(params) is not None
        ):
            return False
        routes = self.spec.routes
        if routes is not None and decision.route not in routes:
            return False
        if self.clock() < self._paused_until:
            return False
        with self._lock:
            return self._rng.random() < self.spec.sample

    def pause(self) -> None:
        """The day's shadow budget is spent: no sampling until the next UTC day."""
        now = dt.datetime.fromtimestamp(self.clock(), dt.timezone.utc)
        tomorrow = (now + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        self._paused_until = tomorrow.timestamp()
        log.warning(
            "frugal shadow: today's shadow budget (shadow.limit_usd: %s) is spent; sampling resumes at %s",
            self.spec.limit_usd,
            tomorrow.isoformat(),
        )

    @property
    def paused(self) -> bool:
        """Sampling is stopped for the day."""
        return self.clock() < self._paused_until
