"""Complaint periods at their boundaries (pure): 10 days from knowing (Art. 60) with the prior
objection's answer period not counted, and the supervisor's working-day clocks (Art. 61) across a
weekend, a make-up working day and the National Day holiday of the State Council's 2026 table."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from catalog import service as catalog
from catalog.workdays import Calendar, official_2026
from disputes import periods
from disputes.periods import PeriodError

MINUTE = timedelta(minutes=1)
CALENDAR = Calendar.of((day, kind) for day, kind, _name in official_2026())


def test_ten_days_from_knowing_end_at_24_00_beijing_time_of_the_tenth_day() -> None:
    knew = date(2026, 3, 2)
    closes = periods.complaint_close(knew)
    assert closes == datetime(2026, 3, 12, 16, 0, tzinfo=UTC)  # 13 March 00:00 in Beijing
    periods.check_complaint(closes - MINUTE, knew)  # the last allowed minute
    with pytest.raises(PeriodError) as refused:
        periods.check_complaint(closes, knew)  # the first refused
    assert refused.value.code == "complaint_period_over" and "第六十条" in refused.value.detail


def test_the_objection_answer_period_does_not_count() -> None:
    knew = date(2026, 3, 2)
    paused = timedelta(days=2, hours=5)
    closes = periods.complaint_close(knew, paused)
    assert closes == datetime(2026, 3, 12, 16, 0, tzinfo=UTC) + paused
    periods.check_complaint(closes - MINUTE, knew, paused)
    with pytest.raises(PeriodError):
        periods.check_complaint(closes, knew, paused)


def test_a_day_known_in_the_future_is_refused() -> None:
    now = datetime(2026, 3, 2, 15, 59, tzinfo=UTC)  # 23:59 on 2 March in Beijing
    periods.check_complaint(now, date(2026, 3, 2))
    with pytest.raises(PeriodError) as refused:
        periods.check_complaint(now, date(2026, 3, 3))
    assert refused.value.code == "bad_knew_at"


def test_acceptance_within_three_working_days_across_a_weekend() -> None:
    # received on Friday 6 March 2026 (Beijing): Mon 9, Tue 10, Wed 11 → due 24:00 on Wednesday
    received = datetime(2026, 3, 6, 2, 0, tzinfo=UTC)
    due = catalog.working_deadline(CALENDAR, received, periods.ACCEPT.days)
    assert due == datetime(2026, 3, 11, 16, 0, tzinfo=UTC)
    # received on Saturday: the same three working days
    assert catalog.working_deadline(CALENDAR, received + timedelta(days=1), periods.ACCEPT.days) == due


def test_acceptance_counts_a_make_up_working_day_and_skips_the_national_day_holiday() -> None:
    # Friday 18 September: Sunday 20 September is a make-up working day (国庆节调休) → Sun 20, Mon 21, Tue 22
    friday = datetime(2026, 9, 18, 2, 0, tzinfo=UTC)
    assert catalog.working_deadline(CALENDAR, friday, 3) == datetime(2026, 9, 22, 16, 0, tzinfo=UTC)
    # Wednesday 30 September: 1-7 October are holidays → Thu 8, Fri 9, Sat 10 (调休) → due 24:00 on 10 October
    eve = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)
    assert catalog.working_deadline(CALENDAR, eve, 3) == datetime(2026, 10, 10, 16, 0, tzinfo=UTC)
    # without the holiday table the same complaint would be due on Monday 5 October
    assert catalog.working_deadline(Calendar(), eve, 3) == datetime(2026, 10, 5, 16, 0, tzinfo=UTC)


def test_the_decision_within_thirty_working_days_of_acceptance() -> None:
    accepted = datetime(2026, 9, 25, 1, 0, tzinfo=UTC)  # 中秋节 holiday (25-27 September), a Friday
    due = catalog.working_deadline(CALENDAR, accepted, periods.DECIDE.days)
    # 28, 29, 30 Sep (3); 8, 9, 10 Oct (6); 12-16 (11); 19-23 (16); 26-30 (21); 2-6 Nov (26); 9-12 Nov (30)
    assert due == datetime(2026, 11, 12, 16, 0, tzinfo=UTC)
