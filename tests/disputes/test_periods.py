"""Every objection period at its boundary: the last allowed minute and the first refused, with the
moments written in Beijing time as a trading centre reads them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from disputes import periods
from disputes.periods import PeriodError

BEIJING = ZoneInfo("Asia/Shanghai")
MINUTE = timedelta(minutes=1)


def bj(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BEIJING).astimezone(UTC)


def test_each_period_states_its_article() -> None:
    assert periods.DOCUMENTS_BEFORE_DEADLINE.days == 10
    assert "第二十二条" in periods.DOCUMENTS_BEFORE_DEADLINE.basis
    assert periods.ANSWER.days == 3
    assert "第二十二条" in periods.ANSWER.basis and "第五十四条" in periods.ANSWER.basis
    assert "第五十四条" in periods.BASIS[periods.Kind.RESULT]
    assert periods.SUSPENDS == {periods.Kind.DOCUMENTS: "opening", periods.Kind.RESULT: "award"}


def test_documents_objection_closes_ten_days_before_the_deadline() -> None:
    deadline = bj("2026-12-21T09:30")
    assert periods.documents_close(deadline) == bj("2026-12-11T09:30")
    periods.check_documents(bj("2026-12-11T09:29"), deadline)  # the last allowed minute
    with pytest.raises(PeriodError) as refused:
        periods.check_documents(bj("2026-12-11T09:30"), deadline)  # the first refused
    assert refused.value.code == "objection_period_over"
    assert "10日前" in refused.value.detail and "10 days before" in refused.value.detail


def test_a_training_tender_counts_its_short_days() -> None:
    deadline = datetime(2026, 12, 21, 1, 30, tzinfo=UTC)
    closes = periods.documents_close(deadline, day_seconds=3)
    assert closes == deadline - timedelta(seconds=30)
    periods.check_documents(closes - timedelta(seconds=1), deadline, 3)
    with pytest.raises(PeriodError):
        periods.check_documents(closes, deadline, 3)
    assert periods.answer_due(closes, 3) == closes + timedelta(seconds=9)


def test_result_objection_runs_until_the_publicity_ends() -> None:
    ends = bj("2026-12-24T17:00")
    periods.check_result(ends - MINUTE, ends)  # the last allowed minute
    with pytest.raises(PeriodError) as refused:
        periods.check_result(ends, ends)  # the first refused
    assert refused.value.code == "objection_period_over"
    with pytest.raises(PeriodError) as none:
        periods.check_result(ends, None)
    assert none.value.code == "no_publicity"


@pytest.mark.parametrize(
    ("received", "due"),
    [
        # the day received does not count; the third day ends at 24:00 Beijing time
        ("2026-12-01T00:00", "2026-12-05T00:00"),
        ("2026-12-01T23:59", "2026-12-05T00:00"),
        ("2026-12-02T00:00", "2026-12-06T00:00"),  # a minute later is the next Beijing day
        ("2026-12-30T10:00", "2027-01-03T00:00"),  # across the year's end
    ],
)
def test_the_answer_is_due_at_the_end_of_the_third_day_in_beijing(received: str, due: str) -> None:
    assert periods.answer_due(bj(received)) == bj(due)


def test_a_beijing_date_is_not_the_utc_date() -> None:
    """00:30 on 2 December in Beijing is still 1 December in UTC: the Beijing day counts."""
    received = bj("2026-12-02T00:30")
    assert received.date().isoformat() == "2026-12-01"
    due = periods.answer_due(received)
    assert due == bj("2026-12-06T00:00")
    assert due - MINUTE == bj("2026-12-05T23:59")  # the last minute an answer is on time


def test_questions_close_at_the_tenders_clarification_deadline_else_10_days_before_the_deadline() -> None:
    deadline = bj("2026-03-20 09:30")
    default = periods.questions_close(deadline, None)
    assert default.at == bj("2026-03-10 09:30") and "第二十二条" in default.basis
    periods.check_question(bj("2026-03-10 09:29"), default)  # the last allowed minute
    with pytest.raises(PeriodError) as late:
        periods.check_question(bj("2026-03-10 09:30"), default)  # the first refused
    assert late.value.code == "question_period_over"
    tender_set = periods.questions_close(deadline, bj("2026-03-14 17:00"))
    assert tender_set.at == bj("2026-03-14 17:00") and "第二十一条" in tender_set.basis
    periods.check_question(bj("2026-03-14 16:59"), tender_set)
    with pytest.raises(PeriodError):
        periods.check_question(bj("2026-03-14 17:00"), tender_set)
    # a training tender's days are short: 10 of its days before the deadline
    assert periods.questions_close(deadline, None, day_seconds=3).at == deadline - timedelta(seconds=30)
