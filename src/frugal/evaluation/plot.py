"""The cost–quality picture of an evaluation: a self-contained HTML page (inline SVG), or a PNG.

Both show the single models, the random-mix hull (zero router), the oracle, the router's curve (the
threshold settings nothing beats), the target quality and the setting chosen for it, under a headline
that says what the evaluation found ("saves 48 % at 95 % quality", or "does not beat a random mix").
Axes have round ticks ($0, $0.02, $0.04 ...); model labels are moved apart so they never overlap. The
HTML page needs nothing else (no script, no CDN) and takes the width of the window; the PNG needs
matplotlib (``pip install 'frugal-router[plot]'``).
"""

from __future__ import annotations

import html
import math
import os
from dataclasses import dataclass
from pathlib import Path

from ..exceptions import ConfigError
from .evaluate import Evaluation

__all__ = ["headline", "nice_ticks", "write_plot"]

_W, _H = 980, 580
_LEFT, _RIGHT, _TOP, _BOTTOM = 80, 290, 100, 55
_ROUTER, _HULL, _ORACLE, _TARGET, _MODEL = "#1f6fd1", "#888888", "#2a9d55", "#d1711f", "#333333"


@dataclass(frozen=True, slots=True)
class _Series:
    title: str
    headline: str
    models: tuple[tuple[str, float, float], ...]
    hull: tuple[tuple[float, float], ...]
    curve: tuple[tuple[float, float], ...]
    oracle: tuple[float, float]
    target: float
    chosen: tuple[float, float] | None


def _series(evaluation: Evaluation) -> _Series:
    p = evaluation.prepared
    chosen = evaluation.at_target
    return _Series(
        title=f"{len(p.rows):,} rows, classifier {p.classifier}: cost vs quality",
        headline=headline(evaluation),
        models=tuple((m, at.cost, at.quality) for m, at in evaluation.single.items()),
        hull=tuple((at.cost, at.quality) for _, at in evaluation.hull),
        curve=tuple((s.point.cost, s.point.quality) for s in evaluation.curve),
        oracle=(evaluation.oracle.cost, evaluation.oracle.quality),
        target=evaluation.target_quality,
        chosen=None if chosen is None else (chosen.point.cost, chosen.point.quality),
    )


def _percent(value: float) -> str:
    return f"{value * 100:.0f} %"


