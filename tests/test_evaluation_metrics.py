"""Evaluation metrics and threshold sweeps: hand-computed cases and invariants (hypothesis)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from frugal.evaluation.metrics import (
    Point,
    apgr,
    cheapest,
    cost_to_reach,
    frontier,
    oracle,
    quality_at,
    savings,
    strongest,
    upper_hull,
)
from frugal.evaluation.sweep import Outcomes, apply, cheapest_setting, sweep

# Four rows, a cheap model A ($1 a row) and a strong one B ($10 a row):
#   row     1    2    3    4
#   A       1    0    0    0
#   B       1    1    1    0
#   score  0.1  0.9  0.8  0.7
QUALITY = [[1.0, 1.0], [0.0, 1.0], [0.0, 1.0], [0.0, 0.0]]
COST = [[1.0, 10.0]] * 4
SCORES = (0.1, 0.9, 0.8, 0.7)
A, B = Point(4.0, 0.25), Point(40.0, 0.75)


def outcomes(scores: tuple[float | None, ...] = SCORES) -> Outcomes:
    return Outcomes(
        scores,
        (tuple(q[0] for q in QUALITY), tuple(q[1] for q in QUALITY)),
        (tuple(c[0] for c in COST), tuple(c[1] for c in COST)),
    )


def test_single_models_strongest_and_cheapest() -> None:
    """The strongest: best quality (cheaper on a tie); the cheapest: lowest cost (better on a tie)."""
    assert strongest({"a": A, "b": B}) == "b"
    assert cheapest({"a": A, "b": B}) == "a"
    assert strongest({"x": Point(5, 0.8), "y": Point(3, 0.8)}) == "y"
    assert cheapest({"x": Point(3, 0.5), "y": Point(3, 0.6)}) == "y"


def test_hull_of_two_models_and_the_zero_router_at_a_target() -> None:
    """Two models: the hull is their segment; 95 % of B's 0.75 (0.7125) costs $37.30, saving 6.75 %."""
    hull = upper_hull([B, A])
    assert hull == [A, B]
    cost = cost_to_reach(hull, 0.95 * 0.75)
    assert cost == pytest.approx(4 + (0.7125 - 0.25) / 0.5 * 36)  # 37.3
    assert savings(cost, B.cost) == pytest.approx(1 - 37.3 / 40)
    assert apgr(hull, A, B) == pytest.approx(0.5)


def test_hull_drops_points_below_it_and_interpolates() -> None:
    """A point under the segment of its neighbours and a dominated point are not hull vertices."""
    a, b, c, d = Point(1, 0.5), Point(2, 0.55), Point(3, 0.9), Point(4, 0.85)
    hull = upper_hull([d, c, b, a])
    assert hull == [a, c]
    assert quality_at(hull, 2) == pytest.approx(0.7)
    assert quality_at(hull, 10) == pytest.approx(0.9)  # flat past the best point
    assert quality_at(hull, 0.5) is None  # nothing is that cheap
    assert cost_to_reach(hull, 0.8) == pytest.approx(2.5)
    assert cost_to_reach(hull, 0.95) is None
    assert cost_to_reach(hull, 0.4) == 1  # the cheapest point already does it


def test_oracle_takes_the_cheapest_best_model_per_row() -> None:
    """Rows 1 and 4 go to A (a tie at the top), rows 2 and 3 to B: quality 0.75 for $22."""
    assert oracle(QUALITY, COST) == Point(22.0, 0.75)


def test_sweep_apply_and_the_setting_at_target() -> None:
    """Every split by score, with readable thresholds; the cheapest reaching 0.7125 is t=0.75 at $22."""
    swept = sweep(outcomes())
    assert [s.thresholds for s in swept] == [(0.05,), (0.4,), (0.75,), (0.85,), (0.95,)]
    assert [(s.point.cost, s.point.quality) for s in swept] == [
        (40.0, 0.75),
        (31.0, 0.75),
        (22.0, 0.75),
        (13.0, 0.5),
        (4.0, 0.25),
    ]
    chosen = cheapest_setting(swept, 0.95 * 0.75)
    assert chosen is not None
    assert chosen.thresholds == (0.75,)
    assert chosen.shares == (0.5, 0.5)
    assert savings(chosen.point.cost, B.cost) == pytest.approx(0.45)
    assert apply(outcomes(), (0.75,)) == chosen
    assert cheapest_setting(swept, 0.76) is None
    assert frontier(s.point for s in swept) == [Point(4, 0.25), Point(13, 0.5), Point(22, 0.75)]


