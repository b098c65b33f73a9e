"""The flags kept per lot and stage, computed when the opening record is published and again once the
evaluation report is signed, so the ranked list, the evaluation room's warning and the market page read
stored rows instead of recomputing every lot.

integrity sits above bidding and evaluation, and neither may import it: instead ``catch_up`` (run by
``integrity/jobs.py`` every minute) follows the audit log. Each ``opening.closed`` entry (subject
``tender:<code>/lot:<n>``) computes the lot's opening-stage flags; each ``evaluation.report_signed``
entry (subject ``evaluation:<code>``) computes them again with the committee's ranking (the P4 cover
flag needs the first candidate) and marks which bids stayed valid and which won in the market table.
The audit position of the entry is stored with the flags: the job resumes after the highest one.
Before it computes a lot's opening-stage flags the job has bidding read that lot's opened packages
(``bidding.service.capture_packages``), so the stored flags carry the package evidence (the project
manager's ID number, the files, their authors and text) even when bidding's own capture job has not
come round to the lot yet.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, select

from bidding import service as bidding
from core.audit import entries_after
from core.errors import DomainError
from core.models import Organisation
from core.runtime import Db
from evaluation import service as evaluation
from guarantees import service as guarantees
from integrity.models import LotFlags, MarketBid, Stage
from integrity.service import RaisedFlag, review_bids

log = logging.getLogger("sunbid.integrity")

# The audit kinds the job follows (bidding.events.OPENING_CLOSED and evaluation.events.
# EVALUATION_REPORT_SIGNED; integrity may not import those modules, and a test checks they agree).
TRIGGERS = {Stage.OPENING: "opening.closed", Stage.EVALUATION: "evaluation.report_signed"}
BATCH = 200  # audit entries per stage and run: the job catches up over several runs after an outage


def flag_record(flag: RaisedFlag) -> dict[str, Any]:
    return {
        "rule": flag.rule.code,
        "name_zh": flag.rule.name_zh,
        "name_en": flag.rule.name_en,
        "bidders": list(flag.bidders),
        "codes": list(flag.codes),
        "figures": list(flag.figures),
        "measure": flag.measure,
    }


async def compute_lot(
    db: Db, tender_code: str, lot_number: str, stage: Stage, position: int, at: datetime, room: str = ""
) -> LotFlags:
    """Compute and store one lot's flags at ``stage`` (replacing that stage's earlier row), and its bids
    in the market table; ``room`` is the lot's evaluation code, whose ranking the evaluation stage uses."""
    tender = await bidding.tender_by_code(db, tender_code)
    lot = next(lot for lot in await bidding.lots_of(db, tender.id) if lot.number == lot_number)
    bids = await bidding.opened_bids(db, tender_code, lot_number)
    ranking: tuple[str, ...] | None = None
    if room:
        ranking = (await evaluation.room_state(db, await evaluation.get_evaluation(db, room))).ranking
    buyer = await db.get(Organisation, tender.tenderer_id)
    try:  # what bidding captured at the upload and the opening (the capture job may still be running)
        evidence = await bidding.lot_evidence(db, tender_code, lot_number)
    except DomainError:
        evidence = None
    accounts = await guarantees.payer_accounts(db, tender_code, lot_number)
    return await store_lot(
        db,
        tender_code,
        lot_number,
        stage,
        position,
        at,
        bids,
        lot.ceiling_price,
        ranking,
        buyer,
        evidence,
        accounts,
    )


async def store_lot(
    db: Db,
    tender_code: str,
    lot_number: str,
    stage: Stage,
    position: int,
    at: datetime,
    bids: list[bidding.OpenedBid],
    ceiling: Decimal,
    ranking: tuple[str, ...] | None,
    buyer: Organisation | None,
    evidence: dict[str, bidding.BidEvidence] | None = None,
    accounts: dict[str, list[str]] | None = None,
) -> LotFlags:
    """Store the flags ``review_bids`` raises over ``bids`` (with the captured ``evidence``, where there is
    some) and the bids themselves (the demo's seeded lots, which have no sealed opening, come in here too)."""
    first = ranking[0] if ranking else None
    flags = review_bids(bids, ceiling, first, evidence, accounts)
    await db.execute(
        delete(LotFlags).where(
            LotFlags.tender_code == tender_code, LotFlags.lot_number == lot_number, LotFlags.stage == stage
        )
    )
    row = LotFlags(
        tender_code=tender_code,
        lot_number=lot_number,
        stage=stage,
        flag_count=len(flags),
        flags=[flag_record(f) for f in flags],
        source_position=position,
        computed_at=at,
    )
    db.add(row)
    previous = await db.scalar(
        select(func.min(MarketBid.opened_at)).where(
            MarketBid.tender_code == tender_code, MarketBid.lot_number == lot_number
        )
    )
    await db.execute(
        delete(MarketBid).where(MarketBid.tender_code == tender_code, MarketBid.lot_number == lot_number)
    )
    for bid in bids:
        db.add(
            MarketBid(
                tender_code=tender_code,
                lot_number=lot_number,
                buyer_code=buyer.credit_code if buyer else "",
                buyer_name=buyer.name if buyer else "",
                bidder_code=bid.bidder_code,
                bidder_name=bid.bidder_name,
                project_manager=" ".join(str(bid.project_manager or "").split())[:64],
                price=bid.price,
                ceiling=ceiling,
                valid=ranking is None or bid.bidder_code in ranking,
                won=bid.bidder_code == first,
                opened_at=previous or at,
            )
        )
    await db.flush()
    return row


