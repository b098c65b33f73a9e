"""The index history as a small server-rendered SVG line chart (no JavaScript).

This module places things; the markup is the template credit/chart.svg (autoescaped, see core.markup).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup

from core.markup import render
from credit.snapshots import Point

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 40, 12, 12, 28
BANDS = ((90, "#e8f5e9"), (75, "#fffde7"), (60, "#fff3e0"), (0, "#ffebee"))  # A, B, C, D


@dataclass(frozen=True)
class Band:
    lower: int
    top: float
    height: float
    colour: str


def _y(value: Decimal | float) -> float:
    return TOP + (100 - float(value)) / 100 * (HEIGHT - TOP - BOTTOM)


def svg(points: Sequence[Point], *, title: str) -> Markup:
    bands = []
    upper = 100
    for lower, colour in BANDS:  # grade bands behind the line
        bands.append(Band(lower, _y(upper), _y(lower) - _y(upper), colour))
        upper = lower
    step = (WIDTH - LEFT - RIGHT) / max(len(points) - 1, 1)
    coords = [(LEFT + i * step, _y(p.index)) for i, p in enumerate(points)]
    return render(
        "credit/chart.svg",
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=RIGHT,
        title=title,
        top_label_y=_y(100) + 4,
        bands=bands,
        points=points,
        line=" ".join(f"{x:.1f},{y:.1f}" for x, y in coords),
        barred=[xy for xy, p in zip(coords, points, strict=True) if p.barred],  # barred days in red
        last_xy=coords[-1] if coords else None,
    )
