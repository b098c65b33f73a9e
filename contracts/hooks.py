"""Where the guarantees context is told about a contract: the deposits of its lot fall due for refund
once both parties have signed (条例第五十七条), and a winner's deposit is forfeited when it refuses to
sign or lets the period lapse (条例第七十四条); when the tenderer tenders the lot again instead, the
deposits still held fall due for refund (条例第三十一条). Claims on a bid guarantee stay the tenderer's
decision (``guarantees`` claims API); nothing here files one by itself.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.models import Contract
from contracts.rules import Party
from core.models import Organisation
from core.runtime import Runtime
from guarantees import service as guarantees


async def after_signed(session: AsyncSession, runtime: Runtime, contract: Contract) -> None:
    """Both parties signed: every deposit still held on the lot is due for refund 5 days later."""
    assert contract.signed_at is not None
    await guarantees.schedule_refunds(
        session, contract.tender_code, contract.lot_number, contract.signed_at, runtime=runtime
    )


async def after_refusal(session: AsyncSession, runtime: Runtime, contract: Contract, party: Party) -> None:
    """A party refused or let the period lapse: a refusing winner's deposit on the lot is forfeited."""
    if party != Party.SUPPLIER:
        return
    supplier = await session.get(Organisation, contract.supplier_id)
    if supplier is None:
        return
    await guarantees.forfeit_deposits(
        session, contract.tender_code, contract.lot_number, supplier.credit_code, runtime=runtime
    )


async def after_retender(session: AsyncSession, runtime: Runtime, contract: Contract) -> None:
    """The lot is tendered again: its procedure ended without a contract, the deposits still held (the
    other bidders'; a refusing winner's is forfeited) are due for refund 5 days later (Art. 31)."""
    await guarantees.release_deposits(
        session, runtime, contract.tender_code, contract.lot_number, runtime.clock.now(), "retender"
    )
