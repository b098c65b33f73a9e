"""Objections (异议) to a tender's documents (Art. 22) and to its evaluation result (Art. 54).

A registered bidder files one within the period the law allows (disputes/periods.py); the tender's
step it affects is suspended at once through bidding's holds (bidding.service.hold: the opening for
the documents, the award of the lot for the result) and released when the tenderer or agent answers.
The objection to the opening (Art. 44) is bidding's own: it is taken and answered in the opening room
(bidding/opening/record.py), which cannot close while one is unanswered.

Who objected is visible to the tender's tenderer and agent and to supervisors only (``may_see_objector``);
the audit log never names the objector.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import msgspec
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding import service as bidding
from catalog import service as catalog
from core.accounts import Principal
from core.clock import as_utc
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.hold_port import HoldCase
from core.models import Organisation
from core.roles import Role
from core.runtime import Runtime
from disputes import periods
from disputes.complaints import hold_cases as complaint_hold_cases
from disputes.events import OBJECTION_ANSWERED, OBJECTION_FILED
from disputes.models import Objection
from disputes.periods import Kind, PeriodError
from disputes.questions import Clarification, ClarificationOut, QuestionOut, ask, clarify
from evaluation import service as evaluation

__all__ = [
    "OBJECTION_ANSWERED",
    "OBJECTION_FILED",
    "Clarification",
    "ClarificationOut",
    "ComplaintOut",
    "Kind",
    "ObjectionOut",
    "QuestionOut",
    "answer_objection",
    "ask",
    "cases",
    "clarify",
    "complaints_of_bidder",
    "decide",
    "decide_acceptance",
    "file_complaint",
    "file_objection",
    "get_complaint",
    "hold_cases",
    "inbox",
    "may_see_objector",
    "objections_of_bidder",
    "objections_of_tender",
    "order_suspension",
]

MAX_TEXT = 2000


class ObjectionOut(msgspec.Struct, kw_only=True):
    """One objection as the caller may see it (``objector`` is empty unless they may see who objected)."""

    id: int
    tender: str
    lot: str | None
    kind: Kind
    basis: str  # the article that sets its period
    suspends: str  # the tender's step held until it is answered: "opening" or "award"
    reason: str
    filed_at: datetime
    answer_due: datetime  # 24:00 Beijing time of the third day after the day it was filed
    answer: str | None
    answered_at: datetime | None
    pending: bool
    warning: str | None  # while pending: green, yellow as the due time nears, red when overdue
    objector: str | None = None  # the objecting company's name


def may_see_objector(principal: Principal, tender: bidding.Tender) -> bool:
    return bidding.is_owner(principal, tender) or Role.SUPERVISOR in principal.roles


def _text(value: str, what: str) -> str:
    value = (value or "").strip()
    if not 1 <= len(value) <= MAX_TEXT:
        raise InvalidInput(
            f"{what}不能为空（{MAX_TEXT}字以内）(the text is 1-{MAX_TEXT} characters)", code="bad_text"
        )
    return value


async def _day_seconds(session: AsyncSession, code: str) -> int:
    return int((await bidding.statutory_day(session, code)).total_seconds())


def _hold_reason(row: Objection) -> str:
    if row.kind is Kind.DOCUMENTS:
        return (
            f"对招标文件的异议（第{row.id}号）尚未答复 (an objection to the tender documents is unanswered)"
        )
    return f"对评标结果的异议（第{row.id}号）尚未答复 (an objection to the evaluation result is unanswered)"


def _ref(row: Objection) -> str:
    return f"objection:{row.id}"


async def file_objection(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    tender_code: str,
    kind: Kind,
    reason: str,
    lot: str | None = None,
) -> ObjectionOut:
    """A registered bidder objects; the affected step is suspended until the answer."""
    reason = _text(reason, "异议理由")
    tender = await bidding.tender_by_code(session, tender_code)
    org = principal.organisation_id
    if org is None or await bidding.registration_of(session, tender.id, org) is None:
        raise PermissionDenied(
            "只有已报名的投标人可以提出异议 (only a bidder registered for the tender may object)",
            code="not_registered",
        )
    now = runtime.clock.now()
    day = await _day_seconds(session, tender.code)
    try:
        if kind is Kind.DOCUMENTS:
            if tender.state not in (bidding.State.PUBLISHED, bidding.State.BIDDING):
                raise Conflict("招标文件异议期已过 (the tender documents are no longer open to objection)",
                               code="objection_period_over")  # fmt: skip
            periods.check_documents(now, as_utc(tender.bid_deadline), day)
            lot = None
        else:
            if not lot:
                raise InvalidInput("请选择标段 (name the lot)", code="bad_lot")
            found = await evaluation.get_evaluation(session, f"{tender.code}-{lot}")
            ends = (
                as_utc(found.publicity_ends) if found.publicity_ends and found.state == "publicity" else None
            )
            periods.check_result(now, ends)
    except PeriodError as error:
        raise Conflict(error.detail, code=error.code) from None
    row = Objection(
        tender_code=tender.code,
        lot_number=lot,
        kind=kind,
        objector_id=org,
        filed_by=principal.user_id,
        reason=reason,
        filed_at=now,
        answer_due=periods.answer_due(now, day),
    )
    session.add(row)
    await session.flush()
    await bidding.hold(
        session,
        runtime,
        tender.code,
        bidding.Step(periods.SUSPENDS[kind]),
        _ref(row),
        _hold_reason(row),
        lot=lot,
    )
    await runtime.audit.append(
        session,
        OBJECTION_FILED,
        actor=principal.actor,
        subject=f"tender:{tender.code}",
        data={
            "objection": row.id,
            "kind": kind.value,
            "lot": lot,
            "basis": periods.BASIS[kind],
            "answer_due": row.answer_due.isoformat(),
        },
    )
    return await _out(session, runtime, row, show_objector=True)


async def answer_objection(
    session: AsyncSession, runtime: Runtime, principal: Principal, objection_id: int, text: str
) -> ObjectionOut:
    """The tender's tenderer or agent answers; the suspended step may go on (late answers still count)."""
    text = _text(text, "答复")
    row = await session.get(Objection, objection_id, with_for_update=True)
    if row is None:
        raise NotFound("没有这条异议 (no such objection)", code="no_objection")
    tender = await bidding.tender_by_code(session, row.tender_code)
    if not bidding.is_owner(principal, tender):
        raise PermissionDenied(
            "只有本项目的招标人或代理机构可以答复异议 (only the tender's tenderer or agent answers)"
        )
    if row.answer is not None:
        raise Conflict("这条异议已答复 (the objection has been answered)", code="already_answered")
    now = runtime.clock.now()
    row.answer, row.answered_at, row.answered_by = text, now, principal.user_id
    await bidding.release(session, runtime, tender.code, bidding.Step(periods.SUSPENDS[row.kind]), _ref(row))
    await runtime.audit.append(
        session,
        OBJECTION_ANSWERED,
        actor=principal.actor,
        subject=f"tender:{tender.code}",
        data={"objection": row.id, "answer": text, "late": now > as_utc(row.answer_due)},
    )
    return await _out(session, runtime, row, show_objector=True)


