"""The built-in ``heuristic`` classifier: cheap, explainable signals combined by a logistic.

Each signal is a number (a capped count, a length on a log scale, a flag) times a weight from
:class:`HeuristicOptions`; the weighted sum plus a bias is squashed into [0, 1]. The signals come from
:mod:`frugal.classifiers.cues` (one scan of the prompt, and the request's shape). The reasons name the
signals that moved the score most, never the prompt's words.
"""

from __future__ import annotations

import math
from typing import ClassVar

from ..request import RoutingRequest
from .base import Classification
from .cues import NO_STRONG_SIGNAL, Cues, length_reason, log_scale, scan, shape_reason, shape_signals
from .heuristic_options import HeuristicOptions

__all__ = ["Cues", "HeuristicClassifier", "HeuristicOptions", "scan"]

_TYPICAL_PROMPT = 0.6  # log_scale of ~250 characters: shorter prompts lower the score, longer raise it
_REASON_MIN = 0.2  # a signal that moves the logit less than this is not worth a reason
# The option weighing each cue of a scan that is a signal, and the cap of its count.
_CUE_CAPS = {
    "code": 3,
    "math": 3,
    "reasoning": 3,
    "constraint": 3,
    "steps": 4,
    "open_ended": 2,
    "simple": 2,
}


class HeuristicClassifier:
    """Scores a request from cues in its text (length, code, math, reasoning, ...) and its shape.

    No I/O, deterministic, explainable: ``classify`` lists the strongest signals as reasons, and
    :meth:`signals` shows every signal's contribution.
    """

    name = "heuristic"
    Options: ClassVar[type[HeuristicOptions]] = HeuristicOptions

    def __init__(self, options: HeuristicOptions | None = None) -> None:
        self.options = options or HeuristicOptions()

    def classify(self, request: RoutingRequest) -> Classification:
        """Score ``request`` in [0, 1]; the reasons name the (at most three) signals that moved it most."""
        cues = scan(request.prompt, self.options.scan_chars)
        signals = self.signals(request, cues)
        logit = self.options.bias + sum(signals.values())
        # Weights are user options: clamp so that exp() cannot overflow.
        score = 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, logit))))
        strong = [key for key, value in signals.items() if abs(value) >= _REASON_MIN][:3]
        if not strong:
            return Classification(score, NO_STRONG_SIGNAL, self.name)
        return Classification(score, tuple(_reason(key, cues, request) for key in strong), self.name)

    def suggested_thresholds(self, tiers: int) -> tuple[float, ...]:
        """Evenly spaced from 0.35 to 0.65 (the default policy's pair for three tiers); 0.5 for two."""
        if tiers == 2:
            return (0.5,)
        return tuple(round(0.35 + 0.3 * i / (tiers - 2), 4) for i in range(tiers - 1))

    def signals(self, request: RoutingRequest, cues: Cues | None = None) -> dict[str, float]:
        """Each signal's contribution to the logit (weight x signal), keyed by the option that weighs it.

        Strongest first; signals that are absent (a zero count, a flag not set) are left out.

        Args:
            request: the request to score.
            cues: its prompt's scan, when the caller has it already (with this classifier's ``scan_chars``).
        """
        o = self.options
        if cues is None:
            cues = scan(request.prompt, o.scan_chars)
        found = [("length", o.length * (log_scale(cues.chars) - _TYPICAL_PROMPT))]
        if cues.lines:
            found.append(("lines", o.lines * min(cues.lines, 20) / 20))
        for key, cap in _CUE_CAPS.items():
            count = getattr(cues, key)
            if count:
                found.append((key, getattr(o, key) * min(count, cap)))
        if cues.numbers:
            found.append(("numbers", o.numbers * min(cues.numbers, 8) / 8))
        if cues.entities:
            found.append(("entities", o.entities * min(cues.entities, 0.5)))
        if cues.symbols:
            found.append(("symbols", o.symbols * min(cues.symbols, 0.15)))
        if cues.non_latin:
            found.append(("multilingual", o.multilingual))
        found.extend((key, getattr(o, key) * value) for key, value in shape_signals(request))
        found.sort(key=lambda item: abs(item[1]), reverse=True)
        return dict(found)


def _reason(key: str, cues: Cues, request: RoutingRequest) -> str:
    """The reason for a signal: from the fixed vocabulary of cues, plus counts; never the prompt's words."""
    if key == "length":
        return length_reason(cues)
    return shape_reason("non_latin" if key == "multilingual" else key, request)
