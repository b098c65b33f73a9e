"""The timed online opening (不见面开标): deadline → opening exactly once, keys, custodians, 唱标, record.

Script, per lot (each lot has its own ``Opening`` row and room ``opening:<tender>:<lot>``):

    awaiting_host  the deadline passed; the tender moved to ``opening`` exactly once (``open_due``)
    decrypting     the host started: bids listed, seal salts revealed, the window counts down;
                   bidders reveal their bids' 16-byte file keys (``reveal_key``)
    custody        window over with bids left and the tender has custodians: they reveal shares
                   (``reveal_share``); k shares are combined, checked against the opening recipient
                   and open what is left
    confirming     the coefficient is drawn (commit–reveal), the 唱标 table is read out; bidders
                   confirm or object (``confirm`` / ``object_to``), the host answers (``answer``)
    closed|failed  the opening record is signed, published and logged (``advance`` / ``finish``);
                   a lot with fewer valid bids than ``Rules.min_valid_bids`` fails (流标)

Art. 31 of 《电子招标投标办法》: a bid that cannot be opened through the bidder's fault (no key in time
and no custodians, or a key or opening stanza that does not match) is revoked (撤销) and raises the
credit event ``bid.decryption_failed_bidder_fault``; any other failure counts as withdrawn (撤回).

Exactly once: every time-driven step is a conditional UPDATE on the phase; only the transaction whose
UPDATE matched appends the audit entry and the room event. The scheduler's leases only save work.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import io
import json
import os
import secrets
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO, cast

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bidding import lifecycle
from bidding.common import is_owner, lock_tender, lot_of, lots_of, tender_by_code
from bidding.criteria import CriteriaError, check_bid_form
from bidding.lifecycle import Action, Actor, Rules, State
from bidding.models import Lot, Opening, OpeningBid, Submission, Tender
from bidding.notices import NoticeKind, publish_notice
from bidding.submissions import ACTIVE
from core import rooms
from core.accounts import Principal
from core.clock import as_utc
from core.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from core.models import Organisation
from core.roles import Role
from core.runtime import Runtime
from crypto.age import AgeError, X25519Identity, decrypt_with_file_key, read_header
from crypto.age.errors import NoMatchingIdentity, WrongFileKey
from crypto.age.recipients import unwrap_header
from crypto.shamir import ShamirError, Share, combine
from crypto.signing import canonical_json, parse_json, sign_statement

# Phases of a lot's opening.
AWAITING_HOST = "awaiting_host"
DECRYPTING = "decrypting"
CUSTODY = "custody"
CONFIRMING = "confirming"
CLOSED = "closed"
FAILED = "failed"
ACTIVE_PHASES = (AWAITING_HOST, DECRYPTING, CUSTODY, CONFIRMING)

# Outcomes of a bid.
QUEUED = "queued"
DECRYPTING_BID = "decrypting"
OPENED = "opened"  # opened and valid
REJECTED = "rejected"  # opened, but the bid form fails the tender's rules (reason recorded)
REVOKED = "revoked"  # 撤销: the bidder's fault (Art. 31)
WITHDRAWN_BID = "withdrawn"  # 撤回: any other failure
OUTCOMES = (QUEUED, DECRYPTING_BID, OPENED, REJECTED, REVOKED, WITHDRAWN_BID)

CREDIT_EVENT = "bid.decryption_failed_bidder_fault"
CONFIRM_MINUTES = 10
HEADER_LIMIT = 1 << 20
PACKAGE_LIMIT = 64  # MiB of bid.json is absurd; 1 MiB is plenty
BID_JSON_LIMIT = 1 << 20
COEFFICIENT_PLACES = Decimal("0.0001")
RECORD_TYPE = "sunbid.opening-record.v1"


def room_name(tender_code: str, lot_number: str) -> str:
    return f"opening:{tender_code}:{lot_number}"


class NotOpen(Conflict):
    code = "not_open"


# --- the deadline: bidding → opening exactly once ---------------------------------------------------


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
    """bidding → opening, if nobody did it yet; returns whether this transaction did."""
    now = runtime.clock.now()
    await lock_tender(session, tender_id)  # the same lock a committing bid takes
    moved = await session.execute(
        update(Tender)
        .where(
            Tender.id == tender_id,
            Tender.state.in_([State.PUBLISHED, State.BIDDING]),
            Tender.bid_deadline <= now,
        )
        .values(state=State.OPENING.value, updated_at=now)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        return False
    tender = await session.get(Tender, tender_id, populate_existing=True)
    assert tender is not None
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
            {
                "tender": tender.code,
                "lot": lot.number,
                "deadline": as_utc(tender.bid_deadline).isoformat(),
                "bids": len(subs),
                "coefficient_commit": opening.coefficient_commit,
            },
        )
    await runtime.audit.append(
        session,
        "tender.deadline_passed",
        subject=f"tender:{tender.code}",
        data={
            "state": State.OPENING.value,
            "bids": counts,
            "coefficient_commits": commits,
        },
    )
    return True


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


# --- the host starts ---------------------------------------------------------------------------------


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


async def start(session: AsyncSession, runtime: Runtime, principal: Principal, code: str) -> list[Opening]:
    """The host starts: received bids are listed (their seal salts revealed) and the window opens."""
    tender = await tender_by_code(session, code)
    _host(principal, tender)
    now = runtime.clock.now()
    started = []
    for lot in await lots_of(session, tender.id):
        opening = await _opening(session, tender, lot)
        window_end = now + timedelta(minutes=tender.decryption_minutes or Rules().decryption_minutes)
        moved = await session.execute(
            update(Opening)
            .where(Opening.id == opening.id, Opening.phase == AWAITING_HOST)
            .values(phase=DECRYPTING, window_ends_at=window_end)
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            continue
        listed = [
            {
                "submission_id": sub.submission_id,
                "bidder": org.name,
                "bidder_code": org.credit_code,
                "submitted_at": as_utc(sub.submitted_at).isoformat(),
                "audit_position": sub.audit_position,
                "seal_salt": sub.seal_salt.hex(),
            }
            for _bid, sub, org in await _bid_rows(session, opening)
        ]
        await runtime.audit.append(
            session,
            "opening.bids_listed",
            actor=principal.actor,
            subject=f"tender:{tender.code}/lot:{lot.number}",
            data={"bids": listed, "window_ends_at": window_end.isoformat()},
        )
        room = room_name(tender.code, lot.number)
        await rooms.append(session, runtime.clock, room, "bids.listed", {"bids": listed})
        await rooms.append(
            session,
            runtime.clock,
            room,
            "window.opened",
            {"window_ends_at": window_end.isoformat(), "server_time": now.isoformat()},
        )
        await _progress(session, runtime, tender, lot, opening)
        started.append(opening)
    if not started:
        raise Conflict(
            "开标已开始或不在待主持状态 (the opening is not waiting for its host)", code="already_started"
        )
    return started


async def _progress(
    session: AsyncSession, runtime: Runtime, tender: Tender, lot: Lot, opening: Opening
) -> None:
    counts = {k: 0 for k in OUTCOMES}
    for outcome in await session.scalars(
        select(OpeningBid.outcome).where(OpeningBid.opening_id == opening.id)
    ):
        counts[outcome] += 1
    await rooms.append(
        session,
        runtime.clock,
        room_name(tender.code, lot.number),
        "progress",
        {
            "queued": counts[QUEUED],
            "decrypting": counts[DECRYPTING_BID],
            "opened": counts[OPENED] + counts[REJECTED],
            "failed": counts[REVOKED] + counts[WITHDRAWN_BID],
            "counts": counts,
        },
    )


# --- decrypting one bid ------------------------------------------------------------------------------


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


async def _header_of(runtime: Runtime, blob_key: str) -> Any:
    """The envelope's age header, read from the first bytes of the stored blob."""
    prefix = bytearray()
    async with await runtime.blobs.open(blob_key) as reader:
        async for chunk in reader:
            prefix += chunk
            mark = prefix.find(b"\n---")
            if mark >= 0 and prefix.find(b"\n", mark + 1) >= 0:
                break
            if len(prefix) > HEADER_LIMIT:
                break
    return read_header(io.BytesIO(bytes(prefix)), armor=False)


