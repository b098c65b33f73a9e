"""Small server-rendered SVG bar charts (pure, no JavaScript), in the style of credit/chart.py.

``bar_chart(labels, series, title=...)`` draws one group of bars per label, one bar per series, on a
shared scale from min(0, values) to max(0, values), with the formatted value above each bar and a
legend when there is more than one series. Every bar carries a ``<title>`` (shown on hover).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape

from core.types import Number

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 12, 12, 36, 34
MAX_GROUP = 150  # a few groups do not stretch across the whole chart
LABEL_WIDTH = 56  # room an axis label needs
COLOURS = ("#1565c0", "#b8232f", "#2e7d32", "#f9a825")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[Number]
    colour: str = ""


def _plain(value: Number) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{Decimal(str(value)):,.2f}"


def _attr(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def bar_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    fmt: Callable[[Number], str] = _plain,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> str:
    if any(len(s.values) != len(labels) for s in series):
        raise ValueError("every series needs one value per label")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{_attr(title)}" class="bar-chart">'
        f"<title>{escape(title)}</title>"
    ]
    inner_w, inner_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    if not labels or not series:
        parts.append(f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" font-size="12">—</text>')
        return "".join(parts) + "</svg>"
    numbers = [float(v) for s in series for v in s.values]
    low, high = min(0.0, *numbers), max(0.0, *numbers)
    span = (high - low) or 1.0

    def y(value: float) -> float:
        return TOP + (high - value) / span * inner_h

    group_w = min(inner_w / len(labels), MAX_GROUP)
    bar_w = group_w * 0.8 / len(series)
    every = math.ceil(LABEL_WIDTH / group_w)
    if len(series) > 1:  # legend along the top
        x = LEFT
        for n, s in enumerate(series):
            colour = s.colour or COLOURS[n % len(COLOURS)]
            parts.append(f'<rect x="{x}" y="6" width="10" height="10" fill="{colour}"/>')
            parts.append(f'<text x="{x + 14}" y="15" font-size="11">{escape(s.name)}</text>')
            x += 24 + 12 * len(s.name)
    zero = y(0.0)
    parts.append(
        f'<line x1="{LEFT}" y1="{zero:.1f}" x2="{width - RIGHT}" y2="{zero:.1f}" '
        'stroke="#9aa5b1" stroke-width="1"/>'
    )
    for i, label in enumerate(labels):
        left = LEFT + i * group_w + group_w * 0.1
        for n, s in enumerate(series):
            value = s.values[i]
            top, bottom = sorted((y(float(value)), zero))
            bar_x = left + n * bar_w
            colour = s.colour or COLOURS[n % len(COLOURS)]
            text = fmt(value)
            parts.append(
                f'<rect x="{bar_x:.1f}" y="{top:.1f}" width="{bar_w * 0.92:.1f}" height="{bottom - top:.1f}" '
                f'fill="{colour}" data-label="{_attr(label)}" data-series="{_attr(s.name)}" '
                f'data-value="{_attr(str(value))}">'
                f"<title>{escape(f'{label} · {s.name}: {text}')}</title></rect>"
            )
            parts.append(
                f'<text x="{bar_x + bar_w * 0.46:.1f}" y="{top - 3:.1f}" font-size="9" '
                f'text-anchor="middle">{escape(text)}</text>'
            )
        if i % every == 0:  # crowded axes (many months) label every few groups; each bar has its title
            parts.append(
                f'<text x="{LEFT + (i + 0.5) * group_w:.1f}" y="{height - BOTTOM + 16}" font-size="11" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    return "".join(parts) + "</svg>"
