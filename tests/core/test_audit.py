"""The audit log on both engines: gapless appends, proofs that verify, tampering named by position."""

import asyncio
import base64
import json

from sqlalchemy import update

from core.audit import HEAD_ID, ensure_head
from core.models import AuditEntry, AuditHead
from core.runtime import Runtime
from crypto import merkle


async def append_many(runtime: Runtime, n: int) -> None:
    async with runtime.transaction() as session:
        for i in range(n):
            await runtime.audit.append(
                session, "test.event", actor="tester", subject=f"thing:{i}", data={"i": i}
            )


async def test_appends_are_gapless_and_checkpoints_verify(runtime: Runtime) -> None:
    await append_many(runtime, 7)
    async with runtime.sessions() as session:
        assert await runtime.audit.size(session) == 7
        leaves = await runtime.audit.leaf_hashes(session, 7)
        last = await runtime.audit.entry(session, 6)
    checkpoint = merkle.open_checkpoint(last.checkpoint, runtime.audit.signer.verifier_key)
    assert checkpoint.size == 7
    assert checkpoint.root == merkle.tree_root(leaves) == last.root
    body = json.loads(last.entry)
    assert body["position"] == 6 and body["data"] == {"i": 6} and body["kind"] == "test.event"


async def test_each_append_returns_its_own_inclusion_proof(runtime: Runtime) -> None:
    appended = []
    async with runtime.transaction() as session:
        for i in range(13):
            appended.append(await runtime.audit.append(session, "test.proof", data={"i": i}))
    async with runtime.sessions() as session:
        for a in appended:
            size = a.position + 1
            assert a.proof == await runtime.audit.inclusion_proof(session, a.position, size)
            leaf = merkle.leaf_hash(a.entry.encode())
            assert merkle.verify_inclusion(leaf, a.position, size, a.proof, a.root)


async def test_size_and_verify_in_the_appending_transaction_count_its_appends(runtime: Runtime) -> None:
    # The head row is bumped without the ORM updating a loaded copy of it, so what reads the head
    # must not answer from a copy loaded before the appends (one held here, as a caller might).
    await append_many(runtime, 2)
    async with runtime.transaction() as session:
        await ensure_head(session)
        held = await session.get(AuditHead, HEAD_ID)
        assert held is not None and await runtime.audit.size(session) == 2
        for i in range(3):
            await runtime.audit.append(session, "test.same_session", data={"i": i})
        assert await runtime.audit.size(session) == 5
        report = await runtime.audit.verify(session)
    assert report.ok and report.size == 5


async def test_concurrent_appends_never_collide(runtime: Runtime) -> None:
    async def one(i: int) -> None:
        async with runtime.transaction() as session:
            await runtime.audit.append(session, "test.concurrent", data={"i": i})

    await asyncio.gather(*(one(i) for i in range(20)))
    async with runtime.sessions() as session:
        report = await runtime.audit.verify(session)
    assert report.ok and report.size == 20


async def test_inclusion_and_consistency_proofs_over_the_api(runtime: Runtime, client) -> None:  # type: ignore[no-untyped-def]
    await append_many(runtime, 11)
    head = (await client.get("/api/audit/checkpoint")).json()
    checkpoint = merkle.open_checkpoint(head["checkpoint"], head["verifier_key"])
    assert checkpoint.size == 11
    entries = (await client.get("/api/audit/entries", params={"after": -1, "limit": 100})).json()
    assert [e["position"] for e in entries] == list(range(11))
    proof = (await client.get("/api/audit/entries/4/proof", params={"size": 11})).json()
    leaf = merkle.leaf_hash(entries[4]["entry"].encode())
    path = [base64.b64decode(p) for p in proof["proof"]]
    assert merkle.verify_inclusion(leaf, 4, 11, path, checkpoint.root)
    assert not merkle.verify_inclusion(merkle.leaf_hash(b"forged"), 4, 11, path, checkpoint.root)
    old = merkle.open_checkpoint(entries[5]["checkpoint"], head["verifier_key"])
    consistency = (await client.get("/api/audit/consistency", params={"old": 6, "new": 11})).json()
    steps = [base64.b64decode(p) for p in consistency["proof"]]
    assert merkle.verify_consistency(6, 11, old.root, checkpoint.root, steps)


async def test_verify_names_the_first_tampered_entry(runtime: Runtime) -> None:
    await append_many(runtime, 9)
    async with runtime.transaction() as session:
        stored = await runtime.audit.entry(session, 5)
        forged = stored.entry.replace('"i":5', '"i":50')
        await session.execute(update(AuditEntry).where(AuditEntry.position == 5).values(entry=forged))
    async with runtime.sessions() as session:
        report = await runtime.audit.verify(session)
    assert report.problem is not None and report.problem.position == 5


async def test_recomputing_the_leaf_hash_does_not_hide_tampering(runtime: Runtime) -> None:
    await append_many(runtime, 4)
    async with runtime.transaction() as session:
        stored = await runtime.audit.entry(session, 2)
        forged = stored.entry.replace("thing:2", "thing:X")
        await session.execute(
            update(AuditEntry)
            .where(AuditEntry.position == 2)
            .values(entry=forged, leaf_hash=merkle.leaf_hash(forged.encode()))
        )
    async with runtime.sessions() as session:
        report = await runtime.audit.verify(session)
    assert report.problem is not None and report.problem.position == 2
    assert "checkpoint" in report.problem.reason


APPENDER = """
import asyncio, sys
from core.runtime import Runtime
from core.settings import Settings

async def main():
    runtime = Runtime.build(Settings.from_env())
    for i in range(int(sys.argv[1])):
        async with runtime.transaction() as session:
            await runtime.audit.append(session, "test.process", data={"pid": sys.argv[2], "i": i})
    await runtime.close()

asyncio.run(main())
"""


async def test_appends_from_several_processes_have_no_gaps(runtime: Runtime) -> None:
    import os
    import sys

    env = {
        **os.environ,
        "SUNBID_VAR_DIR": str(runtime.settings.var_dir),
        "SUNBID_DATABASE_URL": runtime.settings.database_url,
    }
    procs = [
        await asyncio.create_subprocess_exec(sys.executable, "-c", APPENDER, "40", str(n), env=env)
        for n in range(3)
    ]
    codes = [await p.wait() for p in procs]
    assert codes == [0, 0, 0]
    async with runtime.sessions() as session:
        report = await runtime.audit.verify(session)
    assert report.ok and report.size == 120
