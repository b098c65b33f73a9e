"""Reading contracts: the caller's, one, the public ones, what was published, the signing times."""

from __future__ import annotations

import msgspec
from sqlalchemy import false, select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding import service as bidding
from contracts.common import (
    contract_row,
    contract_view,
    owns_tender,
    party_of,
)
from contracts.models import Contract, Publication
from contracts.rules import NEXT_CANDIDATE, Party, Status
from contracts.views import (
    ContractDocument,
    ContractOut,
    PublicContract,
    SigningTime,
)
from core.accounts import Principal
from core.clock import as_utc
from core.contract_port import SupplierStanding
from core.errors import PermissionDenied
from core.retender_port import RetenderCause
from core.roles import Role
from core.runtime import Runtime

# --- reading --------------------------------------------------------------------------------------


async def supplier_standing(
    session: AsyncSession, tender_code: str, lot: str, supplier_id: int
) -> SupplierStanding | None:
    """The contract port (core/contract_port.py): the latest contract of ``lot`` with ``supplier_id``
    as supplier, and whether the supplier refused or let it lapse unsigned (Art. 74's ground for a claim
    on its bid guarantee)."""
    row = await session.scalar(
        select(Contract)
        .where(
            Contract.tender_code == tender_code,
            Contract.lot_number == lot,
            Contract.supplier_id == supplier_id,
        )
        .order_by(Contract.id.desc())
        .limit(1)
    )
    if row is None:
        return None
    failed = (row.status is Status.REFUSED and row.refused_by is Party.SUPPLIER) or (
        row.status is Status.LAPSED and row.supplier_signature is None
    )
    return SupplierStanding(status=row.status.value, supplier_failed=failed, due_at=as_utc(row.due_at))


async def contract_of(
    session: AsyncSession, runtime: Runtime, principal: Principal, contract_id: int
) -> ContractOut:
    """One contract for its parties, the tender's owners and supervisors."""
    row = await contract_row(session, contract_id)
    if (
        party_of(principal, row) is None
        and Role.SUPERVISOR not in principal.roles
        and not await owns_tender(session, principal, row)
    ):
        raise PermissionDenied(
            "只有合同当事人和监管人员可以查看 (only the parties and supervisors may see it)"
        )
    return await contract_view(session, runtime, row, principal)


async def contracts_for(session: AsyncSession, runtime: Runtime, principal: Principal) -> list[ContractOut]:
    """The caller's contracts (its company's, as a party or the tender's owner; supervisors: all),
    pending first, the nearest limit first."""
    query = select(Contract)
    if Role.SUPERVISOR not in principal.roles:
        org = principal.organisation_id
        if org is None:
            return []
        supplies = (Contract.supplier_id == org) if Role.BIDDER in principal.roles else false()
        query = query.where(supplies | Contract.tender_code.in_(bidding.owned_tender_codes(principal)))
    rows = await session.scalars(
        query.order_by(Contract.status != Status.PENDING, Contract.due_at, Contract.id)
    )
    return [await contract_view(session, runtime, row, principal) for row in rows]


def _public(row: Contract, out: ContractOut) -> PublicContract:
    assert out.signed_at is not None
    return PublicContract(
        id=out.id, tender=out.tender, tender_title=out.tender_title, lot=out.lot, buyer=out.buyer,
        buyer_code=out.buyer_code, supplier=out.supplier, supplier_code=out.supplier_code, amount=out.amount,
        performance_bond=out.performance_bond, awarded_at=out.awarded_at, signed_at=out.signed_at,
        status=out.status, digest=out.digest, milestones=out.milestones, rating=out.rating,
        document=msgspec.convert(row.document, ContractDocument) if row.publish_document else None,
    )  # fmt: skip


async def public_contracts(
    session: AsyncSession, runtime: Runtime, tender_code: str | None = None
) -> list[PublicContract]:
    """Signed contracts (never a training tender's), newest first."""
    training = await bidding.training_codes(session)
    query = select(Contract).where(Contract.status.in_((Status.SIGNED, Status.COMPLETED)))
    if tender_code:
        query = query.where(Contract.tender_code == tender_code)
    rows = [
        r
        for r in await session.scalars(query.order_by(Contract.signed_at.desc()))
        if r.tender_code not in training
    ]
    return [_public(row, await contract_view(session, runtime, row, None)) for row in rows]


async def publications_of(session: AsyncSession, tender_code: str) -> list[Publication]:
    """What was published of the tender's contracts, in order (publication builds OCDS releases)."""
    if await bidding.is_training(session, tender_code):
        return []
    rows = await session.scalars(
        select(Publication).where(Publication.tender_code == tender_code).order_by(Publication.id)
    )
    return list(rows)


async def signing_times(session: AsyncSession) -> list[SigningTime]:
    """Award notice → both signatures of every signed contract (never a training tender's)."""
    training = await bidding.training_codes(session)
    rows = await session.scalars(
        select(Contract).where(Contract.signed_at.is_not(None)).order_by(Contract.id)
    )
    out = []
    for row in rows:
        if row.tender_code in training or row.signed_at is None:
            continue
        awarded, signed = as_utc(row.awarded_at), as_utc(row.signed_at)
        out.append(
            SigningTime(
                tender=row.tender_code, lot=row.lot_number, awarded_at=awarded, signed_at=signed,
                days=round((signed - awarded).total_seconds() / 86_400, 2),
            )
        )  # fmt: skip
    return out


async def retender_causes(session: AsyncSession, tender_code: str) -> list[RetenderCause]:
    """The lots whose last contract was refused or lapsed and whose owner chose to tender them again
    (next step ``retender``: no next candidate took the lot), for bidding's re-tender (core/retender_port)."""
    last: dict[str, Contract] = {}
    for row in await session.scalars(
        select(Contract).where(Contract.tender_code == tender_code).order_by(Contract.id)
    ):
        last[row.lot_number] = row
    return [
        RetenderCause(
            lot=lot,
            zh=f"{'合同被拒签' if refused else '合同逾期未订立'}，招标人决定重新招标",
            en=f"the contract {'was refused' if refused else 'lapsed unsigned'}; the tenderer decided to "
            "tender it again",
            basis=NEXT_CANDIDATE,
        )
        for lot, row in sorted(last.items())
        if row.next_step == "retender" and row.status in (Status.REFUSED, Status.LAPSED)
        for refused in [row.status is Status.REFUSED]
    ]
