"""The blob store contract, run against both back ends: a folder (``file``) and S3 (``s3``, a local
SeaweedFS server from tests.support.s3, one fresh bucket per test)."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import tracemalloc
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from minio import Minio

from core.blobs import (
    MAX_KEY_LENGTH,
    BlobInfo,
    BlobNotFound,
    BlobStore,
    FileBlobStore,
    S3BlobStore,
    open_blob_store,
    validate_key,
)
from core.blobs import file as file_store
from core.blobs._base import BLOCK_SIZE
from tests.support.s3 import ACCESS_KEY, SECRET_KEY, WeedServer

MiB = 1024 * 1024
# Random, so no back end can shortcut with compression or deduplication; allocated at import so
# the memory test does not count it.
_NOISE = os.urandom(2 * MiB)


def chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    """``total`` bytes of deterministic noise in chunks of ``size`` (each a fresh small object)."""
    index = 0
    sent = 0
    while sent < total:
        n = min(size, total - sent)
        offset = (index * 7919) % (len(_NOISE) - n)
        yield _NOISE[offset : offset + n]
        sent += n
        index += 1


async def source(total: int, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for chunk in chunks(total, size):
        yield chunk
        await anyio.lowlevel.checkpoint()  # behave like a network body: let other tasks run


def expected(total: int, size: int = 64 * 1024) -> BlobInfo:
    sha = hashlib.sha256()
    for chunk in chunks(total, size):
        sha.update(chunk)
    return BlobInfo(key="", size=total, sha256=sha.hexdigest())


async def fetch(store: BlobStore, key: str) -> tuple[int, str]:
    """Size and SHA-256 of a stored blob, streamed."""
    sha = hashlib.sha256()
    size = 0
    async for chunk in store.get(key):
        sha.update(chunk)
        size += len(chunk)
    return size, sha.hexdigest()


async def failing_source(good_bytes: int) -> AsyncIterator[bytes]:
    for chunk in chunks(good_bytes):
        yield chunk
    raise ConnectionResetError("bidder's connection dropped")


@pytest.fixture(params=["file", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "file":
        return open_blob_store(f"file://{tmp_path / 'blobs'}")
    return open_blob_store(request.getfixturevalue("s3_bucket_url"))


# --- round trips ---------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 65536, 20 * MiB + 123], ids=["0", "1", "64KiB", "20MiB"])
async def test_streamed_round_trip(store: BlobStore, size: int) -> None:
    info = await store.put("tenders/T-2024-001/bids/b1.sealed", source(size))

    want = expected(size)
    assert info == BlobInfo("tenders/T-2024-001/bids/b1.sealed", want.size, want.sha256)
    assert await fetch(store, info.key) == (want.size, want.sha256)
    reader = await store.open(info.key)
    async with reader:
        assert reader.size == size


async def test_put_bytes(store: BlobStore) -> None:
    data = b"%PDF-1.7 tender document" * 1000
    info = await store.put("docs/tender.pdf", data, content_type="application/pdf")

    assert info == BlobInfo("docs/tender.pdf", len(data), hashlib.sha256(data).hexdigest())
    assert await (await store.open("docs/tender.pdf")).read() == data


async def test_put_bytes_like(store: BlobStore) -> None:
    data = bytearray(b"report") * 10
    info = await store.put("reports/r.bin", memoryview(data))

    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert await (await store.open("reports/r.bin")).read() == bytes(data)


@pytest.mark.parametrize("size", [10_000, 6 * MiB + 7], ids=["small", "multipart"])
async def test_put_binary_file(store: BlobStore, tmp_path: Path, size: int) -> None:
    path = tmp_path / "upload.bin"
    path.write_bytes(b"".join(chunks(size)))

    with path.open("rb") as fh:
        info = await store.put("uploads/file.bin", fh)

    assert (info.size, info.sha256) == (size, expected(size).sha256)
    assert await fetch(store, "uploads/file.bin") == (size, info.sha256)


async def test_put_short_reads_from_file_object(store: BlobStore) -> None:
    class Trickle(io.RawIOBase):
        """A raw stream that returns at most 1000 bytes per read, like a pipe."""

        def __init__(self, data: bytes) -> None:
            self._data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            chunk = self._data.read(min(len(buffer), 1000))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    data = b"".join(chunks(300_000))
    info = await store.put("uploads/trickle.bin", Trickle(data))  # type: ignore[arg-type]
    assert (info.size, info.sha256) == (len(data), hashlib.sha256(data).hexdigest())


async def test_get_respects_chunk_size(store: BlobStore) -> None:
    await store.put("k", b"x" * 10_000)

    sizes = [len(chunk) async for chunk in store.get("k", chunk_size=4096)]
    assert sum(sizes) == 10_000
    assert max(sizes) <= 4096


async def read_through(reader: Any, buffer_size: int) -> tuple[bytes, list[int]]:
    """A blob read with ``readinto`` through one buffer, until it answers 0: its bytes and the counts."""
    buffer, out, counts = bytearray(buffer_size), bytearray(), []
    while n := await reader.readinto(buffer):
        counts.append(n)
        out += buffer[:n]
    return bytes(out), counts


async def test_readinto_reads_the_blob_through_one_buffer(store: BlobStore) -> None:
    data = b"".join(chunks(3 * MiB + 4321))
    await store.put("bids/b.sealed", data)

    reader = await store.open("bids/b.sealed", chunk_size=MiB)
    async with reader:
        first = await anext(reader)  # chunks and readinto continue from each other
        rest, counts = await read_through(reader, 700_000)  # not a multiple of the chunk size
        assert await reader.readinto(bytearray(10)) == 0  # ended, and stays so
    assert first + rest == data and max(counts) <= 700_000 and 0 not in counts


async def test_the_file_store_reads_the_page_cache_on_the_loop_and_the_rest_in_a_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_blob_store(f"file://{tmp_path / 'blobs'}")
    data = b"".join(chunks(2 * MiB + 17))
    await store.put("bids/b.sealed", data)  # just written: in the page cache
    real_run_sync, trips = anyio.to_thread.run_sync, []

    async def counted(*args: Any, **kwargs: Any) -> Any:
        trips.append(args[0])
        return await real_run_sync(*args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    async with await store.open("bids/b.sealed") as reader:
        trips.clear()  # the open's own trip
        read, counts = await read_through(reader, MiB)
    assert read == data and sum(counts) == len(data)
    if file_store._NOWAIT is not None:  # Linux: the kernel says what is cached
        assert trips == []
    # as when the blob is not in the page cache (or the system cannot say): every read waits for it
    monkeypatch.setattr(file_store, "_NOWAIT", None)
    async with await store.open("bids/b.sealed") as reader:
        trips.clear()
        read, counts = await read_through(reader, MiB)
    assert read == data and counts == [MiB, MiB, 17] and len(trips) == 3


async def test_overwrite_replaces(store: BlobStore) -> None:
    await store.put("bids/b.sealed", b"first version, the longer one")
    info = await store.put("bids/b.sealed", b"second")

    assert info.size == 6
    assert await (await store.open("bids/b.sealed")).read() == b"second"


async def test_put_rejects_other_sources(store: BlobStore) -> None:
    with pytest.raises(TypeError, match="cannot store a str"):
        await store.put("k", "text is not bytes")  # type: ignore[arg-type]


# --- missing, exists, delete ---------------------------------------------------------------------


async def test_missing_blob(store: BlobStore) -> None:
    with pytest.raises(BlobNotFound) as caught:
        await store.open("nope/never.bin")
    assert isinstance(caught.value, KeyError)
    assert caught.value.key == "nope/never.bin"
    assert str(caught.value) == "no blob stored under key 'nope/never.bin'"

    iterator = store.get("nope/never.bin")  # lazy: the error comes on first iteration
    with pytest.raises(BlobNotFound):
        await anext(iterator)


async def test_missing_blob_after_others_exist(store: BlobStore) -> None:
    await store.put("dir/child", b"x")

    assert not await store.exists("dir")  # a "folder" of other keys is not a blob
    with pytest.raises(BlobNotFound):
        await store.open("dir")
    await store.delete("dir")
    assert await store.exists("dir/child")


async def test_exists_and_delete(store: BlobStore) -> None:
    assert not await store.exists("a/b.txt")
    await store.put("a/b.txt", b"hello")
    assert await store.exists("a/b.txt")

    await store.delete("a/b.txt")
    assert not await store.exists("a/b.txt")
    with pytest.raises(BlobNotFound):
        await store.open("a/b.txt")


async def test_delete_is_idempotent(store: BlobStore) -> None:
    await store.delete("never/stored")  # before anything exists (for S3: before the bucket does)
    await store.put("once", b"1")
    await store.delete("once")
    await store.delete("once")
    assert not await store.exists("once")


# --- keys ----------------------------------------------------------------------------------------

BAD_KEYS = [
    "",
    "/etc/passwd",
    "../outside",
    "a/../../outside",
    "a/..",
    "a..b",
    "./a",
    "a/./b",
    "a//b",
    "a/",
    "with space",
    "back\\slash",
    "percent%2e%2e",
    "tilde~",
    "ünïcode",
    "new\nline",
    "nul\x00",
    "x" * (MAX_KEY_LENGTH + 1),
    "y" * 256,
]


@pytest.mark.parametrize("key", BAD_KEYS, ids=range(len(BAD_KEYS)))
async def test_invalid_keys_are_rejected(store: BlobStore, key: str) -> None:
    with pytest.raises(ValueError, match="blob key"):
        await store.put(key, b"x")
    with pytest.raises(ValueError, match="blob key"):
        await store.open(key)
    with pytest.raises(ValueError, match="blob key"):
        store.get(key)
    with pytest.raises(ValueError, match="blob key"):
        await store.exists(key)
    with pytest.raises(ValueError, match="blob key"):
        await store.delete(key)


async def test_longest_and_oddest_valid_keys(store: BlobStore) -> None:
    longest = "/".join(["s" * 127] * 4)  # 4 * 127 + 3 = 511
    longest += "z"
    odd = "A-Z_a.z/0-9/.hidden/-dash/_under/trailing."
    for key in (longest, odd):
        assert validate_key(key) == key
        await store.put(key, key.encode())
        assert await (await store.open(key)).read() == key.encode()


def test_key_errors_say_why() -> None:
    with pytest.raises(ValueError, match=r"contains ' '; allowed are letters, digits and \. _ - /"):
        validate_key("a b")
    with pytest.raises(ValueError, match=r"must not contain '\.\.'"):
        validate_key("a/../b")
    with pytest.raises(ValueError, match="512"):
        validate_key("k" * 513)
    with pytest.raises(TypeError):
        validate_key(b"bytes")  # type: ignore[arg-type]


# --- failures leave nothing behind ---------------------------------------------------------------


@pytest.mark.parametrize("good_bytes", [100_000, 7 * MiB], ids=["before-first-part", "mid-multipart"])
async def test_failing_source_leaves_no_blob(store: BlobStore, good_bytes: int) -> None:
    with pytest.raises(ConnectionResetError, match="connection dropped"):
        await store.put("bids/broken.sealed", failing_source(good_bytes))

    assert not await store.exists("bids/broken.sealed")
    with pytest.raises(BlobNotFound):
        await store.open("bids/broken.sealed")
    # and the store still works
    await store.put("bids/broken.sealed", b"retry")
    assert await (await store.open("bids/broken.sealed")).read() == b"retry"


async def test_failing_overwrite_keeps_previous_blob(store: BlobStore) -> None:
    await store.put("bids/b.sealed", b"the sealed bid")

    with pytest.raises(ConnectionResetError):
        await store.put("bids/b.sealed", failing_source(6 * MiB))

    assert await (await store.open("bids/b.sealed")).read() == b"the sealed bid"


async def test_cancelled_put_leaves_no_blob(store: BlobStore) -> None:
    stalled = anyio.Event()

    async def stalling_source() -> AsyncIterator[bytes]:
        for chunk in chunks(6 * MiB):
            yield chunk
        stalled.set()
        await anyio.sleep_forever()  # the client went quiet
        yield b"never"

    async with anyio.create_task_group() as tg:
        tg.start_soon(store.put, "bids/slow.sealed", stalling_source())
        await stalled.wait()
        tg.cancel_scope.cancel()

    assert not await store.exists("bids/slow.sealed")
    await store.put("bids/slow.sealed", b"ok")
    assert await store.exists("bids/slow.sealed")


async def test_task_cancel_of_put_leaves_no_blob(store: BlobStore) -> None:
    """Plain asyncio cancellation, as when a server cancels a request handler."""
    stalled = asyncio.Event()

    async def stalling_source() -> AsyncIterator[bytes]:
        for chunk in chunks(6 * MiB):
            yield chunk
        stalled.set()
        await asyncio.Event().wait()
        yield b"never"

    task = asyncio.create_task(store.put("bids/slow.sealed", stalling_source()))
    await stalled.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert not await store.exists("bids/slow.sealed")


async def test_reader_closed_early_releases_resources(store: BlobStore) -> None:
    await store.put("big", source(2 * MiB))

    for _ in range(40):  # more than any connection pool or file descriptor slack would hide
        reader = await store.open("big", chunk_size=1024)
        async with reader:
            assert len(await anext(reader)) == 1024
    assert await fetch(store, "big") == (2 * MiB, expected(2 * MiB).sha256)


async def test_concurrent_puts(store: BlobStore) -> None:
    sizes = [6 * MiB + i for i in range(4)]
    infos: list[BlobInfo] = []

    async def put(i: int) -> None:
        infos.append(await store.put(f"concurrent/{i}", source(sizes[i])))

    async with anyio.create_task_group() as tg:
        for i in range(len(sizes)):
            tg.start_soon(put, i)

    for info in infos:
        i = int(info.key.rsplit("/", 1)[1])
        assert (info.size, info.sha256) == (sizes[i], expected(sizes[i]).sha256)
        assert await fetch(store, info.key) == (info.size, info.sha256)


# --- health and memory ---------------------------------------------------------------------------


async def test_check_passes(store: BlobStore) -> None:
    await store.check()
    await store.check()


async def test_describe_has_no_secrets(store: BlobStore) -> None:
    description = store.describe()
    assert description.startswith(("file:///", "s3://"))
    assert "sunbid-test-secret" not in description
    assert "@" not in description


async def test_streamed_put_memory_is_bounded(store: BlobStore) -> None:
    size = 64 * MiB
    tracemalloc.start()
    try:
        info = await store.put("big/64MiB.bin", source(size))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert info.size == size
    # Far below the object size: for S3 the parts in flight and the one filling, each held once (no
    # copies); for files the batch being written and the one filling.
    if isinstance(store, S3BlobStore):
        bound = (store.parallel_parts + 1) * store.part_size + 2 * MiB
    else:
        bound = 2 * BLOCK_SIZE + 2 * MiB
    assert peak < bound < size / 2, f"peak {peak / MiB:.1f} MiB"


# --- back-end specifics --------------------------------------------------------------------------


async def test_file_store_leaves_no_temporary_files(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path / "blobs")
    await store.put("a/ok", b"fine")
    with pytest.raises(ConnectionResetError):
        await store.put("a/broken", failing_source(3 * MiB))
    await store.check()

    assert sorted(p.name for p in (tmp_path / "blobs").rglob("*") if p.is_file()) == ["ok"]


async def test_file_store_key_clash(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path / "blobs")
    await store.put("a", b"file")
    with pytest.raises(ValueError, match="clashes"):
        await store.put("a/b", b"nested")
    await store.put("c/d", b"nested")
    with pytest.raises(ValueError, match="clashes"):
        await store.put("c", b"file")
    assert await (await store.open("a")).read() == b"file"
    assert not await store.exists("c")


async def test_file_store_check_fails_when_folder_unusable(tmp_path: Path) -> None:
    (tmp_path / "not-a-folder").write_bytes(b"")
    with pytest.raises(OSError):
        await FileBlobStore(tmp_path / "not-a-folder").check()


async def test_s3_check_fails_on_bad_credentials(s3_bucket_url: str) -> None:
    wrong = s3_bucket_url.replace(":sunbid-test-secret@", ":wrong@")
    assert wrong != s3_bucket_url
    with pytest.raises(Exception, match=r"SignatureDoesNotMatch|AccessDenied|InvalidAccessKeyId"):
        await open_blob_store(wrong).check()


async def test_s3_check_creates_bucket(s3_server: WeedServer, s3_bucket_url: str) -> None:
    store = open_blob_store(s3_bucket_url)
    assert isinstance(store, S3BlobStore)
    admin = Minio(s3_server.endpoint, access_key=ACCESS_KEY, secret_key=SECRET_KEY, secure=False)
    assert not admin.bucket_exists(store.bucket)

    await store.check()
    assert admin.bucket_exists(store.bucket)


async def test_s3_session_url(s3_url: str) -> None:
    """The shared session bucket (other test modules use it with their own key prefixes)."""
    store = open_blob_store(s3_url)
    await store.check()
    key = f"test-blobs/{uuid.uuid4().hex}"
    info = await store.put(key, b"shared")
    assert await (await store.open(key)).read() == b"shared"
    assert info.size == 6
    await store.delete(key)


# --- URLs ----------------------------------------------------------------------------------------


def test_open_file_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    absolute = open_blob_store(f"file://{tmp_path}/blobs")
    assert isinstance(absolute, FileBlobStore)
    assert absolute.root == tmp_path / "blobs"
    assert absolute.describe() == f"file://{tmp_path}/blobs"

    monkeypatch.chdir(tmp_path)
    relative = open_blob_store("file://var/blobs")
    assert isinstance(relative, FileBlobStore)
    assert relative.root == tmp_path / "var" / "blobs"


def test_open_s3_url() -> None:
    store = open_blob_store(
        "s3://AK:s%2Fcr%40t@minio.internal:9000/sunbid-blobs?secure=false&region=cn-east-1"
    )
    assert isinstance(store, S3BlobStore)
    assert (store.endpoint, store.bucket, store.secure) == ("minio.internal:9000", "sunbid-blobs", False)
    assert store.describe() == "s3://minio.internal:9000/sunbid-blobs"
    assert "s/cr@t" not in repr(store)

    default = open_blob_store("s3://AK:SK@s3.example.com/sunbid-blobs")
    assert isinstance(default, S3BlobStore)
    assert default.secure is True


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://host/x", "unsupported blob URL scheme"),
        ("blobs", "unsupported blob URL scheme"),
        ("file://", "names no folder"),
        ("file:///x?mode=1", "no query"),
        ("s3://host:9000/bucket", "no credentials"),
        ("s3://AK:SK@host:9000/", "exactly one bucket"),
        ("s3://AK:SK@host:9000/bucket/prefix", "exactly one bucket"),
        ("s3://AK:SK@host:9000/bucket?secure=maybe", "not a boolean"),
        ("s3://AK:SK@host:9000/bucket?tls=false", "unknown s3 blob URL option"),
        ("s3://AK:SK@host:notaport/bucket", "bad port"),
        ("s3://AK:SK@host:9000/Bad_Bucket", "bucket name"),
    ],
)
def test_bad_urls(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        open_blob_store(url)
    assert "SK" not in str(caught.value)
