"""Cash deposits: recorded by the centre, refunded 5 days after the contract (Art. 57), forfeited
(Art. 74); and the statistics of how bids were secured."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding import service as bidding
from catalog import service as catalog
from core.accounts import Principal
from core.audit import seal
from core.clock import as_utc
from core.credit_code import CreditCodeText
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.models import Organisation
from core.organisations import OrgKind, find_by_credit_code
from core.roles import Role
from core.runtime import Runtime
from core.texts import PositiveMoneyText
from guarantees import rules
from guarantees.common import (
    FORFEITED,
    HELD,
    REFUND_DUE,
    REFUNDED,
    bad,
    lot_of,
    money,
    org_name,
)
from guarantees.events import (
    DEPOSIT_FORFEITED,
    DEPOSIT_RECORDED,
    DEPOSIT_REFUND_SCHEDULED,
    DEPOSIT_REFUNDED,
)
from guarantees.issuing import secured_by_guarantee
from guarantees.models import Deposit, Guarantee
from guarantees.rules import RuleBroken
from guarantees.views import BondStatistics, DepositOut, TenderBonds

# --- cash deposits --------------------------------------------------------------------------------


class NewDeposit(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A cash deposit the trading centre received for a bidder's bid on a lot."""

    bidder: CreditCodeText
    amount: PositiveMoneyText  # a deposit of nothing secures nothing: 0.01 at the least
    payer_account: Annotated[str, msgspec.Meta(min_length=4, max_length=64, description="4-64 characters")]
    received_at: datetime | None = None  # default: now


def _deposit_out(row: Deposit, bidder: str, now: datetime, *, with_account: bool) -> DepositOut:
    warning = None
    basis = None
    started = row.contract_signed_at or row.ended_at  # the signing (Art. 57) or the end (Art. 31)
    if row.status == REFUND_DUE and row.refund_due_at and started:
        warning = catalog.warning_level(
            "processing",
            as_utc(started),
            as_utc(row.refund_due_at),
            now,
            catalog.DEFAULT_YELLOW_SHARE,
        )
    if row.status in (REFUND_DUE, REFUNDED):
        basis = (
            rules.RELEASE_RULE if row.ended_at and not row.contract_signed_at else rules.REFUND_RULE
        ).article
    elif row.status == FORFEITED:
        basis = rules.FORFEIT_RULE.article
    return DepositOut(
        id=row.id,
        tender=row.tender_code,
        lot=row.lot_number,
        bidder=bidder,
        amount=row.amount,
        received_at=as_utc(row.received_at),
        status=row.status,
        refund_due_at=as_utc(row.refund_due_at) if row.refund_due_at else None,
        refunded_at=as_utc(row.refunded_at) if row.refunded_at else None,
        interest=row.interest,
        warning=warning,
        basis=basis,
        payer_account=row.payer_account if with_account else None,
    )


async def record_deposit(
    session: AsyncSession, runtime: Runtime, principal: Principal, tender_code: str, lot: str, new: NewDeposit
) -> DepositOut:
    tender = await bidding.tender_by_code(session, tender_code)
    found = await lot_of(session, tender, lot)
    amount = money(str(new.amount))
    try:
        rules.check_amount(amount, found.budget)
    except RuleBroken as broken:
        raise InvalidInput(broken.detail, code=broken.rule.code) from None
    account = new.payer_account.strip()
    if not 4 <= len(account) <= 64:
        raise bad("付款账号应为4-64个字符 (the payer's account number)", "bad_account")
    bidder = await find_by_credit_code(session, new.bidder)
    if bidder is None or bidder.kind != OrgKind.BIDDER:
        raise bad(f"投标人 {new.bidder} 未登记 (no such bidder)", "unknown_bidder")
    exists = await session.scalar(
        select(Deposit.id).where(
            Deposit.tender_code == tender.code, Deposit.lot_number == lot, Deposit.bidder_id == bidder.id
        )
    )
    if exists is not None:
        raise Conflict("该投标人本标段的保证金已登记 (already recorded)", code="deposit_recorded")
    now = runtime.clock.now()
    salt = secrets.token_bytes(16)
    row = Deposit(
        tender_code=tender.code,
        lot_number=lot,
        bidder_id=bidder.id,
        amount=amount,
        payer_account=account,
        received_at=as_utc(new.received_at) if new.received_at else now,
        recorded_by=principal.user_id,
        status=HELD,
        seal_salt=salt.hex(),
    )
    session.add(row)
    await session.flush()
    await runtime.audit.append(
        session,
        DEPOSIT_RECORDED,
        actor=principal.actor,
        subject=f"tender:{tender.code}/lot:{lot}",
        data={"deposit": row.id, "sealed_bidder": seal(bidder.credit_code, salt)},
    )
    return _deposit_out(row, bidder.name, now, with_account=True)


