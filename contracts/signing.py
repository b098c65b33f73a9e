"""Opening the contract after the award, the owner's terms, both signatures, refusal and lapse (B04/T04),
and the next step after them: the next candidate (Art. 55) or a new tender."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from cryptography.exceptions import InvalidSignature
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding import service as bidding
from contracts import hooks, rules
from contracts.common import (
    audit_data,
    checked_text,
    contract_row,
    contract_view,
    day_seconds,
    deduct_credit,
    org_row,
    org_with_code,
    party_of,
    publish_snapshot,
    redraw_document,
    require_owner,
    rule_conflict,
    signed_parties,
)
from contracts.events import (
    CONTRACT_DRAFTED,
    CONTRACT_LAPSED,
    CONTRACT_NEXT_CANDIDATE,
    CONTRACT_OPENED,
    CONTRACT_PARTY_SIGNED,
    CONTRACT_REFUSED,
    CONTRACT_RETENDER,
    CONTRACT_SIGNED,
)
from contracts.models import Contract
from contracts.rules import Party, RuleError, Status
from contracts.views import (
    ContractOut,
    Draft,
)
from core.accounts import Principal
from core.clock import as_utc
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.runtime import Runtime
from crypto.signing import SigningError, public_key_from_text
from evaluation import service as evaluation

# --- opening the contract after the award ---------------------------------------------------------


async def open_contract(
    session: AsyncSession, runtime: Runtime, tender_code: str, lot: str, *, in_period_only: bool = False
) -> Contract:
    """The lot's current contract, opened from its award notice if there is none yet (idempotent).
    ``in_period_only``: refuse (``signing_period_over``) to open one whose 30 days are already over, so
    that awards made before this context existed never lapse into deductions at once."""
    found = await session.scalar(
        select(Contract)
        .where(Contract.tender_code == tender_code, Contract.lot_number == lot)
        .order_by(Contract.id.desc())
        .limit(1)
    )
    if found is not None:
        return found
    ev = await evaluation.get_evaluation(session, f"{tender_code}-{lot}")
    if ev.award_notice_id is None or ev.winner_code is None:
        raise Conflict("标段尚未定标 (the lot is not awarded yet)", code="not_awarded")
    notice = await session.get(bidding.Notice, ev.award_notice_id)
    if notice is None:
        raise Conflict("中标结果公告不存在 (no award notice)", code="not_awarded")
    awards = (notice.data or {}).get("awards") or []
    award = next((a for a in awards if str(a.get("lot")) == lot), None)
    candidates = (ev.report_facts or {}).get("candidates") or []
    rank = next((int(c["rank"]) for c in candidates if c.get("credit_code") == ev.winner_code), 1)
    price = award.get("price") if award else None
    awarded_at = as_utc(notice.published_at)
    if in_period_only:
        try:
            due = rules.signing_due(awarded_at, await day_seconds(session, tender_code))
            rules.check_signing_time(runtime.clock.now(), due)
        except RuleError as error:
            raise rule_conflict(error) from None
    if price is None:
        price = next((c.get("price") for c in candidates if c.get("credit_code") == ev.winner_code), None)
    return await _new_contract(
        session,
        runtime,
        tender_code,
        lot,
        ev.winner_code,
        rank,
        price,
        notice.id,
        awarded_at,
    )


async def _new_contract(
    session: AsyncSession,
    runtime: Runtime,
    tender_code: str,
    lot: str,
    supplier_code: str,
    rank: int,
    price: Any,
    notice_id: int,
    awarded_at: datetime,
) -> Contract:
    tender = await bidding.tender_by_code(session, tender_code)
    supplier = await org_with_code(session, supplier_code)
    try:
        amount = Decimal(str(price)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise Conflict("中标价无法读取 (the award price is unreadable)", code="bad_award") from None
    row = Contract(
        tender_code=tender.code,
        lot_number=lot,
        tenderer_id=tender.tenderer_id,
        supplier_id=supplier.id,
        candidate_rank=rank,
        amount=amount,
        terms="",
        publish_document=bool((tender.rules or {}).get("publish_contract_document", False)),
        award_notice_id=notice_id,
        awarded_at=awarded_at,
        due_at=rules.signing_due(awarded_at, await day_seconds(session, tender.code)),
        document={},
        digest="",
        status=Status.PENDING,
        created_at=runtime.clock.now(),
    )
    session.add(row)
    await session.flush()
    await redraw_document(session, row)
    await runtime.audit.append(
        session, CONTRACT_OPENED, actor="system", subject=f"tender:{tender.code}",
        data=audit_data(row, supplier=supplier.credit_code, rank=rank,
                         due_at=as_utc(row.due_at).isoformat(), basis=rules.SIGNING.basis),
    )  # fmt: skip
    return row


async def open_awarded(session: AsyncSession, runtime: Runtime, limit: int = 200) -> int:
    """Open the contract of every lot awarded within the signing period that has none (the job's first
    half); how many it opened."""
    since = runtime.clock.now() - timedelta(days=rules.SIGNING.days + 2)
    page = await bidding.list_notices(session, bidding.NoticeFilter(kind="award", since=since), limit=limit)
    opened = 0
    for notice, tender in page.rows:
        for award in (notice.data or {}).get("awards") or []:
            lot = str(award.get("lot", "1"))
            exists = await session.scalar(
                select(Contract.id).where(Contract.tender_code == tender.code, Contract.lot_number == lot)
            )
            if exists is None:
                try:
                    await open_contract(session, runtime, tender.code, lot, in_period_only=True)
                except (NotFound, Conflict):
                    continue  # no evaluation behind the award (imported data), or its period is over
                opened += 1
    return opened


# --- the owner's terms ------------------------------------------------------------------------------


async def draft(
    session: AsyncSession, runtime: Runtime, principal: Principal, contract_id: int, data: Draft
) -> ContractOut:
    """Terms, performance bond and publication of the document, while nobody has signed."""
    row = await contract_row(session, contract_id, lock=True)
    await require_owner(session, principal, row)
    if row.status is not Status.PENDING:
        raise Conflict("合同已结束签订 (the contract is no longer being signed)", code="wrong_state")
    if signed_parties(row):
        raise Conflict(
            "已有一方签署，合同文本不能再修改 (a party has signed: the document can no longer change)",
            code="already_signed",
        )
    bond = data.performance_bond.quantize(Decimal("0.01")) if data.performance_bond is not None else None
    try:
        rules.check_performance_bond(bond, row.amount)
    except RuleError as error:
        raise InvalidInput(error.detail, code=error.code) from None
    row.terms = checked_text(data.terms, "合同条款", required=False)
    row.performance_bond = bond
    row.publish_document = data.publish_document
    await redraw_document(session, row)
    await runtime.audit.append(
        session, CONTRACT_DRAFTED, actor=principal.actor, subject=f"tender:{row.tender_code}",
        data=audit_data(row, performance_bond=None if bond is None else f"{bond:.2f}",
                         bond_basis=rules.PERFORMANCE_BOND.basis),
    )  # fmt: skip
    return await contract_view(session, runtime, row, principal)


# --- signing and refusing ------------------------------------------------------------------------------


def _verify(key_text: str, digest: str, signature_b64: str) -> None:
    try:
        key = public_key_from_text(key_text)
    except SigningError:
        raise Conflict("本单位登记的签名公钥不可用 (the company's registered key is unusable)",
                       code="no_signing_key") from None  # fmt: skip
    try:
        signature = base64.b64decode((signature_b64 or "").strip(), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(
            "签名不是有效的 base64 (the signature is not base64)", code="bad_signature"
        ) from None
    try:
        key.verify(signature, rules.signing_message(digest))
    except (InvalidSignature, ValueError):
        raise InvalidInput(
            "签名与合同文本或本单位登记的公钥不符 (the signature does not match the contract under the "
            "company's registered key)",
            code="bad_signature",
        ) from None


async def sign(
    session: AsyncSession, runtime: Runtime, principal: Principal, contract_id: int, signature: str
) -> ContractOut:
    """The caller signs for its side with its company's registered key, within the period (Art. 46)."""
    row = await contract_row(session, contract_id, lock=True)
    party = party_of(principal, row)
    if party is None:
        raise PermissionDenied("只有合同当事人可以签署 (only the parties sign)")
    if row.status is not Status.PENDING:
        raise Conflict("合同不在签订中 (the contract is not open for signing)", code="wrong_state")
    if party in signed_parties(row):
        raise Conflict("本方已签署 (your side has signed)", code="already_signed")
    now = runtime.clock.now()
    try:
        rules.check_signing_time(now, as_utc(row.due_at))
    except RuleError as error:
        raise rule_conflict(error) from None
    org = await org_row(session, principal.organisation_id or 0)
    if not org.signing_key:
        raise Conflict(
            "本单位尚未登记签名公钥（sunbid bid signing-key --register）(the company has no registered key)",
            code="no_signing_key",
        )
    _verify(org.signing_key, row.digest, signature)
    if party is Party.TENDERER:
        row.tenderer_signature, row.tenderer_key, row.tenderer_signed_at = (
            signature.strip(),
            org.signing_key,
            now,
        )
    else:
        row.supplier_signature, row.supplier_key, row.supplier_signed_at = (
            signature.strip(),
            org.signing_key,
            now,
        )
    await runtime.audit.append(
        session, CONTRACT_PARTY_SIGNED, actor=principal.actor, subject=f"tender:{row.tender_code}",
        data=audit_data(row, party=party.value, key=org.signing_key, signature=signature.strip()),
    )  # fmt: skip
    if signed_parties(row) == set(Party):
        row.status, row.signed_at = Status.SIGNED, now
        await runtime.audit.append(
            session, CONTRACT_SIGNED, actor=principal.actor, subject=f"tender:{row.tender_code}",
            data=audit_data(row, awarded_at=as_utc(row.awarded_at).isoformat(), signed_at=now.isoformat()),
        )  # fmt: skip
        await publish_snapshot(session, runtime, row)
        await hooks.after_signed(session, runtime, row)
    return await contract_view(session, runtime, row, principal)


