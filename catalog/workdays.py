"""Working-day arithmetic for promised deadlines (pure).

A day is a working day when it is a weekday that is not a public holiday, or a weekend day that the
State Council made a make-up working day (调休上班). Time limits are counted as the hall counts
them: the day of acceptance is day 0, the deadline is the end (Asia/Shanghai) of the n-th working
day after it; an on-the-spot item (0 days) is due the end of the day it was accepted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from core.clock import SHANGHAI, as_utc

HOLIDAY = "holiday"
WORKDAY = "workday"  # a make-up working day on a weekend
MAX_DAYS = 3650  # no time limit is ten years; stops a runaway loop on a bad calendar


@dataclass(frozen=True)
class Calendar:
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def of(cls, days: Iterable[tuple[date, str]]) -> Calendar:
        pairs = list(days)
        return cls(
            frozenset(d for d, kind in pairs if kind == HOLIDAY),
            frozenset(d for d, kind in pairs if kind == WORKDAY),
        )

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays


def add_working_days(calendar: Calendar, start: date, days: int) -> date:
    """The ``days``-th working day after ``start`` (``start`` itself when days is 0)."""
    if days < 0:
        raise ValueError("days must not be negative")
    current = start
    remaining = days
    for _ in range(MAX_DAYS * 2):
        if remaining == 0:
            return current
        current += timedelta(days=1)
        if calendar.is_working_day(current):
            remaining -= 1
    raise ValueError("calendar has no working days")


def working_days_between(calendar: Calendar, start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when end <= start)."""
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        count += calendar.is_working_day(current)
    return count


def local_date(moment: datetime) -> date:
    return as_utc(moment).astimezone(SHANGHAI).date()


def deadline(calendar: Calendar, accepted_at: datetime, days: int) -> datetime:
    """The promised deadline as a UTC instant: the end of the due day, hall time."""
    due = add_working_days(calendar, local_date(accepted_at), days)
    end_of_day = datetime.combine(due + timedelta(days=1), time(0), tzinfo=SHANGHAI)
    return as_utc(end_of_day)


def official_2026() -> list[tuple[date, str, str]]:
    """The State Council's 2026 holiday arrangement (国务院办公厅通知, published 2025-11-04)."""
    spans = [
        ("元旦", date(2026, 1, 1), date(2026, 1, 3)),
        ("春节", date(2026, 2, 15), date(2026, 2, 23)),
        ("清明节", date(2026, 4, 4), date(2026, 4, 6)),
        ("劳动节", date(2026, 5, 1), date(2026, 5, 5)),
        ("端午节", date(2026, 6, 19), date(2026, 6, 21)),
        ("中秋节", date(2026, 9, 25), date(2026, 9, 27)),
        ("国庆节", date(2026, 10, 1), date(2026, 10, 7)),
    ]
    days = [
        (first + timedelta(days=i), HOLIDAY, name)
        for name, first, last in spans
        for i in range((last - first).days + 1)
    ]
    makeup = [
        (date(2026, 1, 4), "元旦调休"),
        (date(2026, 2, 14), "春节调休"),
        (date(2026, 2, 28), "春节调休"),
        (date(2026, 5, 9), "劳动节调休"),
        (date(2026, 9, 20), "国庆节调休"),
        (date(2026, 10, 10), "国庆节调休"),
    ]
    return days + [(d, WORKDAY, name) for d, name in makeup]
