"""Bidders reveal their file keys: checked against the header MAC, then the envelope is decrypted,
streaming, and its bid.json checked against the tender's bid form; a decryption cut short by a crash is
finished later (``recover_stuck``)."""

from __future__ import annotations

import base64
import binascii
import collections
import functools
import hashlib
import io
import os
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO, cast

import anyio
import anyio.from_thread
from anyio.streams.memory import MemoryObjectReceiveStream
from sqlalchemy import select, update

from bidding.bid_form import above_ceiling, attachment_names, problems, schema_for
from bidding.common import lot_of, tender_by_code
from bidding.events import BID_OPENED, OPENING_DECRYPTION_RESUMED
from bidding.lifecycle import State
from bidding.models import Lot, Opening, OpeningBid, Submission, Tender
from bidding.opening.common import (
    BID_JSON_LIMIT,
    CUSTODY,
    DECRYPTING,
    DECRYPTING_BID,
    HEADER_LIMIT,
    OPENED,
    QUEUED,
    READ_CHUNK,
    REJECTED,
    STUCK_AFTER,
    NotOpen,
    _fail_bid,
    _opening,
    _progress,
    room_name,
)
from bidding.opening.record import close_if_done
from core import rooms
from core.accounts import Principal
from core.clock import as_utc
from core.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from core.numbers import money_input
from core.roles import Role
from core.runtime import Runtime
from crypto.age import AgeError, decrypt_with_file_key, read_header
from crypto.signing import parse_json


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


class _BlobFile:
    """A blocking reader, for a worker thread, of the chunks a task on the event loop fetches.

    The next chunk is always being fetched (``_decrypt_into``'s feeder) while the current one is
    decrypted, and ``read`` hands out views of the chunk, so the envelope is copied no more than a
    plain file read would copy it.
    """

    def __init__(self, chunks: MemoryObjectReceiveStream[bytes]) -> None:
        self._chunks = chunks
        self._buffer = memoryview(b"")
        self._done = False

    def read(self, size: int = -1) -> memoryview:
        while not self._buffer and not self._done:
            try:
                self._buffer = memoryview(anyio.from_thread.run(self._chunks.receive))
            except anyio.EndOfStream:
                self._done = True
        n = len(self._buffer) if size < 0 else min(size, len(self._buffer))
        out, self._buffer = self._buffer[:n], self._buffer[n:]
        return out


class _Hole(Exception):
    """A read fell between the kept head and tail of a package (see ``_Ends``)."""


class _Ends:
    """A decryption sink that keeps only the first and the last ``KEEP`` bytes of the plaintext.

    A bid package is a ZIP: its central directory is at the end and bid.json (written first by the
    bidder's client) near the start, so these two ends are all the opening has to read. Nothing
    else of the plaintext is written anywhere: the package is the envelope plus the revealed file
    key, and decrypts again whenever it is needed (``read_package``).
    """

    KEEP = 1 << 20

    def __init__(self) -> None:
        self.head = bytearray()
        self._tail: collections.deque[bytes] = collections.deque()
        self._tail_size = 0
        self.size = 0

    def write(self, data: Any) -> int:
        n = len(data)
        if len(self.head) < self.KEEP:
            self.head += data[: self.KEEP - len(self.head)]
        self._tail.append(bytes(data))
        self._tail_size += n
        while self._tail_size - len(self._tail[0]) >= self.KEEP:
            self._tail_size -= len(self._tail.popleft())
        self.size += n
        return n

    def view(self) -> _EndsFile:
        return _EndsFile(bytes(self.head), b"".join(self._tail)[-self.KEEP :], self.size)


class _EndsFile(io.RawIOBase):
    """A seekable read-only file of ``size`` bytes of which only the head and the tail are known."""

    def __init__(self, head: bytes, tail: bytes, size: int) -> None:
        self._head, self._tail, self._size = head, tail, size
        self._tail_start = size - len(tail)
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        start = self._pos
        end = min(self._size, start + len(buffer))
        if end <= start:
            return 0
        if end <= len(self._head):
            data = self._head[start:end]
        elif start >= self._tail_start:
            data = self._tail[start - self._tail_start : end - self._tail_start]
        else:
            raise _Hole(f"bytes {start}..{end} of the package were not kept")
        buffer[: len(data)] = data
        self._pos = end
        return len(data)


