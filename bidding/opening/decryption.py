"""Decrypting a revealed bid: the envelope streamed from the blob store through age decryption (every
chunk authenticated), only the package's two ends kept, and its bid.json checked against the tender's
bid form. Nothing of the plaintext is stored: the package decrypts again whenever it is needed."""

from __future__ import annotations

import collections
import functools
import io
import os
import tempfile
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO, cast

import anyio
import anyio.from_thread
from anyio.streams.memory import MemoryObjectReceiveStream

from bidding.bid_form import above_ceiling, attachment_names, problems, schema_for
from bidding.models import Lot, OpeningBid, Submission, Tender
from bidding.opening.common import BID_JSON_LIMIT, HEADER_LIMIT, READ_CHUNK
from core.errors import InvalidInput, NotFound
from core.numbers import money_input
from core.runtime import Runtime
from crypto.age import decrypt_with_file_key, read_header
from crypto.signing import parse_json


async def header_of(runtime: Runtime, blob_key: str) -> Any:
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

    The next chunk is always being fetched (``decrypt_into``'s feeder) while the current one is
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


async def decrypt_into(runtime: Runtime, blob_key: str, file_key: bytes, sink: Any) -> None:
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


async def decrypt_bid(runtime: Runtime, tender: Tender, lot: Lot, sub: Submission, file_key: bytes) -> Opened:
    """Decrypt the envelope, streaming (every chunk authenticated), and check its bid.json.

    Only the two ends of the plaintext are kept (``_Ends``); a package whose bid.json or central
    directory lies outside them is decrypted a second time into a temporary file.
    """
    ends = _Ends()
    await decrypt_into(runtime, sub.blob_key, file_key, ends)
    try:
        form, price, reason = await anyio.to_thread.run_sync(
            check_package, cast(BinaryIO, ends.view()), tender, lot
        )
    except _Hole:
        fd, name = tempfile.mkstemp(prefix="sunbid-open-", suffix=".zip")
        path = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                await decrypt_into(runtime, sub.blob_key, file_key, out)
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
    await decrypt_into(runtime, sub.blob_key, bid.file_key, out)
