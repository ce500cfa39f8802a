"""The cost–quality picture of an evaluation: a self-contained HTML page (inline SVG), or a PNG.

Both show the single models, the random-mix hull (zero router), the oracle, the router's curve (the
threshold settings nothing beats), the target quality and the setting chosen for it. The HTML page needs
nothing else (no script, no CDN); the PNG needs matplotlib (``pip install 'frugal-router[plot]'``).
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from pathlib import Path

from ..exceptions import ConfigError
from .evaluate import Evaluation

__all__ = ["write_plot"]

_W, _H = 760, 500
_LEFT, _RIGHT, _TOP, _BOTTOM = 70, 200, 40, 55
_ROUTER, _HULL, _ORACLE, _TARGET, _MODEL = "#1f6fd1", "#888888", "#2a9d55", "#d1711f", "#333333"


@dataclass(frozen=True, slots=True)
class _Series:
    title: str
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
        models=tuple((m, at.cost, at.quality) for m, at in evaluation.single.items()),
        hull=tuple((at.cost, at.quality) for _, at in evaluation.hull),
        curve=tuple((s.point.cost, s.point.quality) for s in evaluation.curve),
        oracle=(evaluation.oracle.cost, evaluation.oracle.quality),
        target=evaluation.target_quality,
        chosen=None if chosen is None else (chosen.point.cost, chosen.point.quality),
    )


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
    x_max = max(costs) * 1.05 or 1.0
    y_min, y_max = min(qualities), max(qualities)
    pad = (y_max - y_min) * 0.08 or 0.05
    y_min, y_max = max(0.0, y_min - pad), min(1.0, y_max + pad)
    if y_max <= y_min:
        y_min, y_max = y_min - 0.05, y_max + 0.05
    inner_w, inner_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM

    def x(cost: float) -> float:
        return _LEFT + cost / x_max * inner_w

    def y(quality: float) -> float:
        return _TOP + (y_max - quality) / (y_max - y_min) * inner_h

    def line(points: tuple[tuple[float, float], ...], color: str, extra: str = "") -> str:
        path = " ".join(f"{x(c):.1f},{y(q):.1f}" for c, q in points)
        return f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2" {extra}/>'

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" viewBox="0 0 {_W} {_H}" '
        'font-family="sans-serif" font-size="12">',
        f'<rect x="{_LEFT}" y="{_TOP}" width="{inner_w}" height="{inner_h}" fill="none" stroke="#ccc"/>',
        f'<text x="{_LEFT}" y="22" font-size="14">{html.escape(s.title)}</text>',
    ]
    for k in range(6):
        cost, quality = x_max * k / 5, y_min + (y_max - y_min) * k / 5
        parts.append(
            f'<text x="{x(cost):.1f}" y="{_H - _BOTTOM + 18}" text-anchor="middle">${cost:.3g}</text>'
        )
        parts.append(f'<text x="{_LEFT - 8}" y="{y(quality) + 4:.1f}" text-anchor="end">{quality:.2f}</text>')
    parts.append(
        f'<text x="{_LEFT + inner_w / 2}" y="{_H - 12}" text-anchor="middle">total cost (USD)</text>'
    )
    parts.append(
        f'<text x="16" y="{_TOP + inner_h / 2}" text-anchor="middle" '
        f'transform="rotate(-90 16 {_TOP + inner_h / 2})">mean quality</text>'
    )
    parts.append(
        f'<line x1="{_LEFT}" x2="{_LEFT + inner_w}" y1="{y(s.target):.1f}" y2="{y(s.target):.1f}" '
        f'stroke="{_TARGET}" stroke-dasharray="2 4"/>'
    )
    parts.append(line(s.hull, _HULL, 'stroke-dasharray="6 4"'))
    parts.append(line(s.curve, _ROUTER))
    for name, cost, quality in s.models:
        parts.append(f'<circle cx="{x(cost):.1f}" cy="{y(quality):.1f}" r="4" fill="{_MODEL}"/>')
        parts.append(f'<text x="{x(cost) + 6:.1f}" y="{y(quality) - 6:.1f}">{html.escape(name)}</text>')
    ox, oy = x(s.oracle[0]), y(s.oracle[1])
    parts.append(
        f'<path d="M{ox:.1f},{oy - 6:.1f} L{ox + 6:.1f},{oy:.1f} L{ox:.1f},{oy + 6:.1f} '
        f'L{ox - 6:.1f},{oy:.1f} Z" fill="{_ORACLE}"/>'
    )
    if s.chosen is not None:
        parts.append(
            f'<circle cx="{x(s.chosen[0]):.1f}" cy="{y(s.chosen[1]):.1f}" r="6" fill="none" '
            f'stroke="{_TARGET}" stroke-width="2"/>'
        )
    legend = [
        (_ROUTER, "router (threshold sweep)"),
        (_HULL, "zero router (random-mix hull)"),
        (_ORACLE, "oracle"),
        (_TARGET, "target quality, chosen setting"),
        (_MODEL, "single models"),
    ]
    for k, (color, label) in enumerate(legend):
        top = _TOP + 10 + 20 * k
        parts.append(f'<rect x="{_W - _RIGHT + 15}" y="{top}" width="12" height="12" fill="{color}"/>')
        parts.append(f'<text x="{_W - _RIGHT + 33}" y="{top + 10}">{html.escape(label)}</text>')
    parts.append("</svg>")
    svg = "\n".join(parts)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>frugal eval</title></head>\n<body>\n{svg}\n</body></html>\n"
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
        axes.set_title(s.title)
        axes.legend(loc="lower right", fontsize=8)
        try:
            figure.savefig(os.fspath(path), dpi=110)
        except OSError as exc:
            raise ConfigError(f"{os.fspath(path)}: cannot write the plot: {exc.strerror}") from None
    finally:
        pyplot.close(figure)
