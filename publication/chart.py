"""Small server-rendered SVG bar charts (pure, no JavaScript), in the style of credit/chart.py.

``bar_chart(labels, series, title=...)`` draws one group of bars per label, one bar per series, on a
shared scale from min(0, values) to max(0, values), with the formatted value above each bar and a
legend when there is more than one series. Every bar carries a ``<title>`` (shown on hover).
This module places things; the markup is the template publication/chart.svg (autoescaped, see
core.markup).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup

from core.markup import render
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


@dataclass(frozen=True)
class Bar:
    x: float
    top: float
    width: float
    height: float
    colour: str
    label: str
    series: str
    value: Number
    text: str


@dataclass(frozen=True)
class Legend:
    x: float
    colour: str
    name: str


@dataclass(frozen=True)
class AxisLabel:
    x: float
    text: str


def bar_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    fmt: Callable[[Number], str] = _plain,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> Markup:
    if any(len(s.values) != len(labels) for s in series):
        raise ValueError("every series needs one value per label")
    frame = {"width": width, "height": height, "title": title, "left": LEFT, "right": RIGHT}
    if not labels or not series:
        return render("publication/chart.svg", **frame, empty=True)
    inner_h = height - TOP - BOTTOM
    numbers = [float(v) for s in series for v in s.values]
    low, high = min(0.0, *numbers), max(0.0, *numbers)
    span = (high - low) or 1.0

    def y(value: float) -> float:
        return TOP + (high - value) / span * inner_h

    group_w = min((width - LEFT - RIGHT) / len(labels), MAX_GROUP)
    bar_w = group_w * 0.8 / len(series)
    every = math.ceil(LABEL_WIDTH / group_w)
    colours = [s.colour or COLOURS[n % len(COLOURS)] for n, s in enumerate(series)]
    legend = []
    if len(series) > 1:  # legend along the top
        x = LEFT
        for s, colour in zip(series, colours, strict=True):
            legend.append(Legend(x, colour, s.name))
            x += 24 + 12 * len(s.name)
    zero = y(0.0)
    bars, axis = [], []
    for i, label in enumerate(labels):
        left = LEFT + i * group_w + group_w * 0.1
        for n, (s, colour) in enumerate(zip(series, colours, strict=True)):
            value = s.values[i]
            top, bottom = sorted((y(float(value)), zero))
            bars.append(
                Bar(left + n * bar_w, top, bar_w, bottom - top, colour, label, s.name, value, fmt(value))
            )
        if i % every == 0:  # crowded axes (many months) label every few groups; each bar has its title
            axis.append(AxisLabel(LEFT + (i + 0.5) * group_w, label))
    return render(
        "publication/chart.svg",
        **frame,
        empty=False,
        legend=legend,
        zero=zero,
        bars=bars,
        axis=axis,
        axis_y=height - BOTTOM + 16,
    )