def test_apgr_by_hand() -> None:
    """PGR 0 at x=0, 0.5 at x=0.25, 1 from x=0.5: area 0.0625 + 0.1875 + 0.5 = 0.75."""
    path = [s.point for s in reversed(sweep(outcomes()))]  # from all-cheap to all-strong
    assert apgr(path, A, B) == pytest.approx(0.75)
    assert apgr(path, A, A) is None  # no gap to recover
    # One setting at x = 0.5, PGR 1: mixed with A below it (area 0.25), flat above (0.5).
    assert apgr([Point(22.0, 0.75)], A, B) == pytest.approx(0.75)
    # A step back in cost counts against: out to x=0.5 at PGR 1, back to x=0.25, then on to x=1 at PGR 1.
    back = [A, Point(22.0, 0.75), Point(13.0, 0.75), B]
    assert apgr(back, A, B) == pytest.approx(0.25 - 0.25 + 0.75)


def test_a_failed_classification_stays_in_the_default_tier() -> None:
    """A row without a score goes to the default tier in every setting, as in production."""
    swept = sweep(Outcomes((0.1, None, 0.8, 0.7), outcomes().quality, outcomes().cost, default_tier=1))
    assert all(s.shares[1] >= 0.25 for s in swept)
    assert min(s.point.cost for s in swept) == 13.0  # row 2 always pays for B


def test_three_tier_grid_is_thinned_within_budget() -> None:
    """With three tiers the candidates are thinned so the combinations stay within max_settings."""
    scores = tuple(i / 101 for i in range(1, 101))
    quality = tuple(tuple(float(i % (t + 2) == 0) for i in range(100)) for t in range(3))
    cost = tuple(tuple(float(t + 1) for _ in range(100)) for t in range(3))
    swept = sweep(Outcomes(scores, quality, cost), max_settings=300)
    assert 200 <= len(swept) <= 300
    assert all(a < b for s in swept for a, b in itertools.pairwise(s.thresholds))


def test_empty_middle_tiers_get_short_thresholds() -> None:
    """Equal neighbours in a setting become short decimals with nothing between them, never a float step."""
    scores = (0.1, 0.2717, 0.3, 0.9)
    quality = ((0.0, 1.0, 0.0, 1.0), (1.0, 0.0, 1.0, 0.0), (1.0, 1.0, 1.0, 1.0))
    cost = tuple(tuple(float(t + 1) for _ in range(4)) for t in range(3))
    table = Outcomes(scores, quality, cost)
    swept = sweep(table)
    empty_middle = [s for s in swept if s.shares[1] == 0.0 and 0 < s.shares[0] < 1]
    assert empty_middle
    for setting in swept:
        assert all(len(repr(t)) <= 8 for t in setting.thresholds), setting.thresholds
        assert apply(table, setting.thresholds).shares == setting.shares


# -- invariants ------------------------------------------------------------------------------------

_quality = st.floats(0, 1, allow_nan=False)
_cost = st.floats(0.01, 100, allow_nan=False)
_points = st.lists(st.builds(Point, _cost, _quality), min_size=1, max_size=8)


@settings(max_examples=200, deadline=None)
@given(_points, st.floats(0, 1), st.integers(0, 7), st.integers(0, 7))
def test_no_mix_of_single_models_is_above_the_hull(points: list[Point], share: float, i: int, j: int) -> None:
    """Any random mix of two models lies on or below the hull at its cost (the hull is an upper bound)."""
    hull = upper_hull(points)
    a, b = points[i % len(points)], points[j % len(points)]
    mix = Point(share * a.cost + (1 - share) * b.cost, share * a.quality + (1 - share) * b.quality)
    reachable = quality_at(hull, mix.cost)
    if reachable is not None:  # None: cheaper than the cheapest model's best quality point
        assert mix.quality <= reachable + 1e-9
    else:
        assert mix.cost < hull[0].cost


@settings(max_examples=200, deadline=None)
@given(_points)
def test_the_hull_is_made_of_single_models_concave_and_increasing(points: list[Point]) -> None:
    """Every hull vertex is a single model, so every hull point is a mix of two: the hull is reachable."""
    hull = upper_hull(points)
    assert all(vertex in points for vertex in hull)
    assert hull[-1].quality >= max(p.quality for p in points) - 1e-12  # closer counts as a tie
    assert hull[0].cost == min(p.cost for p in points)
    slopes = [(b.quality - a.quality) / (b.cost - a.cost) for a, b in itertools.pairwise(hull)]
    assert all(s > 0 for s in slopes)
    assert all(later <= earlier + 1e-9 for earlier, later in itertools.pairwise(slopes))


