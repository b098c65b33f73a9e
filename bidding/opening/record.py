"""唱标, confirmations and objections, and the signed opening record (published as a notice, logged);
the lot fails (流标) with fewer valid bids than the rules ask."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import msgspec
from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bidding import events, lifecycle
from bidding.common import lock_tender, lot_of, tender_by_code
from bidding.events import (
    OPENING_ANSWER,
    OPENING_CLOSED,
    OPENING_COEFFICIENT_DRAWN,
    OPENING_OBJECTION,
    OPENING_WINDOW_CLOSED_EARLY,
    TENDER_FAILED,
    TENDER_FAILED_AGAIN,
)
from bidding.lifecycle import Action, Actor, Rules
from bidding.models import Lot, Opening, OpeningBid, OpeningPhase, Submission, Tender
from bidding.notices import NoticeKind, publish_notice
from bidding.opening.coefficient import coefficient_from
from bidding.opening.common import (
    CLOSED,
    CONFIRM_MINUTES,
    CONFIRMING,
    CUSTODY,
    DECRYPTING,
    DECRYPTING_BID,
    FAILED,
    OPENED,
    OUTCOMES,
    QUEUED,
    RECORD_TYPE,
    REVOKED,
    _bid_rows,
    _counts,
    _host,
    _opening,
    _progress,
    room_name,
)
from bidding.opening.views import OpeningState, OutcomeCounts
from core import rooms
from core.accounts import Principal
from core.bond_port import BondCheck, bonds
from core.clock import as_utc
from core.db import table_of
from core.errors import Conflict, InvalidInput, NotFound
from core.models import Organisation
from core.runtime import Runtime
from crypto.signing import sign_statement


async def _bond_checks(
    session: AsyncSession,
    tender: Tender,
    lot_number: str,
    rows: list[tuple[OpeningBid, Submission, Organisation]],
) -> dict[int, BondCheck]:
    """Each opened bid's bond verified through the bond port (guarantees), by OpeningBid id; empty
    without the port (the bond column then shows the tender's bond as a label)."""
    port = bonds()
    opened = [(bid.id, org.credit_code, bid.form) for bid, _sub, org in rows if bid.form is not None]
    if port is None or not opened:
        return {}
    checks = await port.verify_bonds(
        session, tender_code=tender.code, lot=lot_number, bids=[(code, form) for _id, code, form in opened]
    )
    return {
        bid_id: check
        for (bid_id, _code, _form), check in zip(opened, checks, strict=True)
        if check is not None
    }


def _table_row(
    bid: OpeningBid, sub: Submission, org: Organisation, tender: Tender, bond: BondCheck | None = None
) -> events.TableRow:
    form = bid.form or {}
    return events.TableRow(
        submission_id=sub.submission_id,
        bidder=org.name,
        bidder_code=org.credit_code,
        outcome=bid.outcome,
        reason=bid.reason,
        price=str(bid.price) if bid.price is not None else None,
        duration_days=form.get("duration_days"),
        quality=form.get("quality"),
        project_manager=form.get("project_manager"),
        bond=bond.text()
        if bond is not None
        else form.get("bond")
        or (f"{tender.bond_amount} ({'/'.join(tender.bond_forms)})" if bid.form else None),
        bond_verified=bond.verified if bond is not None else None,
    )


# Read under the tender's lock, built once, on the table (core/db.py).
_OPENINGS = table_of(Opening)
_PHASE = select(_OPENINGS.c.phase).where(_OPENINGS.c.id == bindparam("opening_id"))


async def settle(session: AsyncSession, runtime: Runtime, tender: Tender, lot: Lot, opening: Opening) -> bool:
    """After outcomes are recorded: the lot's progress, and the decryption window closes early once
    every bid is opened or failed (nothing is left to wait for, so the 唱标 follows at once). Called in
    the transaction that settled the bids; the tender's lock serialises two last reveals, so one of
    them sees the other's outcome, and the one count under it serves both. Returns whether it closed."""
    await lock_tender(session, tender.id, runtime.clock)
    counts = await _counts(session, opening.id)  # read once the lock is held
    await _progress(session, runtime, tender, lot, opening, counts)
    if counts[QUEUED] or counts[DECRYPTING_BID] or not sum(counts.values()):
        return False  # bids are left: whatever the phase, nothing closes (and it need not be read)
    if (await session.execute(_PHASE, {"opening_id": opening.id})).scalar_one() != DECRYPTING:
        return False
    closing = await session.get(Opening, opening.id, populate_existing=True)
    assert closing is not None
    return await _announce(session, runtime, closing, early=True)


async def _announce(
    session: AsyncSession, runtime: Runtime, opening: Opening, *, early: bool = False
) -> bool:
    """Draw the coefficient in the open and read out the 唱标 table; the confirmation time starts.

    ``early``: the decryption window closed before its time because every bid was settled."""
    tender = await session.get(Tender, opening.tender_id)
    lot = await session.get(Lot, opening.lot_id)
    assert tender is not None and lot is not None
    minutes = tender.confirm_minutes or CONFIRM_MINUTES
    moved = await session.execute(
        update(Opening)
        .where(Opening.id == opening.id, Opening.phase.in_([DECRYPTING, CUSTODY]))
        .values(phase=CONFIRMING, confirm_ends_at=runtime.clock.now() + timedelta(minutes=minutes))
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        return False
    await session.refresh(opening)
    room = room_name(tender.code, lot.number)
    if early:
        now = runtime.clock.now()
        ends = as_utc(opening.window_ends_at).isoformat() if opening.window_ends_at else None
        await runtime.audit.append(
            session,
            OPENING_WINDOW_CLOSED_EARLY,
            subject=f"tender:{tender.code}/lot:{lot.number}",
            data={"closed_at": now.isoformat(), "window_ends_at": ends},
        )
        await rooms.append(
            session,
            runtime.clock,
            room,
            "window.closed_early",
            events.WindowClosedEarly(
                closed_at=now.isoformat(),
                window_ends_at=ends,
                message=events.Message(
                    zh="全部投标文件已解密或已处理，解密窗口提前结束，开始唱标",
                    en="Every bid is opened or settled: the decryption window closed early and "
                    "the bids are read out",
                ),
            ),
        )
    maximum = Decimal(str((tender.criteria or {}).get("price", {}).get("coefficient_max", "0")))
    if maximum > 0:
        seed, coefficient = coefficient_from(opening.coefficient_secret, opening.contributions, maximum)
        opening.coefficient = coefficient
        draw = {
            "commit": opening.coefficient_commit,
            "secret": opening.coefficient_secret.hex(),
            "contributions": opening.contributions,
            "seed": seed,
            "coefficient_max": str(maximum),
            "coefficient": str(coefficient),
            "rule": "seed = SHA-256(secret ‖ canonical_json(contributions)); "
            "coefficient = (int(seed) mod (max/0.0001)) × 0.0001",
        }
        await runtime.audit.append(
            session, OPENING_COEFFICIENT_DRAWN, subject=f"tender:{tender.code}/lot:{lot.number}", data=draw
        )
        drawn = msgspec.convert(draw, events.CoefficientDrawn)
        await rooms.append(session, runtime.clock, room, "coefficient.drawn", drawn)
    rows = await _bid_rows(session, opening)
    checks = await _bond_checks(session, tender, lot.number, rows)
    for bid, sub, org in rows:
        row = _table_row(bid, sub, org, tender, checks.get(bid.id))
        await rooms.append(session, runtime.clock, room, "table.row", row)
    assert opening.confirm_ends_at is not None
    await rooms.append(
        session,
        runtime.clock,
        room,
        "confirm.opened",
        events.ConfirmOpened(confirm_ends_at=as_utc(opening.confirm_ends_at).isoformat()),
    )
    await _progress(session, runtime, tender, lot, opening)
    return True


async def _confirming(session: AsyncSession, tender: Tender, lot_number: str) -> tuple[Lot, Opening]:
    """The lot and its opening, which must be waiting for the bidders' confirmations."""
    lot = await lot_of(session, tender, lot_number)
    opening = await _opening(session, tender, lot)
    if opening.phase != CONFIRMING:
        raise Conflict(
            "当前不在确认阶段 (the opening is not waiting for confirmations)", code="not_confirming"
        )
    return lot, opening


async def _own_bid(
    session: AsyncSession, principal: Principal, code: str, lot_number: str
) -> tuple[Tender, Lot, Opening, OpeningBid]:
    tender = await tender_by_code(session, code)
    lot, opening = await _confirming(session, tender, lot_number)
    bid = await session.scalar(
        select(OpeningBid).where(
            OpeningBid.opening_id == opening.id, OpeningBid.organisation_id == principal.organisation_id
        )
    )
    if bid is None:
        raise NotFound("本标段没有贵公司的投标 (your company has no bid in this lot)", code="no_bid")
    if bid.confirmation is not None:
        raise Conflict("已确认或已提出异议 (you have confirmed or objected already)", code="already_answered")
    return tender, lot, opening, bid


async def confirm(
    session: AsyncSession, runtime: Runtime, principal: Principal, code: str, lot_number: str
) -> None:
    tender, lot, _opening_row, bid = await _own_bid(session, principal, code, lot_number)
    bid.confirmation = "confirmed"
    org = await session.get(Organisation, bid.organisation_id)
    assert org is not None
    await rooms.append(
        session,
        runtime.clock,
        room_name(tender.code, lot.number),
        "bidder.confirmed",
        events.BidderConfirmed(bidder=org.name),
    )


async def object_to(
    session: AsyncSession, runtime: Runtime, principal: Principal, code: str, lot_number: str, reason: str
) -> None:
    reason = (reason or "").strip()
    if not 1 <= len(reason) <= 2000:
        raise InvalidInput(
            "异议须写明理由（2000字以内）(an objection needs a reason, up to 2000 characters)",
            code="bad_reason",
        )
    tender, lot, _opening_row, bid = await _own_bid(session, principal, code, lot_number)
    bid.confirmation = "objected"
    bid.objection = reason
    sub = await session.get(Submission, bid.submission_id)
    org = await session.get(Organisation, bid.organisation_id)
    assert sub is not None and org is not None
    await runtime.audit.append(
        session,
        OPENING_OBJECTION,
        actor=principal.actor,
        subject=f"tender:{tender.code}/lot:{lot.number}",
        data={"bidder": org.name, "reason": reason},
    )
    await rooms.append(
        session,
        runtime.clock,
        room_name(tender.code, lot.number),
        "objection",
        events.Objection(submission_id=sub.submission_id, bidder=org.name, reason=reason),
    )


async def answer(
    session: AsyncSession,
    runtime: Runtime,
    principal: Principal,
    code: str,
    lot_number: str,
    submission_id: str,
    text: str,
) -> None:
    text = (text or "").strip()
    if not 1 <= len(text) <= 2000:
        raise InvalidInput("答复不能为空（2000字以内）(an answer is 1-2000 characters)", code="bad_answer")
    tender = await tender_by_code(session, code)
    _host(principal, tender)
    lot, opening = await _confirming(session, tender, lot_number)
    row = await session.execute(
        select(OpeningBid, Submission)
        .join(Submission, Submission.id == OpeningBid.submission_id)
        .where(OpeningBid.opening_id == opening.id, Submission.submission_id == submission_id)
    )
    found = row.first()
    if found is None or found[0].objection is None:
        raise NotFound("没有这条异议 (no such objection)", code="no_objection")
    found[0].answer = text
    await runtime.audit.append(
        session,
        OPENING_ANSWER,
        actor=principal.actor,
        subject=f"tender:{tender.code}/lot:{lot.number}",
        data={"submission_id": submission_id, "answer": text},
    )
    await rooms.append(
        session,
        runtime.clock,
        room_name(tender.code, lot.number),
        "answer",
        events.ObjectionAnswered(submission_id=submission_id, answer=text),
    )


async def finish(
    session: AsyncSession, runtime: Runtime, principal: Principal, code: str, lot_number: str
) -> Opening:
    """The host closes the confirmation time early (every objection must have an answer)."""
    tender = await tender_by_code(session, code)
    _host(principal, tender)
    lot, opening = await _confirming(session, tender, lot_number)
    await lock_tender(session, tender.id, runtime.clock)
    bids = await _bid_rows(session, opening)
    if any(b.objection and not b.answer for b, _s, _o in bids):
        raise Conflict("尚有异议未答复 (an objection is still unanswered)", code="unanswered_objection")
    await _finish(session, runtime, tender, lot, opening)
    return opening


async def _finish(
    session: AsyncSession, runtime: Runtime, tender: Tender, lot: Lot, opening: Opening
) -> None:
    """Sign, publish and log the opening record (and a failure notice); fail the tender if no lot is left."""
    moved = await session.execute(
        update(Opening).where(Opening.id == opening.id, Opening.phase == CONFIRMING).values(phase=CLOSED)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        return
    now = runtime.clock.now()
    bids = await _bid_rows(session, opening)
    checks = await _bond_checks(session, tender, lot.number, bids)
    rules = Rules.from_dict(tender.rules or {})
    valid = sum(1 for b, _s, _o in bids if b.outcome == OPENED)
    failed = valid < rules.min_valid_bids
    record = {
        "type": RECORD_TYPE,
        "tender": tender.code,
        "title": tender.title,
        "lot": lot.number,
        "deadline": as_utc(tender.bid_deadline).isoformat(),
        "opened_at": as_utc(opening.opened_at).isoformat(),
        "closed_at": now.isoformat(),
        "coefficient": str(opening.coefficient) if opening.coefficient is not None else None,
        "coefficient_commit": opening.coefficient_commit,
        "coefficient_secret": opening.coefficient_secret.hex(),
        "contributions": opening.contributions,
        "bids": [
            {
                **msgspec.to_builtins(_table_row(b, s, o, tender, checks.get(b.id))),
                "confirmation": b.confirmation,
                "objection": b.objection,
                "answer": b.answer,
                "envelope_sha256": s.envelope_sha256,
                "file_key_sha256": hashlib.sha256(b.file_key).hexdigest() if b.file_key else None,
            }
            for b, s, o in bids
        ],
        "valid_bids": valid,
        "result": "failed" if failed else "opened",
    }
    signed = sign_statement(record, runtime.audit.signer.private_key)
    text = json.dumps(signed.to_dict(), ensure_ascii=False, sort_keys=True)
    await session.execute(
        update(Opening)
        .where(Opening.id == opening.id)
        .values(phase=FAILED if failed else CLOSED, record=text, closed_at=now)
    )
    await publish_notice(
        session, runtime, tender, NoticeKind.OPENING_RECORD, f"{tender.title} 标段{lot.number} 开标记录", text
    )
    room = room_name(tender.code, lot.number)
    if failed:
        await publish_notice(
            session,
            runtime,
            tender,
            NoticeKind.FAILURE,
            f"{tender.title} 标段{lot.number} 流标公告",
            f"{tender.code} 标段{lot.number} 有效投标不足{rules.min_valid_bids}家（{valid}家），本标段流标，"
            f"招标人可依法重新招标。 (fewer than {rules.min_valid_bids} valid bids: "
            "the lot failed and may be re-tendered)",
        )
    await runtime.audit.append(
        session,
        OPENING_CLOSED,
        subject=f"tender:{tender.code}/lot:{lot.number}",
        data={
            "record_sha256": hashlib.sha256(text.encode()).hexdigest(),
            "valid_bids": valid,
            "failed": failed,
        },
    )
    await rooms.append(
        session,
        runtime.clock,
        room,
        "record.published",
        events.RecordPublished(failed=failed, valid_bids=valid, record=signed.to_dict()),
    )
    phases = list(await session.scalars(select(Opening.phase).where(Opening.tender_id == tender.id)))
    if all(p == FAILED for p in phases):
        tender.state = lifecycle.check(tender.state, Action.FAIL, Actor.SYSTEM)
        tender.updated_at = now
        await runtime.audit.append(
            session,
            TENDER_FAILED,
            subject=f"tender:{tender.code}",
            data={"reason": "fewer_than_min_valid_bids"},
        )
        if lifecycle.may_switch_method(tender.state, tender.attempt):  # the re-tender failed too
            await runtime.audit.append(
                session,
                TENDER_FAILED_AGAIN,
                subject=f"tender:{tender.code}",
                data={"attempt": tender.attempt, "legal_basis": lifecycle.SECOND_FAILURE_BASIS},
            )


@dataclass(frozen=True)
class OpenedBid:
    bidder_code: str
    bidder_name: str
    submission_id: str
    price: Decimal
    duration_days: Any
    quality: Any
    project_manager: Any
    bond: Any
    coefficient: Decimal | None
    bond_failure: str | None = None  # why the bid's bond failed verification at opening (bond port)


async def opened_bids(session: AsyncSession, tender_code: str, lot_number: str) -> list[OpenedBid]:
    """The valid bids of a lot whose opening is closed, for evaluation."""
    tender = await tender_by_code(session, tender_code)
    lot = await lot_of(session, tender, lot_number)
    opening = await _opening(session, tender, lot)
    if opening.phase != CLOSED:
        raise Conflict("开标尚未完成 (the opening is not complete)", code="opening_incomplete")
    out = []
    rows = await _bid_rows(session, opening)
    checks = await _bond_checks(session, tender, lot.number, rows)
    for bid, sub, org in rows:
        if bid.outcome != OPENED or bid.price is None:
            continue
        check = checks.get(bid.id)
        row = _table_row(bid, sub, org, tender, check)
        out.append(
            OpenedBid(
                org.credit_code,
                org.name,
                sub.submission_id,
                bid.price,
                row.duration_days,
                row.quality,
                row.project_manager,
                row.bond,
                opening.coefficient,
                check.text() if check is not None and not check.verified else None,
            )
        )
    return out


async def state_of_opening(session: AsyncSession, tender_code: str, lot_number: str) -> OpeningState:
    """The public state of a lot's opening (phase, times, counts)."""
    tender = await tender_by_code(session, tender_code)
    lot = await lot_of(session, tender, lot_number)
    opening = await _opening(session, tender, lot)
    counts = {k: 0 for k in OUTCOMES}
    for outcome in await session.scalars(
        select(OpeningBid.outcome).where(OpeningBid.opening_id == opening.id)
    ):
        counts[outcome] += 1

    def iso(moment: datetime | None) -> str | None:
        return as_utc(moment).isoformat() if moment else None

    return OpeningState(
        tender=tender.code,
        lot=lot.number,
        phase=OpeningPhase(opening.phase),
        room=room_name(tender.code, lot.number),
        window_ends_at=iso(opening.window_ends_at),
        custody_ends_at=iso(opening.custody_ends_at),
        confirm_ends_at=iso(opening.confirm_ends_at),
        coefficient_commit=opening.coefficient_commit,
        coefficient=str(opening.coefficient) if opening.coefficient is not None else None,
        counts=OutcomeCounts(**counts),
    )


@dataclass(frozen=True)
class BidAtOpening:
    """One bid as an opening recorded it: which tender, lot and company, and what became of it."""

    tender_code: str
    lot_number: str
    organisation_id: int
    outcome: str  # a BidOutcome: opened, rejected, revoked (撤销, the bidder's fault), withdrawn (撤回)

    @property
    def revoked(self) -> bool:
        """Withdrawn after the deadline through the bidder's fault (撤销, Art. 31 of the e-bidding rules)."""
        return self.outcome == REVOKED


async def bids_at_opening(session: AsyncSession, tender_codes: Sequence[str]) -> list[BidAtOpening]:
    """Every bid the openings of these tenders took in, one per sealed submission, with its outcome
    (guarantees: a claim for a bid revoked after the deadline, and how the bids were secured)."""
    if not tender_codes:
        return []
    rows = await session.execute(
        select(Tender.code, Lot.number, OpeningBid.organisation_id, OpeningBid.outcome)
        .join(Opening, Opening.id == OpeningBid.opening_id)
        .join(Tender, Tender.id == Opening.tender_id)
        .join(Lot, Lot.id == Opening.lot_id)
        .where(Tender.code.in_(list(tender_codes)))
        .order_by(OpeningBid.id)
    )
    return [BidAtOpening(code, lot, org, str(outcome)) for code, lot, org, outcome in rows]


async def objected_at_opening(session: AsyncSession, tender_code: str, organisation_id: int) -> bool:
    """Whether the company objected at one of the tender's openings (Art. 44): a complaint about the
    opening needs that prior objection (disputes' complaints ask)."""
    tender = await tender_by_code(session, tender_code)
    found = await session.scalar(
        select(OpeningBid.id)
        .join(Opening, Opening.id == OpeningBid.opening_id)
        .where(
            Opening.tender_id == tender.id,
            OpeningBid.organisation_id == organisation_id,
            OpeningBid.objection.is_not(None),
        )
        .limit(1)
    )
    return found is not None
