"""Sealed submission: receipts, idempotent retry, replacement, withdrawal, the deadline race, crashes,
bad envelopes, secrecy of who bid, and no plaintext anywhere on the server."""

import os
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import msgspec
import pytest
from sqlalchemy import func, select, text

from bidding import submissions
from bidding.jobs import sweep_staged_uploads
from bidding.models import StagedUpload, Submission
from bidding.receipts import ReceiptError, verify_bundle
from core.accounts import principal_of
from core.clock import ManualClock, as_utc
from core.models import AuditEntry, User
from core.runtime import Runtime
from crypto.age import header_end
from crypto.signing import public_key_from_text, utc_timestamp
from tests.bidding.helpers import (
    SECRET_FORM_TEXT,
    make_world,
    plaintext_of,
    published_tender,
    register_all,
    seal,
    upload,
)


async def server_key(client):  # type: ignore[no-untyped-def]
    return public_key_from_text((await client.get("/api/receipts/server-key")).json()["server_key"])


async def count(runtime: Runtime, model: type) -> int:
    async with runtime.sessions() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


def blob_files(runtime: Runtime) -> list[Path]:
    root = Path(runtime.blobs.describe().removeprefix("file://"))
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


async def test_a_sealed_bid_gets_a_receipt_that_verifies_offline(
    runtime: Runtime, client, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    world = await make_world(runtime, client, bidders=1)
    tender = await published_tender(runtime, client, world)
    await register_all(client, world)
    bidder = world.bidders[0]
    sealed = seal(tmp_path, tender, bidder, attachment=b"technical proposal " * 100)
    response = await upload(client, bidder, sealed)
    assert response.status_code == 201, response.text
    verified = verify_bundle(response.json(), await server_key(client), bidder.signing_key.public_key())
    assert verified.manifest.tender == "JLZB-2026-001" and verified.manifest.bidder == bidder.code
    assert verified.receipt.server_time.startswith(runtime.clock.now().date().isoformat())
    tampered = dict(response.json())
    tampered["salt"] = "00" * 16
    with pytest.raises(ReceiptError, match="commitment"):
        verify_bundle(tampered, await server_key(client))
    status = (
        await client.get(f"/api/submissions/{sealed.manifest.submission_id}", headers=bidder.headers)
    ).json()
    assert status["status"] == "active" and status["receipt"] == response.json()
    # The stored envelope opens with the opening key to exactly what the bidder sealed.
    assert SECRET_FORM_TEXT.encode() not in sealed.envelope.read_bytes()
    assert plaintext_of(sealed, world.opening)[:2] == b"PK"


async def test_retry_with_the_same_submission_id_returns_the_same_receipt(
    runtime: Runtime, client, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    world = await make_world(runtime, client, bidders=1)
    tender = await published_tender(runtime, client, world)
    await register_all(client, world)
    bidder = world.bidders[0]
    sealed = seal(tmp_path, tender, bidder)
    first = await upload(client, bidder, sealed)
    second = await upload(client, bidder, sealed)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json() == second.json()
    assert await count(runtime, Submission) == 1
    # The same id and manifest with other bytes (same length, or longer) is a conflict, not the receipt.
    stored = sealed.envelope.read_bytes()
    for body in (stored[:-1] + bytes([stored[-1] ^ 1]), stored + b"x", b""):
        changed = await upload(client, bidder, sealed, body=body)
        assert changed.status_code == 409 and changed.json()["error"] == "submission_bytes_differ"
        assert sealed.manifest.submission_id in changed.json()["detail"]
    assert (await upload(client, bidder, sealed)).json() == first.json()
    other = seal(tmp_path, tender, bidder, submission_id=sealed.manifest.submission_id, price="1.00")
    clash = await upload(client, bidder, other)
    assert clash.status_code == 409 and clash.json()["error"] == "submission_id_taken"


async def test_supersede_then_withdraw_before_the_deadline_but_not_after(
    runtime: Runtime,
    client,  # type: ignore[no-untyped-def]
    clock: ManualClock,
    tmp_path: Path,
) -> None:
    from bidding.client import withdrawal
    from crypto.signing import sign_statement

    world = await make_world(runtime, client, bidders=1)
    tender = await published_tender(runtime, client, world)
    await register_all(client, world)
    bidder = world.bidders[0]
    first = seal(tmp_path, tender, bidder)
    assert (await upload(client, bidder, first)).status_code == 201
    second = seal(tmp_path, tender, bidder, price="10500000.00", supersedes=first.manifest.submission_id)
    assert (await upload(client, bidder, second)).status_code == 201
    mine = {
        s["submission_id"]: s["status"]
        for s in (await client.get("/api/submissions", headers=bidder.headers)).json()
    }
    assert mine == {first.manifest.submission_id: "superseded", second.manifest.submission_id: "active"}
    again = seal(tmp_path, tender, bidder, supersedes=first.manifest.submission_id)
    assert (await upload(client, bidder, again)).json()["error"] == "bad_supersedes"
    forged = withdrawal(second.signed, world.bidders[0].signing_key)
    forged.statement.submission_id = first.manifest.submission_id
    path = f"/api/submissions/{second.manifest.submission_id}/withdrawal"
    assert (await client.post(path, json=msgspec.to_builtins(forged), headers=bidder.headers)).json()[
        "error"
    ] == "bad_signature"
    # a field the withdrawal does not have, even signed, is refused by the schema and named
    own = msgspec.to_builtins(withdrawal(second.signed, bidder.signing_key).statement)
    extra = sign_statement({**own, "reason": "price"}, bidder.signing_key).to_dict()
    refused = await client.post(path, json=extra, headers=bidder.headers)
    assert refused.status_code == 400 and "reason" in refused.json()["detail"], refused.text
    done = await client.post(
        path, json=msgspec.to_builtins(withdrawal(second.signed, bidder.signing_key)), headers=bidder.headers
    )
    assert done.status_code == 200 and done.json()["status"] == "withdrawn"
    assert (await count(runtime, Submission)) == 2
    third = seal(tmp_path, tender, bidder)
    assert (await upload(client, bidder, third)).status_code == 201
    clock.set(runtime.clock.now() + timedelta(days=30))
    late = await client.post(
        f"/api/submissions/{third.manifest.submission_id}/withdrawal",
        json=msgspec.to_builtins(withdrawal(third.signed, bidder.signing_key)),
        headers=bidder.headers,
    )
    assert late.status_code == 409 and late.json()["error"] == "deadline_passed"
    after = seal(tmp_path, tender, bidder, supersedes=third.manifest.submission_id)
    assert (await upload(client, bidder, after)).json()["error"] == "deadline_passed"


async def test_an_upload_that_straddles_the_deadline_is_rejected_and_leaves_nothing(
    runtime: Runtime,
    client,  # type: ignore[no-untyped-def]
    clock: ManualClock,
    tmp_path: Path,
) -> None:
    world = await make_world(runtime, client, bidders=1)
    tender = await published_tender(runtime, client, world)
    await register_all(client, world)
    bidder = world.bidders[0]
    sealed = seal(tmp_path, tender, bidder, attachment=b"x" * 300_000)
    data = sealed.envelope.read_bytes()
    deadline = runtime.clock.now() + timedelta(days=21)
    clock.set(deadline - timedelta(seconds=1))

    async def straddling() -> AsyncIterator[bytes]:
        yield data[:100_000]
        clock.set(deadline)  # the last bytes arrive exactly at the deadline
        yield data[100_000:]

    async with runtime.sessions() as session:
        user = await session.scalar(select(User).where(User.username == bidder.username))
        assert user is not None
        principal = principal_of(user, 0)
    with pytest.raises(submissions.DeadlinePassed):
        await submissions.submit(
            runtime,
            principal,
            "JLZB-2026-001",
            "1",
            sealed.manifest.submission_id,
            submissions.encode_manifest(sealed.signed),
            straddling(),
        )
    assert await count(runtime, Submission) == 0 and await count(runtime, StagedUpload) == 0
    assert blob_files(runtime) == []
    # One microsecond before the deadline the same bytes are accepted.
    clock.set(deadline - timedelta(microseconds=1))
    assert (await upload(client, bidder, sealed)).status_code == 201


async def test_a_bid_accepted_at_the_last_instant_has_a_receipt_of_that_instant_however_late_it_commits(
    runtime: Runtime,
    client,  # type: ignore[no-untyped-def]
    clock: ManualClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = await make_world(runtime, client, bidders=1)
    tender = await published_tender(runtime, client, world)
    await register_all(client, world)
    bidder = world.bidders[0]
    deadline = runtime.clock.now() + timedelta(days=21)
    last_instant = deadline - timedelta(microseconds=1)
    clock.set(last_instant)
    locked = submissions.lock_tender

    async def lock_then_the_deadline_passes(*args, **kwargs):  # type: ignore[no-untyped-def]
        moment = await locked(*args, **kwargs)
        clock.set(deadline + timedelta(seconds=2))  # a busy server finishes the transaction late
        return moment

    monkeypatch.setattr(submissions, "lock_tender", lock_then_the_deadline_passes)
    answer = await upload(client, bidder, seal(tmp_path, tender, bidder))
    assert answer.status_code == 201, answer.text  # decided under the lock, before the deadline
    receipt = answer.json()["receipt"]["statement"]
    assert receipt["server_time"] == utc_timestamp(last_instant)  # not the append's later clock
    async with runtime.sessions() as session:
        stored = await session.scalar(select(Submission.submitted_at))
        entry = await session.scalar(select(AuditEntry).order_by(AuditEntry.position.desc()))
    assert stored is not None and as_utc(stored) == last_instant
    assert entry is not None and entry.kind == "bid.submitted" and as_utc(entry.created_at) == last_instant


async def test_a_crash_mid_upload_leaves_nothing_visible_and_the_janitor_sweeps_staging(
    runtime: Runtime,
    client,  # type: ignore[no-untyped-def]
    clock: ManualClock,
    tmp_path: Path,
) -> None:
    world = await make_world(runtime, client, bidders=1)
    tender = await published_tender(runtime, client, world)
    await register_all(client, world)
    bidder = world.bidders[0]
    sealed = seal(tmp_path, tender, bidder, attachment=b"y" * 200_000)
    data = sealed.envelope.read_bytes()
    async with runtime.sessions() as session:
        user = await session.scalar(select(User).where(User.username == bidder.username))
        assert user is not None
        principal = principal_of(user, 0)

    async def dying() -> AsyncIterator[bytes]:
        yield data[:50_000]
        raise ConnectionResetError("client vanished")

    header = submissions.encode_manifest(sealed.signed)
    with pytest.raises(ConnectionResetError):
        await submissions.submit(
            runtime, principal, "JLZB-2026-001", "1", sealed.manifest.submission_id, header, dying()
        )
    assert await count(runtime, Submission) == 0 and blob_files(runtime) == []
    # A process killed after storing the blob but before committing: simulate its leftovers.
    _, staged = await submissions._prepare(
        runtime, principal, "JLZB-2026-001", "1", sealed.manifest.submission_id, sealed.signed, None
    )
    assert isinstance(staged, submissions._Staged)
    await runtime.blobs.put(staged.key, data)
    assert (await client.get("/api/submissions", headers=bidder.headers)).json() == []
    assert await sweep_staged_uploads(runtime) == 0  # younger than an hour: may still be uploading
    clock.advance(hours=2)
    assert await sweep_staged_uploads(runtime) == 1
    assert blob_files(runtime) == [] and await count(runtime, StagedUpload) == 0
    assert (await upload(client, bidder, sealed)).status_code == 201  # the retry still works


async def test_bad_uploads_are_clear_4xx_and_keep_nothing(runtime: Runtime, client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    world = await make_world(runtime, client, bidders=2)
    tender = await published_tender(runtime, client, world)
    await register_all(client, world)
    alice, bob = world.bidders
    sealed = seal(tmp_path, tender, alice)
    good = sealed.envelope.read_bytes()
    tampered = bytearray(good)
    tampered[-1] ^= 1
    assert (await upload(client, alice, sealed, bytes(tampered))).json()["error"] == "envelope_mismatch"
    assert (await upload(client, bob, sealed)).json()["error"] == "bad_signature"  # bob's key did not sign it
    bobs = seal(tmp_path, tender, bob)
    assert (await upload(client, alice, bobs)).json()["error"] == "bad_signature"
    missing = await client.put(
        f"/api/tenders/JLZB-2026-001/lots/1/submissions/{sealed.manifest.submission_id}",
        content=good,
        headers=alice.headers,
    )
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"  # a required header
    assert submissions.MANIFEST_HEADER in missing.json()["detail"]
    assert missing.json()["fields"] == [
        {
            "key": submissions.MANIFEST_HEADER,
            "message": "缺少必需参数 (required, missing)",
            "source": "header",
        }
    ]
    wrong_lot = seal(tmp_path, tender, alice)
    response = await client.put(
        f"/api/tenders/JLZB-2026-001/lots/9/submissions/{wrong_lot.manifest.submission_id}",
        content=wrong_lot.envelope.read_bytes(),
        headers={**alice.headers, submissions.MANIFEST_HEADER: submissions.encode_manifest(wrong_lot.signed)},
    )
    assert response.status_code == 404
    assert await count(runtime, Submission) == 0 and await count(runtime, StagedUpload) == 0
    assert blob_files(runtime) == []


async def test_not_an_age_file_and_too_large(runtime: Runtime, client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from bidding.client import seal_bid
    from crypto.signing import BidManifest, sign_statement, utc_timestamp

    world = await make_world(runtime, client, bidders=1)
    tender = await published_tender(runtime, client, world, max_envelope_mib=1)
    await register_all(client, world)
    bidder = world.bidders[0]
    import hashlib

    def forged(body: bytes):  # type: ignore[no-untyped-def]
        manifest = BidManifest(
            "JLZB-2026-001",
            "1",
            bidder.code,
            f"sid-{len(body)}-x",
            hashlib.sha256(body).hexdigest(),
            len(body),
            utc_timestamp(),
        )
        return manifest, submissions.encode_manifest(sign_statement(manifest, bidder.signing_key))

    for body in (b"PK\x03\x04 plain zip " * 10, b"age-encryption.org/v1\n-> X25519 abc\n"):
        manifest, header = forged(body)
        response = await client.put(
            f"/api/tenders/JLZB-2026-001/lots/1/submissions/{manifest.submission_id}",
            content=body,
            headers={**bidder.headers, submissions.MANIFEST_HEADER: header},
        )
        assert response.status_code == 422 and response.json()["error"] == "bad_envelope", response.text
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(1_100_000))
    sealed = seal_bid(
        tender=tender,
        lot="1",
        form={"price": "1.00", "duration_days": 1, "quality": "q", "project_manager": "p"},
        attachments=[big],
        identity=bidder.identity,
        signing_key=bidder.signing_key,
        bidder=bidder.code,
        out=tmp_path / "big.age",
    )
    too_large = await upload(client, bidder, sealed)
    assert too_large.status_code == 413 and "MiB" in too_large.json()["detail"]
    assert await count(runtime, Submission) == 0 and blob_files(runtime) == []


async def test_who_bid_is_secret_before_the_deadline_and_no_plaintext_is_stored(
    runtime: Runtime,
    client,  # type: ignore[no-untyped-def]
    clock: ManualClock,
    tmp_path: Path,
) -> None:
    world = await make_world(runtime, client, bidders=2)
    tender = await published_tender(runtime, client, world)
    await register_all(client, world)
    alice, bob = world.bidders
    sealed = seal(tmp_path, tender, alice, attachment=SECRET_FORM_TEXT.encode() * 50)
    assert (await upload(client, alice, sealed)).status_code == 201
    sid = sealed.manifest.submission_id
    assert (await client.get(f"/api/submissions/{sid}", headers=bob.headers)).status_code == 404
    assert (await client.get("/api/submissions", headers=bob.headers)).json() == []
    assert (
        await client.get("/api/tenders/JLZB-2026-001/submissions", headers=world.agent)
    ).status_code == 403
    seen = (await client.get("/api/tenders/JLZB-2026-001/submissions", headers=world.supervisor)).json()
    assert [s["bidder"] for s in seen] == [alice.code]
    # Art. 22: no one learns the number of bids before the opening, the tender's owners included.
    for headers in ({}, world.agent, world.tenderer, bob.headers, world.supervisor):
        assert "bid_count" not in (await client.get("/api/tenders/JLZB-2026-001", headers=headers)).json()
        secret = await client.get("/api/tenders/JLZB-2026-001/bid-count", headers=headers)
        assert secret.status_code == 409 and secret.json()["error"] == "count_secret_until_opening"
        assert "第二十二条" in secret.json()["detail"]
    page = await client.get("/tenders/JLZB-2026-001", headers={"accept": "text/html"})
    assert page.status_code == 200 and 'id="bid-count"' not in page.text
    async with runtime.sessions() as session:
        log = " ".join(
            await session.scalars(
                select(AuditEntry.entry).where(AuditEntry.kind.in_(["bid.submitted", "tender.registration"]))
            )
        )
    assert "bid.submitted" in log and alice.code not in log and sid not in log and "user:" not in log
    # Scan every table of the database and every stored blob for the sealed plaintext.
    needles = [SECRET_FORM_TEXT.encode(), b"11000000.00", b"bid.json"]
    async with runtime.engine.connect() as conn:
        tables = [
            name
            for (name,) in await conn.execute(
                text("SELECT name FROM sqlite_master WHERE type='table'")
                if runtime.settings.is_sqlite
                else text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            )
        ]
        dump = b""
        for table in tables:
            for row in await conn.execute(text(f'SELECT * FROM "{table}"')):
                dump += repr(tuple(row)).encode()
    assert len(tables) > 10 and dump
    blobs = b"".join(p.read_bytes() for p in blob_files(runtime))
    assert blobs and sealed.envelope.read_bytes() in blobs
    for needle in needles:
        assert needle not in dump and needle not in blobs, needle
    clock.advance(days=22)
    assert (
        await client.get("/api/tenders/JLZB-2026-001/submissions", headers=world.agent)
    ).status_code == 200


async def test_a_commit_queued_behind_the_opening_transition_is_rejected(
    runtime: Runtime,
    client,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    """The opening takes the tender's lock (bidding.common.lock_tender) and flips the state; a commit
    waiting on that lock then sees the new state and is rejected, even though its clock check alone
    would have passed."""
    import asyncio

    from sqlalchemy import update

    from bidding.common import lock_tender
    from bidding.models import Tender

    world = await make_world(runtime, client, bidders=1)
    tender = await published_tender(runtime, client, world)
    await register_all(client, world)
    bidder = world.bidders[0]
    sealed = seal(tmp_path, tender, bidder)
    async with runtime.sessions() as session:
        user = await session.scalar(select(User).where(User.username == bidder.username))
        assert user is not None
        principal = principal_of(user, 0)
    manifest, staged = await submissions._prepare(
        runtime, principal, "JLZB-2026-001", "1", sealed.manifest.submission_id, sealed.signed, None
    )
    assert isinstance(staged, submissions._Staged)
    envelope = sealed.envelope.read_bytes()
    await runtime.blobs.put(staged.key, envelope)
    header = envelope[: header_end(envelope)]
    async with runtime.transaction() as opening:
        await lock_tender(opening, staged.ids[0], runtime.clock)
        await opening.execute(update(Tender).where(Tender.id == staged.ids[0]).values(state="opening"))
        commit = asyncio.create_task(
            submissions._commit(runtime, principal, sealed.signed, manifest, staged.ids, staged.key, header)
        )
        await asyncio.sleep(0.5)
        assert not commit.done()  # waiting for the opening's lock
    with pytest.raises(submissions.DeadlinePassed):
        await commit
    assert await count(runtime, Submission) == 0