_rows = st.integers(1, 12).flatmap(
    lambda n: st.tuples(
        st.lists(st.lists(_quality, min_size=3, max_size=3), min_size=n, max_size=n),
        st.lists(st.lists(_cost, min_size=3, max_size=3), min_size=n, max_size=n),
        st.lists(
            st.one_of(st.none(), st.sampled_from([0.0, 0.2, 0.5, 0.5, 0.8, 1.0])), min_size=n, max_size=n
        ),
    )
)


def _outcomes(quality: list[list[float]], cost: list[list[float]], scores: list[float | None]) -> Outcomes:
    return Outcomes(
        tuple(scores),
        tuple(tuple(row[t] for row in quality) for t in range(3)),
        tuple(tuple(row[t] for row in cost) for t in range(3)),
        default_tier=1,
    )


@settings(max_examples=200, deadline=None)
@given(_rows, st.lists(st.integers(0, 2), min_size=12, max_size=12))
def test_the_oracle_bounds_every_router(rows: tuple, choice: list[int]) -> None:
    """No assignment of rows to models beats the oracle's quality, nor reaches it for less."""
    quality, cost, _ = rows
    best = oracle(quality, cost)
    mean = sum(q[c] for q, c in zip(quality, choice, strict=False)) / len(quality)
    total = sum(k[c] for k, c in zip(cost, choice, strict=False))
    assert mean <= best.quality + 1e-9
    # Reaching the oracle's quality means reaching it on every row: a mean within a rounding error of it
    # can still hide a row that lost a quality of 1e-113 to save half its cost.
    if all(q[c] == max(q) for q, c in zip(quality, choice, strict=False)):
        assert total >= best.cost - 1e-9


@settings(max_examples=200, deadline=None)
@given(_rows)
def test_sweep_agrees_with_routing_each_row_and_never_beats_the_oracle(rows: tuple) -> None:
    """Every swept setting equals routing each row with its thresholds (bisect, as Router.decide does)."""
    quality, cost, scores = rows
    table = _outcomes(quality, cost, scores)
    best = oracle(quality, cost)
    for setting in sweep(table):
        direct = apply(table, setting.thresholds)
        assert direct.point.cost == pytest.approx(setting.point.cost)
        assert direct.point.quality == pytest.approx(setting.point.quality)
        assert direct.shares == pytest.approx(setting.shares)
        assert setting.point.quality <= best.quality + 1e-9
        assert all(0 < t < 1 for t in setting.thresholds)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(_quality, _quality, st.floats(0.01, 0.99)), min_size=2, max_size=12),
    st.floats(0.1, 10),
)
def test_no_router_recovers_more_of_the_gap_than_the_oracle_order(rows: list, extra: float) -> None:
    """Two tiers, equal costs per row: scoring rows by their gain (q_strong - q_cheap) bounds every APGR."""
    cheap, strong, _ = zip(*rows, strict=True)
    n = len(rows)

    def curve(scores: tuple[float, ...]) -> list[Point]:
        table = Outcomes(scores, (cheap, strong), ((1.0,) * n, (1.0 + extra,) * n))
        return [s.point for s in sorted(sweep(table), key=lambda s: -s.thresholds[0])]

    low, high = Point(n, sum(cheap) / n), Point(n * (1 + extra), sum(strong) / n)
    if high.quality <= low.quality:
        assert apgr(curve(tuple(r[2] for r in rows)), low, high) is None
        return
    assume(high.quality - low.quality > 1e-9)  # a gap below the tie tolerance is no gap
    # Scores inside (0, 1), so that every router reaches both ends (all cheap, all strong): the gain,
    # rescaled to [0.1, 0.9], keeps its order.
    gains = tuple(0.1 + 0.4 * (s - c + 1) for c, s, _ in rows)
    best = apgr(curve(gains), low, high)
    other = apgr(curve(tuple(r[2] for r in rows)), low, high)
    assert best is not None
    assert other is not None
    assert other <= best + 1e-9
    assert apgr(upper_hull([low, high]), low, high) == pytest.approx(0.5)