async def _end(
    session: AsyncSession, runtime: Runtime, row: Contract, status: Status, faulted: list[Party], why: str
) -> None:
    row.status, row.ended_at = status, runtime.clock.now()
    for party in faulted:
        await deduct_credit(session, runtime, row, party, rules.refusal_event(party),
                      f"{row.tender_code} 标段{row.lot_number}: {why}")  # fmt: skip
        await hooks.after_refusal(session, runtime, row, party)


async def refuse(
    session: AsyncSession, runtime: Runtime, principal: Principal, contract_id: int, reason: str
) -> ContractOut:
    """A party refuses to sign: the contract ends and its side is deducted (B04 winner, T04 tenderer)."""
    reason = checked_text(reason, "拒签理由")
    row = await contract_row(session, contract_id, lock=True)
    party = party_of(principal, row)
    if party is None:
        raise PermissionDenied("只有合同当事人可以拒签 (only the parties may refuse)")
    if row.status is not Status.PENDING:
        raise Conflict("合同不在签订中 (the contract is not open for signing)", code="wrong_state")
    row.refused_by, row.refusal_reason = party, reason
    await _end(session, runtime, row, Status.REFUSED, [party], f"拒绝签订合同：{reason}")
    await runtime.audit.append(
        session, CONTRACT_REFUSED, actor=principal.actor, subject=f"tender:{row.tender_code}",
        data=audit_data(row, party=party.value, reason=reason, basis=rules.NEXT_CANDIDATE),
    )  # fmt: skip
    return await contract_view(session, runtime, row, principal)