def _target(stage: Stage, subject: str) -> tuple[str, str] | None:
    """(tender code, lot number) from an opening's subject; (evaluation code, "") from a report's."""
    if stage == Stage.OPENING and subject.startswith("tender:") and "/lot:" in subject:
        tender, lot = subject.removeprefix("tender:").split("/lot:", 1)
        return tender, lot
    if stage == Stage.EVALUATION and subject.startswith("evaluation:"):
        return subject.removeprefix("evaluation:"), ""
    return None


async def cursor(db: Db, stage: Stage) -> int:
    found = await db.scalar(select(func.max(LotFlags.source_position)).where(LotFlags.stage == stage))
    return -1 if found is None else int(found)


async def opened_since(db: Db) -> list[tuple[str, str]]:
    """(tender code, lot number) of the lots whose opening closed after the last one computed: what
    ``catch_up`` will compute next, whose packages the job has bidding read first."""
    after = await cursor(db, Stage.OPENING)
    entries = await entries_after(db, after, limit=BATCH, kind=TRIGGERS[Stage.OPENING])
    targets = (_target(Stage.OPENING, str(json.loads(e.entry).get("subject") or "")) for e in entries)
    return [target for target in targets if target is not None]


async def catch_up(db: Db) -> int:
    """Compute the flags of every lot opened or evaluated since the last run; returns how many."""
    done = 0
    for stage, kind in TRIGGERS.items():
        for entry in await entries_after(db, await cursor(db, stage), limit=BATCH, kind=kind):
            target = _target(stage, str(json.loads(entry.entry).get("subject") or ""))
            if target is None:
                continue
            try:
                async with db.begin_nested():
                    room = ""
                    if stage == Stage.EVALUATION:
                        room = target[0]
                        found = await evaluation.get_evaluation(db, room)
                        target = (found.tender_code, found.lot_number)
                    await compute_lot(db, *target, stage, entry.position, entry.created_at, room)
                done += 1
            except DomainError as error:  # a tender deleted since, a lot renumbered: skip it, say so
                log.warning("integrity: %s at audit entry %s not computed: %s", target, entry.position, error)
    return done


@dataclass(frozen=True)
class StoredLot:
    tender_code: str
    lot_number: str
    stage: Stage
    flags: list[dict[str, Any]]
    computed_at: datetime


async def latest(db: Db, tender_codes: list[str] | None = None) -> list[StoredLot]:
    """Each stored lot at its latest stage (the evaluation's flags replace the opening's)."""
    query = select(LotFlags)
    if tender_codes is not None:
        query = query.where(LotFlags.tender_code.in_(tender_codes))
    best: dict[tuple[str, str], LotFlags] = {}
    for row in await db.scalars(query):
        key = (row.tender_code, row.lot_number)
        if key not in best or row.stage == Stage.EVALUATION:
            best[key] = row
    return [StoredLot(r.tender_code, r.lot_number, r.stage, r.flags, r.computed_at) for r in best.values()]


@dataclass(frozen=True)
class TenderSummary:
    code: str
    lots: int
    flags: int
    rules: tuple[str, ...]
    computed_at: datetime


async def ranked(db: Db) -> list[TenderSummary]:
    """Tenders with stored flags, the most flagged first (then the most recently computed)."""
    by_tender: dict[str, list[StoredLot]] = defaultdict(list)
    for lot in await latest(db):
        by_tender[lot.tender_code].append(lot)
    out = [
        TenderSummary(
            code,
            len(lots),
            sum(len(lot.flags) for lot in lots),
            tuple(sorted({f["rule"] for lot in lots for f in lot.flags})),
            max(lot.computed_at for lot in lots),
        )
        for code, lots in by_tender.items()
    ]
    return sorted(out, key=lambda t: (-t.flags, -t.computed_at.timestamp(), t.code))
