"""Time drives the script: the deadline opens a tender exactly once (``open_due``), the host starts the
window (``start``), and the advance job moves each opening on when its window, custody or confirmation
time is over."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import msgspec
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bidding import events, lifecycle
from bidding.common import lock_tender, lots_of, tender_by_code
from bidding.events import (
    OPENING_AUTOSTARTED,
    OPENING_BIDS_LISTED,
    OPENING_CUSTODY_CALLED,
    TENDER_DEADLINE_PASSED,
)
from bidding.holds import Step, holds_of, require_no_hold
from bidding.lifecycle import Action, Actor, Rules
from bidding.models import Lot, Opening, OpeningBid, Submission, Tender
from bidding.opening.common import (
    AWAITING_HOST,
    CONFIRMING,
    CUSTODY,
    DECRYPTING,
    DECRYPTING_BID,
    QUEUED,
    _bid_rows,
    _fail_bid,
    _host,
    _opening,
    _progress,
    room_name,
)
from bidding.opening.keys import recover_stuck
from bidding.opening.record import _announce, _finish
from bidding.submissions import ACTIVE
from core import rooms
from core.accounts import Principal
from core.clock import as_utc
from core.errors import Conflict
from core.runtime import Runtime


async def open_due(runtime: Runtime) -> list[str]:
    """Open every tender whose deadline has passed (a job, every second; idempotent)."""
    from bidding.tenders import tenders_past_deadline

    now = runtime.clock.now()
    async with runtime.sessions() as session:
        due = [(t.id, t.code) for t in await tenders_past_deadline(session, now)]
    opened = []
    for tender_id, code in due:
        async with runtime.transaction() as session:
            if await open_tender(session, runtime, tender_id):
                opened.append(code)
    return opened


async def open_tender(session: AsyncSession, runtime: Runtime, tender_id: int) -> bool:
    """bidding → opening, if nobody did it yet; returns whether this transaction did.

    Under the same lock a committing bid takes, the lifecycle decides: due by its deadline, and
    ``Action.OPEN`` allowed from the state the tender is in now (a concurrent run already moved it).
    """
    moment = await lock_tender(session, tender_id, runtime.clock)
    if not moment.due_to_open:
        return False
    now = moment.now
    tender = await session.get(Tender, tender_id, populate_existing=True)
    assert tender is not None
    tender.state = lifecycle.check(moment.state, Action.OPEN, Actor.SYSTEM)
    tender.updated_at = now
    lots = await lots_of(session, tender.id)
    counts: dict[str, int] = {}
    commits: dict[str, str] = {}
    for lot in lots:
        secret = secrets.token_bytes(32)
        opening = Opening(
            tender_id=tender.id,
            lot_id=lot.id,
            phase=AWAITING_HOST,
            opened_at=now,
            coefficient_secret=secret,
            coefficient_commit=hashlib.sha256(secret).hexdigest(),
            contributions=[],
            shares=[],
        )
        session.add(opening)
        await session.flush()
        subs = list(
            await session.scalars(
                select(Submission)
                .where(Submission.lot_id == lot.id, Submission.status == ACTIVE)
                .order_by(Submission.submitted_at, Submission.id)
            )
        )
        for sub in subs:
            session.add(
                OpeningBid(
                    opening_id=opening.id,
                    submission_id=sub.id,
                    organisation_id=sub.organisation_id,
                    outcome=QUEUED,
                    wrong_keys=0,
                )
            )
        counts[lot.number] = len(subs)
        commits[lot.number] = opening.coefficient_commit
        await rooms.append(
            session,
            runtime.clock,
            room_name(tender.code, lot.number),
            "opening.due",
            events.OpeningDue(
                tender=tender.code,
                lot=lot.number,
                deadline=as_utc(tender.bid_deadline).isoformat(),
                bids=len(subs),
                coefficient_commit=opening.coefficient_commit,
            ),
        )
    await runtime.audit.append(
        session,
        TENDER_DEADLINE_PASSED,
        subject=f"tender:{tender.code}",
        data={
            "state": tender.state.value,
            "bids": counts,
            "coefficient_commits": commits,
        },
    )
    return True


async def start(session: AsyncSession, runtime: Runtime, principal: Principal, code: str) -> list[Opening]:
    """The host starts: received bids are listed (their seal salts revealed) and the window opens."""
    tender = await tender_by_code(session, code)
    _host(principal, tender)
    await require_no_hold(session, tender, Step.OPENING)  # an unanswered documents objection (Art. 22)
    started = await _start(session, runtime, tender, principal.actor)
    if not started:
        raise Conflict(
            "开标已开始或不在待主持状态 (the opening is not waiting for its host)", code="already_started"
        )
    return started


async def autostart_due(runtime: Runtime) -> list[str]:
    """Start every opening whose host has not, ``Rules.opening_autostart_minutes`` after the deadline
    (a job; idempotent, and exactly once across processes: ``_start``'s conditional UPDATE decides)."""
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        waiting = (
            await session.execute(
                # no DISTINCT over a JSON column (PostgreSQL has no equality for json): a subquery
                select(Tender.id, Tender.bid_deadline, Tender.rules).where(
                    Tender.id.in_(select(Opening.tender_id).where(Opening.phase == AWAITING_HOST))
                )
            )
        ).all()
    started = []
    for tender_id, deadline, rules in waiting:
        if not lifecycle.due_to_autostart(as_utc(deadline), Rules.from_dict(rules or {}), now):
            continue
        async with runtime.transaction() as session:
            await lock_tender(session, tender_id, runtime.clock)
            tender = await session.get(Tender, tender_id, populate_existing=True)
            assert tender is not None
            if await holds_of(session, tender.code, Step.OPENING):
                continue  # suspended: the host starts it once the hold is lifted (or the next run does)
            if await _start(session, runtime, tender, None, autostarted=True):
                started.append(tender.code)
    return started


async def _start(
    session: AsyncSession, runtime: Runtime, tender: Tender, actor: str | None, *, autostarted: bool = False
) -> list[Opening]:
    """List the bids and open the window of every lot still waiting for its host; ``actor`` None is the
    platform (``autostarted``: the host's grace ran out). Only the transaction whose UPDATE moved a
    lot's phase writes its audit entries and room events."""
    now = runtime.clock.now()
    rules = Rules.from_dict(tender.rules or {})
    started = []
    for lot in await lots_of(session, tender.id):
        opening = await _opening(session, tender, lot)
        window_end = now + timedelta(minutes=tender.decryption_minutes or rules.decryption_minutes)
        moved = await session.execute(
            update(Opening)
            .where(Opening.id == opening.id, Opening.phase == AWAITING_HOST)
            .values(phase=DECRYPTING, window_ends_at=window_end)
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            continue
        subject = f"tender:{tender.code}/lot:{lot.number}"
        room = room_name(tender.code, lot.number)
        if autostarted:
            minutes = rules.opening_autostart_minutes
            await runtime.audit.append(
                session,
                OPENING_AUTOSTARTED,
                subject=subject,
                data={
                    "deadline": as_utc(tender.bid_deadline).isoformat(),
                    "autostart_minutes": minutes,
                },
            )
            await rooms.append(
                session,
                runtime.clock,
                room,
                "opening.autostarted",
                events.OpeningAutostarted(
                    autostart_minutes=minutes,
                    message=events.Message(
                        zh=f"主持人未在截止后{minutes}分钟内开始，系统已自动开始开标",
                        en=f"The host had not started the opening {minutes} minutes after the "
                        "deadline, so the platform started it",
                    ),
                ),
            )
        listed = [
            events.ListedBid(
                submission_id=sub.submission_id,
                bidder=org.name,
                bidder_code=org.credit_code,
                submitted_at=as_utc(sub.submitted_at).isoformat(),
                audit_position=sub.audit_position,
                seal_salt=sub.seal_salt.hex(),
            )
            for _bid, sub, org in await _bid_rows(session, opening)
        ]
        await runtime.audit.append(
            session,
            OPENING_BIDS_LISTED,
            actor=actor,
            subject=subject,
            data={"bids": msgspec.to_builtins(listed), "window_ends_at": window_end.isoformat()},
        )
        await rooms.append(session, runtime.clock, room, "bids.listed", events.BidsListed(bids=listed))
        await rooms.append(
            session,
            runtime.clock,
            room,
            "window.opened",
            events.WindowOpened(window_ends_at=window_end.isoformat(), server_time=now.isoformat()),
        )
        await _progress(session, runtime, tender, lot, opening)
        started.append(opening)
    return started


async def advance(runtime: Runtime) -> int:
    """Move every opening whose window, custody or confirmation time is over (a job; idempotent).

    Decryptions a crashed process left behind are finished first (``recover_stuck``): the window's
    end waits for bids still being decrypted, so a stuck one would hold the opening forever.
    """
    await recover_stuck(runtime)
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        due = list(
            await session.scalars(
                select(Opening.id).where(
                    ((Opening.phase == DECRYPTING) & (Opening.window_ends_at <= now))
                    | ((Opening.phase == CUSTODY) & (Opening.custody_ends_at <= now))
                    | ((Opening.phase == CONFIRMING) & (Opening.confirm_ends_at <= now))
                )
            )
        )
    for opening_id in due:
        async with runtime.transaction() as session:
            await _step(session, runtime, opening_id, now)
    return len(due)


async def _step(session: AsyncSession, runtime: Runtime, opening_id: int, now: datetime) -> None:
    opening = await session.get(Opening, opening_id)
    assert opening is not None
    tender = await session.get(Tender, opening.tender_id)
    lot = await session.get(Lot, opening.lot_id)
    assert tender is not None and lot is not None
    await lock_tender(session, tender.id, runtime.clock)
    await session.refresh(opening)
    if opening.phase == DECRYPTING and opening.window_ends_at and as_utc(opening.window_ends_at) <= now:
        rows = await _bid_rows(session, opening)
        if any(b.outcome == DECRYPTING_BID for b, _s, _o in rows):
            return  # a decryption that began in the window is allowed to finish
        pending = [b for b, _s, _o in rows if b.outcome == QUEUED]
        if pending and int((tender.custody or {}).get("threshold") or 0) >= 2:
            opening.phase = CUSTODY
            opening.custody_ends_at = now + timedelta(minutes=tender.decryption_minutes or 30)
            await rooms.append(
                session,
                runtime.clock,
                room_name(tender.code, lot.number),
                "custody.called",
                events.CustodyCalled(
                    pending=len(pending), custody_ends_at=opening.custody_ends_at.isoformat()
                ),
            )
            await runtime.audit.append(
                session, OPENING_CUSTODY_CALLED, subject=f"tender:{tender.code}/lot:{lot.number}"
            )
            return
        for bid in pending:
            await _fail_bid(
                session,
                runtime,
                tender,
                lot,
                bid,
                fault=True,
                reason="解密窗口内未提交文件密钥，且本项目无密钥保管人 (no key in time and no custodians)",
            )
        await _announce(session, runtime, opening)
    elif opening.phase == CUSTODY and opening.custody_ends_at and as_utc(opening.custody_ends_at) <= now:
        for bid, _s, _o in await _bid_rows(session, opening):
            if bid.outcome == QUEUED:
                await _fail_bid(
                    session,
                    runtime,
                    tender,
                    lot,
                    bid,
                    fault=False,
                    reason="密钥保管人未能在时限内开启 (the custodians did not open it in time)",
                )
        opening.shares = []
        await _announce(session, runtime, opening)
    elif opening.phase == CONFIRMING and opening.confirm_ends_at and as_utc(opening.confirm_ends_at) <= now:
        await _finish(session, runtime, tender, lot, opening)
