"""Bidders reveal their file keys: a key is checked against the header MAC, the bid decrypted
(bidding/opening/decryption.py) and the outcome recorded; a decryption cut short by a crash is
finished later (``recover_stuck``)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
from datetime import datetime, timedelta

from sqlalchemy import JSON, Row, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bidding import events
from bidding.common import lot_of, tender_by_code
from bidding.events import BID_OPENED, OPENING_DECRYPTION_RESUMED
from bidding.lifecycle import State
from bidding.models import BidOutcome, Lot, Opening, OpeningBid, OpeningPhase, Submission, Tender
from bidding.opening.common import (
    CUSTODY,
    DECRYPTING,
    DECRYPTING_BID,
    OPENED,
    QUEUED,
    REJECTED,
    STUCK_AFTER,
    NotOpen,
    _fail_bid,
    _opening,
    _progress,
    room_name,
)
from bidding.opening.decryption import Opened, cached_header, decrypt_bid
from bidding.opening.record import settle
from bidding.opening.views import OwnHeader
from core import rooms
from core.accounts import Principal
from core.clock import as_utc
from core.db import table_of
from core.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from core.group_commit import once_per_transaction
from core.roles import Role
from core.runtime import Runtime
from core.texts import spaced
from crypto.age import AgeError, WrongFileKey

log = logging.getLogger(__name__)

# What parse_file_key accepts: 32 hex digits, or 22 base64 characters with or without their padding.
FILE_KEY_PATTERN = spaced(r"([0-9A-Fa-f]{32}|[A-Za-z0-9+/]{22}={0,2})")


def parse_file_key(text: str) -> bytes:
    """A file key as hex (32 digits) or base64 (22/24 characters)."""
    text = (text or "").strip()
    key: bytes | None = None
    if len(text) == 32:
        try:
            key = bytes.fromhex(text)
        except ValueError:
            key = None
    if key is None:
        try:
            key = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
        except (binascii.Error, ValueError):
            key = None
    if key is None or len(key) != 16:
        raise InvalidInput(
            "文件密钥须为16字节（32位十六进制或base64）(the file key is 16 bytes, as hex or base64)",
            code="bad_file_key",
        )
    return key


# The claim, built once, on the table (core/db.py): the bid is not loaded in the claim's session.
_BIDS = table_of(OpeningBid)
_CLAIM = (
    update(_BIDS)
    .where(_BIDS.c.id == bindparam("bid_id"), _BIDS.c.outcome == QUEUED)
    .values(
        outcome=DECRYPTING_BID, file_key=bindparam("file_key"), decrypting_since=bindparam("decrypting_since")
    )
)


async def _record_opened(
    runtime: Runtime,
    tender: Tender,
    lot: Lot,
    opening: Opening,
    sub: Submission,
    bid_id: int,
    result: Opened,
    file_key: bytes,
    by: str,
    actor: str | None,
) -> OpeningBid:
    """The bid's outcome, its audit entry and its room events, in one unit of work: committed with the
    units of concurrent reveals (group commit), and answered only once committed."""
    now = runtime.clock.now()

    async def record(session: AsyncSession) -> OpeningBid:
        stored = await session.execute(
            _RECORD,
            {
                "bid_id": bid_id,
                "outcome": REJECTED if result.reason else OPENED,
                "reason": result.reason,
                "opened_by": by,
                "opened_at": now,
                "file_key": file_key,  # revealed: the package is the envelope and this key (read_package)
                "form": result.form,
                "price": result.price,
            },
        )
        bid = OpeningBid(**stored.one()._mapping)  # the row as stored, for the answer (not loaded)
        await runtime.audit.append(
            session,
            BID_OPENED,
            actor=actor,
            subject=f"tender:{tender.code}/submission:{sub.submission_id}",
            data={
                "by": by,
                "file_key_sha256": hashlib.sha256(file_key).hexdigest(),
                "envelope_sha256": sub.envelope_sha256,
                "package_size": result.size,
                "outcome": bid.outcome,
                "reason": result.reason,
            },
        )
        room = room_name(tender.code, lot.number)
        await rooms.append(
            session,
            runtime.clock,
            room,
            "bid.opened",
            events.BidOpened(submission_id=sub.submission_id, outcome=bid.outcome, reason=result.reason),
            audience=f"org:{bid.organisation_id}",
        )
        await _settled_once(session, runtime, tender, lot, opening)
        return bid

    return await runtime.shared_transaction(record)


# The outcome, built once, on the table (core/db.py); the bid's other units hold it in no session.
_RECORD = (
    update(_BIDS)
    .where(_BIDS.c.id == bindparam("bid_id"))
    .values(
        outcome=bindparam("outcome"),
        reason=bindparam("reason"),
        opened_by=bindparam("opened_by"),
        opened_at=bindparam("opened_at"),
        file_key=bindparam("file_key"),
        form=bindparam("form", type_=JSON(none_as_null=True)),  # no form: SQL NULL, not JSON null
        price=bindparam("price"),
    )
    .returning(*_BIDS.c)
)


async def _progress_once(
    session: AsyncSession, runtime: Runtime, tender: Tender, lot: Lot, opening: Opening
) -> None:
    """The lot's progress, counted once per shared transaction however many reveals it carries."""

    async def progress(session: AsyncSession) -> None:
        await _progress(session, runtime, tender, lot, opening)

    await once_per_transaction(session, ("opening.progress", opening.id), progress)