async def lapse_overdue(session: AsyncSession, runtime: Runtime) -> int:
    """End every pending contract whose period has run out; each party that had not signed is deducted."""
    now = runtime.clock.now()
    rows = list(
        await session.scalars(
            select(Contract)
            .where(Contract.status == Status.PENDING, Contract.due_at <= now)
            .with_for_update()
        )
    )
    for row in rows:
        faulted = rules.faulted_parties(signed_parties(row))
        await _end(session, runtime, row, Status.LAPSED, faulted,
                   f"中标通知书发出之日起{rules.SIGNING.days}日内未订立合同")  # fmt: skip
        await runtime.audit.append(
            session, CONTRACT_LAPSED, actor="system", subject=f"tender:{row.tender_code}",
            data=audit_data(row, unsigned=[p.value for p in faulted], due_at=as_utc(row.due_at).isoformat(),
                             basis=rules.SIGNING.basis),
        )  # fmt: skip
    return len(rows)


# --- after a refusal or a lapse: the next candidate (Art. 55) or a new tender ------------------------


async def _ended_for_next(session: AsyncSession, principal: Principal, contract_id: int) -> Contract:
    row = await contract_row(session, contract_id, lock=True)
    await require_owner(session, principal, row)
    if row.status not in (Status.REFUSED, Status.LAPSED):
        raise Conflict(
            "合同未被拒签或逾期 (the contract was not refused and did not lapse)", code="wrong_state"
        )
    if row.next_step is not None:
        raise Conflict("已决定后续处理 (the next step is already decided)", code="already_decided")
    return row


