"""Blobs in an S3 bucket (MinIO, SeaweedFS, AWS...) through the synchronous ``minio`` client.

Every client call runs in a worker thread. A streamed put hands the async source to minio's
``put_object(length=-1)`` through a file-like adapter fed by a bounded queue, so memory stays at
about three multipart parts (minio keeps the previous part while slicing the next) whatever the
size of the object.
"""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterable, AsyncIterator
from contextlib import aclosing
from typing import BinaryIO, cast
from urllib.parse import parse_qsl, unquote, urlsplit

import anyio
import anyio.from_thread
import anyio.lowlevel
import certifi
import urllib3
from anyio.streams.memory import MemoryObjectReceiveStream
from minio import Minio
from minio.error import S3Error
from minio.helpers import MIN_PART_SIZE, check_bucket_name
from urllib3.response import BaseHTTPResponse

from ._base import (
    DEFAULT_CHUNK_SIZE,
    BlobInfo,
    BlobNotFound,
    BlobReader,
    BlobSource,
    Digest,
    blocks,
    is_async_source,
    is_bytes_like,
    is_file_source,
    read_full,
    stream,
    unsupported_source,
    validate_chunk_size,
    validate_key,
)

# S3's smallest allowed part (5 MiB): with minio holding about three parts at once this keeps a
# streamed upload near 16 MiB, and 10,000 parts still allow objects of ~48 GiB.
DEFAULT_PART_SIZE = MIN_PART_SIZE
# The async source crosses to the upload thread in blocks of this size, at most QUEUE_BLOCKS of
# them waiting: enough for the source and the upload to overlap, small next to the parts.
QUEUE_BLOCK_SIZE = 256 * 1024
QUEUE_BLOCKS = 4
# Uploads each hold a thread for their whole duration, waiting on the event loop for data. They
# get their own limiter so they cannot exhaust anyio's default thread pool, which the sources they
# wait on may themselves need (reading another store, a file...).
MAX_CONCURRENT_UPLOADS = 16
CHECK_TIMEOUT = 10.0

_MISSING = {"NoSuchKey", "NoSuchBucket", "NoSuchObject"}
_OPTIONS = {"secure", "region"}


class _SourceAborted(Exception):
    """Raised inside minio's read loop when the async source failed: minio then aborts the
    multipart upload, so no object appears."""