async def _out(
    session: AsyncSession, runtime: Runtime, row: Objection, *, show_objector: bool
) -> ObjectionOut:
    pending = row.answer is None
    due = as_utc(row.answer_due)
    warning = catalog.warning_level(
        "processing" if pending else "done", as_utc(row.filed_at), due, runtime.clock.now(),
        catalog.DEFAULT_YELLOW_SHARE,
    )  # fmt: skip
    objector = None
    if show_objector:
        org = await session.get(Organisation, row.objector_id)
        objector = org.name if org else None
    return ObjectionOut(
        id=row.id,
        tender=row.tender_code,
        lot=row.lot_number,
        kind=row.kind,
        basis=periods.BASIS[row.kind],
        suspends=periods.SUSPENDS[row.kind],
        reason=row.reason,
        filed_at=as_utc(row.filed_at),
        answer_due=due,
        answer=row.answer,
        answered_at=as_utc(row.answered_at) if row.answered_at else None,
        pending=pending,
        warning=warning,
        objector=objector,
    )


def _ordered(query: Select[Objection]) -> Select[Objection]:
    # pending first, the nearest due first; then the answered, latest first
    return query.order_by(Objection.answered_at.is_not(None), Objection.answer_due, Objection.id.desc())


async def objections_of_bidder(
    session: AsyncSession, runtime: Runtime, principal: Principal
) -> list[ObjectionOut]:
    """The caller's company's own objections."""
    if principal.organisation_id is None:
        return []
    rows = await session.scalars(
        _ordered(select(Objection).where(Objection.objector_id == principal.organisation_id))
    )
    return [await _out(session, runtime, row, show_objector=True) for row in rows]


