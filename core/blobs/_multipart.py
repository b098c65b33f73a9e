"""A streamed S3 put: the async source is cut into parts on the event loop and the parts are uploaded
in parallel worker threads, while the next part is still arriving.

Each source chunk is copied once, into its part's buffer; the buffer itself is the request body (no
further copy by minio or urllib3). The blob's SHA-256 is computed part after part, in order, in worker
threads. At most ``parallel`` parts are in flight plus the one being filled, so memory stays at about
``(parallel + 1) × part_size`` whatever the size of the blob. minio's own ``put_object(length=-1)``
uploads one part at a time and only starts reading the next part when the previous one is stored,
which left the network and S3 taking turns; it also copies every part two or three times.

An object no larger than one part is a single PUT. On any failure or cancellation the multipart
upload is aborted, so no object appears and a previous one under the key stays.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterable, Callable
from typing import Any, TypeVar, cast

import anyio
from minio import Minio
from minio.datatypes import Part

from ._base import BlobInfo, Digest

T = TypeVar("T")


class MultipartPut:
    """One streamed put of ``key`` (``run`` once). minio's multipart calls are its private
    ``_create_multipart_upload``/``_upload_part``/``_complete_multipart_upload``/
    ``_abort_multipart_upload``: the public API offers no way to upload parts of our own choosing."""

    def __init__(
        self,
        client: Minio,
        bucket: str,
        key: str,
        content_type: str,
        *,
        part_size: int,
        parallel: int,
        limiter: anyio.CapacityLimiter,
    ) -> None:
        self._client = client
        self._bucket = bucket
        self._key = key
        self._headers = {"Content-Type": content_type}
        self._part_size = part_size
        self._slots = asyncio.Semaphore(parallel)
        self._limiter = limiter
        self._digest = Digest()
        self._hashed: asyncio.Task[None] | None = None  # the previous part's hashing
        self._uploads: list[asyncio.Task[None]] = []
        self._etags: dict[int, str] = {}
        self._upload_id: str | None = None

    async def run(self, source: AsyncIterable[bytes]) -> BlobInfo:
        try:
            await self._stream(source)
        except BaseException:
            await self._cleanup()
            raise
        return self._digest.info(self._key)

    async def _stream(self, source: AsyncIterable[bytes]) -> None:
        size = self._part_size
        buffer = bytearray(size)
        view = memoryview(buffer)
        filled = 0
        number = 0
        async for chunk in source:
            data = memoryview(chunk).cast("B")
            pos, length = 0, len(data)
            while pos < length:
                if filled == size:  # a full part, and more data follows: it is not the last one
                    number += 1
                    await self._start(number, buffer)
                    buffer = bytearray(size)
                    view = memoryview(buffer)
                    filled = 0
                take = min(size - filled, length - pos)
                view[filled : filled + take] = data[pos : pos + take]
                filled += take
                pos += take
        view.release()
        del buffer[filled:]  # the last part is usually shorter
        if number == 0:
            await self._hash(buffer)
            put = self._client._put_object
            await self._thread(
                _handing_over(
                    lambda data: put(self._bucket, self._key, cast(bytes, data), cast(Any, self._headers)),
                    buffer,
                )
            )
            return
        await self._start(number + 1, buffer)
        await self._finish()

    async def _start(self, number: int, part: bytearray) -> None:
        """Hash ``part`` after the previous one and upload it in the background, once a slot is free."""
        await self._slots.acquire()
        self._raise_failed()
        if self._upload_id is None:
            self._upload_id = await self._thread(
                self._client._create_multipart_upload, self._bucket, self._key, dict(self._headers)
            )
        self._hashed = asyncio.ensure_future(self._hash_after(self._hashed, part))
        self._uploads.append(asyncio.ensure_future(self._upload(number, part, self._hashed)))

    async def _hash_after(self, previous: asyncio.Task[None] | None, part: bytearray) -> None:
        if previous is not None:
            await previous
        await self._hash(part)

    async def _hash(self, part: bytearray) -> None:
        await anyio.to_thread.run_sync(_handing_over(self._digest.update, part))

    async def _upload(self, number: int, part: bytearray, hashed: asyncio.Task[None]) -> None:
        try:
            upload_id = self._upload_id
            assert upload_id is not None
            upload_part = self._client._upload_part
            self._etags[number] = await self._thread(
                _handing_over(
                    lambda data: upload_part(
                        self._bucket, self._key, cast(bytes, data), None, upload_id, number
                    ),
                    part,
                )
            )
        finally:
            # The slot (and so the part's memory) is free once the part is both stored and hashed.
            await asyncio.wait([hashed])
            self._slots.release()

    def _raise_failed(self) -> None:
        for task in self._uploads:
            if task.done() and not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]

    async def _finish(self) -> None:
        for task in self._uploads:
            await task
        if self._hashed is not None:
            await self._hashed
        parts = [Part(number, etag) for number, etag in sorted(self._etags.items())]
        await self._thread(
            self._client._complete_multipart_upload, self._bucket, self._key, self._upload_id, parts
        )
        self._upload_id = None

    async def _cleanup(self) -> None:
        """Stop the parts and abort the upload (shielded: a cancelled put must still clean up)."""
        pending = [*self._uploads, *([self._hashed] if self._hashed else [])]
        for task in pending:
            task.cancel()
        with anyio.CancelScope(shield=True):
            # A part's thread cannot be interrupted; its task ends once the thread returns.
            await asyncio.gather(*pending, return_exceptions=True)
            if self._upload_id is not None:
                with contextlib.suppress(Exception):
                    await self._thread(
                        self._client._abort_multipart_upload, self._bucket, self._key, self._upload_id
                    )

    async def _thread(self, function: Callable[..., T], *args: object) -> T:
        return await anyio.to_thread.run_sync(function, *args, limiter=self._limiter)


def _handing_over(function: Callable[[bytearray], T], part: bytearray) -> Callable[[], T]:
    """``function(part)`` for a worker thread, holding ``part`` only while it runs: an idle worker
    thread keeps its last call's arguments alive, which would pin a whole part per thread."""
    box = [part]

    def call() -> T:
        return function(box.pop())

    return call
