"""Suspensions (暂停) of one step of a tender, placed and released by a higher context's open case.

《招标投标法实施条例》第二十二条、第五十四条: until the tenderer answers an objection, the affected
step of the tender is suspended. The case lives above bidding (disputes/); bidding keeps the holds
so that the opening and the award, which are bidding's, can refuse while one is open without
importing anything above them. A hold covers exactly one step:

- ``OPENING``: the host's start of the opening and the platform's autostart (the deadline itself
  still passes: bids are not taken after it);
- ``AWARD``: the award (定标) of the lot it names, or of every lot when it names none.

Nothing else refuses because of a hold: bidding, amendments, the evaluation and the publicity go on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding.common import tender_by_code
from bidding.events import TENDER_HOLD_PLACED, TENDER_HOLD_RELEASED
from bidding.models import Tender, TenderHold
from core.errors import Conflict
from core.hold_port import hold_cases
from core.runtime import Runtime


class Step(StrEnum):
    OPENING = "opening"  # 开标
    AWARD = "award"  # 定标


@dataclass(frozen=True)
class Hold:
    tender: str
    step: Step
    lot: str | None
    ref: str
    reason: str
    placed_at: datetime


class Suspended(Conflict):
    code = "suspended"


async def hold(
    session: AsyncSession,
    runtime: Runtime,
    tender_code: str,
    step: Step,
    ref: str,
    reason: str,
    *,
    lot: str | None = None,
) -> None:
    """Suspend ``step`` for ``ref``'s sake (idempotent: the same ref holds a step once)."""
    tender = await tender_by_code(session, tender_code)
    existing = await session.scalar(
        select(TenderHold).where(
            TenderHold.tender_id == tender.id, TenderHold.step == step.value, TenderHold.ref == ref
        )
    )
    if existing is not None:
        return
    now = runtime.clock.now()
    session.add(
        TenderHold(
            tender_id=tender.id, step=step.value, lot_number=lot, ref=ref, reason=reason, placed_at=now
        )
    )
    await runtime.audit.append(
        session,
        TENDER_HOLD_PLACED,
        subject=f"tender:{tender.code}",
        data={"step": step.value, "lot": lot, "ref": ref},
    )


async def release(session: AsyncSession, runtime: Runtime, tender_code: str, step: Step, ref: str) -> bool:
    """Lift ``ref``'s hold on ``step``; False when it held nothing (or was released already)."""
    tender = await tender_by_code(session, tender_code)
    row = await session.scalar(
        select(TenderHold).where(
            TenderHold.tender_id == tender.id,
            TenderHold.step == step.value,
            TenderHold.ref == ref,
            TenderHold.released_at.is_(None),
        )
    )
    if row is None:
        return False
    row.released_at = runtime.clock.now()
    await runtime.audit.append(
        session,
        TENDER_HOLD_RELEASED,
        subject=f"tender:{tender.code}",
        data={"step": step.value, "lot": row.lot_number, "ref": ref},
    )
    return True


async def holds_of(
    session: AsyncSession, tender_code: str, step: Step | None = None, *, lot: str | None = None
) -> list[Hold]:
    """The open holds of a tender (of one step; with ``lot``, those covering that lot)."""
    query = (
        select(TenderHold, Tender.code)
        .join(Tender, Tender.id == TenderHold.tender_id)
        .where(Tender.code == tender_code, TenderHold.released_at.is_(None))
        .order_by(TenderHold.id)
    )
    if step is not None:
        query = query.where(TenderHold.step == step.value)
    if lot is not None:
        query = query.where(or_(TenderHold.lot_number.is_(None), TenderHold.lot_number == lot))
    return [
        Hold(code, Step(row.step), row.lot_number, row.ref, row.reason, row.placed_at)
        for row, code in (await session.execute(query)).all()
    ]


@dataclass(frozen=True)
class Banner:
    """What a page's standing banner says about one hold: the step, why (both languages), until when."""

    step: Step
    lot: str | None
    zh: str
    en: str
    due: datetime | None  # the case's answer due time (UTC), when the case's context says it
    placed_at: datetime
    due_kind: str = "answer"  # what is due: an objection's answer, a complaint's acceptance or decision


async def banners(
    session: AsyncSession, tender_code: str, step: Step | None = None, *, lot: str | None = None
) -> list[Banner]:
    """The open holds of a tender as banners: the case's own words and due time from the context that
    placed it (core.hold_port), else the hold's stored reason."""
    found = await holds_of(session, tender_code, step, lot=lot)
    if not found:
        return []
    port = hold_cases()
    cases = await port.hold_cases(session, [h.ref for h in found]) if port is not None else {}
    out = []
    for h in found:
        case = cases.get(h.ref)
        out.append(
            Banner(h.step, h.lot, case.zh if case else h.reason, case.en if case else h.reason,
                   case.due if case else None, h.placed_at, case.due_kind if case else "answer")
        )  # fmt: skip
    return out


async def require_no_hold(
    session: AsyncSession, tender: Tender, step: Step, *, lot: str | None = None
) -> None:
    """Refuse (409 ``suspended``, saying why) while a hold covers ``step`` of the tender (or lot)."""
    found = await holds_of(session, tender.code, step, lot=lot)
    if found:
        what = "开标" if step is Step.OPENING else "定标"
        raise Suspended(
            f"{what}已暂停 (the {step.value} is suspended)：" + "；".join(h.reason for h in found)
        )
