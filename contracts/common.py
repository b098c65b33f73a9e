"""What the contracts' use cases share: lookups, who the caller is to a contract, the document and its
digest, the view, the audit data, the public snapshot and the credit deduction."""

from __future__ import annotations

import base64
from datetime import date
from decimal import Decimal
from typing import Any, cast

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding import service as bidding
from catalog import service as catalog
from contracts import rules
from contracts.models import Contract, Milestone, Publication
from contracts.rules import Party, RuleError, Status
from contracts.views import ContractDocument, ContractOut, DocumentParty, DocumentTender, MilestoneOut
from core.accounts import Principal
from core.clock import as_utc
from core.credit_port import credit
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.models import Organisation
from core.roles import Role
from core.runtime import Runtime

MAX_TEXT = 4000
OPEN_STATES = (Status.PENDING,)


def rule_conflict(error: RuleError) -> Conflict:
    return Conflict(error.detail, code=error.code)


def checked_text(value: str, what: str, *, required: bool = True) -> str:
    value = (value or "").strip()
    if len(value) > MAX_TEXT or (required and not value):
        raise InvalidInput(f"{what}不能为空（{MAX_TEXT}字以内）(1-{MAX_TEXT} characters)", code="bad_text")
    return value


async def org_row(session: AsyncSession, org_id: int) -> Organisation:
    org = await session.get(Organisation, org_id)
    if org is None:
        raise NotFound("没有这个单位 (no such organisation)", code="unknown_organisation")
    return org


async def org_with_code(session: AsyncSession, credit_code: str) -> Organisation:
    org = await session.scalar(select(Organisation).where(Organisation.credit_code == credit_code))
    if org is None:
        raise NotFound(f"单位 {credit_code} 未注册 (not registered)", code="unknown_organisation")
    return org


def party_of(principal: Principal, contract: Contract) -> Party | None:
    org = principal.organisation_id
    if org is None:
        return None
    if Role.TENDERER in principal.roles and org == contract.tenderer_id:
        return Party.TENDERER
    if Role.BIDDER in principal.roles and org == contract.supplier_id:
        return Party.SUPPLIER
    return None


async def owns_tender(session: AsyncSession, principal: Principal, contract: Contract) -> bool:
    return bidding.is_owner(principal, await bidding.tender_by_code(session, contract.tender_code))


async def require_owner(session: AsyncSession, principal: Principal, contract: Contract) -> None:
    if not await owns_tender(session, principal, contract):
        raise PermissionDenied(
            "只有本项目的招标人或代理机构可以办理 (only the tender's tenderer or agent may do this)"
        )


async def contract_row(session: AsyncSession, contract_id: int, *, lock: bool = False) -> Contract:
    row = await session.get(Contract, contract_id, with_for_update=lock)
    if row is None:
        raise NotFound("没有这份合同 (no such contract)", code="unknown_contract")
    return row


async def day_seconds(session: AsyncSession, code: str) -> int:
    return int((await bidding.statutory_day(session, code)).total_seconds())


def signed_parties(row: Contract) -> set[Party]:
    parties = set()
    if row.tenderer_signature:
        parties.add(Party.TENDERER)
    if row.supplier_signature:
        parties.add(Party.SUPPLIER)
    return parties


async def document_of(session: AsyncSession, row: Contract) -> dict[str, Any]:
    tender = await bidding.tender_by_code(session, row.tender_code)
    buyer, supplier = await org_row(session, row.tenderer_id), await org_row(session, row.supplier_id)
    document = ContractDocument(
        type=rules.DOCUMENT_TYPE,
        tender=DocumentTender(code=tender.code, title=tender.title, lot=row.lot_number),
        buyer=DocumentParty(name=buyer.name, credit_code=buyer.credit_code),
        supplier=DocumentParty(name=supplier.name, credit_code=supplier.credit_code),
        candidate_rank=row.candidate_rank,
        amount=f"{row.amount:.2f}",
        currency="CNY",
        performance_bond=None if row.performance_bond is None else f"{row.performance_bond:.2f}",
        award_notice=row.award_notice_id,
        awarded_at=as_utc(row.awarded_at).isoformat(),
        terms=row.terms,
    )
    return cast(dict[str, Any], msgspec.to_builtins(document))


async def redraw_document(session: AsyncSession, row: Contract) -> None:
    row.document = await document_of(session, row)
    row.digest = rules.document_digest(row.document)


def milestone_view(m: Milestone, today: date) -> MilestoneOut:
    status = "met" if m.met_on else ("late" if today > m.due_on else "scheduled")
    return MilestoneOut(
        id=m.id, title=m.title, description=m.description, due_on=m.due_on, met_on=m.met_on, status=status
    )


