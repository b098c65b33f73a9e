"""Periods "within N days" count Beijing calendar days (《民法典》第二百零一条、第二百零三条): the day they
start is not counted and the last one ends at 24:00 Beijing. One rule, in core.clock, for every context."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.clock import CENTRE_TZ, end_of_days_after, first_moment_after_days


def test_a_period_of_days_ends_at_beijing_midnight_and_is_late_from_the_next_instant() -> None:
    # 23:30 Beijing on 1 March is 15:30 UTC: the day counted from is Beijing's, not UTC's.
    started = datetime(2027, 3, 1, 15, 30, tzinfo=UTC)
    last = end_of_days_after(started, 3)
    late = first_moment_after_days(started, 3)
    assert last == datetime(2027, 3, 4, 23, 59, 59, 999_999, tzinfo=CENTRE_TZ)
    assert late == datetime(2027, 3, 5, 0, 0, tzinfo=CENTRE_TZ)
    assert late - last == timedelta(microseconds=1)  # no moment between allowed and late
    assert late.utcoffset() == timedelta(0)  # stored as UTC, like every moment
    # Half an hour later it is 2 March in Beijing: the period ends a day later.
    assert first_moment_after_days(started + timedelta(minutes=30), 3) == late + timedelta(days=1)