async def deposits_of_lot(
    session: AsyncSession, runtime: Runtime, principal: Principal, tender_code: str, lot: str
) -> list[DepositOut]:
    """A lot's deposits: supervisors see the payer accounts; the tender's owners see the deposits
    after the deadline (before it, who paid would name the bidders), without the accounts."""
    tender = await bidding.tender_by_code(session, tender_code)
    supervisor = Role.SUPERVISOR in principal.roles
    now = runtime.clock.now()
    if not supervisor:
        if not bidding.is_owner(principal, tender):
            raise PermissionDenied("只能查看本单位项目的保证金 (only your own tenders)")
        if now < as_utc(tender.bid_deadline):
            raise Conflict(
                "投标截止前不公开保证金缴纳情况 (secret until the bid deadline)", code="before_deadline"
            )
    rows = await session.execute(
        select(Deposit, Organisation.name)
        .join(Organisation, Organisation.id == Deposit.bidder_id)
        .where(Deposit.tender_code == tender.code, Deposit.lot_number == lot)
        .order_by(Deposit.id)
    )
    return [_deposit_out(row, name, now, with_account=supervisor) for row, name in rows]


async def payer_accounts(session: AsyncSession, tender_code: str, lot: str) -> dict[str, list[str]]:
    """The accounts each bidder's cash deposits on a lot were paid from, by the bidder's credit code, for
    the supervisors' collusion indicators (integrity, Art. 40(6)); never shown to anyone else."""
    rows = await session.execute(
        select(Organisation.credit_code, Deposit.payer_account)
        .join(Organisation, Organisation.id == Deposit.bidder_id)
        .where(Deposit.tender_code == tender_code, Deposit.lot_number == lot)
        .order_by(Deposit.id)
    )
    accounts: dict[str, list[str]] = {}
    for code, account in rows:
        accounts.setdefault(code, []).append(account)
    return accounts


async def refund_obligations(session: AsyncSession, runtime: Runtime) -> list[DepositOut]:
    """Every refund due (Art. 57; Art. 31 without a contract), the nearest due first, with its warning
    (supervisors)."""
    rows = await session.execute(
        select(Deposit, Organisation.name)
        .join(Organisation, Organisation.id == Deposit.bidder_id)
        .where(Deposit.status == REFUND_DUE)
        .order_by(Deposit.refund_due_at, Deposit.id)
    )
    now = runtime.clock.now()
    return [_deposit_out(row, name, now, with_account=True) for row, name in rows]


async def schedule_refunds(
    session: AsyncSession,
    tender_code: str,
    lot: str,
    contract_signed_at: datetime,
    *,
    runtime: Runtime | None = None,
) -> list[int]:
    """The contract of ``lot`` is signed: every deposit still held is due for refund with interest 5 days
    later (Art. 57). Called by contracts; idempotent (a deposit already scheduled, refunded or forfeited
    is left alone). Audit-logged when ``runtime`` is given. Returns the deposits scheduled."""
    signed = as_utc(contract_signed_at)
    due = rules.refund_due(signed)
    rows = list(
        await session.scalars(
            select(Deposit).where(
                Deposit.tender_code == tender_code, Deposit.lot_number == lot, Deposit.status == HELD
            )
        )
    )
    for row in rows:
        row.status, row.contract_signed_at, row.refund_due_at = REFUND_DUE, signed, due
    if rows and runtime is not None:
        await runtime.audit.append(
            session,
            DEPOSIT_REFUND_SCHEDULED,
            subject=f"tender:{tender_code}/lot:{lot}",
            data={
                "deposits": [r.id for r in rows],
                "due": due.isoformat(),
                "basis": rules.REFUND_RULE.article,
            },
        )
    return [r.id for r in rows]