async def _settled_once(
    session: AsyncSession, runtime: Runtime, tender: Tender, lot: Lot, opening: Opening
) -> None:
    """The progress, and whether the lot's last bid is settled (the window then closes early): once
    per shared transaction, after all its reveals, so the last of them is seen."""

    async def settled(session: AsyncSession) -> None:
        await settle(session, runtime, tender, lot, opening)

    await once_per_transaction(session, ("opening.settle", opening.id), settled)


def _check_key_time(tender: Tender, opening: Opening | None, now: datetime) -> None:
    """Nothing accepts a key before the deadline, nor outside the decryption window."""
    if now < as_utc(tender.bid_deadline) or tender.state in (State.PUBLISHED, State.BIDDING, State.DRAFT):
        raise NotOpen("投标截止前不接受文件密钥 (no file key is accepted before the deadline)")
    if opening is not None and (
        opening.phase != DECRYPTING or opening.window_ends_at is None or now >= as_utc(opening.window_ends_at)
    ):
        raise Conflict("解密窗口未开放 (the decryption window is not open)", code="window_closed")


# A bidder's one read for the common case (``_own_bid``), built once (core/db.py).
_OWN_BID = (
    select(Tender, Lot, Opening, OpeningBid, Submission)
    .join(Lot, Lot.tender_id == Tender.id)
    .join(Opening, Opening.lot_id == Lot.id)
    .join(OpeningBid, OpeningBid.opening_id == Opening.id)
    .join(Submission, Submission.id == OpeningBid.submission_id)
    .where(
        Tender.code == bindparam("code"),
        Lot.number == bindparam("lot"),
        OpeningBid.organisation_id == bindparam("organisation_id"),
    )
)


async def _own_bid(
    session: AsyncSession, principal: Principal, code: str, lot_number: str
) -> Row[Tender, Lot, Opening, OpeningBid, Submission] | None:
    """The caller's bid in a lot with its tender, lot, opening and submission, in one read (the common
    case of a reveal and of a header fetch); None where there is none to read."""
    if principal.organisation_id is None:
        return None
    values = {"code": code, "lot": lot_number, "organisation_id": principal.organisation_id}
    return (await session.execute(_OWN_BID, values)).first()


