"""The contract's performance guarantee (履约保函, 条例第五十八条): a guarantor posts the guarantee it
signed on the contract; the contract page shows it verified, or why not. The guarantee itself, its
rules (≤ 10% of the contract amount, valid until the performance ends) and its claims belong to the
guarantees context: contracts passes it the contract's terms."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.common import contract_row, milestones_of, org_row
from contracts.models import Contract
from contracts.rules import Status
from core.accounts import Principal
from core.bond_port import BondCheck
from core.clock import CENTRE_TZ
from core.runtime import Runtime
from guarantees import service as guarantees


async def terms_of(session: AsyncSession, row: Contract) -> guarantees.ContractTerms:
    """The contract as a performance guarantee is checked against: its amount, the bond it asks, and
    the end of the performance (the last milestone's day, to its last minute in Beijing time)."""
    supplier = await org_row(session, row.supplier_id)
    milestones = await milestones_of(session, row.id)
    last = max((m.due_on for m in milestones), default=None)
    cover = datetime.combine(last, time(23, 59), tzinfo=CENTRE_TZ) if last is not None else None
    return guarantees.ContractTerms(
        tender=row.tender_code,
        lot=row.lot_number,
        supplier=supplier.credit_code,
        amount=row.amount,
        required=row.performance_bond,
        cover_until=cover,
        open=row.status in (Status.PENDING, Status.SIGNED),
    )


async def secure_performance(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    contract_id: int,
    document: guarantees.SignedPerformanceGuarantee,
) -> guarantees.GuaranteeOut:
    """A guarantor posts the performance guarantee it signed for the contract's supplier."""
    row = await contract_row(session, contract_id)
    return await guarantees.issue_performance_guarantee(
        session, runtime, principal, document, await terms_of(session, row)
    )


async def performance_check(session: AsyncSession, runtime: Runtime, contract_id: int) -> BondCheck | None:
    """The contract's performance guarantee verified now (None: no guarantor has issued one)."""
    row = await contract_row(session, contract_id)
    return await guarantees.performance_bond(session, runtime, await terms_of(session, row))
