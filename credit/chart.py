"""The index history as a small server-rendered SVG line chart (no JavaScript)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from xml.sax.saxutils import escape

from credit.snapshots import Point

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 40, 12, 12, 28
BANDS = ((90, "#e8f5e9"), (75, "#fffde7"), (60, "#fff3e0"), (0, "#ffebee"))  # A, B, C, D


def _y(value: Decimal | float) -> float:
    return TOP + (100 - float(value)) / 100 * (HEIGHT - TOP - BOTTOM)


def svg(points: Sequence[Point], *, title: str) -> str:
    inner_w = WIDTH - LEFT - RIGHT
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
        f'height="{HEIGHT}" role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    parts.append(f'<text x="{LEFT - 6}" y="{_y(100) + 4:.1f}" font-size="10" text-anchor="end">100</text>')
    upper = 100
    for lower, colour in BANDS:  # grade bands behind the line
        parts.append(
            f'<rect x="{LEFT}" y="{_y(upper):.1f}" width="{inner_w}" '
            f'height="{_y(lower) - _y(upper):.1f}" fill="{colour}"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{_y(lower) + 4:.1f}" font-size="10" text-anchor="end">{lower}</text>'
        )
        upper = lower
    if not points:
        parts.append(f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" font-size="12">—</text>')
        return "".join(parts) + "</svg>"
    step = inner_w / max(len(points) - 1, 1)
    coords = [(LEFT + i * step, _y(p.index)) for i, p in enumerate(points)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    parts.append(f'<polyline points="{path}" fill="none" stroke="#1565c0" stroke-width="2"/>')
    for (x, y), p in zip(coords, points, strict=True):
        if p.barred:  # barred days in red
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="#c62828"/>')
    first, last = points[0].day.isoformat(), points[-1].day.isoformat()
    parts.append(f'<text x="{LEFT}" y="{HEIGHT - 8}" font-size="10">{first}</text>')
    parts.append(f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 8}" font-size="10" text-anchor="end">{last}</text>')
    parts.append(
        f'<text x="{coords[-1][0]:.1f}" y="{coords[-1][1] - 6:.1f}" font-size="11" '
        f'text-anchor="end" class="last">{points[-1].index}</text>'
    )
    return "".join(parts) + "</svg>"
