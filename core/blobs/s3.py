"""Blobs in an S3 bucket (MinIO, SeaweedFS, AWS...) through the synchronous ``minio`` client.

Every client call runs in a worker thread. A streamed put (an async source, such as a request body)
is cut into parts uploaded in parallel while the next part arrives (``_multipart.MultipartPut``), so
memory stays at a few parts whatever the size of the object. Bytes and file objects go through
minio's own ``put_object``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterable, AsyncIterator
from typing import BinaryIO, cast
from urllib.parse import parse_qsl, unquote, urlsplit

import anyio
import certifi
import urllib3
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
    is_async_source,
    is_bytes_like,
    is_file_source,
    read_full,
    stream,
    unsupported_source,
    validate_chunk_size,
    validate_key,
)
from ._multipart import MultipartPut

# A streamed put's part size and how many parts upload at once. PARALLEL_PARTS + 1 parts are held
# (the one filling), so a put stays near 24 MiB; 10,000 parts still allow objects of ~78 GiB.
# Measured with bench/ingest.py: fewer or smaller parts leave the network waiting on S3's
# per-part round trip; more gain nothing on two cores.
DEFAULT_PART_SIZE = 8 * 1024 * 1024
PARALLEL_PARTS = 2
# Threads for S3 calls that upload (parts, whole objects) get their own limiter, so a burst of
# uploads cannot exhaust anyio's default thread pool, which their sources may need.
MAX_CONCURRENT_UPLOADS = 16
CHECK_TIMEOUT = 10.0

_MISSING = {"NoSuchKey", "NoSuchBucket", "NoSuchObject"}
_OPTIONS = {"secure", "region"}


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
        parallel_parts: int = PARALLEL_PARTS,
    ) -> None:
        check_bucket_name(bucket, strict=True)  # the portable S3 rules: lowercase, 3-63 characters
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"part_size must be at least {MIN_PART_SIZE} bytes (S3's minimum)")
        self.endpoint = endpoint
        self.bucket = bucket
        self.secure = secure
        self.part_size = part_size
        self.parallel_parts = max(1, parallel_parts)
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

    def _upload(self, key: str, reader: _HashingReader, length: int, content_type: str) -> None:
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
        upload = MultipartPut(
            self._client,
            self.bucket,
            key,
            content_type,
            part_size=self.part_size,
            parallel=self.parallel_parts,
            limiter=self._upload_limiter,
        )
        try:
            return await upload.run(source)
        except S3Error as exc:
            if exc.code == "NoSuchBucket":
                self._bucket_ready = False  # deleted behind our back: recreate on the next put
            raise

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
