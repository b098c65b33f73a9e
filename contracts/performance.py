"""Performance (履约): milestones and the final evaluation of the supplier (poor raises B10)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from contracts import rules
from contracts.common import (
    audit_data,
    centre_today,
    checked_text,
    contract_row,
    contract_view,
    deduct_credit,
    publish_snapshot,
    require_owner,
)
from contracts.events import (
    CONTRACT_EVALUATED,
    CONTRACT_MILESTONE_MET,
    CONTRACT_MILESTONE_RECORDED,
)
from contracts.models import Contract, Milestone
from contracts.rules import Party, Rating, Status
from contracts.views import (
    ContractOut,
    MilestoneIn,
    PerformanceIn,
)
from core.accounts import Principal
from core.errors import Conflict, InvalidInput, NotFound
from core.runtime import Runtime

# --- performance (履约) ----------------------------------------------------------------------------------


async def _performing(session: AsyncSession, principal: Principal, contract_id: int) -> Contract:
    row = await contract_row(session, contract_id, lock=True)
    await require_owner(session, principal, row)
    if row.status is not Status.SIGNED:
        raise Conflict("合同签订后、履约评价前才能记录履约 (only a signed contract in performance)",
                       code="wrong_state")  # fmt: skip
    return row


async def add_milestone(
    session: AsyncSession, runtime: Runtime, principal: Principal, contract_id: int, data: MilestoneIn
) -> ContractOut:
    row = await _performing(session, principal, contract_id)
    title = checked_text(data.title, "履约节点")
    if len(title) > 200:
        raise InvalidInput(
            "履约节点名称200字以内 (a milestone title is at most 200 characters)", code="bad_text"
        )
    m = Milestone(
        contract_id=row.id, title=title, description=checked_text(data.description, "说明", required=False),
        due_on=data.due_on, recorded_at=runtime.clock.now(),
    )  # fmt: skip
    session.add(m)
    await session.flush()
    await runtime.audit.append(
        session, CONTRACT_MILESTONE_RECORDED, actor=principal.actor, subject=f"tender:{row.tender_code}",
        data=audit_data(row, milestone=m.id, title=title, due_on=data.due_on.isoformat()),
    )  # fmt: skip
    await publish_snapshot(session, runtime, row)
    return await contract_view(session, runtime, row, principal)


async def milestone_met(
    session: AsyncSession, runtime: Runtime, principal: Principal, contract_id: int, milestone_id: int
) -> ContractOut:
    row = await _performing(session, principal, contract_id)
    m = await session.get(Milestone, milestone_id)
    if m is None or m.contract_id != row.id:
        raise NotFound("没有这个履约节点 (no such milestone)", code="unknown_milestone")
    if m.met_on is not None:
        raise Conflict("该节点已完成 (the milestone is already met)", code="already_met")
    m.met_on = centre_today(runtime)
    await runtime.audit.append(
        session, CONTRACT_MILESTONE_MET, actor=principal.actor, subject=f"tender:{row.tender_code}",
        data=audit_data(row, milestone=m.id, met_on=m.met_on.isoformat(), late=m.met_on > m.due_on),
    )  # fmt: skip
    await publish_snapshot(session, runtime, row)
    return await contract_view(session, runtime, row, principal)


async def evaluate_performance(
    session: AsyncSession, runtime: Runtime, principal: Principal, contract_id: int, data: PerformanceIn
) -> ContractOut:
    """The final performance evaluation; the contract is completed. Poor raises B10 on the supplier."""
    row = await _performing(session, principal, contract_id)
    comment = checked_text(data.comment, "评价说明", required=data.rating is Rating.POOR)
    row.rating, row.rating_comment, row.rated_at = data.rating, comment, runtime.clock.now()
    row.status = Status.COMPLETED
    await runtime.audit.append(
        session, CONTRACT_EVALUATED, actor=principal.actor, subject=f"tender:{row.tender_code}",
        data=audit_data(row, rating=data.rating.value, comment=comment),
    )  # fmt: skip
    if data.rating is Rating.POOR:
        await deduct_credit(session, runtime, row, Party.SUPPLIER, rules.PERFORMANCE_POOR,
                      f"{row.tender_code} 标段{row.lot_number} 履约评价不合格：{comment}")  # fmt: skip
    await publish_snapshot(session, runtime, row)
    return await contract_view(session, runtime, row, principal)
