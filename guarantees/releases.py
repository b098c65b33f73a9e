"""Deposits held by a procedure that ends without a contract (《招标投标法实施条例》第三十一条): a tender that
failed (流标) or was terminated, a lot whose opening failed while the tender's other lots go on, or a
lot the tenderer tenders again after its winner's contract ended (contracts calls ``release_deposits``
then). Every deposit still held falls due for refund with interest 5 days later
(``rules.RELEASE_DAYS``); a forfeited deposit (the winner who refused, Art. 74) stays forfeited. The
job ``release_ended_tenders`` finds the failed and terminated tenders and the failed lots (bidding
cannot call guarantees: it sits below). Idempotent: a deposit already scheduled, refunded or forfeited
is left alone.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding import service as bidding
from core.clock import as_utc
from core.runtime import Runtime
from guarantees import rules
from guarantees.common import HELD, REFUND_DUE
from guarantees.events import DEPOSIT_REFUND_SCHEDULED
from guarantees.models import Deposit

ENDED = {bidding.State.FAILED: "failed", bidding.State.CANCELLED: "terminated"}


async def release_deposits(
    session: AsyncSession,
    runtime: Runtime,
    tender_code: str,
    lot: str | None,
    ended_at: datetime,
    why: str,
) -> list[int]:
    """The procedure of ``lot`` (None: every lot) ended at ``ended_at`` without a contract (``why``:
    failed, terminated, retender): each deposit still held is due for refund 5 days later (Art. 31)."""
    ended = as_utc(ended_at)
    due = rules.release_due(ended)
    query = select(Deposit).where(Deposit.tender_code == tender_code, Deposit.status == HELD)
    if lot is not None:
        query = query.where(Deposit.lot_number == lot)
    rows = list(await session.scalars(query.order_by(Deposit.id).with_for_update()))
    for row in rows:
        row.status, row.ended_at, row.refund_due_at = REFUND_DUE, ended, due
    if rows:
        await runtime.audit.append(
            session,
            DEPOSIT_REFUND_SCHEDULED,
            subject=f"tender:{tender_code}" + (f"/lot:{lot}" if lot is not None else ""),
            data={
                "deposits": [r.id for r in rows],
                "due": due.isoformat(),
                "ended": why,
                "basis": rules.RELEASE_RULE.article,
            },
        )
    return [r.id for r in rows]


async def release_ended_tenders(session: AsyncSession, runtime: Runtime) -> int:
    """Every tender holding deposits that failed or was terminated: its deposits fall due (Art. 31),
    counted from when it ended (the tender's last change of state). A lot whose opening failed while
    others go on (流标 of one lot) ends there: its deposits fall due counted from its opening record.
    Returns the deposits scheduled."""
    codes = list(await session.scalars(select(Deposit.tender_code).where(Deposit.status == HELD).distinct()))
    scheduled = 0
    for code in sorted(codes):
        tender = await bidding.tender_by_code(session, code)
        why = ENDED.get(bidding.State(tender.state))
        if why is not None:
            scheduled += len(await release_deposits(session, runtime, code, None, tender.updated_at, why))
            continue
        for lot, failed_at in (await bidding.lots_failed_at_opening(session, code)).items():
            scheduled += len(await release_deposits(session, runtime, code, lot, failed_at, "failed"))
    return scheduled