class _HashingReader:
    """File-like view of a binary file for minio; hashes what minio reads."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.digest = Digest()

    def read(self, size: int = -1) -> bytes:
        data = read_full(self._raw, size)
        self.digest.update(data)
        return data


class _ViewReader:
    """Reads a bytes-like object part by part without first copying all of it (BytesIO would)."""

    def __init__(self, view: memoryview) -> None:
        self._view = view
        self._pos = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._view) if size is None or size < 0 else self._pos + size
        data = bytes(self._view[self._pos : end])
        self._pos += len(data)
        return data


class _QueueReader:
    """File-like end of the queue, read by minio in the upload thread.

    The producer task on the event loop fills the queue from the async source and, only if the
    source was exhausted, puts an empty block as the end mark; ``read`` pulls blocks across with
    ``anyio.from_thread``. A queue that closes without the mark means failure and aborts the
    upload. (The mark also keeps the normal path free of exceptions, whose tracebacks would pin
    minio's frames, and so the last parts, in memory until the next garbage collection.)
    """

    def __init__(self, receive: MemoryObjectReceiveStream[bytes | bytearray]) -> None:
        self._receive = receive
        self._pending = memoryview(b"")
        self._eof = False
        self.digest = Digest()
        self.source_error: Exception | None = None

    def _next_block(self) -> bool:
        try:
            block = anyio.from_thread.run(self._receive.receive)
        except BaseException as exc:
            # A queue closed without the end mark, cancellation or a closed event loop. minio
            # aborts a multipart upload on Exception only, so never let a BaseException through.
            raise _SourceAborted("the data source stopped before its end") from exc
        if not block:
            self._eof = True
            return False
        self._pending = memoryview(block)
        return True

    def read(self, size: int = -1) -> bytes:
        want = size if size is not None and size >= 0 else None
        out = io.BytesIO()
        while want is None or out.tell() < want:
            if not self._pending and (self._eof or not self._next_block()):
                break
            take = self._pending if want is None else self._pending[: want - out.tell()]
            out.write(take)
            self._pending = self._pending[len(take) :]
        # getvalue() hands over the buffer without copying it (CPython), so a part is in memory once.
        data = out.getvalue()
        self.digest.update(data)
        return data


class _S3Reader(BlobReader):
    def __init__(self, key: str, response: BaseHTTPResponse, size: int, chunk_size: int) -> None:
        super().__init__(key, size, chunk_size)
        self._response = response

    def _read_chunk(self, size: int) -> bytes:
        return self._response.read(size)

    def _release(self, complete: bool) -> None:
        if not complete:
            # Unread body bytes would poison a kept-alive connection: drop it instead.
            self._response.close()
        self._response.release_conn()


class S3BlobStore:
    """Blobs as objects in one bucket, which is created on first put or by ``check()``."""

    def __init__(
        self,
        endpoint: str,
        bucket: str,
        *,
        access_key: str,
        secret_key: str,
        secure: bool = True,
        region: str | None = None,
        part_size: int = DEFAULT_PART_SIZE,
    ) -> None:
        check_bucket_name(bucket, strict=True)  # the portable S3 rules: lowercase, 3-63 characters
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"part_size must be at least {MIN_PART_SIZE} bytes (S3's minimum)")
        self.endpoint = endpoint
        self.bucket = bucket
        self.secure = secure
        self.part_size = part_size
        # minio's default pool waits 5 minutes to connect and keeps 10 connections; a dead S3
        # should fail fast, and concurrent uploads plus downloads need more connections.
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=10, read=300),
            maxsize=MAX_CONCURRENT_UPLOADS + 16,
            cert_reqs="CERT_REQUIRED",
            ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
            retries=urllib3.Retry(total=3, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
        )
        self._client = Minio(
            endpoint,
            access_key=access_key,
            secret_key=secret_key,
            secure=secure,
            region=region,
            http_client=http,
        )
        self._bucket_ready = False
        self._upload_limiter = anyio.CapacityLimiter(MAX_CONCURRENT_UPLOADS)

    @classmethod
    def from_url(cls, url: str) -> S3BlobStore:
        """``s3://ACCESS:SECRET@host[:port]/bucket[?secure=false&region=...]``; percent-encode
        ``/``, ``:`` or ``@`` in the secret. ``secure`` (HTTPS) defaults to true."""
        parts = urlsplit(url)
        usage = "expected s3://ACCESS:SECRET@host[:port]/bucket[?secure=false&region=...]"
        if parts.scheme.lower() != "s3":
            raise ValueError(f"not an s3:// URL; {usage}")
        try:
            host, port = parts.hostname, parts.port
        except ValueError as exc:
            raise ValueError(f"bad port in the s3 blob URL; {usage}") from exc
        if not host:
            raise ValueError(f"the s3 blob URL has no host; {usage}")
        if not parts.username or not parts.password:
            raise ValueError(f"the s3 blob URL has no credentials; {usage}")
        bucket = parts.path.strip("/")
        if not bucket or "/" in bucket:
            raise ValueError(f"the s3 blob URL must name exactly one bucket as its path; {usage}")
        options = dict(parse_qsl(parts.query, keep_blank_values=True))
        unknown = set(options) - _OPTIONS
        if unknown:
            raise ValueError(f"unknown s3 blob URL option(s) {sorted(unknown)}; {usage}")
        secure = _parse_bool(options.get("secure", "true"), "secure")
        if ":" in host:  # an IPv6 literal lost its brackets in urlsplit
            host = f"[{host}]"
        return cls(
            host if port is None else f"{host}:{port}",
            bucket,
            access_key=unquote(parts.username),
            secret_key=unquote(parts.password),
            secure=secure,
            region=options.get("region") or None,
        )

    def __repr__(self) -> str:
        return f"S3BlobStore({self.describe()!r})"

    def describe(self) -> str:
        return f"s3://{self.endpoint}/{self.bucket}"

    # --- bucket -----------------------------------------------------------------------------

    def _ensure_bucket(self) -> None:
        if self._bucket_ready:
            return
        if not self._client.bucket_exists(self.bucket):
            try:
                self._client.make_bucket(self.bucket)
            except S3Error as exc:
                # Another process (or a concurrent put) created it in between.
                if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    raise
        self._bucket_ready = True

    # --- put --------------------------------------------------------------------------------

    def _upload(
        self, key: str, reader: _HashingReader | _QueueReader, length: int, content_type: str
    ) -> None:
        try:
            self._client.put_object(
                self.bucket,
                key,
                cast(BinaryIO, reader),
                length,
                content_type=content_type,
                part_size=self.part_size if length < 0 else 0,
                # minio's parallel mode keeps up to three more parts in memory and, when the
                # source fails, leaves its three worker threads blocked forever.
                num_parallel_uploads=1,
            )
        except S3Error as exc:
            if exc.code == "NoSuchBucket":
                self._bucket_ready = False  # deleted behind our back: recreate on the next put
            raise

    async def put(
        self, key: str, data: BlobSource, *, content_type: str = "application/octet-stream"
    ) -> BlobInfo:
        validate_key(key)
        if not (is_bytes_like(data) or is_async_source(data) or is_file_source(data)):
            raise unsupported_source(data)
        if not self._bucket_ready:
            await anyio.to_thread.run_sync(self._ensure_bucket)
        if is_async_source(data):
            return await self._put_async(key, cast(AsyncIterable[bytes], data), content_type)
        if is_bytes_like(data):
            view = memoryview(cast(bytes, data)).cast("B")
            reader = _HashingReader(cast(BinaryIO, _ViewReader(view)))
            length = view.nbytes
        else:
            reader = _HashingReader(cast(BinaryIO, data))
            length = -1
        await anyio.to_thread.run_sync(
            self._upload, key, reader, length, content_type, limiter=self._upload_limiter
        )
        return reader.digest.info(key)

    async def _put_async(self, key: str, source: AsyncIterable[bytes], content_type: str) -> BlobInfo:
        send, receive = anyio.create_memory_object_stream[bytes | bytearray](max_buffer_size=QUEUE_BLOCKS)
        reader = _QueueReader(receive)
        upload_error: Exception | None = None

        async def produce() -> None:
            with send:
                try:
                    async with aclosing(blocks(source, QUEUE_BLOCK_SIZE)) as source_blocks:
                        async for block in source_blocks:
                            await send.send(block)
                    await send.send(b"")  # the end mark: blocks are never empty
                except anyio.BrokenResourceError:
                    pass  # the upload failed and closed the queue; its error is the one to report
                except Exception as exc:
                    reader.source_error = exc

        async with anyio.create_task_group() as tg:
            tg.start_soon(produce)
            try:
                await anyio.to_thread.run_sync(
                    self._upload, key, reader, -1, content_type, limiter=self._upload_limiter
                )
            except Exception as exc:
                upload_error = exc
                tg.cancel_scope.cancel()  # the producer may be waiting on a slow source: stop it
            finally:
                receive.close()  # a producer blocked on a full queue gets BrokenResourceError
        # The source's own error explains an upload that minio aborted because of it.
        if reader.source_error is not None:
            raise reader.source_error
        if upload_error is not None:
            if isinstance(upload_error, _SourceAborted):
                # The producer was cancelled, which is why the upload stopped: report the
                # cancellation itself, not the abort it caused.
                await anyio.lowlevel.checkpoint_if_cancelled()
            raise upload_error
        return reader.digest.info(key)

    # --- read, exists, delete -----------------------------------------------------------------

    async def open(self, key: str, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> BlobReader:
        validate_key(key)
        validate_chunk_size(chunk_size)

        def _open() -> tuple[BaseHTTPResponse, int]:
            try:
                response = self._client.get_object(self.bucket, key)
            except S3Error as exc:
                if exc.code in _MISSING:
                    raise BlobNotFound(key) from None
                raise
            length = response.headers.get("Content-Length")
            if length is None:
                size = self._client.stat_object(self.bucket, key).size or 0
            else:
                size = int(length)
            return response, size

        response, size = await anyio.to_thread.run_sync(_open)
        return _S3Reader(key, response, size, chunk_size)

    def get(self, key: str, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> AsyncIterator[bytes]:
        validate_key(key)  # a bad key fails here, before anyone iterates
        return stream(self, key, chunk_size)

    async def exists(self, key: str) -> bool:
        validate_key(key)

        def _exists() -> bool:
            try:
                self._client.stat_object(self.bucket, key)
            except S3Error as exc:
                if exc.code in _MISSING:
                    return False
                raise
            return True

        return await anyio.to_thread.run_sync(_exists)

    async def delete(self, key: str) -> None:
        validate_key(key)

        def _delete() -> None:
            try:
                self._client.remove_object(self.bucket, key)  # S3 deletes are idempotent already
            except S3Error as exc:
                if exc.code != "NoSuchBucket":
                    raise

        await anyio.to_thread.run_sync(_delete)

    async def check(self) -> None:
        # Creating the bucket if needed also proves the credentials work. The thread is abandoned
        # on timeout so /healthz answers promptly even when S3 hangs.
        with anyio.fail_after(CHECK_TIMEOUT):
            await anyio.to_thread.run_sync(self._ensure_bucket_checked, abandon_on_cancel=True)

    def _ensure_bucket_checked(self) -> None:
        self._bucket_ready = False  # really ask S3, not the cached answer
        self._ensure_bucket()


def _parse_bool(value: str, name: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"s3 blob URL option {name}={value!r} is not a boolean")