def headline(evaluation: Evaluation) -> str:
    """What the evaluation found, in one line: the router's saving at the target quality against the
    strongest model, or that it does not beat a random mix of models (or does not reach the target)."""
    target = _percent(evaluation.target)
    strong = evaluation.single[evaluation.strongest]
    chosen = evaluation.at_target
    if chosen is None or chosen.point.quality < evaluation.target_quality - 1e-12:
        return f"the router does not reach {target} of {evaluation.strongest}'s quality"
    mix = evaluation.zero_router_cost
    if mix is not None and chosen.point.cost >= mix - 1e-12:
        return (
            f"the router does not beat a random mix at {target} quality "
            f"(router ${chosen.point.cost:.3g}, random mix ${mix:.3g})"
        )
    if not strong.cost:
        return f"the router reaches {target} quality"
    saving = _percent(1 - chosen.point.cost / strong.cost)
    versus = "" if mix is None else f"; a random mix saves {_percent(1 - mix / strong.cost)}"
    return f"the router saves {saving} at {target} quality against {evaluation.strongest}{versus}"


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]: steps of 1, 2, 2.5 or 5 times a power of ten."""
    if high <= low:
        high = low + 1.0
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(f * power for f in (1, 2, 2.5, 5, 10) if f * power >= raw - 1e-15)
    start = math.floor(low / step + 1e-9) * step
    ticks = []
    value = start
    while value <= high + step * 1e-9 + 1e-15:
        ticks.append(round(value, 12))
        value += step
    if ticks[-1] < high - 1e-12:
        ticks.append(round(value, 12))
    return ticks


def _tick_label(value: float, step: float, money: bool) -> str:
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) if step < 1 else 0
    if step < 1 and round(step * 10**decimals) % 1:
        decimals += 1
    text = f"{value:,.{decimals}f}"
    return f"${text}" if money else text


def _spread(positions: list[float], gap: float, low: float, high: float) -> list[float]:
    """Label positions moved apart (in order) so that neighbours are at least ``gap`` apart, within
    [low, high]."""
    order = sorted(range(len(positions)), key=lambda i: positions[i])
    placed = [positions[i] for i in order]
    for k in range(1, len(placed)):
        placed[k] = max(placed[k], placed[k - 1] + gap)
    overflow = placed[-1] - high if placed else 0.0
    if overflow > 0:
        placed = [p - overflow for p in placed]
        for k in range(len(placed) - 2, -1, -1):
            placed[k] = min(placed[k], placed[k + 1] - gap)
    placed = [max(low, p) for p in placed]
    result = [0.0] * len(positions)
    for k, i in enumerate(order):
        result[i] = placed[k]
    return result


def write_plot(evaluation: Evaluation, path: str | os.PathLike[str]) -> None:
    """Draw ``evaluation`` to ``path``: ``.html`` (inline SVG) or ``.png`` (matplotlib).

    Raises:
        ConfigError: another file type, matplotlib missing for a PNG, or the file cannot be written.
    """
    suffix = Path(path).suffix.lower()
    series = _series(evaluation)
    if suffix in (".html", ".htm"):
        _write(path, _html(series))
    elif suffix == ".png":
        _png(series, path)
    else:
        raise ConfigError(f"--plot {os.fspath(path)!r}: expected a .html or .png file name")


def _write(path: str | os.PathLike[str], text: str) -> None:
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{os.fspath(path)}: cannot write the plot: {exc.strerror}") from None


def _html(s: _Series) -> str:
    costs = [c for _, c, _ in s.models] + [c for c, _ in s.curve] + [s.oracle[0]]
    qualities = [q for _, _, q in s.models] + [q for _, q in s.curve] + [s.oracle[1], s.target]
    x_ticks = nice_ticks(0.0, max(costs) or 1.0)
    y_low, y_high = min(qualities), max(qualities)
    pad = (y_high - y_low) * 0.05 or 0.05
    y_ticks = nice_ticks(max(0.0, y_low - pad), min(1.0, y_high + pad), count=6)
    x_max, y_min, y_max = x_ticks[-1], y_ticks[0], y_ticks[-1]
    inner_w, inner_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM

    def x(cost: float) -> float:
        return _LEFT + cost / x_max * inner_w

    def y(quality: float) -> float:
        return _TOP + (y_max - quality) / (y_max - y_min) * inner_h

    def line(points: tuple[tuple[float, float], ...], color: str, extra: str = "") -> str:
        path = " ".join(f"{x(c):.1f},{y(q):.1f}" for c, q in points)
        return f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2.5" {extra}/>'

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W} {_H}" width="100%" '
        f'style="max-width:{_W * 1.6:.0f}px;height:auto" role="img" font-family="system-ui,sans-serif" '
        f'font-size="13" aria-label="{html.escape(s.headline)}">',
    ]
    # The headline's first clause is the finding, in large type; what it is compared with goes below.
    first, _, rest = s.headline.partition("; ")
    parts.append(f'<text x="{_LEFT}" y="30" font-size="21" font-weight="600">{html.escape(first)}</text>')
    subtitle = f"{rest} · {s.title}" if rest else s.title
    parts.append(f'<text x="{_LEFT}" y="56" fill="#555" font-size="14">{html.escape(subtitle)}</text>')
    x_step = x_ticks[1] - x_ticks[0]
    for tick in x_ticks:
        parts.append(
            f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{_TOP}" y2="{_TOP + inner_h}" stroke="#eee"/>'
        )
        parts.append(
            f'<text x="{x(tick):.1f}" y="{_H - _BOTTOM + 20}" text-anchor="middle" fill="#444">'
            f"{_tick_label(tick, x_step, money=True)}</text>"
        )
    y_step = y_ticks[1] - y_ticks[0]
    for tick in y_ticks:
        parts.append(
            f'<line x1="{_LEFT}" x2="{_LEFT + inner_w}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#eee"/>'
        )
        parts.append(
            f'<text x="{_LEFT - 10}" y="{y(tick) + 4:.1f}" text-anchor="end" fill="#444">'
            f"{_tick_label(tick, y_step, money=False)}</text>"
        )
    parts.append(
        f'<rect x="{_LEFT}" y="{_TOP}" width="{inner_w}" height="{inner_h}" fill="none" stroke="#bbb"/>'
    )
    parts.append(
        f'<text x="{_LEFT + inner_w / 2}" y="{_H - 12}" text-anchor="middle">total cost (USD)</text>'
    )
    parts.append(
        f'<text x="20" y="{_TOP + inner_h / 2}" text-anchor="middle" '
        f'transform="rotate(-90 20 {_TOP + inner_h / 2})">mean quality</text>'
    )
    parts.append(
        f'<line x1="{_LEFT}" x2="{_LEFT + inner_w}" y1="{y(s.target):.1f}" y2="{y(s.target):.1f}" '
        f'stroke="{_TARGET}" stroke-dasharray="3 4" stroke-width="1.5"/>'
    )
    parts.append(
        f'<text x="{_LEFT + inner_w - 6}" y="{y(s.target) - 6:.1f}" text-anchor="end" fill="{_TARGET}">'
        f"target {s.target:.3f}</text>"
    )
    parts.append(line(s.hull, _HULL, 'stroke-dasharray="7 5"'))
    parts.append(line(s.curve, _ROUTER))
    # Model names sit right of their points, moved apart vertically so that none overlaps another.
    label_y = _spread([y(q) - 6 for _, _, q in s.models], 16, _TOP + 12, _TOP + inner_h - 4)
    for (name, cost, quality), text_y in zip(s.models, label_y, strict=True):
        cx, cy = x(cost), y(quality)
        parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="4.5" fill="{_MODEL}"/>')
        anchor, dx = ("end", -9) if cx > _LEFT + inner_w * 0.7 else ("start", 9)
        if abs(text_y - (cy - 6)) > 2:
            parts.append(
                f'<line x1="{cx:.1f}" y1="{cy:.1f}" x2="{cx + dx:.1f}" y2="{text_y - 4:.1f}" stroke="#999"/>'
            )
        parts.append(
            f'<text x="{cx + dx:.1f}" y="{text_y:.1f}" text-anchor="{anchor}" '
            f'paint-order="stroke" stroke="#fff" stroke-width="3">{html.escape(name)}</text>'
        )
    ox, oy = x(s.oracle[0]), y(s.oracle[1])
    parts.append(
        f'<path d="M{ox:.1f},{oy - 7:.1f} L{ox + 7:.1f},{oy:.1f} L{ox:.1f},{oy + 7:.1f} '
        f'L{ox - 7:.1f},{oy:.1f} Z" fill="{_ORACLE}"/>'
    )
    if s.chosen is not None:
        parts.append(
            f'<circle cx="{x(s.chosen[0]):.1f}" cy="{y(s.chosen[1]):.1f}" r="8" fill="none" '
            f'stroke="{_TARGET}" stroke-width="2.5"/>'
        )
    legend = [
        (_ROUTER, "router (threshold sweep)"),
        (_HULL, "random mix of models (zero router)"),
        (_ORACLE, "oracle (best model per prompt)"),
        (_TARGET, "target quality, chosen setting"),
        (_MODEL, "single models"),
    ]
    for k, (color, label) in enumerate(legend):
        top = _TOP + 10 + 24 * k
        parts.append(f'<rect x="{_W - _RIGHT + 18}" y="{top}" width="12" height="12" fill="{color}"/>')
        parts.append(f'<text x="{_W - _RIGHT + 36}" y="{top + 11}">{html.escape(label)}</text>')
    parts.append("</svg>")
    svg = "\n".join(parts)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>frugal eval: {html.escape(s.headline)}</title>"
        "<style>body{margin:0;padding:16px;background:#fff;color:#111}</style></head>\n"
        f"<body>\n{svg}\n</body></html>\n"
    )


def _png(s: _Series, path: str | os.PathLike[str]) -> None:
    try:
        import matplotlib
    except ImportError:
        raise ConfigError(
            "--plot FILE.png needs matplotlib: pip install 'frugal-router[plot]' (or write FILE.html)"
        ) from None
    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(9, 6))
    try:
        axes.plot(*zip(*s.curve, strict=True), color=_ROUTER, label="router (threshold sweep)")
        axes.plot(
            *zip(*s.hull, strict=True), color=_HULL, linestyle="--", label="zero router (random-mix hull)"
        )
        axes.scatter(
            [c for _, c, _ in s.models], [q for _, _, q in s.models], color=_MODEL, label="single models"
        )
        for name, cost, quality in s.models:
            axes.annotate(name, (cost, quality), textcoords="offset points", xytext=(5, 5), fontsize=8)
        axes.scatter([s.oracle[0]], [s.oracle[1]], marker="D", color=_ORACLE, label="oracle")
        axes.axhline(s.target, color=_TARGET, linestyle=":", label="target quality")
        if s.chosen is not None:
            axes.scatter([s.chosen[0]], [s.chosen[1]], s=90, facecolors="none", edgecolors=_TARGET)
        axes.set_xlabel("total cost (USD)")
        axes.set_ylabel("mean quality")
        axes.set_title(f"{s.headline}\n{s.title}", fontsize=10)
        axes.legend(loc="lower right", fontsize=8)
        try:
            figure.savefig(os.fspath(path), dpi=110)
        except OSError as exc:
            raise ConfigError(f"{os.fspath(path)}: cannot write the plot: {exc.strerror}") from None
    finally:
        pyplot.close(figure)
