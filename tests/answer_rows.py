"""Synthetic rows with recorded answers (the shared data has none): what cascades and answer checks learn."""

from __future__ import annotations

import json
import random
from pathlib import Path

#: The sources of :func:`answer_rows`.
SOURCES = ("alpha", "bravo", "gamma")

# The cheap model's kinds of answer: (answer text, finish reason, probability the answer is right).
_KINDS = (
    ("{n} apples. The answer is {n}.", "stop", 0.95),
    ("Step 1: add them. Step 2: count. So the answer is {n}.", "stop", 0.9),
    ("I think it might be around {n}, but I'm not sure; perhaps more.", "stop", 0.2),
    ("I'm sorry, but I can't help with that.", "stop", 0.0),
    ("Let me work through this carefully. First we take the apples and then", "length", 0.05),
    ("She has some apples, probably a few.", "stop", 0.1),
)


def answer_rows(path: Path, per_source: int = 60, seed: int = 0, strong_quality: float = 1.0) -> Path:
    """Write rows whose cheap answers say whether they are right: hedged, refused, cut or number-less
    answers are mostly wrong; confident ones with a number mostly right. The strong model is right."""
    rng = random.Random(seed)
    lines = []
    for source in SOURCES:
        for i in range(per_source):
            n = rng.randint(2, 90)
            text, finish, right = _KINDS[rng.randrange(len(_KINDS))]
            prompt = (
                f"Ann has {n - 1} apples and finds one more in the {source} orchard. How many apples now?"
            )
            lines.append(
                json.dumps(
                    {
                        "id": f"{source}.{i}",
                        "source": source,
                        "prompt": prompt,
                        "quality": {"cheap": float(rng.random() < right), "strong": strong_quality},
                        "cost_usd": {"cheap": 0.001, "strong": 0.01},
                        "responses": {"cheap": text.format(n=n), "strong": f"Ann has {n} apples."},
                        "finish_reasons": {"cheap": finish, "strong": "stop"},
                    }
                )
            )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
