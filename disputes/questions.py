"""Questions (答疑): registered bidders ask anonymously; the tenderer or agent answers in a clarification.

- A bidder registered for the tender asks until the tender's clarification deadline (disputes/periods.py:
  the deadline its documents set, else 10 days before the bid deadline).
- The tenderer or agent answers one or more questions in one clarification notice (澄清公告). The notice
  is bidding's amendment (``bidding.service.amend``): it is published, every registered bidder finds it
  on its questions page and on the tender page, and its rule that a clarification less than 15 days
  before the deadline moves the deadline (《招标投标法》第二十三条) applies unchanged. Every answer is
  treated as one that may affect the preparation of bids: the platform cannot tell which do not.
- Who asked is shown to supervisors only: not to the tenderer, the agent, other bidders or the public,
  nor in the audit log or the notice. The asker sees its own questions as its own (``mine``).
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding import service as bidding
from core.accounts import Principal
from core.clock import as_utc
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.models import Organisation
from core.roles import Role
from core.runtime import Runtime
from core.texts import Text2000
from disputes import periods
from disputes.events import CLARIFICATION_ISSUED, QUESTION_ASKED
from disputes.models import Question
from disputes.periods import PeriodError

MAX_TEXT = 2000
MAX_PER_NOTICE = 50


class QuestionOut(msgspec.Struct, kw_only=True):
    """One question as the caller may see it (``asker`` only for supervisors)."""

    id: int
    tender: str
    question: str
    asked_at: datetime
    closes_at: datetime  # when the tender stops taking questions
    basis: str  # what sets that time
    answer: str | None
    answered_at: datetime | None
    notice: int | None  # the clarification notice that answered it
    pending: bool
    mine: bool  # asked by the caller's company
    asker: str | None = None  # the asking company: supervisors only


class QuestionAnswer(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    question: int
    answer: Text2000


class Clarification(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The answers to one or more of a tender's questions, published as one clarification notice."""

    answers: list[QuestionAnswer]
    title: str | None = None  # default: “<tender title> 答疑澄清”


class ClarificationOut(msgspec.Struct, kw_only=True):
    tender: str
    notice: int
    old_deadline: datetime
    bid_deadline: datetime  # later than ``old_deadline`` when fewer than 15 days were left
    deadline_moved: bool
    basis: str
    answered: list[QuestionOut]


def _text(value: str, what: str) -> str:
    value = (value or "").strip()
    if not 1 <= len(value) <= MAX_TEXT:
        raise InvalidInput(
            f"{what}不能为空（{MAX_TEXT}字以内）(the text is 1-{MAX_TEXT} characters)", code="bad_text"
        )
    return value


async def _cutoff(session: AsyncSession, tender: bidding.Tender) -> periods.Cutoff:
    day = int((await bidding.statutory_day(session, tender.code)).total_seconds())
    return periods.questions_close(as_utc(tender.bid_deadline), as_utc(tender.clarification_deadline), day)


async def ask(
    session: AsyncSession, runtime: Runtime, principal: Principal, tender_code: str, text: str
) -> QuestionOut:
    """A registered bidder asks; refused from the tender's clarification deadline on."""
    text = _text(text, "问题")
    tender = await bidding.tender_by_code(session, tender_code)
    org = principal.organisation_id
    if org is None or await bidding.registration_of(session, tender.id, org) is None:
        raise PermissionDenied(
            "只有已报名的投标人可以提问 (only a bidder registered for the tender may ask)",
            code="not_registered",
        )
    now = runtime.clock.now()
    cutoff = await _cutoff(session, tender)
    try:
        if tender.state not in (bidding.State.PUBLISHED, bidding.State.BIDDING):
            raise PeriodError(
                "question_period_over", "本项目已不再接受提问 (the tender takes no more questions)"
            )
        periods.check_question(now, cutoff)
    except PeriodError as error:
        raise Conflict(error.detail, code=error.code) from None
    row = Question(tender_code=tender.code, asker_id=org, asked_by=principal.user_id, text=text, asked_at=now)
    session.add(row)
    await session.flush()
    await runtime.audit.append(
        session,
        QUESTION_ASKED,
        subject=f"tender:{tender.code}",
        data={"question": row.id, "closes_at": cutoff.at.isoformat()},
    )
    return await _out(session, row, cutoff, principal)


def _notice_body(rows: list[tuple[Question, str]]) -> str:
    parts = ["现就潜在投标人提出的问题澄清如下（提问人不具名）："]
    for number, (row, answer) in enumerate(rows, 1):
        parts.append(f"问题{number}：{row.text}\n答复：{answer}")
    return "\n\n".join(parts)


