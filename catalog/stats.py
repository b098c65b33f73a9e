"""The statistics a hall publishes, computed from plain facts (pure; unit-tested by hand).

Compression rate is the hall's usual figure: how much shorter the promised limits are than the
statutory ones in total, 1 - Σpromised / Σstatutory, over items that have a statutory limit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from catalog.codes import KINDS, LEVELS
from catalog.supervision import on_time


@dataclass(frozen=True)
class ItemFacts:
    kind: str
    department: str
    level: str
    statutory_days: int
    promised_days: int
    online: bool
    delegated: bool = False


@dataclass(frozen=True)
class CaseFacts:
    department: str
    state: str
    finished_at: datetime | None
    deadline_at: datetime
    rating: str | None


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _mean(values: Sequence[int]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def item_statistics(items: Sequence[ItemFacts]) -> dict[str, object]:
    kinds = Counter(i.kind for i in items)
    levels = Counter(i.level for i in items)
    departments = Counter(i.department for i in items)
    timed = [i for i in items if i.statutory_days > 0]
    statutory = sum(i.statutory_days for i in timed)
    promised = sum(i.promised_days for i in timed)
    online = sum(1 for i in items if i.online)
    return {
        "items": len(items),
        "by_kind": [{"kind": k, "count": kinds.get(k, 0)} for k in KINDS],
        "by_level": [{"level": lv, "count": levels.get(lv, 0)} for lv in LEVELS],
        "delegated": sum(1 for i in items if i.delegated),  # county/town items delegated down
        "by_department": [
            {"department": d, "count": n} for d, n in sorted(departments.items(), key=lambda x: (-x[1], x[0]))
        ],
        "time_limits": {
            "items_counted": len(timed),
            "avg_statutory_days": _mean([i.statutory_days for i in timed]),
            "avg_promised_days": _mean([i.promised_days for i in timed]),
            "compression_rate": round(1 - promised / statutory, 4) if statutory else None,
        },
        "online": {"items": online, "share": _rate(online, len(items))},
    }


def case_statistics(cases: Sequence[CaseFacts]) -> list[dict[str, object]]:
    """Per department: finished cases, the share finished on time, the share of good ratings."""
    rows: dict[str, dict[str, int]] = {}
    for case in cases:
        row = rows.setdefault(case.department, {"finished": 0, "on_time": 0, "ratings": 0, "good": 0})
        met = on_time(case.state, case.finished_at, case.deadline_at)
        if met is not None:
            row["finished"] += 1
            row["on_time"] += int(met)
        if case.rating is not None:
            row["ratings"] += 1
            row["good"] += int(case.rating == "good")
    return [
        {
            "department": name,
            "finished": row["finished"],
            "on_time": row["on_time"],
            "on_time_rate": _rate(row["on_time"], row["finished"]),
            "ratings": row["ratings"],
            "good": row["good"],
            "good_rate": _rate(row["good"], row["ratings"]),
        }
        for name, row in sorted(rows.items())
    ]
