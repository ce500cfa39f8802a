"""The eval picture: round ticks, labels that never overlap, a page that takes the window's width, and the
finding written on it."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from frugal.cli import main
from frugal.evaluation.plot import _spread, headline, nice_ticks

FIXTURE = Path(__file__).parent / "data" / "eval.jsonl"


def evaluation(router_cost: float | None, mix_cost: float | None, quality: float = 0.95) -> SimpleNamespace:
    """An evaluation as the headline reads it: the strongest costs $1 at quality 1, target 95 %."""
    point = lambda cost, q: SimpleNamespace(cost=cost, quality=q)  # noqa: E731
    chosen = None if router_cost is None else SimpleNamespace(point=point(router_cost, quality))
    return SimpleNamespace(
        target=0.95,
        target_quality=0.95,
        strongest="big",
        single={"big": point(1.0, 1.0)},
        at_target=chosen,
        zero_router_cost=mix_cost,
    )


def test_headline_says_what_the_evaluation_found() -> None:
    """'saves X % at 95 % quality' when the router beats the random mix; otherwise it says it does not."""
    assert headline(evaluation(0.52, 0.84)) == (  # type: ignore[arg-type]
        "the router saves 48 % at 95 % quality against big; a random mix saves 16 %"
    )
    assert headline(evaluation(0.9, 0.84)).startswith(  # type: ignore[arg-type]
        "the router does not beat a random mix at 95 % quality"
    )
    assert headline(evaluation(None, 0.84)) == (  # type: ignore[arg-type]
        "the router does not reach 95 % of big's quality"
    )


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0.0, 0.0648, [0.0, 0.02, 0.04, 0.06, 0.08]),
        (0.0, 1234.0, [0.0, 250.0, 500.0, 750.0, 1000.0, 1250.0]),
        (0.9, 0.95, [0.9, 0.91, 0.92, 0.93, 0.94, 0.95]),
    ],
)
def test_ticks_are_round_numbers_covering_the_range(low: float, high: float, expected: list[float]) -> None:
    """Ticks step by 1, 2, 2.5 or 5 times a power of ten and cover the data."""
    assert nice_ticks(low, high) == expected


def test_labels_are_moved_apart() -> None:
    """Labels of models at nearly the same quality are spread to at least the gap, inside the plot."""
    placed = _spread([100.0, 101.0, 102.0, 300.0], 16, 50, 400)
    assert sorted(placed) == placed
    assert all(b - a >= 16 - 1e-9 for a, b in itertools.pairwise(placed))
    assert _spread([395.0, 398.0], 16, 50, 400)[1] <= 400


def test_the_page_is_responsive_and_carries_the_headline(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The HTML picture scales to the window (viewBox, width 100 %) and its ticks are round dollars."""
    page = tmp_path / "curve.html"
    assert main(["eval", str(FIXTURE), "--models", "tiny,mid,big", "--plot", str(page), "--quiet"]) == 0
    capsys.readouterr()
    text = page.read_text(encoding="utf-8")
    assert 'width="100%"' in text
    assert 'name="viewport"' in text
    assert re.search(r"the router saves \d+ % at 95 % quality", text)
    ticks = re.findall(r">\$([0-9.,]+)</text>", text)
    assert ticks[:3] == ["0.00", "0.02", "0.04"]