def _ended_why(row: Contract) -> str:
    """Why the contract with the first winner was not concluded, as the new award notice says it."""
    if row.status is Status.LAPSED:
        return f"中标通知书发出之日起{rules.SIGNING.days}日内未订立合同"
    side = "中标人" if row.refused_by is Party.SUPPLIER else "招标人"
    return f"{side}拒绝签订合同"


async def award_next(
    session: AsyncSession, runtime: Runtime, principal: Principal, contract_id: int
) -> ContractOut:
    """Award the lot to the next candidate in the committee's order (Art. 55): a new award notice
    (evaluation publishes it; the first award is cancelled in open data), a new contract, a new clock."""
    row = await _ended_for_next(session, principal, contract_id)
    ev = await evaluation.get_evaluation(session, f"{row.tender_code}-{row.lot_number}")
    candidates = sorted((ev.report_facts or {}).get("candidates") or [], key=lambda c: int(c["rank"]))
    following = [c for c in candidates if int(c["rank"]) > row.candidate_rank]
    if not following:
        raise Conflict(
            f"没有排名更后的中标候选人，可依法重新招标（{rules.NEXT_CANDIDATE}）"
            "(no further candidate: tender again)",
            code="no_next_candidate",
        )
    nxt = following[0]
    row.next_step = "next_candidate"
    first = await org_row(session, row.supplier_id)
    awarded = await evaluation.award_next(
        session, runtime, principal, f"{row.tender_code}-{row.lot_number}", nxt["credit_code"],
        replaced=first.credit_code, reason=_ended_why(row),
    )  # fmt: skip
    new = await _new_contract(
        session, runtime, row.tender_code, row.lot_number, nxt["credit_code"], int(nxt["rank"]), nxt["price"],
        awarded.notice, runtime.clock.now(),
    )  # fmt: skip
    await runtime.audit.append(
        session, CONTRACT_NEXT_CANDIDATE, actor=principal.actor, subject=f"tender:{row.tender_code}",
        data=audit_data(new, previous=row.id, rank=new.candidate_rank, supplier=nxt["credit_code"],
                         basis=rules.NEXT_CANDIDATE),
    )  # fmt: skip
    return await contract_view(session, runtime, new, principal)


async def retender(
    session: AsyncSession, runtime: Runtime, principal: Principal, contract_id: int
) -> ContractOut:
    """Record that the lot will be tendered again instead (Art. 55)."""
    row = await _ended_for_next(session, principal, contract_id)
    row.next_step = "retender"
    await hooks.after_retender(session, runtime, row)
    await runtime.audit.append(
        session, CONTRACT_RETENDER, actor=principal.actor, subject=f"tender:{row.tender_code}",
        data=audit_data(row, basis=rules.NEXT_CANDIDATE),
    )  # fmt: skip
    return await contract_view(session, runtime, row, principal)
