"""The statutory periods of objections (异议), as data with their legal basis (pure: no I/O).

《招标投标法实施条例》:

- 第二十二条: an objection to the tender documents is made at least 10 days before the bid deadline;
  the tenderer answers within 3 days of receiving it, and suspends the tendering until it answers.
- 第四十四条: an objection to the opening is made at the opening and answered on the spot (bidding's
  opening record already takes it: ``bidding/opening/record.py``).
- 第五十四条: an objection to the evaluation result is made during the candidates' publicity; the
  tenderer answers within 3 days and suspends the tendering until it answers.

Periods in days count as the law counts them (《民法典》第二百零一条、第二百零三条): the day the
objection arrives is not counted, and the last day ends at 24:00 in the centre's time zone (Beijing).
"Ten days before the deadline" is a period counted back from a moment, so it is that moment less ten
days. A training tender's day is shorter (``day_seconds``), and then its days are plain durations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum

from core.clock import CENTRE_TZ

DAY_SECONDS = 86_400  # one statutory day (bidding.lifecycle.DAY_SECONDS; training tenders shorten it)


class Kind(StrEnum):
    DOCUMENTS = "documents"  # 对招标文件的异议
    RESULT = "result"  # 对评标结果的异议


@dataclass(frozen=True)
class Period:
    days: int
    basis: str  # the article that sets it


# Objections to the documents close this long before the bid deadline.
DOCUMENTS_BEFORE_DEADLINE = Period(10, "《招标投标法实施条例》第二十二条")
# The tenderer answers within this many days of receiving an objection.
ANSWER = Period(3, "《招标投标法实施条例》第二十二条、第五十四条")
# Objections to the result are taken during the candidates' publicity (its length is evaluation's).
RESULT_DURING_PUBLICITY = "《招标投标法实施条例》第五十四条"
BASIS = {Kind.DOCUMENTS: DOCUMENTS_BEFORE_DEADLINE.basis, Kind.RESULT: RESULT_DURING_PUBLICITY}
# Which step of the tender an open objection suspends (bidding.holds.Step values).
SUSPENDS = {Kind.DOCUMENTS: "opening", Kind.RESULT: "award"}


class PeriodError(Exception):
    """Outside the period the law allows; ``code`` is the API error code."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def documents_close(bid_deadline: datetime, day_seconds: int = DAY_SECONDS) -> datetime:
    """The first moment an objection to the documents is refused: 10 days before the deadline."""
    return bid_deadline - timedelta(seconds=DOCUMENTS_BEFORE_DEADLINE.days * day_seconds)


def check_documents(now: datetime, bid_deadline: datetime, day_seconds: int = DAY_SECONDS) -> None:
    closes = documents_close(bid_deadline, day_seconds)
    if now >= closes:
        raise PeriodError(
            "objection_period_over",
            f"对招标文件的异议应在投标截止时间{DOCUMENTS_BEFORE_DEADLINE.days}日前提出"
            f"（{DOCUMENTS_BEFORE_DEADLINE.basis}）(objections to the tender documents close "
            f"{DOCUMENTS_BEFORE_DEADLINE.days} days before the bid deadline)",
        )


def check_result(now: datetime, publicity_ends: datetime | None) -> None:
    """Taken while the publicity runs: from its start (the caller checks it started) until it ends."""
    if publicity_ends is None:
        raise PeriodError(
            "no_publicity",
            "中标候选人公示期间才能对评标结果提出异议 (objections to the result are taken during the "
            "candidates' publicity)",
        )
    if now >= publicity_ends:
        raise PeriodError(
            "objection_period_over",
            f"公示期已结束，不能再对评标结果提出异议（{RESULT_DURING_PUBLICITY}）"
            "(the candidates' publicity has ended)",
        )


def answer_due(received: datetime, day_seconds: int = DAY_SECONDS) -> datetime:
    """The end of the tenderer's 3 days: 24:00 Beijing time of the third day after the day received."""
    if day_seconds != DAY_SECONDS:
        return received + timedelta(seconds=ANSWER.days * day_seconds)
    received_on = received.astimezone(CENTRE_TZ).date()
    last_day_ends = datetime.combine(received_on + timedelta(days=ANSWER.days + 1), time(0), CENTRE_TZ)
    return last_day_ends.astimezone(UTC)


# Questions (答疑): registered bidders ask until the tender's clarification deadline (澄清截止, set in
# its documents, 《招标投标法实施条例》第二十一条); a tender that sets none takes the cut-off of
# objections to the documents, 10 days before the bid deadline (第二十二条).
QUESTIONS_TENDER_SET = "招标文件规定的澄清截止时间（《招标投标法实施条例》第二十一条）"
QUESTIONS_DEFAULT = Period(DOCUMENTS_BEFORE_DEADLINE.days, "《招标投标法实施条例》第二十二条")
# The answer is a clarification notice to every registered bidder; one less than 15 days before the
# deadline moves the deadline (bidding.lifecycle.amended_deadline applies that rule: it is not copied).
ANSWER_BASIS = "《招标投标法》第二十三条、《招标投标法实施条例》第二十一条"


@dataclass(frozen=True)
class Cutoff:
    at: datetime  # the first moment a question is refused
    basis: str


def questions_close(
    bid_deadline: datetime, tender_set: datetime | None, day_seconds: int = DAY_SECONDS
) -> Cutoff:
    """When questions close: the tender's own clarification deadline, else 10 days before the deadline."""
    if tender_set is not None:
        return Cutoff(tender_set, QUESTIONS_TENDER_SET)
    return Cutoff(documents_close(bid_deadline, day_seconds), QUESTIONS_DEFAULT.basis)


def check_question(now: datetime, cutoff: Cutoff) -> None:
    if now >= cutoff.at:
        raise PeriodError(
            "question_period_over",
            f"提问已截止（{cutoff.basis}）(questions about this tender closed at its clarification deadline)",
        )