async def forfeit_deposits(
    session: AsyncSession, tender_code: str, lot: str, bidder: str, *, runtime: Runtime | None = None
) -> list[int]:
    """The winner ``bidder`` (credit code) refused to sign: its deposit on ``lot`` is forfeited (Art. 74).
    Called by contracts; idempotent. Audit-logged when ``runtime`` is given. Returns the deposits."""
    org = await find_by_credit_code(session, bidder)
    if org is None:
        raise NotFound(f"投标人 {bidder} 未登记 (no such bidder)", code="unknown_bidder")
    rows = list(
        await session.scalars(
            select(Deposit).where(
                Deposit.tender_code == tender_code,
                Deposit.lot_number == lot,
                Deposit.bidder_id == org.id,
                Deposit.status.in_([HELD, REFUND_DUE]),
            )
        )
    )
    now = runtime.clock.now() if runtime is not None else None
    for row in rows:
        row.status, row.refund_due_at = FORFEITED, None
        row.forfeited_at = now or row.received_at
    if rows and runtime is not None:
        await runtime.audit.append(
            session,
            DEPOSIT_FORFEITED,
            subject=f"tender:{tender_code}/lot:{lot}",
            data={"deposits": [r.id for r in rows], "bidder": bidder, "basis": rules.FORFEIT_RULE.article},
        )
    return [r.id for r in rows]


async def refund_deposit(
    session: AsyncSession, runtime: Runtime, principal: Principal, deposit_id: int, interest: Decimal
) -> DepositOut:
    """The centre refunded a deposit with ``interest`` (late refunds still count, and say so)."""
    row = await session.get(Deposit, deposit_id, with_for_update=True)
    if row is None:
        raise NotFound("没有这笔保证金 (no such deposit)", code="no_deposit")
    if row.status != REFUND_DUE:
        raise Conflict("这笔保证金不在待退还状态 (not due for refund)", code="not_due")
    if not interest.is_finite() or interest < 0:
        raise bad("利息不能为负 (interest is not negative)", "bad_amount")
    now = runtime.clock.now()
    row.status, row.refunded_at, row.interest = REFUNDED, now, interest.quantize(Decimal("0.01"))
    late = row.refund_due_at is not None and now > as_utc(row.refund_due_at)
    await runtime.audit.append(
        session,
        DEPOSIT_REFUNDED,
        actor=principal.actor,
        subject=f"tender:{row.tender_code}/lot:{row.lot_number}",
        data={"deposit": row.id, "interest": str(row.interest), "late": late},
    )
    return _deposit_out(row, await org_name(session, row.bidder_id), now, with_account=True)


# --- statistics -----------------------------------------------------------------------------------


@dataclass
class _Secured:
    guarantees: int = 0
    deposits: int = 0
    amount: Decimal = Decimal("0.00")


BidKeys = Mapping[str, Iterable[tuple[str, str]]]  # tender code → (lot, bidder credit code) of each bid


async def _bids_taken_in(session: AsyncSession, codes: list[str]) -> dict[str, set[tuple[str, str]]]:
    """The bids the openings of these tenders took in (bidding's opening record), as ``BidKeys``."""
    bids = await bidding.bids_at_opening(session, codes)
    ids = {bid.organisation_id for bid in bids}
    names: dict[int, str] = {}
    if ids:
        query = select(Organisation.id, Organisation.credit_code).where(Organisation.id.in_(ids))
        names = {org_id: code for org_id, code in await session.execute(query)}
    out: dict[str, set[tuple[str, str]]] = {}
    for bid in bids:
        if bid.organisation_id in names:
            out.setdefault(bid.tender_code, set()).add((bid.lot_number, names[bid.organisation_id]))
    return out


