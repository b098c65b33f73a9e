"""Blobs as files under one folder: the embedded default for ``sunbid demo`` and the tests."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import threading
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from pathlib import Path
from typing import BinaryIO, cast

import anyio

from ._base import (
    BLOCK_SIZE,
    DEFAULT_CHUNK_SIZE,
    BlobInfo,
    BlobNotFound,
    BlobReader,
    BlobSource,
    Digest,
    is_async_source,
    is_bytes_like,
    is_file_source,
    stream,
    unsupported_source,
    validate_chunk_size,
    validate_key,
)

# Temporary files start with ".~": "~" is not allowed in keys, so no key can ever name one.
_TMP_PREFIX = ".~"
_TMP_SUFFIX = ".part"
# Write-back of a large blob starts every this many bytes, in the background (see write_all).
FLUSH_BYTES = 32 * 1024 * 1024
# preadv's flag "only what is in the page cache, never wait" (Linux 4.14+; None elsewhere).
_NOWAIT: int | None = getattr(os, "RWF_NOWAIT", None)


def _cached_into(fd: int, view: memoryview, at: int) -> int | None:
    """What of ``view`` the page cache fills from ``at`` without waiting for a disk; None: nothing
    (not cached, or not known without waiting: a system or file system without RWF_NOWAIT)."""
    if _NOWAIT is None:
        return None
    try:
        n = os.preadv(fd, [view], at, _NOWAIT)
    except OSError:  # BlockingIOError: not cached; EOPNOTSUPP/EINVAL: the flag is not supported
        return None
    return n or None  # 0 is the end or nothing cached: the thread's plain read tells which


def _conflict(key: str) -> ValueError:
    return ValueError(
        f"blob key {key!r} clashes with another key: the file store cannot keep both 'a' and 'a/b'"
    )


class _FileSink:
    """A temporary file next to the target, renamed over it on commit.

    Methods run in worker threads. A lock serialises them because a cancelled put may start
    ``abort`` while a ``write`` thread is still finishing.
    """

    def __init__(self, key: str, target: Path) -> None:
        self.key = key
        self.target = target
        self.digest = Digest()
        self._lock = threading.Lock()
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError) as exc:
            raise _conflict(key) from exc
        # mkstemp creates the file 0600: sealed bids are for the app's eyes only.
        fd, tmp = tempfile.mkstemp(prefix=_TMP_PREFIX, suffix=_TMP_SUFFIX, dir=target.parent)
        self._tmp = tmp
        self._fh: BinaryIO | None = os.fdopen(fd, "wb")
        self._unflushed = 0
        self._flusher: threading.Thread | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.write_all((data,))

    def write_all(self, chunks: Sequence[bytes | bytearray | memoryview]) -> None:
        with self._lock:
            fh = self._fh
            if fh is None:
                raise RuntimeError("write after the upload was aborted")
            for data in chunks:
                self.digest.update(data)
                fh.write(data)
                self._unflushed += memoryview(data).nbytes
            if self._unflushed >= FLUSH_BYTES and (self._flusher is None or not self._flusher.is_alive()):
                # Start writing back what is written so far while the rest arrives, so the fsync at
                # commit has only the tail left (it took seconds for a large bid).
                fh.flush()
                self._unflushed = 0
                self._flusher = threading.Thread(target=_datasync, args=(fh.fileno(),), daemon=True)
                self._flusher.start()

    def _join_flusher(self) -> None:
        if self._flusher is not None:
            self._flusher.join()  # the file must stay open while it is being synced
            self._flusher = None

    def copy_from(self, source: BinaryIO) -> None:
        while block := source.read(BLOCK_SIZE):
            self.write(block)

    def commit(self) -> None:
        with self._lock:
            fh = self._fh
            if fh is None:
                raise RuntimeError("commit after the upload was aborted")
            # fsync before the rename so a crash cannot leave a renamed but empty or torn file: a
            # stored sealed bid was acknowledged to the bidder and must survive.
            fh.flush()
            self._join_flusher()
            os.fsync(fh.fileno())
            fh.close()
            self._fh = None
            try:
                os.replace(self._tmp, self.target)
            except (IsADirectoryError, NotADirectoryError) as exc:
                raise _conflict(self.key) from exc
            self._tmp = ""
            _fsync_dir(self.target.parent)

    def abort(self) -> None:
        with self._lock:
            self._join_flusher()
            if self._fh is not None:
                with contextlib.suppress(OSError):
                    self._fh.close()
                self._fh = None
            if self._tmp:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self._tmp)
                self._tmp = ""


def _datasync(fd: int) -> None:
    # Only starts the write-back early; commit's fsync is the one that makes the blob durable.
    with contextlib.suppress(OSError):
        getattr(os, "fdatasync", os.fsync)(fd)


def _fsync_dir(path: Path) -> None:
    # Makes the rename itself durable; not every platform can open a directory, hence the guard.
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class _FileReader(BlobReader):
    def __init__(self, key: str, fh: BinaryIO, size: int, chunk_size: int) -> None:
        super().__init__(key, size, chunk_size)
        self._fh = fh

    def _read_chunk(self, size: int) -> bytes:
        return self._fh.read(size)

    async def readinto(self, buffer: bytearray | memoryview) -> int:
        """Straight into ``buffer``: right here on the loop for the bytes the page cache holds (the
        kernel says so: ``RWF_NOWAIT``), else in a worker thread. A hop to a thread and back costs
        about 0.1 ms on this kind of machine, as much as copying a megabyte from the cache."""
        view = memoryview(buffer).cast("B")
        if self._closed or not view.nbytes:
            return 0
        fd = self._fh.fileno()
        at = self._fh.tell()
        n = 0
        if self._unread > 0 or not self.size:  # as ``__anext__``: no trip only to hear the end
            try:
                read = _cached_into(fd, view, at)
                if read is None:
                    read = await anyio.to_thread.run_sync(os.preadv, fd, [view], at)
                n = read
            except BaseException:
                await self.aclose()
                raise
        self._fh.seek(at + n)
        self._unread -= n
        if not n:
            self._complete = True
            await self.aclose()
        return n

    def _release(self, complete: bool) -> None:
        self._fh.close()


class FileBlobStore:
    """Blobs as files under ``root``; a key's ``/`` separated segments become sub-folders.

    Writes go to a temporary file in the target's folder, are fsynced and renamed over the target,
    so readers never see a partial blob. File I/O runs in worker threads, block by block.
    Limitation: a key cannot also be a "folder" of other keys (``a`` and ``a/b``); such a put
    raises ValueError. Temporary files left by a crash are named ``.~*.part``.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(os.path.abspath(root))

    def __repr__(self) -> str:
        return f"FileBlobStore({str(self.root)!r})"

    def describe(self) -> str:
        return self.root.as_uri()

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*validate_key(key).split("/"))

    async def put(
        self, key: str, data: BlobSource, *, content_type: str = "application/octet-stream"
    ) -> BlobInfo:
        target = self._path(key)
        if not (is_bytes_like(data) or is_async_source(data) or is_file_source(data)):
            raise unsupported_source(data)
        sink = await anyio.to_thread.run_sync(_FileSink, key, target)
        try:
            if is_bytes_like(data):
                await anyio.to_thread.run_sync(sink.write, cast(bytes, data))
            elif is_async_source(data):
                await _write_overlapped(sink, cast(AsyncIterable[bytes], data))
            else:
                await anyio.to_thread.run_sync(sink.copy_from, cast(BinaryIO, data))
            await anyio.to_thread.run_sync(sink.commit)
        except BaseException:
            # Shielded: a cancelled put must still remove its temporary file.
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(sink.abort)
            raise
        return sink.digest.info(key)

    async def open(self, key: str, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> BlobReader:
        path = self._path(key)
        validate_chunk_size(chunk_size)

        def _open() -> tuple[BinaryIO, int]:
            try:
                fh = open(path, "rb")  # the reader closes it
            except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
                raise BlobNotFound(key) from None
            return fh, os.fstat(fh.fileno()).st_size

        fh, size = await anyio.to_thread.run_sync(_open)
        return _FileReader(key, fh, size, chunk_size)

    def get(self, key: str, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> AsyncIterator[bytes]:
        self._path(key)  # a bad key fails here, before anyone iterates
        return stream(self, key, chunk_size)

    async def exists(self, key: str) -> bool:
        return await anyio.to_thread.run_sync(os.path.isfile, self._path(key))

    async def delete(self, key: str) -> None:
        path = self._path(key)

        def _delete() -> None:
            try:
                os.unlink(path)
            except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
                pass  # nothing stored under that key (a folder of other keys is not a blob)
            except PermissionError:
                if not path.is_dir():  # some platforms report EPERM for unlink() of a folder
                    raise

        await anyio.to_thread.run_sync(_delete)

    async def check(self) -> None:
        def _probe() -> None:
            # Write and remove a small file: proves the folder exists and is writable.
            self.root.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=_TMP_PREFIX, suffix=".check", dir=self.root)
            try:
                os.write(fd, b"ok")
            finally:
                os.close(fd)
                os.unlink(tmp)

        await anyio.to_thread.run_sync(_probe)


async def _write_overlapped(sink: _FileSink, data: AsyncIterable[bytes]) -> None:
    """Hash and write one batch of chunks in a worker thread while the next batch arrives.

    Uploads stream from the network, so overlapping the two roughly doubles what one request can
    store. A batch is the chunks as they came (a list, not a copy into one buffer: the event loop
    only collects them); at most two batches of about BLOCK_SIZE are held at once.
    """
    in_flight: asyncio.Future[None] | None = None
    batch: list[bytes] = []
    written: list[bytes] = []
    size = 0
    try:
        async for chunk in data:
            batch.append(chunk)
            size += len(chunk)
            if size >= BLOCK_SIZE:
                if in_flight is not None:
                    await in_flight
                    # The idle worker thread still holds the list it wrote (its last call's
                    # arguments): empty it, or a third batch would stay in memory.
                    written.clear()
                written = batch
                in_flight = asyncio.ensure_future(anyio.to_thread.run_sync(sink.write_all, written))
                batch, size = [], 0
        if in_flight is not None:
            await in_flight
            written.clear()
        in_flight = None
        if batch:
            await anyio.to_thread.run_sync(sink.write_all, batch)
    finally:
        if in_flight is not None and not in_flight.done():
            # Let the running write finish before the caller aborts the temporary file.
            with anyio.CancelScope(shield=True), contextlib.suppress(Exception):
                await asyncio.shield(in_flight)