async def inbox(session: AsyncSession, runtime: Runtime, principal: Principal) -> list[ObjectionOut]:
    """The objections the caller answers (tenderer, agent: their tenders') or oversees (supervisor: all)."""
    query = select(Objection)
    if Role.SUPERVISOR not in principal.roles:
        query = query.where(Objection.tender_code.in_(bidding.owned_tender_codes(principal)))
    rows = await session.scalars(_ordered(query))
    return [await _out(session, runtime, row, show_objector=True) for row in rows]


async def objections_of_tender(
    session: AsyncSession, runtime: Runtime, principal: Principal, tender_code: str
) -> list[ObjectionOut]:
    """A tender's objections for anyone logged in; who objected only for those who may see it (and
    for the objector itself)."""
    tender = await bidding.tender_by_code(session, tender_code)
    privileged = may_see_objector(principal, tender)
    rows = await session.scalars(_ordered(select(Objection).where(Objection.tender_code == tender.code)))
    return [
        await _out(
            session, runtime, row, show_objector=privileged or row.objector_id == principal.organisation_id
        )
        for row in rows
    ]


# Complaints (投诉) to the supervising department: disputes/complaints.py (re-exported for other contexts).
from disputes.complaints import (  # noqa: E402
    ComplaintOut,
    cases,
    complaints_of_bidder,
    decide,
    decide_acceptance,
    file_complaint,
    get_complaint,
    order_suspension,
)

_KIND_EN = {Kind.DOCUMENTS: "the tender documents", Kind.RESULT: "the evaluation result"}
_KIND_ZH = {Kind.DOCUMENTS: "招标文件", Kind.RESULT: "评标结果"}


async def hold_cases(session: AsyncSession, refs: Sequence[str]) -> Mapping[str, HoldCase]:
    """The cases behind holds (core.hold_port): why the step waits, in words, and when the answer or
    decision is due; objections here, a supervisor's suspension for a complaint in complaints.py. Who
    objected or complained is not part of it: the banner is public."""
    found = dict(await complaint_hold_cases(session, refs))
    ids = {
        int(ref.split(":", 1)[1]): ref for ref in refs if ref.startswith("objection:") and ref[10:].isdigit()
    }
    if not ids:
        return found
    rows = await session.scalars(select(Objection).where(Objection.id.in_(ids)))
    return found | {
        ids[row.id]: HoldCase(
            zh=f"有投标人对{_KIND_ZH[row.kind]}提出异议（第{row.id}号，{periods.BASIS[row.kind]}），"
            "招标人答复前暂停",
            en=f"a bidder has objected to {_KIND_EN[row.kind]} (objection no. {row.id}); the step waits "
            "for the tenderer's answer",
            due=as_utc(row.answer_due),
        )
        for row in rows
        if row.answer is None
    }
