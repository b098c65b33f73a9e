"""The integrity context's use cases: the red flags of each opened lot of a tender, and the tenders to
look at first, for the supervisors (监督人员) only.

A tender's page computes its lots' flags when asked, from what bidding and evaluation already hold (the
唱标 rows of a closed opening, the lot's ceiling, the committee's first candidate), through their
services: after the opening they cover the prices and the bids' named project managers; once the
committee has ranked, the covers above the first candidate too. The list across tenders reads the
flags stored at each lot's opening and after its evaluation (integrity/stored.py). Nothing is shown to
anyone but supervisors.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

import numpy as np
from sqlalchemy import select

from bidding import service as bidding
from core.accounts import Principal
from core.errors import Conflict, InvalidInput, NotFound
from core.runtime import Db, Runtime
from credit import service as credit
from evaluation import service as evaluation
from integrity.events import INTEGRITY_FLAG_DISMISSED, INTEGRITY_FLAG_REFERRED
from integrity.indicators import SAME_MANAGER, Lots, Rule, price_flags, shared_evidence
from integrity.models import Decision, FlagDecision, MarketBid

LIST_LIMIT = 100


@dataclass(frozen=True)
class RaisedFlag:
    rule: Rule
    bidders: tuple[str, ...]  # the bidders' names the flag concerns
    figures: tuple[str, ...]  # the numbers that raised it, as shown to the supervisor
    measure: float | None
    codes: tuple[str, ...] = ()  # the same bidders' credit codes
    decision: FlagDecision | None = None


@dataclass(frozen=True)
class LotReview:
    number: str
    title: str
    ceiling: Decimal
    bids: list[bidding.OpenedBid]
    first_candidate: str | None  # the bidder's name
    flags: list[RaisedFlag]


def _manager_key(value: object) -> str:
    return " ".join(str(value or "").split()).casefold()


def review_bids(
    bids: list[bidding.OpenedBid], ceiling: Decimal, first_candidate_code: str | None
) -> list[RaisedFlag]:
    """Every indicator over one lot's opened bids (pure: the page's worked examples call it directly)."""
    prices = [float(b.price) for b in bids]
    codes = [b.bidder_code for b in bids]
    winner = codes.index(first_candidate_code) if first_candidate_code in codes else -1
    names = tuple(b.bidder_name for b in bids)
    flags = []
    for found in price_flags(Lots.of([prices], [float(ceiling)], [winner])):
        if found.flagged[0]:
            concerned = (
                tuple(n for i, n in enumerate(names) if i != winner) if found.rule.code == "P4" else names
            )
            figures = tuple(f"{b.bidder_name}: {b.price}" for b in sorted(bids, key=lambda b: b.price))
            flags.append(RaisedFlag(found.rule, concerned, figures, float(found.measure[0])))
    managers = [_manager_key(b.project_manager) for b in bids]
    present = [i for i, m in enumerate(managers) if m]
    if present:
        _, keys = np.unique([managers[i] for i in present], return_inverse=True)
        groups = shared_evidence(
            np.zeros(len(present), dtype=np.int64), np.array(present, dtype=np.int64), keys.astype(np.int64)
        )
        for group in groups:
            manager = str(bids[group.bidders[0]].project_manager)
            concerned = tuple(names[i] for i in group.bidders)
            flags.append(
                RaisedFlag(SAME_MANAGER, concerned, (manager,), None, tuple(codes[i] for i in group.bidders))
            )
    return flags


async def lot_reviews(db: Db, code: str) -> list[LotReview]:
    """The flags of every lot of the tender whose opening is complete (lots still opening are left out)."""
    tender = await bidding.tender_by_code(db, code)
    decided = {
        (d.lot_number, d.rule_code): d
        for d in await db.scalars(select(FlagDecision).where(FlagDecision.tender_code == tender.code))
    }
    reviews = []
    for lot in await bidding.lots_of(db, tender.id):
        try:
            bids = await bidding.opened_bids(db, tender.code, lot.number)
            first = await evaluation.first_candidate(db, tender.code, lot.number)
        except Conflict:
            # No sealed opening closed here: the bids integrity stored for the lot, if any (the demo's
            # seeded tenders, written as they would stand after their opening and evaluation).
            bids, first = await _stored_bids(db, tender.code, lot.number)
            if not bids:
                continue
        first_name = next((b.bidder_name for b in bids if b.bidder_code == first), None)
        flags = [
            replace(flag, decision=decided.get((lot.number, flag.rule.code)))
            for flag in review_bids(bids, lot.ceiling_price, first)
        ]
        reviews.append(LotReview(lot.number, lot.title, lot.ceiling_price, bids, first_name, flags))
    return reviews


async def _stored_bids(db: Db, code: str, lot: str) -> tuple[list[bidding.OpenedBid], str | None]:
    rows = list(
        await db.scalars(
            select(MarketBid)
            .where(MarketBid.tender_code == code, MarketBid.lot_number == lot)
            .order_by(MarketBid.price)
        )
    )
    bids = [
        bidding.OpenedBid(
            r.bidder_code, r.bidder_name, "", r.price, None, None, r.project_manager, None, None
        )
        for r in rows
        if r.valid
    ]
    return bids, next((r.bidder_code for r in rows if r.won), None)


@dataclass(frozen=True)
class TenderFlags:
    tender: bidding.Tender
    lots: int
    flags: int
    rules: tuple[str, ...]


async def flagged_tenders(db: Db) -> list[TenderFlags]:
    """Tenders whose flags are stored (integrity/stored.py), the most flagged first, up to ``LIST_LIMIT``:
    read from the stored rows, never recomputed here."""
    from integrity import stored  # stored builds on this module's review_bids

    found = []
    for summary in (await stored.ranked(db))[:LIST_LIMIT]:
        try:
            tender = await bidding.tender_by_code(db, summary.code)
        except NotFound:
            continue
        found.append(TenderFlags(tender, summary.lots, summary.flags, summary.rules))
    return found


REASON_MIN = 4


async def decide(
    db: Db,
    runtime: Runtime,
    principal: Principal,
    code: str,
    lot_number: str,
    rule_code: str,
    decision: Decision,
    reason: str,
) -> FlagDecision:
    """Record a supervisor's decision on a flag that is raised now, once. Referring it records a B01
    deduction (围标串标, 《招标投标法实施条例》第三十九条至第四十一条) for each bidder it concerns, except
    on a training tender (培训项目), which never deducts."""
    reason = " ".join(reason.split())
    if len(reason) < REASON_MIN:
        raise InvalidInput(
            f"请写明理由（至少{REASON_MIN}个字）(give the reason, at least {REASON_MIN} characters)",
            code="reason_required",
        )
    reviews = await lot_reviews(db, code)
    review = next((r for r in reviews if r.number == lot_number), None)
    flag = next((f for f in review.flags if f.rule.code == rule_code), None) if review else None
    if flag is None:
        raise NotFound(
            f"标段 {lot_number} 没有规则 {rule_code} 的预警 (no such flag on this lot)", code="unknown_flag"
        )
    if flag.decision is not None:
        raise Conflict("该预警已处理 (this flag has already been decided)", code="already_decided")
    record = FlagDecision(
        tender_code=code,
        lot_number=lot_number,
        rule_code=rule_code,
        decision=decision,
        reason=reason,
        decided_by=principal.user_id,
        decided_at=runtime.clock.now(),
    )
    db.add(record)
    await db.flush()
    subject = f"tender:{code}/lot:{lot_number}/flag:{rule_code}"
    kind = INTEGRITY_FLAG_REFERRED if decision == Decision.REFERRED else INTEGRITY_FLAG_DISMISSED
    await runtime.audit.append(
        db, kind, actor=principal.actor, subject=subject, data={"reason": reason, "bidders": list(flag.codes)}
    )
    if decision == Decision.REFERRED and not await bidding.is_training(db, code):
        await credit.ensure_catalogue(db, runtime)  # a fresh platform: install the shipped rules first
        for bidder_code, name in zip(flag.codes, flag.bidders, strict=True):
            await credit.record_deduction(
                db,
                runtime,
                credit.NewDeduction(
                    kind="bidder",
                    key=bidder_code,
                    rule_code="B01",
                    reason=f"{flag.rule.name_zh}（{code} 标段{lot_number}）",
                    evidence=f"{flag.rule.basis}: {'; '.join(flag.figures)}; {reason}",
                    source_ref=subject,
                    subject_name=name,
                ),
                actor=principal.actor,
            )
    return record
