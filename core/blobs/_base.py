"""The blob store contract shared by the file and S3 back ends: keys, results, errors, readers."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from types import TracebackType
from typing import BinaryIO, Protocol, TypeAlias

import anyio

MAX_KEY_LENGTH = 512
# Most file systems cap one path component at 255 bytes; the S3 store enforces the same limit so a
# key accepted by one back end is accepted by the other.
MAX_SEGMENT_LENGTH = 255
DEFAULT_CHUNK_SIZE = 64 * 1024
# Async sources are written in batches of about this size, each batch one hop to a worker thread
# that hashes and writes it while the next one arrives. Every hop stalls that pipeline a little (the
# thread must take the GIL back from the busy event loop): 8 MiB batches stored a 1 GiB upload at
# 665 MiB/s where 1 MiB batches managed 529 (bench/ingest.py), for 14 MiB more memory at most.
BLOCK_SIZE = 8 * 1024 * 1024

_KEY_CHARS = re.compile(r"[A-Za-z0-9._\-/]+")

BlobSource: TypeAlias = AsyncIterable[bytes] | BinaryIO | bytes | bytearray | memoryview
"""What ``put`` accepts: bytes (or another bytes-like object), a binary file object, or an async
iterable of bytes chunks (a request body, a generator, another store's ``get``)."""


@dataclass(frozen=True)
class BlobInfo:
    key: str
    size: int
    sha256: str  # lowercase hex of the stored bytes


class BlobNotFound(KeyError):
    """No blob is stored under ``key``."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key

    def __str__(self) -> str:
        # KeyError's own __str__ is repr(key), which reads badly in logs and error pages.
        return f"no blob stored under key {self.key!r}"


def validate_key(key: str) -> str:
    """Return ``key`` if it is a safe blob key, else raise ValueError saying why.

    Keys often carry user-derived parts (tender numbers, file names), so only a small alphabet is
    allowed and nothing that could walk out of the store's folder or mean different things to the
    two back ends: ``[A-Za-z0-9._-/]``, at most 512 characters, ``/``-separated segments that are
    non-empty, at most 255 characters, not ``.``, and no ``..`` anywhere.
    """
    if not isinstance(key, str):
        raise TypeError(f"blob key must be a str, not {type(key).__name__}")
    if not key:
        raise ValueError("blob key must not be empty")
    if len(key) > MAX_KEY_LENGTH:
        raise ValueError(f"blob key is {len(key)} characters long; the limit is {MAX_KEY_LENGTH}")
    if not _KEY_CHARS.fullmatch(key):
        bad = "".join(sorted({c for c in key if not _KEY_CHARS.fullmatch(c)}))
        raise ValueError(f"blob key {key!r} contains {bad!r}; allowed are letters, digits and . _ - /")
    if key.startswith("/"):
        raise ValueError(f"blob key {key!r} must not start with '/'")
    if key.endswith("/"):
        raise ValueError(f"blob key {key!r} must not end with '/'")
    if ".." in key:
        raise ValueError(f"blob key {key!r} must not contain '..'")
    for segment in key.split("/"):
        if not segment:
            raise ValueError(f"blob key {key!r} must not contain '//'")
        if segment == ".":
            raise ValueError(f"blob key {key!r} must not contain a '.' segment")
        if len(segment) > MAX_SEGMENT_LENGTH:
            raise ValueError(f"blob key {key!r} has a segment longer than {MAX_SEGMENT_LENGTH} characters")
    return key


def validate_chunk_size(chunk_size: int) -> int:
    if chunk_size <= 0:
        raise ValueError(f"chunk_size must be positive, got {chunk_size}")
    return chunk_size


class Digest:
    """Size and SHA-256 of the bytes that went past; hashlib releases the GIL on large updates."""

    __slots__ = ("_sha", "size")

    def __init__(self) -> None:
        self._sha = hashlib.sha256()
        self.size = 0

    def update(self, data: bytes | bytearray | memoryview) -> None:
        self._sha.update(data)
        self.size += memoryview(data).nbytes

    def info(self, key: str) -> BlobInfo:
        return BlobInfo(key=key, size=self.size, sha256=self._sha.hexdigest())


def is_bytes_like(data: object) -> bool:
    return isinstance(data, bytes | bytearray | memoryview)


def is_async_source(data: object) -> bool:
    return isinstance(data, AsyncIterable)


def is_file_source(data: object) -> bool:
    return callable(getattr(data, "read", None))


def unsupported_source(data: object) -> TypeError:
    return TypeError(
        f"cannot store a {type(data).__name__}: "
        "pass bytes, a binary file object or an async iterable of bytes"
    )


def read_full(raw: BinaryIO, size: int) -> bytes:
    """Read ``size`` bytes (all if negative) from ``raw``, fewer only at end of file.

    ``raw.read(n)`` may return short reads (pipes, sockets, raw files); callers such as minio's
    ``put_object`` would then concatenate the pieces again and again, which costs copies.
    """
    if size is None or size < 0:
        return bytes(raw.read() or b"")
    first = raw.read(size) or b""
    if len(first) == size or not first:
        return bytes(first)
    out = io.BytesIO()
    out.write(first)
    while out.tell() < size:
        more = raw.read(size - out.tell())
        if not more:
            break
        out.write(more)
    # getvalue() hands over the buffer without a copy when it is exactly filled (CPython).
    return out.getvalue()


class BlobReader(AsyncIterator[bytes]):
    """An open blob, returned by ``await store.open(key)``: iterate it for chunks of at most
    ``chunk_size`` bytes.

    It is closed (the file or HTTP connection released) when iteration ends or fails; a consumer
    that stops early should ``await reader.aclose()`` or use ``async with``.
    """

    def __init__(self, key: str, size: int, chunk_size: int) -> None:
        self.key = key
        self.size = size
        self._chunk_size = validate_chunk_size(chunk_size)
        self._closed = False
        self._complete = False
        self._unread = size  # a stored blob never changes: once ``size`` bytes came, it has ended
        self._left = memoryview(b"")  # what ``readinto`` has not yet handed on of the last chunk

    # Back ends implement these two; _read_chunk runs in a worker thread.
    def _read_chunk(self, size: int) -> bytes:
        raise NotImplementedError

    def _release(self, complete: bool) -> None:
        raise NotImplementedError

    def __aiter__(self) -> BlobReader:
        return self

    async def __anext__(self) -> bytes:
        if self._closed:
            raise StopAsyncIteration
        data = b""
        if self._unread > 0 or not self.size:  # no trip to the thread only to hear the end
            try:
                data = await anyio.to_thread.run_sync(self._read_chunk, self._chunk_size)
            except BaseException:
                await self.aclose()
                raise
        if not data:
            self._complete = True
            await self.aclose()
            raise StopAsyncIteration
        self._unread -= len(data)
        return data

    async def read(self) -> bytes:
        """The rest of the blob in one bytes object: only for blobs known to be small."""
        return b"".join([chunk async for chunk in self])

    async def readinto(self, buffer: bytearray | memoryview) -> int:
        """Fill ``buffer`` with the blob's next bytes; how many (possibly fewer than asked: 0 only once
        the blob has ended). Lets a consumer read a large blob through one buffer of its own, which
        stays in the processor's cache, instead of a new bytes object per chunk. This form copies
        each chunk in; a back end that can read straight into the buffer does so."""
        view = memoryview(buffer).cast("B")
        filled = 0
        while filled < view.nbytes:
            if not self._left:
                try:
                    self._left = memoryview(await self.__anext__())
                except StopAsyncIteration:
                    break
            n = min(view.nbytes - filled, self._left.nbytes)
            view[filled : filled + n] = self._left[:n]
            self._left = self._left[n:]
            filled += n
        return filled

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            # Closing a file or a socket does not block, so it runs right here: that also keeps it
            # working inside an already cancelled scope.
            self._release(self._complete)

    async def __aenter__(self) -> BlobReader:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


class BlobStore(Protocol):
    """Where sealed bids, tender documents and reports are kept.

    Every method validates the key first (ValueError for a bad one, see ``validate_key``).
    """

    async def put(
        self, key: str, data: BlobSource, *, content_type: str = "application/octet-stream"
    ) -> BlobInfo:
        """Store ``data`` under ``key``, replacing any previous blob, and return its size and SHA-256.

        Streams: memory stays bounded whatever the size. The blob appears whole or not at all: if
        the source or the upload fails (or the call is cancelled), readers keep seeing the previous
        blob, or nothing. The file store does not keep ``content_type``.
        """
        ...

    async def open(self, key: str, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> BlobReader:
        """Open the blob for streaming; raises BlobNotFound right away if there is none."""
        ...

    def get(self, key: str, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> AsyncIterator[bytes]:
        """Stream the blob in chunks; BlobNotFound comes from the first iteration. Prefer ``open``
        where the error must surface before anything is sent (an HTTP response)."""
        ...

    async def exists(self, key: str) -> bool: ...

    async def delete(self, key: str) -> None:
        """Remove the blob; deleting a missing blob is not an error."""
        ...

    async def check(self) -> None:
        """Health check for /healthz: raises if the store cannot be reached or written to."""
        ...

    def describe(self) -> str:
        """Where the blobs live, for logs and health output; never contains credentials."""
        ...


async def stream(store: BlobStore, key: str, chunk_size: int) -> AsyncIterator[bytes]:
    """``get`` for both back ends: ``open`` on first iteration, always closing the reader."""
    reader = await store.open(key, chunk_size=chunk_size)
    async with reader:
        async for chunk in reader:
            yield chunk