async def _secured_bids(
    session: AsyncSession, tender_codes: Sequence[str], bids: BidKeys | None = None
) -> dict[str, _Secured]:
    """Per tender, its BIDS (``bids``, or those its openings took in; one per bidder and lot) by how each
    was secured: by a bid guarantee that verifies for it (however many were issued, once), else by a
    cash deposit recorded for it; a guarantee or deposit with no bid behind it counts for nothing."""
    codes = list(dict.fromkeys(tender_codes))
    if not codes:
        return {}
    taken = await _bids_taken_in(session, codes) if bids is None else bids
    issued: dict[tuple[str, str, str], list[Guarantee]] = {}
    for g, bidder in await session.execute(
        select(Guarantee, Organisation.credit_code)
        .join(Organisation, Organisation.id == Guarantee.bidder_id)
        .where(Guarantee.tender_code.in_(codes), Guarantee.purpose == rules.BID)
        .order_by(Guarantee.id)
    ):
        issued.setdefault((g.tender_code, g.lot_number, bidder), []).append(g)
    paid = {
        (code, lot, bidder)
        for code, lot, bidder in await session.execute(
            select(Deposit.tender_code, Deposit.lot_number, Organisation.credit_code)
            .join(Organisation, Organisation.id == Deposit.bidder_id)
            .where(Deposit.tender_code.in_(codes))
        )
    }
    out: dict[str, _Secured] = {}
    for code in codes:
        keys = {(code, lot, bidder) for lot, bidder in taken.get(code, ())}
        if not keys:
            continue
        tender = await bidding.tender_by_code(session, code)
        counted = out.setdefault(code, _Secured())
        for key in sorted(keys):
            verified = None
            for row in issued.get(key, ()):
                if await secured_by_guarantee(session, row, tender, key[2]):
                    verified = row
                    break
            if verified is not None:
                counted.guarantees += 1
                counted.amount += verified.amount
            elif key in paid:
                counted.deposits += 1
    return out


async def _bond_codes(session: AsyncSession) -> list[str]:
    g = await session.scalars(select(Guarantee.tender_code).distinct())
    d = await session.scalars(select(Deposit.tender_code).distinct())
    return sorted(set(g) | set(d))


async def bond_statistics(session: AsyncSession, tender_codes: Sequence[str] | None = None) -> BondStatistics:
    """BIDS secured by guarantees vs by cash deposits (over ``tender_codes``, or all; see ``_secured_bids``),
    the money that verified guarantees kept from being tied up as cash, and the cash still held."""
    codes = list(tender_codes) if tender_codes is not None else await _bond_codes(session)
    secured = await _secured_bids(session, codes)
    count = sum(s.guarantees for s in secured.values())
    deposits = sum(s.deposits for s in secured.values())
    amount = sum((s.amount for s in secured.values()), Decimal("0.00"))
    held = select(func.coalesce(func.sum(Deposit.amount), 0)).where(Deposit.status.in_([HELD, REFUND_DUE]))
    if tender_codes is not None:
        held = held.where(Deposit.tender_code.in_(codes))
    total = count + deposits
    return BondStatistics(
        guarantees=count,
        deposits=deposits,
        guarantee_share=(Decimal(count) / Decimal(total)).quantize(Decimal("0.0001")) if total else None,
        guaranteed_amount=amount.quantize(Decimal("0.01")),
        deposits_held=Decimal(str(await session.scalar(held) or 0)).quantize(Decimal("0.01")),
    )


async def bonds_by_tender(
    session: AsyncSession, tender_codes: Sequence[str], bids: BidKeys | None = None
) -> dict[str, TenderBonds]:
    """Per tender: BIDS secured by guarantees, by cash deposits, and the guaranteed amount (publication's
    statistics; the caller passes only opened tenders, since before it the counts say how many bid, and
    may name the bids as its published opening records list them: ``bids``)."""
    return {
        code: TenderBonds(guarantees=s.guarantees, deposits=s.deposits, guaranteed_amount=s.amount)
        for code, s in (await _secured_bids(session, tender_codes, bids)).items()
        if s.guarantees or s.deposits
    }
