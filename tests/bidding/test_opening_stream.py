"""The opening decrypts a stored envelope as a stream: read from the store into one buffer and fed to an
incremental decryptor, read after read (``bidding.opening.decryption.decrypt_into``). What the opening then
decides rests on which error comes out as itself: the bidder's (an ``AgeError``: the bid does not decrypt,
the bidder's fault) or the store's (an ``OSError``: the bid goes back to the queue)."""

from __future__ import annotations

import io
import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from bidding.opening.common import READ_CHUNK
from bidding.opening.decryption import decrypt_into
from core.blobs import BlobStore, open_blob_store
from core.runtime import Runtime
from crypto.age import WrongFileKey, X25519Identity, encrypt, unwrap_file_key

PLAINTEXT = os.urandom(3 * READ_CHUNK + 12345)  # several store reads, the last one short


async def stored_envelope(tmp_path: Path) -> tuple[Runtime, bytes]:
    identity = X25519Identity.generate()
    envelope = io.BytesIO()
    encrypt(io.BytesIO(PLAINTEXT), envelope, [identity.recipient()])
    file_key = unwrap_file_key(io.BytesIO(envelope.getvalue()), [identity])
    blobs = open_blob_store(f"file://{tmp_path / 'blobs'}")
    await blobs.put("bids/envelope", envelope.getvalue())
    return cast(Runtime, SimpleNamespace(blobs=blobs)), file_key


async def test_the_envelope_decrypts_whole_across_many_store_reads(tmp_path: Path) -> None:
    runtime, file_key = await stored_envelope(tmp_path)
    sink = io.BytesIO()
    await decrypt_into(runtime, "bids/envelope", file_key, sink)
    assert sink.getvalue() == PLAINTEXT


async def test_a_wrong_file_key_is_the_bidders_age_error_itself(tmp_path: Path) -> None:
    runtime, _ = await stored_envelope(tmp_path)
    with pytest.raises(WrongFileKey):
        await decrypt_into(runtime, "bids/envelope", bytes(16), io.BytesIO())


async def test_a_store_failing_mid_envelope_is_the_stores_os_error_not_a_broken_envelope(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime, file_key = await stored_envelope(tmp_path)
    blobs: BlobStore = runtime.blobs
    real_open = blobs.open

    async def open_failing_after_one_read(key: str, **options: Any) -> Any:
        reader = await real_open(key, **options)
        real_read, reads = reader.readinto, []

        async def readinto(buffer: Any) -> int:
            reads.append(len(buffer))
            if len(reads) > 1:
                raise OSError("the disk went away")
            return await real_read(buffer)

        monkeypatch.setattr(reader, "readinto", readinto)
        return reader

    monkeypatch.setattr(blobs, "open", open_failing_after_one_read)
    sink = io.BytesIO()
    with pytest.raises(OSError, match="the disk went away"):
        await decrypt_into(runtime, "bids/envelope", file_key, sink)
    assert PLAINTEXT.startswith(sink.getvalue())  # only authenticated chunks were written
