"""Shared by the opening's modules: phases and outcomes, the room, the host check, the bid rows,
progress events and the Art. 31 outcome of a bid that cannot be opened."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bidding import events
from bidding.common import can_see_draft, is_owner, lot_of, tender_by_code, unknown_tender
from bidding.events import BID_NOT_OPENED
from bidding.lifecycle import State
from bidding.models import BidOutcome, Lot, Notice, Opening, OpeningBid, OpeningPhase, Submission, Tender
from core import rooms
from core.accounts import Principal
from core.clock import as_utc
from core.credit_port import credit
from core.db import table_of
from core.errors import Conflict, PermissionDenied
from core.models import Organisation
from core.runtime import Runtime
from core.shared_reads import shared_read

# Phases of a lot's opening and outcomes of a bid, by their short names.
AWAITING_HOST = OpeningPhase.AWAITING_HOST
DECRYPTING = OpeningPhase.DECRYPTING
CUSTODY = OpeningPhase.CUSTODY
CONFIRMING = OpeningPhase.CONFIRMING
CLOSED = OpeningPhase.CLOSED
FAILED = OpeningPhase.FAILED
ACTIVE_PHASES = (AWAITING_HOST, DECRYPTING, CUSTODY, CONFIRMING)

QUEUED = BidOutcome.QUEUED
DECRYPTING_BID = BidOutcome.DECRYPTING
OPENED = BidOutcome.OPENED
REJECTED = BidOutcome.REJECTED
REVOKED = BidOutcome.REVOKED
WITHDRAWN_BID = BidOutcome.WITHDRAWN
OUTCOMES = tuple(BidOutcome)

CREDIT_EVENT = "bid.decryption_failed_bidder_fault"
CONFIRM_MINUTES = 10  # when a tender does not say (bidding_0004 gives every tender its own)
HEADER_LIMIT = 1 << 20
STUCK_AFTER = timedelta(minutes=5)  # a decryption claimed this long ago died with its process
# Envelope bytes per blob read: 16 whole STREAM chunks (64 KiB + 16-byte tag), about 1 MiB, read
# into one buffer again and again: it stays in the processor's cache (a 4 MiB one was slower: a new
# one per bid is new memory to fault in), and the decryptor rarely holds a chunk split across reads.
READ_CHUNK = 16 * (64 * 1024 + 16)
PACKAGE_LIMIT = 64  # MiB of bid.json is absurd; 1 MiB is plenty
BID_JSON_LIMIT = 1 << 20
COEFFICIENT_PLACES = Decimal("0.0001")
RECORD_TYPE = "sunbid.opening-record.v1"


def room_name(tender_code: str, lot_number: str) -> str:
    return f"opening:{tender_code}:{lot_number}"


@dataclass(frozen=True)
class Hall:
    """A lot's opening hall as a joining socket needs it, and who may see it while its tender is a
    draft. All of it is fixed once the tender is published (a published tender never returns to draft),
    so ``hall`` keeps it per process from then on: a crowd joining reads neither tender nor lot."""

    tender_code: str
    lot_number: str
    tenderer_id: int
    agent_id: int | None
    draft: bool

    @property
    def room(self) -> str:
        return room_name(self.tender_code, self.lot_number)


HALLS_KEPT = 256


async def hall(runtime: Runtime, code: str, lot: str, principal: Principal | None) -> Hall:
    """The hall of tender ``code``'s lot ``lot``, answered as ``visible_tender`` and ``lot_of`` would
    (404 for an unknown tender or lot, or a draft the caller may not see): kept once published, else
    one read shared by the sockets that ask together."""
    kept: dict[tuple[str, str], Hall] = runtime.cache("bidding.opening_halls", dict)
    found = kept.get((code, lot))
    if found is None:
        found = await shared_read(runtime, f"opening-hall:{code}:{lot}", partial(_read_hall, code, lot))
        if not found.draft:
            if len(kept) >= HALLS_KEPT:
                kept.pop(next(iter(kept)))
            kept[(code, lot)] = found
    if found.draft and not can_see_draft(principal, found):
        raise unknown_tender(code)
    return found


async def _read_hall(code: str, lot: str, session: AsyncSession) -> Hall:
    tender = await tender_by_code(session, code)
    number = (await lot_of(session, tender, lot)).number
    return Hall(tender.code, number, tender.tenderer_id, tender.agent_id, tender.state == State.DRAFT)


async def lots_failed_at_opening(session: AsyncSession, tender_code: str) -> dict[str, datetime]:
    """The lots of a tender whose opening failed (流标: too few valid bids), each with when its record
    was published (the failure and its time are written together: ``record._finish``)."""
    rows = await session.execute(
        select(Lot.number, Opening.closed_at)
        .join(Opening, Opening.lot_id == Lot.id)
        .join(Tender, Tender.id == Lot.tender_id)
        .where(Tender.code == tender_code, Opening.phase == FAILED)
        .order_by(Lot.number)
    )
    return {number: as_utc(closed) for number, closed in rows if closed is not None}


async def opening_recorded(session: AsyncSession, tender_code: str, lot_number: str) -> bool:
    """Whether a lot's opening is over and its record published (closed or failed): from then on what
    its 唱标 table read out is public. A lot with no opening row counts as recorded when its tender has a
    published opening record all the same (a record written outside a live opening, as the demo's)."""
    lot = await session.scalar(
        select(Lot)
        .join(Tender, Tender.id == Lot.tender_id)
        .where(Tender.code == tender_code, Lot.number == lot_number)
    )
    if lot is None:
        return False
    phase = await session.scalar(select(Opening.phase).where(Opening.lot_id == lot.id))
    if phase is not None:
        return phase in (CLOSED, FAILED)
    notice = await session.scalar(
        select(Notice.id).where(Notice.tender_id == lot.tender_id, Notice.kind == "opening_record").limit(1)
    )
    return notice is not None


class NotOpen(Conflict):
    code = "not_open"


async def _openings(session: AsyncSession, tender_id: int) -> list[Opening]:
    return list(
        await session.scalars(select(Opening).where(Opening.tender_id == tender_id).order_by(Opening.lot_id))
    )


async def _opening(session: AsyncSession, tender: Tender, lot: Lot) -> Opening:
    opening = await session.scalar(select(Opening).where(Opening.lot_id == lot.id))
    if opening is None:
        raise NotOpen(
            "开标尚未开始：投标截止前不接受密钥或分片 (the opening has not begun; nothing is accepted before "
            "the deadline)"
        )
    return opening


def _host(principal: Principal, tender: Tender) -> None:
    if not is_owner(principal, tender):
        raise PermissionDenied(
            "只有本项目的代理机构或招标人可以主持开标 (only the tender's agent or tenderer hosts)"
        )


async def _bid_rows(
    session: AsyncSession, opening: Opening
) -> list[tuple[OpeningBid, Submission, Organisation]]:
    rows = await session.execute(
        select(OpeningBid, Submission, Organisation)
        .join(Submission, Submission.id == OpeningBid.submission_id)
        .join(Organisation, Organisation.id == OpeningBid.organisation_id)
        .where(OpeningBid.opening_id == opening.id)
        .order_by(Submission.submitted_at, Submission.id)
    )
    return [(b, s, o) for b, s, o in rows]


# Counted after every batch of reveals: built once, on the table (core/db.py).
_BIDS = table_of(OpeningBid)
_COUNT_OUTCOMES = (
    select(_BIDS.c.outcome, func.count())
    .where(_BIDS.c.opening_id == bindparam("opening_id"))
    .group_by(_BIDS.c.outcome)
)


async def _counts(session: AsyncSession, opening_id: int) -> dict[str, int]:
    counts: dict[str, int] = {k: 0 for k in OUTCOMES}
    await session.flush()  # a Core read does not: an outcome just set on a loaded bid counts too
    rows = await session.execute(_COUNT_OUTCOMES, {"opening_id": opening_id})
    for outcome, n in rows:
        counts[outcome] = n
    return counts


async def _progress(
    session: AsyncSession,
    runtime: Runtime,
    tender: Tender,
    lot: Lot,
    opening: Opening,
    counts: dict[str, int] | None = None,
) -> None:
    """The lot's outcome counts as a room event (``counts`` where the caller has just read them)."""
    if counts is None:
        counts = await _counts(session, opening.id)
    await rooms.append(
        session,
        runtime.clock,
        room_name(tender.code, lot.number),
        "progress",
        events.Progress(
            queued=counts[QUEUED],
            decrypting=counts[DECRYPTING_BID],
            opened=counts[OPENED] + counts[REJECTED],
            failed=counts[REVOKED] + counts[WITHDRAWN_BID],
            counts=counts,
        ),
    )


async def _fail_bid(
    session: AsyncSession,
    runtime: Runtime,
    tender: Tender,
    lot: Lot,
    bid: OpeningBid,
    *,
    fault: bool,
    reason: str,
) -> None:
    """Art. 31: 撤销 with a credit event when the bidder is at fault, else 撤回."""
    sub = await session.get(Submission, bid.submission_id)
    org = await session.get(Organisation, bid.organisation_id)
    assert sub is not None and org is not None
    bid.outcome = REVOKED if fault else WITHDRAWN_BID
    bid.reason = reason
    source_ref = f"tender:{tender.code}/submission:{sub.submission_id}"
    await runtime.audit.append(
        session, BID_NOT_OPENED, subject=source_ref, data={"outcome": bid.outcome, "reason": reason}
    )
    port = credit()
    # without credit there is no index to deduct from; a training tender (培训项目) never deducts
    if fault and port is not None and not tender.training:
        await port.record_event_deduction(
            session,
            runtime,
            event=CREDIT_EVENT,
            kind="bidder",
            key=org.credit_code,
            evidence=f"{tender.code} 标段{lot.number}: {reason}",
            source_ref=source_ref,
        )
    await rooms.append(
        session,
        runtime.clock,
        room_name(tender.code, lot.number),
        "bid.failed",
        events.BidFailed(
            bidder=org.name, submission_id=sub.submission_id, outcome=bid.outcome, reason=reason
        ),
    )
