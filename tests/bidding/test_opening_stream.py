"""The opening decrypts a stored envelope as a stream: read from the store into one buffer and fed to an
incremental decryptor, read after read (``bidding.opening.decryption.decrypt_into``). What the opening then
decides rests on which error comes out as itself: the bidder's (an ``AgeError``: the bid does not decrypt,
the bidder's fault) or the store's (an ``OSError``: the bid goes back to the queue)."""

from __future__ import annotations

import io
import json
import os
import zipfile
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from bidding.opening.common import READ_CHUNK
from bidding.opening.decryption import _Ends, decrypt_bid, decrypt_into
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


def package(*, bid_json_first: bool) -> bytes:
    """A bid package with two 2 MiB attachments: bid.json before them (as the client writes it) or
    between them, outside both kept ends."""
    form = {"price": "850000.00"}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zipped:
        if bid_json_first:
            zipped.writestr("bid.json", json.dumps(form))
        zipped.writestr("attachments/drawings.bin", os.urandom(2 * 1024 * 1024))
        if not bid_json_first:
            zipped.writestr("bid.json", json.dumps(form))
        zipped.writestr("attachments/survey.bin", os.urandom(2 * 1024 * 1024))
    return out.getvalue()


async def sealed_package(tmp_path: Path, plaintext: bytes) -> tuple[Runtime, bytes]:
    identity = X25519Identity.generate()
    envelope = io.BytesIO()
    encrypt(io.BytesIO(plaintext), envelope, [identity.recipient()])
    blobs = open_blob_store(f"file://{tmp_path / 'blobs'}")
    await blobs.put("bids/package", envelope.getvalue())
    return cast(Runtime, SimpleNamespace(blobs=blobs)), unwrap_file_key(
        io.BytesIO(envelope.getvalue()), [identity]
    )


TENDER = SimpleNamespace(
    code="JLZB-2026-001",
    bond_forms=[],
    form_fields=[{"name": "price", "type": "decimal", "label": "投标报价", "required": True}],
)
LOT = SimpleNamespace(number="1", ceiling_price=Decimal("900000.00"))


@pytest.mark.parametrize("bid_json_first", [True, False], ids=["bid.json-first", "bid.json-between"])
async def test_a_package_larger_than_its_kept_ends_is_read_whichever_way_it_was_zipped(
    tmp_path: Path, bid_json_first: bool
) -> None:
    plaintext = package(bid_json_first=bid_json_first)
    runtime, file_key = await sealed_package(tmp_path, plaintext)
    ends = _Ends()
    await decrypt_into(runtime, "bids/package", file_key, ends, plaintext_size=ends.expect)
    # only the two ends are kept, each exactly as the bidder zipped it
    assert ends.head == plaintext[: _Ends.KEEP] and ends.tail == plaintext[-_Ends.KEEP :]
    assert ends.size == len(plaintext) > 3 * _Ends.KEEP
    # from them the opening reads the form; bid.json between the attachments is read from the whole
    # package decrypted again (into a temporary file, removed after)
    sub = SimpleNamespace(blob_key="bids/package")
    opened = await decrypt_bid(runtime, cast(Any, TENDER), cast(Any, LOT), cast(Any, sub), file_key)
    assert (opened.form, opened.price, opened.reason) == ({"price": "850000.00"}, Decimal("850000.00"), None)
    assert opened.size == len(plaintext)