async def reveal_key(
    runtime: Runtime, principal: Principal, code: str, lot_number: str, file_key_text: str
) -> OpeningBid:
    """A bidder reveals its bid's file key: checked against the header MAC, then the bid is opened."""
    file_key = parse_file_key(file_key_text)
    if Role.BIDDER not in principal.roles or principal.organisation_id is None:
        raise PermissionDenied("只有投标人可以解密自己的投标文件 (only bidders reveal their keys)")
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        found = await _own_bid(session, principal, code, lot_number)
        if found is None:  # the step-by-step reads only explain the refusal
            tender = await tender_by_code(session, code)
            lot = await lot_of(session, tender, lot_number)
            _check_key_time(tender, None, now)
            _check_key_time(tender, await _opening(session, tender, lot), now)
            raise NotFound("本标段没有贵公司的投标 (your company has no bid in this lot)", code="no_bid")
        tender, lot, opening, bid, sub = found
        _check_key_time(tender, opening, now)
        if bid.outcome != QUEUED:
            raise Conflict(
                f"投标文件已处理：{bid.outcome} (this bid is already {bid.outcome})", code="already_opened"
            )
        bid_id = bid.id
    try:
        header = await cached_header(runtime, sub)
    except AgeError as exc:
        raise InvalidInput(
            f"投标文件头无法读取 (envelope header unreadable): {exc}", code="bad_envelope"
        ) from None
    if not header.verify(file_key):
        async with runtime.transaction() as session:
            await session.execute(
                update(OpeningBid).where(OpeningBid.id == bid_id).values(wrong_keys=OpeningBid.wrong_keys + 1)
            )
        raise InvalidInput(
            "文件密钥与投标文件头的 HMAC 不符，可在解密窗口内重试 "
            "(the file key does not match the header MAC; retry within the window)",
            code="wrong_file_key",
        )

    async def claim(session: AsyncSession) -> None:
        # The verified key is kept with the claim, so a decryption cut short by a crash can be
        # finished later by the server itself (``recover_stuck``), window or not.
        claimed = await session.execute(
            _CLAIM, {"bid_id": bid_id, "file_key": file_key, "decrypting_since": runtime.clock.now()}
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(
                "投标文件正在解密或已处理 (this bid is being opened already)", code="already_opened"
            )
        # The bidder's own pages (reveal.js) show the bid as decrypting, however the key came.
        await rooms.append(
            session,
            runtime.clock,
            room_name(tender.code, lot.number),
            "bid.decrypting",
            events.BidDecrypting(submission_id=sub.submission_id),
            audience=f"org:{principal.organisation_id}",
        )
        await _progress_once(session, runtime, tender, lot, opening)

    # Shared with concurrent claims and records (group commit); the claim is its own commit, before
    # the decryption, so a crash during it loses neither the key nor the bidder's good standing.
    await runtime.shared_transaction(claim)
    return await _open_claimed(runtime, tender, lot, opening, sub, bid_id, file_key, principal.actor)


async def _open_claimed(
    runtime: Runtime,
    tender: Tender,
    lot: Lot,
    opening: Opening,
    sub: Submission,
    bid_id: int,
    file_key: bytes,
    actor: str | None,
) -> OpeningBid:
    """Decrypt a bid this process claimed (outcome ``decrypting``) and record what it was."""
    try:
        result = await decrypt_bid(runtime, tender, lot, sub, file_key)
    except (AgeError, OSError) as exc:
        # The payload does not decrypt: the bidder sealed it so. Not so when the envelope's own header
        # refuses the key its kept copy accepted (the two differ: the server's fault), nor when the
        # blob could not be read; the bid then goes back to the queue.
        sealed_so = isinstance(exc, AgeError) and not isinstance(exc, WrongFileKey)
        if isinstance(exc, WrongFileKey):
            log.error("envelope %s: its header differs from the copy kept with the submission", sub.blob_key)
        async with runtime.transaction() as session:
            bid = await session.get(OpeningBid, bid_id)
            assert bid is not None
            if sealed_so:
                await _fail_bid(
                    session, runtime, tender, lot, bid, fault=True, reason=f"投标文件无法解密: {exc}"
                )
                await settle(session, runtime, tender, lot, opening)
            else:
                bid.outcome = QUEUED
                await _progress(session, runtime, tender, lot, opening)
        raise InvalidInput(
            f"投标文件解密失败 (the bid did not decrypt): {exc}", code="decryption_failed"
        ) from None
    except BaseException:
        async with runtime.transaction() as session:
            await session.execute(update(OpeningBid).where(OpeningBid.id == bid_id).values(outcome=QUEUED))
        raise
    return await _record_opened(runtime, tender, lot, opening, sub, bid_id, result, file_key, "bidder", actor)


async def recover_stuck(runtime: Runtime, *, older_than: timedelta = STUCK_AFTER) -> int:
    """Finish decryptions a crashed process left in ``decrypting`` (a job; idempotent).

    A bid claimed more than ``older_than`` ago is re-claimed with a conditional UPDATE (so one
    process takes it) and opened with the key the bidder revealed and the server verified then. A
    claim without a stored key (from before bidding_0004) goes back to the queue while the window is
    open, so the bidder can reveal again; after the window it counts as withdrawn (撤回): the
    failure was the server's, not the bidder's.
    """
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        stuck = list(
            await session.execute(
                select(OpeningBid.id, OpeningBid.decrypting_since).where(
                    OpeningBid.outcome == DECRYPTING_BID,
                    (OpeningBid.decrypting_since.is_(None))
                    | (OpeningBid.decrypting_since <= now - older_than),
                )
            )
        )
    recovered = 0
    for bid_id, since in stuck:
        async with runtime.transaction() as session:
            taken = await session.execute(
                update(OpeningBid)
                .where(
                    OpeningBid.id == bid_id,
                    OpeningBid.outcome == DECRYPTING_BID,
                    OpeningBid.decrypting_since.is_(None)
                    if since is None
                    else OpeningBid.decrypting_since == since,
                )
                .values(decrypting_since=now)
            )
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                continue  # another process took it
            bid = await session.get(OpeningBid, bid_id)
            assert bid is not None
            sub = await session.get(Submission, bid.submission_id)
            opening = await session.get(Opening, bid.opening_id)
            assert sub is not None and opening is not None
            tender = await session.get(Tender, opening.tender_id)
            lot = await session.get(Lot, opening.lot_id)
            assert tender is not None and lot is not None
            file_key = bid.file_key
            await runtime.audit.append(
                session,
                OPENING_DECRYPTION_RESUMED,
                subject=f"tender:{tender.code}/submission:{sub.submission_id}",
                data={"claimed_at": as_utc(since).isoformat() if since else None, "key_kept": bool(file_key)},
            )
            if file_key is None:
                window_open = (
                    opening.phase == DECRYPTING
                    and opening.window_ends_at is not None
                    and now < as_utc(opening.window_ends_at)
                )
                if window_open or opening.phase == CUSTODY:  # the bidder or the custodians open it
                    bid.outcome = QUEUED
                else:
                    await _fail_bid(
                        session,
                        runtime,
                        tender,
                        lot,
                        bid,
                        fault=False,
                        reason="服务器解密中断 (the server's decryption was interrupted)",
                    )
                await _progress(session, runtime, tender, lot, opening)
                recovered += 1
                continue
        try:
            await _open_claimed(runtime, tender, lot, opening, sub, bid_id, file_key, None)
        except DomainError:
            pass  # recorded as the bid's outcome (revoked) or re-queued (storage error): logged there
        recovered += 1
    return recovered


def _check_header_allowed(principal: Principal, tender: Tender) -> None:
    if Role.BIDDER not in principal.roles or principal.organisation_id is None:
        raise PermissionDenied("只有投标人可以取回自己的投标文件头 (only bidders fetch their headers)")
    if tender.state in (State.DRAFT, State.PUBLISHED, State.BIDDING):
        raise NotOpen("投标截止前不能解密 (nothing is decrypted before the deadline)")


async def own_header(runtime: Runtime, principal: Principal, code: str, lot_number: str) -> OwnHeader:
    """The age header of the caller's bid in a lot, so its client can unwrap the file key locally.

    The header holds only wrapped keys (useless without an identity); it is handed out once the
    tender is opening, to the bidding company only.
    """
    async with runtime.sessions() as session:
        found = await _own_bid(session, principal, code, lot_number)
        if found is None:  # the step-by-step reads only explain the refusal
            tender = await tender_by_code(session, code)
            lot = await lot_of(session, tender, lot_number)
            _check_header_allowed(principal, tender)
            await _opening(session, tender, lot)
            raise NotFound("本标段没有贵公司的投标 (your company has no bid in this lot)", code="no_bid")
        tender, _lot, opening, bid, sub = found
        _check_header_allowed(principal, tender)
    header = await cached_header(runtime, sub)
    return OwnHeader(
        submission_id=sub.submission_id,
        outcome=BidOutcome(bid.outcome),
        reason=bid.reason,
        phase=OpeningPhase(opening.phase),
        header=base64.b64encode(header.encode()).decode("ascii"),
    )