class _BlobFile(io.RawIOBase):
    """A blocking file view of an async blob stream, read from a worker thread."""

    def __init__(self, reader: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._reader = reader
        self._loop = loop
        self._buffer = b""
        self._done = False

    def readable(self) -> bool:
        return True

    def _next(self) -> bytes:
        async def get() -> bytes:
            try:
                return bytes(await self._reader.__anext__())
            except StopAsyncIteration:
                return b""

        return asyncio.run_coroutine_threadsafe(get(), self._loop).result()

    def readinto(self, buffer: Any) -> int:
        while not self._buffer and not self._done:
            self._buffer = self._next()
            if not self._buffer:
                self._done = True
        n = min(len(buffer), len(self._buffer))
        buffer[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n


class _HashingFile:
    """Writes through to a file and hashes what passes."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.digest = hashlib.sha256()

    def write(self, data: Any) -> int:
        self.digest.update(data)
        return self.out.write(data)


@dataclass
class Opened:
    """What decrypting a bid produced: the package (stored) and the form, or why it is rejected."""

    package_key: str
    package_sha256: str
    form: dict[str, Any] | None
    price: Decimal | None
    reason: str | None


def check_package(
    path: Path, tender: Tender, lot: Lot
) -> tuple[dict[str, Any] | None, Decimal | None, str | None]:
    """The bid package's bid.json against the tender's bid form; (form, price, reason-if-rejected)."""
    try:
        with zipfile.ZipFile(path) as package:
            try:
                info = package.getinfo("bid.json")
            except KeyError:
                return None, None, "投标文件包缺少 bid.json (the bid package has no bid.json)"
            if info.file_size > BID_JSON_LIMIT:
                return None, None, "bid.json 过大 (bid.json is too large)"
            raw = package.read(info)
    except (zipfile.BadZipFile, OSError, ValueError):
        return None, None, "投标文件包不是有效的 ZIP (the bid package is not a valid ZIP)"
    try:
        form = parse_json(raw)
        form = check_bid_form(form, tender.form_fields)
    except CriteriaError as exc:
        return None, None, f"投标函不符合招标文件要求 (bid form invalid): {exc}"
    except (ValueError, UnicodeDecodeError) as exc:
        return None, None, f"bid.json 不是有效的 JSON (bid.json is not valid JSON): {exc}"
    price = Decimal(form["price"]).quantize(Decimal("0.01"))
    if price > lot.ceiling_price:
        return (
            form,
            price,
            f"投标报价 {price} 超过最高投标限价 {lot.ceiling_price} (price above the ceiling price)",
        )
    return form, price, None


async def _decrypt(runtime: Runtime, tender: Tender, lot: Lot, sub: Submission, file_key: bytes) -> Opened:
    """Stream the envelope through decryption into a temporary file, check it, store the package."""
    loop = asyncio.get_running_loop()
    fd, name = tempfile.mkstemp(prefix="sunbid-open-", suffix=".zip")
    path = Path(name)
    try:
        async with await runtime.blobs.open(sub.blob_key) as reader:
            source = _BlobFile(reader, loop)

            def work() -> str:
                with os.fdopen(fd, "wb") as out:
                    sink = _HashingFile(out)
                    decrypt_with_file_key(
                        io.BufferedReader(source, 1 << 20), cast(BinaryIO, sink), file_key, armor=False
                    )
                return sink.digest.hexdigest()

            sha = await asyncio.to_thread(work)
        form, price, reason = await asyncio.to_thread(check_package, path, tender, lot)
        key = f"opened/{tender.code}/{lot.number}/{sub.submission_id}.zip"
        package = await asyncio.to_thread(path.open, "rb")
        try:
            await runtime.blobs.put(key, package, content_type="application/zip")
        finally:
            package.close()
        return Opened(key, sha, form, price, reason)
    finally:
        await asyncio.to_thread(path.unlink, missing_ok=True)


async def _record_opened(
    runtime: Runtime, bid_id: int, result: Opened, file_key: bytes, by: str, actor: str | None
) -> None:
    now = runtime.clock.now()
    async with runtime.transaction() as session:
        bid = await session.get(OpeningBid, bid_id)
        assert bid is not None
        sub = await session.get(Submission, bid.submission_id)
        opening = await session.get(Opening, bid.opening_id)
        assert sub is not None and opening is not None
        tender = await session.get(Tender, opening.tender_id)
        lot = await session.get(Lot, opening.lot_id)
        assert tender is not None and lot is not None
        bid.outcome = REJECTED if result.reason else OPENED
        bid.reason = result.reason
        bid.opened_by = by
        bid.opened_at = now
        bid.package_key = result.package_key
        bid.package_sha256 = result.package_sha256
        bid.form = result.form
        bid.price = result.price
        await runtime.audit.append(
            session,
            "bid.opened",
            actor=actor,
            subject=f"tender:{tender.code}/submission:{sub.submission_id}",
            data={
                "by": by,
                "file_key_sha256": hashlib.sha256(file_key).hexdigest(),
                "package_sha256": result.package_sha256,
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
            {"submission_id": sub.submission_id, "outcome": bid.outcome, "reason": result.reason},
            audience=f"org:{bid.organisation_id}",
        )
        await _progress(session, runtime, tender, lot, opening)


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
        session, "bid.not_opened", subject=source_ref, data={"outcome": bid.outcome, "reason": reason}
    )
    if fault:
        from credit.service import record_event_deduction

        await record_event_deduction(
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
        {"bidder": org.name, "outcome": bid.outcome, "reason": reason},
    )


async def reveal_key(
    runtime: Runtime, principal: Principal, code: str, lot_number: str, file_key_text: str
) -> OpeningBid:
    """A bidder reveals its bid's file key: checked against the header MAC, then the bid is opened."""
    file_key = parse_file_key(file_key_text)
    if Role.BIDDER not in principal.roles or principal.organisation_id is None:
        raise PermissionDenied("只有投标人可以解密自己的投标文件 (only bidders reveal their keys)")
    now = runtime.clock.now()
    async with runtime.transaction() as session:
        tender = await tender_by_code(session, code)
        lot = await lot_of(session, tender, lot_number)
        if now < as_utc(tender.bid_deadline) or tender.state in (State.PUBLISHED, State.BIDDING, State.DRAFT):
            raise NotOpen("投标截止前不接受文件密钥 (no file key is accepted before the deadline)")
        opening = await _opening(session, tender, lot)
        if (
            opening.phase != DECRYPTING
            or opening.window_ends_at is None
            or now >= as_utc(opening.window_ends_at)
        ):
            raise Conflict("解密窗口未开放 (the decryption window is not open)", code="window_closed")
        bid = await session.scalar(
            select(OpeningBid).where(
                OpeningBid.opening_id == opening.id, OpeningBid.organisation_id == principal.organisation_id
            )
        )
        if bid is None:
            raise NotFound("本标段没有贵公司的投标 (your company has no bid in this lot)", code="no_bid")
        if bid.outcome != QUEUED:
            raise Conflict(
                f"投标文件已处理：{bid.outcome} (this bid is already {bid.outcome})", code="already_opened"
            )
        sub = await session.get(Submission, bid.submission_id)
        assert sub is not None
        blob_key, bid_id = sub.blob_key, bid.id
    try:
        header = await _header_of(runtime, blob_key)
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
    async with runtime.transaction() as session:
        claimed = await session.execute(
            update(OpeningBid)
            .where(OpeningBid.id == bid_id, OpeningBid.outcome == QUEUED)
            .values(outcome=DECRYPTING_BID)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(
                "投标文件正在解密或已处理 (this bid is being opened already)", code="already_opened"
            )
        await _progress(session, runtime, tender, lot, opening)
    try:
        result = await _decrypt(runtime, tender, lot, sub, file_key)
    except (AgeError, OSError) as exc:
        async with runtime.transaction() as session:
            bid = await session.get(OpeningBid, bid_id)
            assert bid is not None
            if isinstance(exc, AgeError):  # the payload does not decrypt: the bidder sealed it so
                await _fail_bid(
                    session, runtime, tender, lot, bid, fault=True, reason=f"投标文件无法解密: {exc}"
                )
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
    await _record_opened(runtime, bid_id, result, file_key, "bidder", principal.actor)
    async with runtime.sessions() as session:
        done = await session.get(OpeningBid, bid_id)
        assert done is not None
        return done


async def own_header(runtime: Runtime, principal: Principal, code: str, lot_number: str) -> dict[str, Any]:
    """The age header of the caller's bid in a lot, so its client can unwrap the file key locally.

    The header holds only wrapped keys (useless without an identity); it is handed out once the
    tender is opening, to the bidding company only.
    """
    async with runtime.sessions() as session:
        tender = await tender_by_code(session, code)
        lot = await lot_of(session, tender, lot_number)
        if Role.BIDDER not in principal.roles or principal.organisation_id is None:
            raise PermissionDenied("只有投标人可以取回自己的投标文件头 (only bidders fetch their headers)")
        if tender.state in (State.DRAFT, State.PUBLISHED, State.BIDDING):
            raise NotOpen("投标截止前不能解密 (nothing is decrypted before the deadline)")
        opening = await _opening(session, tender, lot)
        row = (
            await session.execute(
                select(OpeningBid, Submission)
                .join(Submission, Submission.id == OpeningBid.submission_id)
                .where(
                    OpeningBid.opening_id == opening.id,
                    OpeningBid.organisation_id == principal.organisation_id,
                )
            )
        ).first()
        if row is None:
            raise NotFound("本标段没有贵公司的投标 (your company has no bid in this lot)", code="no_bid")
        bid, sub = row
    header = await _header_of(runtime, sub.blob_key)
    return {
        "submission_id": sub.submission_id,
        "outcome": bid.outcome,
        "phase": opening.phase,
        "header": base64.b64encode(header.encode()).decode("ascii"),
    }


# --- custodians --------------------------------------------------------------------------------------


async def reveal_share(runtime: Runtime, principal: Principal, code: str, share_text: str) -> dict[str, Any]:
    """A custodian reveals its share; at k shares the opening key is combined, checked, and used."""
    if Role.CUSTODIAN not in principal.roles:
        raise PermissionDenied("只有密钥保管人可以提交分片 (only custodians reveal shares)")
    try:
        share = Share.from_str(share_text)
    except ShamirError as exc:
        raise InvalidInput(f"分片格式无效 (not a valid share): {exc}", code="bad_share") from None
    async with runtime.transaction() as session:
        tender = await tender_by_code(session, code)
        if runtime.clock.now() < as_utc(tender.bid_deadline) or tender.state != State.OPENING:
            raise NotOpen("投标截止前不接受分片 (no share is accepted before the deadline)")
        custody = tender.custody or {}
        threshold = int(custody.get("threshold") or 0)
        indexes = {int(c["index"]) for c in custody.get("custodians", [])}
        if threshold < 2:
            raise Conflict("本项目没有密钥保管人 (this tender has no custodians)", code="no_custody")
        if share.threshold != threshold or share.index not in indexes:
            raise InvalidInput(
                "分片不属于本项目的密钥仪式 (the share is not from this tender's ceremony)", code="bad_share"
            )
        openings = [o for o in await _openings(session, tender.id) if o.phase == CUSTODY]
        if not openings:
            raise Conflict("当前不在保管人开启阶段 (custodians are not called for now)", code="not_custody")
        have: dict[int, str] = {}
        for text in openings[0].shares:
            have[Share.from_str(text).index] = text
        have[share.index] = share.to_str()
        for opening in openings:
            opening.shares = sorted(have.values())
        await runtime.audit.append(
            session,
            "custody.share_revealed",
            actor=principal.actor,
            subject=f"tender:{tender.code}",
            data={"index": share.index, "have": len(have), "threshold": threshold},
        )
        for opening in openings:
            lot = await session.get(Lot, opening.lot_id)
            assert lot is not None
            await rooms.append(
                session,
                runtime.clock,
                room_name(tender.code, lot.number),
                "custody.share",
                {"have": len(have), "threshold": threshold},
            )
        if len(have) < threshold:
            return {"have": len(have), "threshold": threshold, "combined": False}
        secret = combine([Share.from_str(t) for t in have.values()])
        try:
            identity = X25519Identity(X25519PrivateKey.from_private_bytes(secret))
        except ValueError:
            identity = None
        matches = identity is not None and identity.recipient().to_str() == tender.opening_recipient
        for opening in openings:
            opening.shares = []  # the key lives in memory only, never stored; a bad set starts over
        if not matches:
            await runtime.audit.append(session, "custody.mismatch", subject=f"tender:{tender.code}")
            for opening in openings:
                lot = await session.get(Lot, opening.lot_id)
                assert lot is not None
                await rooms.append(
                    session, runtime.clock, room_name(tender.code, lot.number), "custody.mismatch", {}
                )
        opening_ids = [o.id for o in openings]
    if identity is None or not matches:
        raise InvalidInput(
            "合成的开标私钥与公布的开标公钥不符，分片已清空，请重新提交 "
            "(the combined key does not match the opening recipient; shares were cleared, reveal again)",
            code="custody_mismatch",
        )
    opened = 0
    for opening_id in opening_ids:
        opened += await _open_with_identity(runtime, tender, opening_id, identity)
    async with runtime.transaction() as session:
        for opening_id in opening_ids:
            row = await session.get(Opening, opening_id)
            assert row is not None
            await _announce(session, runtime, row)
    return {"have": len(have), "threshold": threshold, "combined": True, "opened": opened}


async def _open_with_identity(
    runtime: Runtime, tender: Tender, opening_id: int, identity: X25519Identity
) -> int:
    async with runtime.sessions() as session:
        opening = await session.get(Opening, opening_id)
        assert opening is not None
        lot = await session.get(Lot, opening.lot_id)
        assert lot is not None
        pending = [(b.id, s) for b, s, _o in await _bid_rows(session, opening) if b.outcome == QUEUED]
    opened = 0
    for bid_id, sub in pending:
        try:
            header = await _header_of(runtime, sub.blob_key)
            file_key = unwrap_header(header, [identity])
            result = await _decrypt(runtime, tender, lot, sub, file_key)
        except (NoMatchingIdentity, WrongFileKey) as exc:
            await _fail_one(
                runtime, tender, lot, bid_id, fault=True, reason=f"开标密钥无法解开投标文件: {exc}"
            )
            continue
        except (AgeError, OSError, KeyError) as exc:
            await _fail_one(runtime, tender, lot, bid_id, fault=True, reason=f"投标文件无法解密: {exc}")
            continue
        await _record_opened(runtime, bid_id, result, file_key, "custodians", None)
        opened += 1
    return opened


async def _fail_one(
    runtime: Runtime, tender: Tender, lot: Lot, bid_id: int, *, fault: bool, reason: str
) -> None:
    async with runtime.transaction() as session:
        bid = await session.get(OpeningBid, bid_id)
        assert bid is not None
        await _fail_bid(session, runtime, tender, lot, bid, fault=fault, reason=reason)


# --- the clock moves the script on -------------------------------------------------------------------


async def advance(runtime: Runtime) -> int:
    """Move every opening whose window, custody or confirmation time is over (a job; idempotent)."""
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
    await lock_tender(session, tender.id)
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
                {"pending": len(pending), "custody_ends_at": opening.custody_ends_at.isoformat()},
            )
            await runtime.audit.append(
                session, "opening.custody_called", subject=f"tender:{tender.code}/lot:{lot.number}"
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


# --- coefficient, 唱标, confirmation, record ----------------------------------------------------------


def coefficient_from(
    secret: bytes, contributions: Sequence[dict[str, Any]], maximum: Decimal
) -> tuple[str, Decimal]:
    """seed = SHA-256(secret ‖ canonical contributions); the coefficient: uniform, 0.0001 grid, [0, max)."""
    seed = hashlib.sha256(secret + canonical_json(list(contributions))).digest()
    steps = int(maximum / COEFFICIENT_PLACES)
    if steps <= 0:
        return seed.hex(), Decimal(0).quantize(COEFFICIENT_PLACES)
    return seed.hex(), (Decimal(int.from_bytes(seed, "big") % steps) * COEFFICIENT_PLACES).quantize(
        COEFFICIENT_PLACES
    )


async def contribute(
    session: AsyncSession, runtime: Runtime, principal: Principal, code: str, lot_number: str, value: str
) -> None:
    """A bidder's optional contribution to the coefficient draw, before the secret is revealed."""
    value = (value or "").strip()
    if not 1 <= len(value) <= 64:
        raise InvalidInput(
            "随机数贡献须为1-64个字符 (a contribution is 1-64 characters)", code="bad_contribution"
        )
    tender = await tender_by_code(session, code)
    lot = await lot_of(session, tender, lot_number)
    opening = await _opening(session, tender, lot)
    if opening.phase not in (AWAITING_HOST, DECRYPTING, CUSTODY):
        raise Conflict("系数已抽取 (the coefficient has been drawn)", code="drawn")
    bid = await session.scalar(
        select(OpeningBid).where(
            OpeningBid.opening_id == opening.id, OpeningBid.organisation_id == principal.organisation_id
        )
    )
    if bid is None:
        raise PermissionDenied("只有本标段的投标人可以贡献随机数 (only this lot's bidders contribute)")
    org = await session.get(Organisation, bid.organisation_id)
    assert org is not None
    if any(c["bidder_code"] == org.credit_code for c in opening.contributions):
        raise Conflict("已提交过随机数 (you contributed already)", code="already_contributed")
    opening.contributions = [*opening.contributions, {"bidder_code": org.credit_code, "value": value}]
    await rooms.append(
        session,
        runtime.clock,
        room_name(tender.code, lot.number),
        "coefficient.contribution",
        {"bidder": org.name, "value": value},
    )


def _table_row(bid: OpeningBid, sub: Submission, org: Organisation, tender: Tender) -> dict[str, Any]:
    form = bid.form or {}
    return {
        "submission_id": sub.submission_id,
        "bidder": org.name,
        "bidder_code": org.credit_code,
        "outcome": bid.outcome,
        "reason": bid.reason,
        "price": str(bid.price) if bid.price is not None else None,
        "duration_days": form.get("duration_days"),
        "quality": form.get("quality"),
        "project_manager": form.get("project_manager"),
        "bond": form.get("bond")
        or (f"{tender.bond_amount} ({'/'.join(tender.bond_forms)})" if bid.form else None),
    }


async def _announce(session: AsyncSession, runtime: Runtime, opening: Opening) -> None:
    """Draw the coefficient in the open and read out the 唱标 table; the confirmation time starts."""
    moved = await session.execute(
        update(Opening)
        .where(Opening.id == opening.id, Opening.phase.in_([DECRYPTING, CUSTODY]))
        .values(phase=CONFIRMING, confirm_ends_at=runtime.clock.now() + timedelta(minutes=CONFIRM_MINUTES))
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        return
    await session.refresh(opening)
    tender = await session.get(Tender, opening.tender_id)
    lot = await session.get(Lot, opening.lot_id)
    assert tender is not None and lot is not None
    room = room_name(tender.code, lot.number)
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
            session, "opening.coefficient_drawn", subject=f"tender:{tender.code}/lot:{lot.number}", data=draw
        )
        await rooms.append(session, runtime.clock, room, "coefficient.drawn", draw)
    for bid, sub, org in await _bid_rows(session, opening):
        await rooms.append(session, runtime.clock, room, "table.row", _table_row(bid, sub, org, tender))
    assert opening.confirm_ends_at is not None
    await rooms.append(
        session,
        runtime.clock,
        room,
        "confirm.opened",
        {"confirm_ends_at": as_utc(opening.confirm_ends_at).isoformat()},
    )
    await _progress(session, runtime, tender, lot, opening)


async def _own_bid(
    session: AsyncSession, principal: Principal, code: str, lot_number: str
) -> tuple[Tender, Lot, Opening, OpeningBid]:
    tender = await tender_by_code(session, code)
    lot = await lot_of(session, tender, lot_number)
    opening = await _opening(session, tender, lot)
    if opening.phase != CONFIRMING:
        raise Conflict(
            "当前不在确认阶段 (the opening is not waiting for confirmations)", code="not_confirming"
        )
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
        session, runtime.clock, room_name(tender.code, lot.number), "bidder.confirmed", {"bidder": org.name}
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
        "opening.objection",
        actor=principal.actor,
        subject=f"tender:{tender.code}/lot:{lot.number}",
        data={"bidder": org.name, "reason": reason},
    )
    await rooms.append(
        session,
        runtime.clock,
        room_name(tender.code, lot.number),
        "objection",
        {"submission_id": sub.submission_id, "bidder": org.name, "reason": reason},
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
    lot = await lot_of(session, tender, lot_number)
    opening = await _opening(session, tender, lot)
    if opening.phase != CONFIRMING:
        raise Conflict(
            "当前不在确认阶段 (the opening is not waiting for confirmations)", code="not_confirming"
        )
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
        "opening.answer",
        actor=principal.actor,
        subject=f"tender:{tender.code}/lot:{lot.number}",
        data={"submission_id": submission_id, "answer": text},
    )
    await rooms.append(
        session,
        runtime.clock,
        room_name(tender.code, lot.number),
        "answer",
        {"submission_id": submission_id, "answer": text},
    )


async def finish(
    session: AsyncSession, runtime: Runtime, principal: Principal, code: str, lot_number: str
) -> Opening:
    """The host closes the confirmation time early (every objection must have an answer)."""
    tender = await tender_by_code(session, code)
    _host(principal, tender)
    lot = await lot_of(session, tender, lot_number)
    opening = await _opening(session, tender, lot)
    if opening.phase != CONFIRMING:
        raise Conflict(
            "当前不在确认阶段 (the opening is not waiting for confirmations)", code="not_confirming"
        )
    await lock_tender(session, tender.id)
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
                **_table_row(b, s, o, tender),
                "confirmation": b.confirmation,
                "objection": b.objection,
                "answer": b.answer,
                "package_sha256": b.package_sha256,
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
        "opening.closed",
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
        {"failed": failed, "valid_bids": valid, "record": signed.to_dict()},
    )
    phases = list(await session.scalars(select(Opening.phase).where(Opening.tender_id == tender.id)))
    if all(p == FAILED for p in phases):
        tender.state = lifecycle.check(State(tender.state), Action.FAIL, Actor.SYSTEM).value
        tender.updated_at = now
        await runtime.audit.append(
            session,
            "tender.failed",
            subject=f"tender:{tender.code}",
            data={"reason": "fewer_than_min_valid_bids"},
        )


# --- reading ---------------------------------------------------------------------------------------


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


async def opened_bids(session: AsyncSession, tender_code: str, lot_number: str) -> list[OpenedBid]:
    """The valid bids of a lot whose opening is closed, for evaluation."""
    tender = await tender_by_code(session, tender_code)
    lot = await lot_of(session, tender, lot_number)
    opening = await _opening(session, tender, lot)
    if opening.phase != CLOSED:
        raise Conflict("开标尚未完成 (the opening is not complete)", code="opening_incomplete")
    out = []
    for bid, sub, org in await _bid_rows(session, opening):
        if bid.outcome != OPENED or bid.price is None:
            continue
        row = _table_row(bid, sub, org, tender)
        out.append(
            OpenedBid(
                org.credit_code,
                org.name,
                sub.submission_id,
                bid.price,
                row["duration_days"],
                row["quality"],
                row["project_manager"],
                row["bond"],
                opening.coefficient,
            )
        )
    return out


async def state_of_opening(session: AsyncSession, tender_code: str, lot_number: str) -> dict[str, Any]:
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

    return {
        "tender": tender.code,
        "lot": lot.number,
        "phase": opening.phase,
        "room": room_name(tender.code, lot.number),
        "window_ends_at": iso(opening.window_ends_at),
        "custody_ends_at": iso(opening.custody_ends_at),
        "confirm_ends_at": iso(opening.confirm_ends_at),
        "coefficient_commit": opening.coefficient_commit,
        "coefficient": str(opening.coefficient) if opening.coefficient is not None else None,
        "counts": counts,
    }


__all__ = [
    "DomainError",
    "OpenedBid",
    "advance",
    "answer",
    "coefficient_from",
    "confirm",
    "contribute",
    "finish",
    "object_to",
    "open_due",
    "opened_bids",
    "reveal_key",
    "reveal_share",
    "room_name",
    "start",
    "state_of_opening",
]