@dataclass
class Opened:
    """What decrypting a bid produced: the bid form, or why the bid is rejected."""

    size: int
    form: dict[str, Any] | None
    price: Decimal | None
    reason: str | None


def check_package(
    source: Path | BinaryIO, tender: Tender, lot: Lot
) -> tuple[dict[str, Any] | None, Decimal | None, str | None]:
    """The bid package's bid.json against the tender's bid form; (form, price, reason-if-rejected)."""
    try:
        with zipfile.ZipFile(source) as package:
            try:
                info = package.getinfo("bid.json")
            except KeyError:
                return None, None, "投标文件包缺少 bid.json (the bid package has no bid.json)"
            if info.file_size > BID_JSON_LIMIT:
                return None, None, "bid.json 过大 (bid.json is too large)"
            raw = package.read(info)
            files = set(package.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None, None, "投标文件包不是有效的 ZIP (the bid package is not a valid ZIP)"
    try:
        form = parse_json(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: "[[[[…" nested
        return None, None, f"bid.json 不是有效的 JSON (bid.json is not valid JSON): {exc}"
    schema = schema_for(
        tender.form_fields,
        code=tender.code,
        lot=lot.number,
        ceiling_price=lot.ceiling_price,
        bond_forms=tender.bond_forms,
    )
    found = problems(form, schema)
    # Above the ceiling is its own reason (the form is otherwise sound: its price is read).
    invalid = [str(p) for p in found if not above_ceiling(p)]
    if not invalid:
        invalid = [
            f"附件 {name} 不在投标文件包中 (attachment {name} is missing from the package)"
            for name in attachment_names(form, schema)
            if f"attachments/{name}" not in files
        ]
    if invalid:
        return None, None, f"投标函不符合招标文件要求 (bid form invalid): {'; '.join(invalid)}"
    try:  # the schema bounded a price that is there; a form whose price is optional may lack it
        price = money_input(form.get("price"), "投标报价 price")
    except InvalidInput as exc:
        return None, None, f"投标函不符合招标文件要求 (bid form invalid): {exc.detail}"
    if price > lot.ceiling_price:
        return (
            form,
            price,
            f"投标报价 {price} 超过最高投标限价 {lot.ceiling_price} (price above the ceiling price)",
        )
    return form, price, None


async def _decrypt_into(runtime: Runtime, blob_key: str, file_key: bytes, sink: Any) -> None:
    """Stream the stored envelope through decryption into ``sink`` (in a worker thread)."""
    # No buffer: the feeder holds the one chunk fetched ahead until the decryption takes it.
    send, receive = anyio.create_memory_object_stream[bytes](max_buffer_size=0)
    read_error: Exception | None = None
    decrypt_error: Exception | None = None

    async def feed(reader: Any) -> None:
        nonlocal read_error
        with send:
            try:
                async for chunk in reader:
                    await send.send(bytes(chunk))
            except anyio.BrokenResourceError:
                pass  # the decryption stopped reading: its outcome is the one to report
            except Exception as exc:
                read_error = exc

    source = cast(BinaryIO, _BlobFile(receive))
    decrypt = functools.partial(decrypt_with_file_key, source, sink, file_key, armor=False)
    async with await runtime.blobs.open(blob_key, chunk_size=READ_CHUNK) as reader:
        async with anyio.create_task_group() as tg:
            tg.start_soon(feed, reader)
            try:
                await anyio.to_thread.run_sync(decrypt)
            except Exception as exc:  # kept out of the task group, which would wrap it in a group
                decrypt_error = exc
                tg.cancel_scope.cancel()
            finally:
                receive.close()
    # A failed read explains the truncated envelope the decryption then saw.
    if read_error is not None:
        raise read_error
    if decrypt_error is not None:
        raise decrypt_error


async def _decrypt(runtime: Runtime, tender: Tender, lot: Lot, sub: Submission, file_key: bytes) -> Opened:
    """Decrypt the envelope, streaming (every chunk authenticated), and check its bid.json.

    Only the two ends of the plaintext are kept (``_Ends``); a package whose bid.json or central
    directory lies outside them is decrypted a second time into a temporary file.
    """
    ends = _Ends()
    await _decrypt_into(runtime, sub.blob_key, file_key, ends)
    try:
        form, price, reason = await anyio.to_thread.run_sync(
            check_package, cast(BinaryIO, ends.view()), tender, lot
        )
    except _Hole:
        fd, name = tempfile.mkstemp(prefix="sunbid-open-", suffix=".zip")
        path = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                await _decrypt_into(runtime, sub.blob_key, file_key, out)
            form, price, reason = await anyio.to_thread.run_sync(check_package, path, tender, lot)
        finally:
            await anyio.to_thread.run_sync(functools.partial(path.unlink, missing_ok=True))
    return Opened(ends.size, form, price, reason)


async def read_package(runtime: Runtime, opening_bid_id: int, out: BinaryIO) -> None:
    """Write an opened bid's package (the ZIP the bidder sealed) to ``out``: for evaluation."""
    async with runtime.sessions() as session:
        bid = await session.get(OpeningBid, opening_bid_id)
        if bid is None or bid.file_key is None:
            raise NotFound("该投标文件尚未解密 (this bid has not been opened)", code="not_opened")
        sub = await session.get(Submission, bid.submission_id)
        assert sub is not None
    await _decrypt_into(runtime, sub.blob_key, bid.file_key, out)


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
    """The bid's outcome, its audit entry and its room events, in one unit of work."""
    now = runtime.clock.now()
    async with runtime.transaction() as session:
        bid = await session.get(OpeningBid, bid_id)
        assert bid is not None
        bid.outcome = REJECTED if result.reason else OPENED
        bid.reason = result.reason
        bid.opened_by = by
        bid.opened_at = now
        bid.file_key = file_key  # revealed: the package is the envelope and this key (read_package)
        bid.form = result.form
        bid.price = result.price
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
            {"submission_id": sub.submission_id, "outcome": bid.outcome, "reason": result.reason},
            audience=f"org:{bid.organisation_id}",
        )
        await _progress(session, runtime, tender, lot, opening)
        await close_if_done(session, runtime, opening.id)
    return bid


def _check_key_time(tender: Tender, opening: Opening | None, now: datetime) -> None:
    """Nothing accepts a key before the deadline, nor outside the decryption window."""
    if now < as_utc(tender.bid_deadline) or tender.state in (State.PUBLISHED, State.BIDDING, State.DRAFT):
        raise NotOpen("投标截止前不接受文件密钥 (no file key is accepted before the deadline)")
    if opening is not None and (
        opening.phase != DECRYPTING or opening.window_ends_at is None or now >= as_utc(opening.window_ends_at)
    ):
        raise Conflict("解密窗口未开放 (the decryption window is not open)", code="window_closed")


async def reveal_key(
    runtime: Runtime, principal: Principal, code: str, lot_number: str, file_key_text: str
) -> OpeningBid:
    """A bidder reveals its bid's file key: checked against the header MAC, then the bid is opened."""
    file_key = parse_file_key(file_key_text)
    if Role.BIDDER not in principal.roles or principal.organisation_id is None:
        raise PermissionDenied("只有投标人可以解密自己的投标文件 (only bidders reveal their keys)")
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        # One read for the common case; the step-by-step reads below only explain a refusal.
        found = (
            await session.execute(
                select(Tender, Lot, Opening, OpeningBid, Submission)
                .join(Lot, Lot.tender_id == Tender.id)
                .join(Opening, Opening.lot_id == Lot.id)
                .join(OpeningBid, OpeningBid.opening_id == Opening.id)
                .join(Submission, Submission.id == OpeningBid.submission_id)
                .where(
                    Tender.code == code,
                    Lot.number == lot_number,
                    OpeningBid.organisation_id == principal.organisation_id,
                )
            )
        ).first()
        if found is None:
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
        # The verified key is kept with the claim, so a decryption cut short by a crash can be
        # finished later by the server itself (``recover_stuck``), window or not.
        claimed = await session.execute(
            update(OpeningBid)
            .where(OpeningBid.id == bid_id, OpeningBid.outcome == QUEUED)
            .values(outcome=DECRYPTING_BID, file_key=file_key, decrypting_since=runtime.clock.now())
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
            {"submission_id": sub.submission_id},
            audience=f"org:{principal.organisation_id}",
        )
        await _progress(session, runtime, tender, lot, opening)
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
            if isinstance(exc, AgeError):
                await close_if_done(session, runtime, opening.id)
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
        "reason": bid.reason,
        "phase": opening.phase,
        "header": base64.b64encode(header.encode()).decode("ascii"),
    }
