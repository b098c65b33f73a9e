"""Decrypting a revealed bid: the envelope streamed from the blob store through age decryption (every
chunk authenticated), only the package's two ends kept, and its bid.json checked against the tender's
bid form. Nothing of the plaintext is stored: the package decrypts again whenever it is needed."""

from __future__ import annotations

import functools
import io
import os
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO, cast

import anyio

from bidding.bid_form import above_ceiling, attachment_names, problems, schema_for
from bidding.models import Lot, OpeningBid, Submission, Tender
from bidding.opening.common import BID_JSON_LIMIT, HEADER_LIMIT, READ_CHUNK
from core.errors import InvalidInput, NotFound
from core.numbers import money_input
from core.runtime import Runtime
from crypto.age import FileKeyDecryptor, header_end, read_header
from crypto.signing import parse_json


async def header_of(runtime: Runtime, blob_key: str) -> Any:
    """The envelope's age header, read from the first bytes of the stored blob."""
    prefix = bytearray()
    async with await runtime.blobs.open(blob_key) as reader:
        async for chunk in reader:
            prefix += chunk
            if header_end(prefix) >= 0:
                break
            if len(prefix) > HEADER_LIMIT:
                break
    return read_header(io.BytesIO(bytes(prefix)), armor=False)


HEADERS_KEPT = 4096  # envelope headers cached per process (a few hundred bytes each)


async def cached_header(runtime: Runtime, sub: Submission) -> Any:
    """The envelope's age header: parsed from the copy kept with the submission, or read from the blob
    (``header_of``) for a bid stored before copies were kept. Remembered per process: a stored envelope
    never changes under its key, and a bidder's client fetches its header (``own_header``) before
    revealing the key it unwraps. Reading the header from the blob cost each reveal about 0.6 ms of
    the server's CPU (the blob opened and read through a worker thread, before it is opened again to
    decrypt)."""
    cache: dict[str, Any] = runtime.cache("opening.headers", dict)
    header = cache.get(sub.blob_key)
    if header is None:
        if sub.header is not None:
            header = read_header(io.BytesIO(sub.header), armor=False)
        else:
            header = await header_of(runtime, sub.blob_key)
        if len(cache) >= HEADERS_KEPT:
            del cache[next(iter(cache))]  # the oldest: dicts keep insertion order
        cache[sub.blob_key] = header
    return header


class _Hole(Exception):
    """A read fell between the kept head and tail of a package (see ``_Ends``)."""


class _Ends:
    """A decryption sink that keeps only the first and the last ``KEEP`` bytes of the plaintext.

    A bid package is a ZIP: its central directory is at the end and bid.json (written first by the
    bidder's client) near the start, so these two ends are all the opening has to read. Nothing
    else of the plaintext is written anywhere: the package is the envelope plus the revealed file
    key, and decrypts again whenever it is needed (``read_package``). The plaintext's size is known
    from the envelope's before the first byte comes (``expect``), so each kept byte is copied once
    and no other byte is copied at all.
    """

    # Room for a deflated bid.json of 256 KiB at the head, and at the tail for the central directory
    # of some two thousand attachments; a package beyond that takes the slow way (``decrypt_bid``).
    # Every kept byte is a copy: with 1 MiB ends a 5 MiB bid's decryption took 0.24 ms longer.
    KEEP = 1 << 18

    def __init__(self) -> None:
        self.head = bytearray()
        self.tail = bytearray()
        self.size = 0  # bytes written so far
        self.expected = -1  # the plaintext's size (``expect``)
        self._tail_start = 0

    def expect(self, size: int) -> None:
        self.expected = size
        self._tail_start = max(0, size - self.KEEP)
        self.tail = bytearray(size - self._tail_start)

    def write(self, data: Any) -> int:
        n = len(data)
        start, end = self.size, self.size + n
        if start < self.KEEP:
            self.head += data[: self.KEEP - start]
        low, high = max(start, self._tail_start), min(end, self.expected)
        if low < high:
            self.tail[low - self._tail_start : high - self._tail_start] = data[low - start : high - start]
        self.size = end
        return n

    def view(self) -> _EndsFile:
        """The package as a file (once every write is done: the two ends are shared, not copied)."""
        if self.size != self.expected:  # not what the envelope's size said: read it whole instead
            raise _Hole(f"{self.size} bytes of the package came, {self.expected} were expected")
        return _EndsFile(self.head, self.tail, self.size)


class _EndsFile(io.RawIOBase):
    """A seekable read-only file of ``size`` bytes of which only the head and the tail are known."""

    def __init__(self, head: bytes | bytearray, tail: bytes | bytearray, size: int) -> None:
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


async def decrypt_into(
    runtime: Runtime,
    blob_key: str,
    file_key: bytes,
    sink: Any,
    *,
    plaintext_size: Callable[[int], None] | None = None,
) -> None:
    """Stream the stored envelope through decryption into ``sink``.

    The blob is read into one buffer (``READ_CHUNK``, a whole number of STREAM chunks), again and
    again, and each read is fed to an incremental decryptor (every 64 KiB chunk authenticated before
    it reaches the sink): no thread bridge per chunk, no copy of the ciphertext, and the plaintext
    written from the decryptor's own buffer. A wrong key raises WrongFileKey before any payload
    byte is decrypted. ``plaintext_size`` is told the plaintext's size before its first byte.
    """
    decryptor = FileKeyDecryptor(file_key)
    buffer = memoryview(bytearray(READ_CHUNK))  # one buffer for the whole envelope: cache-warm
    async with await runtime.blobs.open(blob_key, chunk_size=READ_CHUNK) as reader:
        while n := await reader.readinto(buffer):
            plaintext = decryptor.feed(buffer[:n])
            if plaintext_size is not None and (size := decryptor.plaintext_size(reader.size)) is not None:
                plaintext_size(size)
                plaintext_size = None
            sink.write(plaintext)
    sink.write(decryptor.finish())


async def decrypt_bid(runtime: Runtime, tender: Tender, lot: Lot, sub: Submission, file_key: bytes) -> Opened:
    """Decrypt the envelope, streaming (every chunk authenticated), and check its bid.json.

    Only the two ends of the plaintext are kept (``_Ends``); a package whose bid.json or central
    directory lies outside them is decrypted a second time into a temporary file.
    """
    ends = _Ends()
    await decrypt_into(runtime, sub.blob_key, file_key, ends, plaintext_size=ends.expect)
    try:
        # Right here: the two ends are in memory, and reading them is Python work that a thread
        # would do holding the same interpreter lock (bid.json is at most BID_JSON_LIMIT).
        form, price, reason = check_package(cast(BinaryIO, ends.view()), tender, lot)
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
