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
from datetime import date, datetime, timedelta
from enum import StrEnum

from core.clock import CENTRE_TZ, INSTANT, end_of_centre_day, first_moment_after_days

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
    return first_moment_after_days(received, ANSWER.days)


# ---- complaints (投诉) -----------------------------------------------------------------------------
#
# 《招标投标法实施条例》第六十条: a bidder or other interested party complains to the supervising
# department within 10 days of the day it knew or should have known of the matter; a complaint about a
# matter of Art. 22, 44 or 54 needs a prior objection to the tenderer, and the objection's answer period
# does not count in the 10 days. 第六十一条: the supervisor decides within 3 working days of receiving
# it whether to accept it, and within 30 working days of accepting it on the merits. Working days come
# from the catalog's holiday table (catalog.service.working_calendar).


class Matter(StrEnum):
    """What a complaint is about: three of them need a prior objection on the same matter."""

    DOCUMENTS = "documents"  # 招标文件 (Art. 22)
    OPENING = "opening"  # 开标 (Art. 44)
    RESULT = "result"  # 评标结果 (Art. 54)
    OTHER = "other"  # 其他违法行为 (资格审查、评标程序、定标等): no objection needed


class Status(StrEnum):
    RECEIVED = "received"  # 待受理
    ACCEPTED = "accepted"  # 已受理，待处理决定
    REJECTED = "rejected"  # 不予受理
    DISMISSED = "dismissed"  # 驳回投诉
    UPHELD = "upheld"  # 投诉成立


OPEN = (Status.RECEIVED, Status.ACCEPTED)


class Remedy(StrEnum):
    """What an upheld complaint orders (《工程建设项目招标投标活动投诉处理办法》第二十条)."""

    AMEND = "amend"  # 责令改正（修改招标文件）
    RE_EVALUATE = "re_evaluate"  # 重新评标
    RE_TENDER = "re_tender"  # 重新招标
    CANCEL_CANDIDATE = "cancel_candidate"  # 取消中标候选人资格


COMPLAINT = Period(10, "《招标投标法实施条例》第六十条")
ACCEPT = Period(3, "《招标投标法实施条例》第六十一条")  # working days from receipt
DECIDE = Period(30, "《招标投标法实施条例》第六十一条")  # working days from acceptance
PRIOR_OBJECTION = {
    Matter.DOCUMENTS: "《招标投标法实施条例》第二十二条、第六十条",
    Matter.OPENING: "《招标投标法实施条例》第四十四条、第六十条",
    Matter.RESULT: "《招标投标法实施条例》第五十四条、第六十条",
}


def complaint_close(knew_on: date, paused: timedelta = timedelta(0)) -> datetime:
    """The first moment a complaint is refused: 24:00 Beijing time of the 10th day after the day the
    complainant knew, pushed out by the time its prior objection waited for an answer."""
    last_day_ends = end_of_centre_day(knew_on + timedelta(days=COMPLAINT.days))
    return last_day_ends + INSTANT + max(paused, timedelta(0))


def check_complaint(now: datetime, knew_on: date, paused: timedelta = timedelta(0)) -> None:
    if knew_on > now.astimezone(CENTRE_TZ).date():
        raise PeriodError(
            "bad_knew_at", "知道投诉事项的时间不能晚于现在 (the day you knew cannot be in the future)"
        )
    if now >= complaint_close(knew_on, paused):
        raise PeriodError(
            "complaint_period_over",
            f"应当自知道或者应当知道之日起{COMPLAINT.days}日内提出投诉（{COMPLAINT.basis}）"
            f"(complaints are made within {COMPLAINT.days} days of knowing of the matter)",
        )


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
