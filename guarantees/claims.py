"""Claims on guarantees: the tenderer files, the issuing guarantor answers."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding import service as bidding
from core.accounts import Principal
from core.clock import as_utc, format_minute
from core.contract_port import contract_standing
from core.errors import Conflict, NotFound, PermissionDenied
from core.roles import Role
from core.runtime import Runtime
from guarantees import rules
from guarantees.common import (
    CLAIMED,
    PAID,
    STATUS_WORDS,
    VALID,
    bad,
    by_number,
)
from guarantees.events import (
    GUARANTEE_CLAIM_ANSWERED,
    GUARANTEE_CLAIM_FILED,
)
from guarantees.models import Claim, Guarantee
from guarantees.views import ClaimOut

PENDING_CONTRACT = "pending"  # the contract port's status while the signing period runs

# --- claims ---------------------------------------------------------------------------------------


def _claim_out(row: Claim, number: str) -> ClaimOut:
    _zh, _en, rule = rules.CLAIM_REASONS[row.reason]
    return ClaimOut(
        id=row.id,
        guarantee=number,
        reason=row.reason,
        basis=rule.article,
        detail=row.detail,
        amount=row.amount,
        filed_at=as_utc(row.filed_at),
        accepted=row.accepted,
        answer=row.answer,
        answered_at=as_utc(row.answered_at) if row.answered_at else None,
        pending=row.accepted is None,
    )


def _text(value: str) -> str:
    value = (value or "").strip()
    if not 1 <= len(value) <= 2000:
        raise bad("说明不能为空（2000字以内）(the text is 1-2000 characters)", "bad_text")
    return value


async def _check_grounds(session: AsyncSession, row: Guarantee, reason: str) -> None:
    """A bid guarantee is claimed only on its statutory ground, against the bidder it secures: the
    winner of the lot (or the candidate awarded after it) that refused to sign or let the signing
    period run out without signing (Art. 74), or a bidder whose bid was revoked after the deadline
    (撤销, Art. 35). Anything else is refused, the rule named."""
    rule = rules.CLAIM_REASONS[reason][2]
    basis = f"{rule.zh}（{rule.article}）"
    if reason == rules.WITHDREW:
        bids = await bidding.bids_at_opening(session, [row.tender_code])
        if not any(
            b.revoked and b.lot_number == row.lot_number and b.organisation_id == row.bidder_id for b in bids
        ):
            raise Conflict(
                f"{basis}：该投标人未在投标截止后撤销投标文件，不能以此为由索赔 "
                "(a claim for a bid withdrawn after the deadline lies only against a bidder whose bid was "
                "revoked at the opening; this bidder's was not)",
                code="not_withdrawn",
            )
        return
    port = contract_standing()
    standing = None
    if port is not None:
        standing = await port.supplier_standing(session, row.tender_code, row.lot_number, row.bidder_id)
    if standing is None:
        raise Conflict(
            f"{basis}：该投标人不是本标段的中标人，不能以拒签合同为由索赔 "
            "(a claim for refusing to sign lies only against the winner of the lot, or the candidate "
            "awarded after it; this bidder was not awarded the lot)",
            code="not_the_winner",
        )
    if standing.status == PENDING_CONTRACT:
        raise Conflict(
            f"{basis}：中标人的合同签订期限尚未届满（至 {format_minute(standing.due_at)} 北京时间），"
            "且未拒签，暂不能索赔 (the winner is still within its signing period, until "
            f"{format_minute(standing.due_at)} Beijing time, and has not refused: no claim yet)",
            code="signing_period_open",
        )
    if not standing.supplier_failed:
        raise Conflict(
            f"{basis}：中标人未拒签合同（合同已签订，或因招标人原因未签订），不能以拒签为由索赔 "
            "(the winner did not refuse: the contract was signed, or it went unsigned through the "
            "tenderer's fault)",
            code="not_refused",
        )


async def file_claim(
    session: AsyncSession, runtime: Runtime, principal: Principal, number: str, reason: str, detail: str
) -> ClaimOut:
    """The tender's tenderer or agent claims on a guarantee: on a bid guarantee, the winner refused to
    sign or the bidder withdrew after the deadline (checked against the contract and the opening:
    ``_check_grounds``); on a performance guarantee, the supplier failed to perform. Only after the
    deadline, once per guarantee."""
    if reason not in rules.CLAIM_REASONS:
        raise bad(f"索赔事由应为 {', '.join(rules.CLAIM_REASONS)}", "bad_reason")
    detail = _text(detail)
    row = await by_number(session, number)
    if reason not in rules.REASONS_FOR[row.purpose]:
        raise bad(
            f"{rules.PURPOSES[row.purpose][0]}的索赔事由应为 {', '.join(rules.REASONS_FOR[row.purpose])} "
            f"(a {rules.PURPOSES[row.purpose][1]} is claimed for "
            f"{', '.join(rules.REASONS_FOR[row.purpose])})",
            "bad_reason",
        )
    tender = await bidding.tender_by_code(session, row.tender_code)
    if not bidding.is_owner(principal, tender):
        raise PermissionDenied("只有本项目的招标人或代理机构可以索赔 (only the tender's tenderer or agent)")
    if runtime.clock.now() < as_utc(tender.bid_deadline):
        raise Conflict("投标截止前不能索赔 (no claim before the bid deadline)", code="before_deadline")
    if row.status != VALID:
        raise Conflict(
            f"保函状态为{STATUS_WORDS[row.status][0]}，不能再索赔 (already claimed)", code="already_claimed"
        )
    if row.purpose == rules.BID:
        await _check_grounds(session, row, reason)
    now = runtime.clock.now()
    claim = Claim(
        guarantee_id=row.id,
        reason=reason,
        detail=detail,
        amount=row.amount,
        filed_at=now,
        filed_by=principal.user_id,
    )
    session.add(claim)
    row.status = CLAIMED
    await session.flush()
    await runtime.audit.append(
        session,
        GUARANTEE_CLAIM_FILED,
        actor=principal.actor,
        subject=f"guarantee:{row.number}",
        data={
            "claim": claim.id,
            "reason": reason,
            "amount": str(row.amount),
            "basis": rules.CLAIM_REASONS[reason][2].article,
        },
    )
    return _claim_out(claim, row.number)


async def answer_claim(
    session: AsyncSession, runtime: Runtime, principal: Principal, claim_id: int, accepted: bool, answer: str
) -> ClaimOut:
    """The issuing guarantor pays (accepted) or refuses with its reasons (the guarantee is valid again)."""
    answer = _text(answer)
    claim = await session.get(Claim, claim_id, with_for_update=True)
    if claim is None:
        raise NotFound("没有这项索赔 (no such claim)", code="no_claim")
    row = await session.get(Guarantee, claim.guarantee_id)
    assert row is not None
    if principal.organisation_id != row.guarantor_id:
        raise PermissionDenied("只有出具该保函的担保机构可以答复 (only the issuing guarantor answers)")
    if claim.accepted is not None:
        raise Conflict("这项索赔已答复 (already answered)", code="already_answered")
    claim.accepted, claim.answer, claim.answered_at = accepted, answer, runtime.clock.now()
    claim.answered_by = principal.user_id
    row.status = PAID if accepted else VALID
    await runtime.audit.append(
        session,
        GUARANTEE_CLAIM_ANSWERED,
        actor=principal.actor,
        subject=f"guarantee:{row.number}",
        data={"claim": claim.id, "accepted": accepted, "answer": answer},
    )
    return _claim_out(claim, row.number)


async def claims_for(session: AsyncSession, principal: Principal) -> list[ClaimOut]:
    """Claims the caller may see: supervisors all, a guarantor those on its guarantees, a tenderer or
    agent those on its tenders; pending first."""
    query = select(Claim, Guarantee.number).join(Guarantee, Guarantee.id == Claim.guarantee_id)
    if Role.SUPERVISOR not in principal.roles:
        if Role.GUARANTOR in principal.roles:
            query = query.where(Guarantee.guarantor_id == (principal.organisation_id or -1))
        else:
            query = query.where(Guarantee.tender_code.in_(bidding.owned_tender_codes(principal)))
    rows = await session.execute(query.order_by(Claim.accepted.is_not(None), Claim.id.desc()))
    return [_claim_out(claim, number) for claim, number in rows]