async def clarify(
    session: AsyncSession, runtime: Runtime, principal: Principal, tender_code: str, data: Clarification
) -> ClarificationOut:
    """The tenderer or agent answers questions in one clarification notice (bidding's amendment)."""
    tender = await bidding.tender_by_code(session, tender_code)
    if not bidding.is_owner(principal, tender):
        raise PermissionDenied(
            "只有本项目的招标人或代理机构可以答疑 (only the tender's tenderer or agent answers questions)"
        )
    if not data.answers or len(data.answers) > MAX_PER_NOTICE:
        raise InvalidInput(
            f"请答复1至{MAX_PER_NOTICE}个问题 (answer 1-{MAX_PER_NOTICE} questions)", code="no_answers"
        )
    answered: list[tuple[Question, str]] = []
    for item in data.answers:
        row = await session.get(Question, item.question, with_for_update=True)
        if row is None or row.tender_code != tender.code:
            raise NotFound(f"本项目没有第{item.question}号问题 (no such question)", code="no_question")
        if row.answer is not None or any(row is seen for seen, _ in answered):
            raise Conflict(f"第{row.id}号问题已答复 (already answered)", code="already_answered")
        answered.append((row, _text(item.answer, "答复")))
    old = as_utc(tender.bid_deadline)
    title = (data.title or "").strip() or f"{tender.title} 答疑澄清"
    amendment = bidding.Amendment(title=title[:200], body=_notice_body(answered))
    tender = await bidding.amend(session, runtime, principal, tender.code, amendment)
    notice = [
        n for n in await bidding.notices_of(session, tender.id) if n.kind == bidding.NoticeKind.AMENDMENT
    ][-1]
    now = runtime.clock.now()
    for row, text in answered:
        row.answer, row.answered_at, row.answered_by, row.notice_id = text, now, principal.user_id, notice.id
    new = as_utc(tender.bid_deadline)
    await runtime.audit.append(
        session,
        CLARIFICATION_ISSUED,
        actor=principal.actor,
        subject=f"tender:{tender.code}",
        data={
            "questions": [row.id for row, _ in answered],
            "notice": notice.id,
            "old_deadline": old.isoformat(),
            "bid_deadline": new.isoformat(),
            "basis": periods.ANSWER_BASIS,
        },
    )
    cutoff = await _cutoff(session, tender)
    return ClarificationOut(
        tender=tender.code,
        notice=notice.id,
        old_deadline=old,
        bid_deadline=new,
        deadline_moved=new != old,
        basis=periods.ANSWER_BASIS,
        answered=[await _out(session, row, cutoff, principal) for row, _ in answered],
    )


async def _out(
    session: AsyncSession, row: Question, cutoff: periods.Cutoff, principal: Principal
) -> QuestionOut:
    asker = None
    if Role.SUPERVISOR in principal.roles:
        org = await session.get(Organisation, row.asker_id)
        asker = org.name if org else None
    return QuestionOut(
        id=row.id,
        tender=row.tender_code,
        question=row.text,
        asked_at=as_utc(row.asked_at),
        closes_at=as_utc(cutoff.at),
        basis=cutoff.basis,
        answer=row.answer,
        answered_at=as_utc(row.answered_at) if row.answered_at else None,
        notice=row.notice_id,
        pending=row.answer is None,
        mine=principal.organisation_id is not None and row.asker_id == principal.organisation_id,
        asker=asker,
    )


async def _outs(session: AsyncSession, rows: list[Question], principal: Principal) -> list[QuestionOut]:
    cutoffs: dict[str, periods.Cutoff] = {}
    out = []
    for row in rows:
        if row.tender_code not in cutoffs:
            cutoffs[row.tender_code] = await _cutoff(
                session, await bidding.tender_by_code(session, row.tender_code)
            )
        out.append(await _out(session, row, cutoffs[row.tender_code], principal))
    return out


# pending first, oldest first; then the answered, in the order they were asked
ORDER = (Question.answered_at.is_not(None), Question.asked_at, Question.id)


async def of_tender(session: AsyncSession, principal: Principal, tender_code: str) -> list[QuestionOut]:
    """A tender's answered questions for anyone logged in; the pending ones too for its tenderer, agent
    and supervisors, and each bidder's own."""
    tender = await bidding.tender_by_code(session, tender_code)
    query = select(Question).where(Question.tender_code == tender.code)
    if not (bidding.is_owner(principal, tender) or Role.SUPERVISOR in principal.roles):
        query = query.where(
            Question.answer.is_not(None) | (Question.asker_id == (principal.organisation_id or -1))
        )
    rows = list(await session.scalars(query.order_by(*ORDER)))
    return await _outs(session, rows, principal)


async def for_bidder(session: AsyncSession, principal: Principal) -> list[QuestionOut]:
    """The caller's company's questions and every answered question of the tenders it registered for."""
    org = principal.organisation_id
    if org is None:
        return []
    rows = list(
        await session.scalars(
            select(Question).where((Question.asker_id == org) | Question.answer.is_not(None)).order_by(*ORDER)
        )
    )
    registered: dict[str, bool] = {}
    for code in {row.tender_code for row in rows if row.asker_id != org}:
        tender = await bidding.tender_by_code(session, code)
        registered[code] = await bidding.registration_of(session, tender.id, org) is not None
    kept = [row for row in rows if row.asker_id == org or registered.get(row.tender_code)]
    return await _outs(session, kept, principal)


async def inbox(session: AsyncSession, principal: Principal) -> list[QuestionOut]:
    """Questions to answer (tenderer, agent: their tenders') or to oversee (supervisors: all, with who
    asked), pending first."""
    query = select(Question)
    if Role.SUPERVISOR not in principal.roles:
        query = query.where(Question.tender_code.in_(bidding.owned_tender_codes(principal)))
    rows = list(await session.scalars(query.order_by(*ORDER)))
    return await _outs(session, rows, principal)
