"""The one clock that counts. Store UTC, show Asia/Shanghai; tests move a ManualClock forward.

Every date a person sees (pages, logs, CLI output, notices, draws) is the centre's: Beijing time.
``centre_today(clock)`` is "today" at the trading centre, ``to_centre`` a moment there, and
``format_local`` / ``format_date`` the two ways pages write them (also Jinja filters ``beijing`` and
``beijing_date``, see ``TEMPLATE_FILTERS``)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
CENTRE_TZ = SHANGHAI  # the trading centre's time zone: every date shown to a person is in it


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to, for tests and simulations."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = as_utc(start) if start else datetime(2026, 1, 5, 1, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        self._now += delta if delta is not None else timedelta(**kwargs)
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = as_utc(moment)


def as_utc(moment: datetime) -> datetime:
    """Naive datetimes are UTC (that is how the database hands them back)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def to_centre(moment: datetime) -> datetime:
    """The moment in the centre's time zone (naive datetimes are UTC)."""
    return as_utc(moment).astimezone(CENTRE_TZ)


local = to_centre  # the older name


INSTANT = timedelta(microseconds=1)  # the finest step of a datetime (and of a PostgreSQL timestamp)


def end_of_centre_day(day: date) -> datetime:
    """The last instant of ``day`` at the centre (23:59:59.999999 Beijing), in UTC."""
    next_day = day + timedelta(days=1)
    starts = datetime(next_day.year, next_day.month, next_day.day, tzinfo=CENTRE_TZ)
    return (starts - INSTANT).astimezone(UTC)


def end_of_days_after(moment: datetime, days: int) -> datetime:
    """The last instant of the ``days``-th calendar day after the centre day of ``moment``: a period "within
    N days" as the law counts it (《民法典》第二百零一条: the day it starts is not counted; 第二百零三条: the
    last day ends at 24:00), in Beijing time, returned in UTC. Only a moment after it is late."""
    return end_of_centre_day(to_centre(moment).date() + timedelta(days=days))


def first_moment_after_days(moment: datetime, days: int) -> datetime:
    """The first late moment of that same period (``end_of_days_after`` plus one instant: 00:00 Beijing
    of the day after its last day), for rules that refuse from a moment on (``now >= it``)."""
    return end_of_days_after(moment, days) + INSTANT


def centre_today(clock: Clock) -> date:
    """Today's date at the trading centre (Beijing), not the UTC date: 07:00 Beijing is 23:00 UTC."""
    return to_centre(clock.now()).date()


def _moment(value: datetime | str | None) -> datetime | None:
    if value is None or value == "":
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else value


def format_local(moment: datetime | str | None) -> str:
    """``2026-01-05 09:00:00`` in Beijing time; an ISO string is read first; nothing gives ""."""
    when = _moment(moment)
    return to_centre(when).strftime("%Y-%m-%d %H:%M:%S") if when else ""


def format_minute(moment: datetime | str | None) -> str:
    """``2026-01-05 09:00`` in Beijing time."""
    when = _moment(moment)
    return to_centre(when).strftime("%Y-%m-%d %H:%M") if when else ""


def format_date(moment: datetime | date | str | None) -> str:
    """``2026-01-05``: a moment's Beijing date, or a date as it is."""
    if isinstance(moment, date) and not isinstance(moment, datetime):
        return moment.isoformat()
    when = _moment(moment)
    return to_centre(when).strftime("%Y-%m-%d") if when else ""


TEMPLATE_FILTERS: dict[str, Callable[..., str]] = {
    "beijing": format_local,
    "beijing_minute": format_minute,
    "beijing_date": format_date,
}


def _centre_struct_time(seconds: float | None) -> time.struct_time:
    return datetime.fromtimestamp(seconds if seconds is not None else time.time(), CENTRE_TZ).timetuple()


def use_centre_time_in_logs() -> None:
    """Log lines carry Beijing time, like the pages (Python's documented way: every Formatter's
    ``converter``); the app and the CLI call it once at start."""
    logging.Formatter.converter = staticmethod(_centre_struct_time)