async def milestones_of(session: AsyncSession, contract_id: int) -> list[Milestone]:
    rows = await session.scalars(
        select(Milestone).where(Milestone.contract_id == contract_id).order_by(Milestone.due_on, Milestone.id)
    )
    return list(rows)


def centre_today(runtime: Runtime) -> date:
    from core.clock import CENTRE_TZ

    return runtime.clock.now().astimezone(CENTRE_TZ).date()


async def contract_view(
    session: AsyncSession, runtime: Runtime, row: Contract, principal: Principal | None
) -> ContractOut:
    tender = await bidding.tender_by_code(session, row.tender_code)
    buyer, supplier = await org_row(session, row.tenderer_id), await org_row(session, row.supplier_id)
    due = as_utc(row.due_at)
    warning = catalog.warning_level(
        "processing" if row.status in OPEN_STATES else "done",
        as_utc(row.awarded_at), due, runtime.clock.now(), rules.WARNING_SHARE,
    )  # fmt: skip
    limit = (row.amount * rules.PERFORMANCE_BOND.share).quantize(Decimal("0.01"))
    today = centre_today(runtime)
    return ContractOut(
        id=row.id,
        tender=row.tender_code,
        tender_title=tender.title,
        lot=row.lot_number,
        buyer=buyer.name,
        buyer_code=buyer.credit_code,
        supplier=supplier.name,
        supplier_code=supplier.credit_code,
        candidate_rank=row.candidate_rank,
        amount=row.amount,
        performance_bond=row.performance_bond,
        bond_limit=limit,
        terms=row.terms,
        publish_document=row.publish_document,
        awarded_at=as_utc(row.awarded_at),
        due_at=due,
        basis=rules.SIGNING.basis,
        digest=row.digest,
        message=base64.b64encode(rules.signing_message(row.digest)).decode("ascii"),
        status=row.status,
        warning=warning,
        tenderer_signed_at=as_utc(row.tenderer_signed_at) if row.tenderer_signed_at else None,
        supplier_signed_at=as_utc(row.supplier_signed_at) if row.supplier_signed_at else None,
        signed_at=as_utc(row.signed_at) if row.signed_at else None,
        refused_by=row.refused_by,
        refusal_reason=row.refusal_reason,
        next_step=row.next_step,
        milestones=[milestone_view(m, today) for m in await milestones_of(session, row.id)],
        rating=row.rating,
        rating_comment=row.rating_comment,
        my_party=party_of(principal, row) if principal else None,
        may_manage=principal is not None and await owns_tender(session, principal, row),
    )


def audit_data(row: Contract, **extra: Any) -> dict[str, Any]:
    return {
        "contract": row.id,
        "lot": row.lot_number,
        "amount": f"{row.amount:.2f}",
        "digest": row.digest,
        **extra,
    }


async def publish_snapshot(session: AsyncSession, runtime: Runtime, row: Contract) -> None:
    """A snapshot of what is public of the signed contract now (one OCDS release)."""
    buyer, supplier = await org_row(session, row.tenderer_id), await org_row(session, row.supplier_id)
    today = centre_today(runtime)
    facts = {
        "contract": row.id,
        "lot": row.lot_number,
        "status": row.status.value,
        "buyer": {"name": buyer.name, "credit_code": buyer.credit_code},
        "supplier": {"name": supplier.name, "credit_code": supplier.credit_code},
        "amount": f"{row.amount:.2f}",
        "performance_bond": None if row.performance_bond is None else f"{row.performance_bond:.2f}",
        "awarded_at": as_utc(row.awarded_at).isoformat(),
        "signed_at": as_utc(row.signed_at).isoformat() if row.signed_at else None,
        "digest": row.digest,
        "document": row.document if row.publish_document else None,
        "milestones": [
            msgspec.to_builtins(milestone_view(m, today)) for m in await milestones_of(session, row.id)
        ],
        "rating": row.rating.value if row.rating else None,
        "rated_at": as_utc(row.rated_at).isoformat() if row.rated_at else None,
    }
    session.add(
        Publication(
            contract_id=row.id, tender_code=row.tender_code, published_at=runtime.clock.now(), facts=facts
        )
    )


async def deduct_credit(
    session: AsyncSession, runtime: Runtime, row: Contract, party: Party, event: str, evidence: str
) -> None:
    port = credit()
    if port is None or await bidding.is_training(session, row.tender_code):
        return  # no credit installed, or a training tender: nothing reaches the index
    org = await org_row(session, row.supplier_id if party is Party.SUPPLIER else row.tenderer_id)
    await port.record_event_deduction(
        session, runtime, event=event, kind="bidder" if party is Party.SUPPLIER else "tenderer",
        key=org.credit_code, evidence=evidence, source_ref=f"contract:{row.id}",
    )  # fmt: skip
