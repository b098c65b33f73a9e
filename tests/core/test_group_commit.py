"""Group commit (Runtime.shared_transaction) on both engines: concurrent units share one commit, a
failing unit is undone alone (its audit entry and room news with it), every caller answers after
the commit, and the audit log still verifies."""

import asyncio
import json
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import group_commit, rooms
from core import runtime as runtime_module
from core.errors import Conflict
from core.group_commit import once_per_transaction
from core.models import RoomEvent
from core.pubsub import PENDING_KEY
from core.runtime import Runtime
from crypto import merkle


def count_commits(runtime: Runtime) -> list[int]:
    commits: list[int] = []
    event.listen(runtime.engine.sync_engine, "commit", lambda _conn: commits.append(1))
    return commits


def count_statements(runtime: Runtime) -> list[str]:
    statements: list[str] = []
    event.listen(
        runtime.engine.sync_engine,
        "before_cursor_execute",
        lambda _c, _cur, statement, *_a: statements.append(" ".join(statement.split())),
    )
    return statements


def unit(runtime: Runtime, i: int, *, fail: bool = False) -> Any:
    async def work(session: AsyncSession) -> int:
        appended = await runtime.audit.append(session, "test.group", data={"i": i})
        await rooms.append(session, runtime.clock, "test:group", "thing", {"i": i})
        await asyncio.sleep(0)  # let the other callers queue meanwhile
        if fail:
            raise Conflict(f"unit {i} refuses", code="refused")
        return appended.position

    return work


async def test_concurrent_units_share_commits_and_a_failure_is_undone_alone(runtime: Runtime) -> None:
    commits = count_commits(runtime)
    results = await asyncio.gather(
        *(runtime.shared_transaction(unit(runtime, i, fail=i == 3)) for i in range(8)),
        return_exceptions=True,
    )
    refused = results[3]
    assert isinstance(refused, Conflict) and refused.code == "refused"
    positions = [r for i, r in enumerate(results) if i != 3]
    assert sorted(positions) == list(range(7))  # gapless: the refused unit's entry was undone
    assert len(commits) < 8  # the units did not pay one commit each
    async with runtime.sessions() as session:
        stored = list(await session.scalars(select(RoomEvent.payload).where(RoomEvent.room == "test:group")))
        assert len(stored) == 7 and '{"i":3}' not in stored
        report = await runtime.audit.verify(session)
    assert report.ok and report.size == 7


async def test_a_batch_takes_savepoints_only_once_one_of_its_units_has_failed(runtime: Runtime) -> None:
    # Savepoints cost two statements per unit: a batch runs its units without them and, only when
    # one raises, rolls back and runs again with each unit in its own.
    statements = count_statements(runtime)
    await runtime.shared_transaction(unit(runtime, 0))  # the room's first event creates its head
    statements.clear()
    positions = await asyncio.gather(*(runtime.shared_transaction(unit(runtime, i)) for i in range(1, 6)))
    assert sorted(positions) == list(range(1, 6))
    assert not [s for s in statements if "SAVEPOINT" in s]

    statements.clear()
    results = await asyncio.gather(
        *(runtime.shared_transaction(unit(runtime, 6 + i, fail=i == 1)) for i in range(4)),
        return_exceptions=True,
    )
    assert isinstance(results[1], Conflict)
    assert sorted(r for r in results if isinstance(r, int)) == [6, 7, 8]  # gapless after the rerun
    assert [s for s in statements if s.startswith("SAVEPOINT")]  # the rerun isolated each unit
    async with runtime.sessions() as session:
        report = await runtime.audit.verify(session)
    assert report.ok and report.size == 9


async def test_a_lone_unit_is_one_transaction_and_its_error_reaches_its_caller(runtime: Runtime) -> None:
    commits = count_commits(runtime)
    assert await runtime.shared_transaction(unit(runtime, 0)) == 0
    assert len(commits) == 1
    with pytest.raises(Conflict):
        await runtime.shared_transaction(unit(runtime, 1, fail=True))
    async with runtime.sessions() as session:
        assert await runtime.audit.size(session) == 1
        assert session.info.get(PENDING_KEY) is None


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_two_processes_batches_locking_rows_in_opposite_orders_queue_instead_of_deadlocking(
    runtime: Runtime, settings: Any, clock: Any
) -> None:
    # Two runtimes stand for two processes. Their units lock two rows in opposite orders; each batch
    # takes the audit head first, so the second waits for the first's commit instead of PostgreSQL
    # aborting one as a deadlock (which, without that lock order, it does after a second).
    from sqlalchemy import text
    from sqlalchemy.pool import NullPool

    async with runtime.transaction() as session:
        await session.execute(text("CREATE TABLE lock_pair (id int PRIMARY KEY, v int NOT NULL)"))
        await session.execute(text("INSERT INTO lock_pair VALUES (1, 0), (2, 0)"))
    other = Runtime.build(settings, clock, engine_options={"poolclass": NullPool})
    runs: list[str] = []

    def crossing(name: str, first: int, second: int) -> Any:
        async def work(session: AsyncSession) -> str:
            runs.append(name)
            await session.execute(text("UPDATE lock_pair SET v = v + 1 WHERE id = :id"), {"id": first})
            await asyncio.sleep(0.3)  # both now hold their first row
            await session.execute(text("UPDATE lock_pair SET v = v + 1 WHERE id = :id"), {"id": second})
            return name

        return work

    try:
        done = await asyncio.gather(
            runtime.shared_transaction(crossing("a", 1, 2)), other.shared_transaction(crossing("b", 2, 1))
        )
    finally:
        await other.close()
    assert sorted(done) == ["a", "b"]
    assert sorted(runs) == ["a", "b"]  # each ran once: no transaction was a deadlock's victim
    async with runtime.sessions() as session:
        assert list(await session.execute(text("SELECT id, v FROM lock_pair ORDER BY id"))) == [
            (1, 2),
            (2, 2),
        ]


def test_only_conflicts_with_another_transaction_are_retried() -> None:
    from core.group_commit import retryable

    class Driver(Exception):
        def __init__(self, state: str) -> None:
            self.sqlstate = state

    class Wrapped(Exception):
        def __init__(self, orig: BaseException) -> None:
            self.orig = orig

    assert retryable(Wrapped(Driver("40P01"))) and retryable(Wrapped(Driver("40001")))
    assert not retryable(Wrapped(Driver("23505")))  # a unique violation is the unit's own doing
    assert not retryable(Conflict("refused", code="refused"))


async def test_a_batch_aborted_by_a_conflict_with_another_transaction_runs_again(runtime: Runtime) -> None:
    # As PostgreSQL reports a deadlock or serialization failure (SQLSTATE 40P01 / 40001): the whole
    # batch is rerun, every unit from the start, and committed once with a gapless audit log.
    class Deadlock(Exception):
        sqlstate = "40P01"

    calls: list[int] = []

    def victim(i: int) -> Any:
        async def work(session: AsyncSession) -> int:
            calls.append(i)
            appended = await runtime.audit.append(session, "test.group", data={"i": i})
            await asyncio.sleep(0)
            if i == 1 and calls.count(1) == 1:
                raise Deadlock("deadlock detected")
            return appended.position

        return work

    positions = await asyncio.gather(*(runtime.shared_transaction(victim(i)) for i in range(3)))
    assert sorted(positions) == [0, 1, 2]
    assert calls.count(1) == 2 and len(calls) > 3  # its batch ran again, not only the unit


async def test_work_queued_once_per_transaction_runs_once_after_the_units_that_stayed(
    runtime: Runtime,
) -> None:
    # A batch's units each queue the same count (an opening's progress): it runs once, after every
    # unit, and sees all of them; work queued only by a unit that was undone does not run.
    ran: list[tuple[str, int]] = []

    def counted(name: str) -> Any:
        async def work(session: AsyncSession) -> None:
            rows = await session.scalars(select(RoomEvent.payload).where(RoomEvent.room == "test:group"))
            ran.append((name, len(list(rows))))

        return work

    def queuing(i: int, *, fail: bool = False) -> Any:
        async def work(session: AsyncSession) -> int:
            position = await unit(runtime, i, fail=False)(session)
            await once_per_transaction(session, "count", counted("count"))
            if fail:
                await once_per_transaction(session, "only-the-undone", counted("undone"))
                raise Conflict(f"unit {i} refuses", code="refused")
            return int(position)

        return work

    results = await asyncio.gather(
        *(runtime.shared_transaction(queuing(i, fail=i == 2)) for i in range(6)), return_exceptions=True
    )
    assert isinstance(results[2], Conflict)
    batches = len(ran)
    assert 1 <= batches < 6  # once per shared transaction, not once per unit
    assert all(name == "count" for name, _ in ran)  # the undone unit's own work never ran
    assert ran[-1] == ("count", 5)  # after the units: the last count sees every stored unit

    # Outside a shared transaction the work simply runs at once.
    ran.clear()
    async with runtime.transaction() as session:
        await once_per_transaction(session, "count", counted("count"))
        assert ran == [("count", 5)]


async def stored_events(runtime: Runtime, room: str) -> dict[int, dict[str, Any]]:
    async with runtime.sessions() as session:
        rows = await session.execute(
            select(RoomEvent.seq, RoomEvent.payload).where(RoomEvent.room == room).order_by(RoomEvent.seq)
        )
        return {seq: json.loads(payload) for seq, payload in rows}


async def test_a_batchs_room_events_move_each_rooms_head_once_and_their_news_carries_the_stored_numbers(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Room events of a batch are stored together just before the commit and numbered then: each
    # room's head is moved once per batch by how many events it got (one statement, not a lock and a
    # write, nor a bump per event); what subscribers hear carries the numbers that were stored.
    heard: list[tuple[str, dict[str, Any]]] = []  # what is published after each commit
    publish = runtime_module.publish_pending

    def listen(session: AsyncSession, channels: Any) -> None:
        heard.extend(session.info.get(PENDING_KEY, []))
        publish(session, channels)

    monkeypatch.setattr(runtime_module, "publish_pending", listen)

    def appending(i: int) -> Any:
        async def work(session: AsyncSession) -> None:
            for n in (1, 2):
                assert await rooms.append(session, runtime.clock, "test:a", "thing", {"i": i, "n": n}) is None
            await rooms.append(session, runtime.clock, "test:b", "thing", {"i": i})
            await asyncio.sleep(0)  # let the other callers queue meanwhile

        return work

    await runtime.shared_transaction(appending(0))  # the rooms' first events create their heads
    commits, statements = count_commits(runtime), count_statements(runtime)
    await asyncio.gather(*(runtime.shared_transaction(appending(i)) for i in range(1, 7)))
    a, b = await stored_events(runtime, "test:a"), await stored_events(runtime, "test:b")
    assert list(a) == list(range(1, 15)) and list(b) == list(range(1, 8))  # gapless
    for i in range(7):  # a unit's events keep their order
        first, second = (seq for seq, data in a.items() if data["i"] == i)
        assert a[first]["n"] == 1 and a[second]["n"] == 2 and first < second
    news = {(channel, message["seq"]): message["data"] for channel, message in heard}
    assert news == {
        **{(rooms.channel("test:a"), seq): data for seq, data in a.items()},
        **{(rooms.channel("test:b"), seq): data for seq, data in b.items()},
    }  # every stored event heard, under the number it was stored with
    head_statements = [s for s in statements if s.startswith("UPDATE room_heads")]
    assert len(commits) < 6  # the units shared transactions
    assert len(head_statements) == 2 * len(commits)  # two rooms, each head moved once per batch
    assert len([s for s in statements if s.startswith("INSERT INTO room_events")]) <= len(commits)
    async with runtime.sessions() as session:
        assert await rooms.head(session, "test:a") == 14 and await rooms.head(session, "test:b") == 7


async def test_bookkeeping_rides_along_with_the_next_batch_or_commits_alone_soon_after(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What no answer waits for (a token's use) costs no transaction of its own when a request's unit
    # follows: it commits with that unit's batch; with none, it commits alone within RIDE_WITHIN, and
    # at once when the runtime closes.
    commits = count_commits(runtime)

    async def audit_size() -> int:
        async with runtime.sessions() as session:
            return await runtime.audit.size(session)

    monkeypatch.setattr(group_commit, "RIDE_WITHIN", 60.0)
    runtime.shared_transaction_soon(unit(runtime, 0), "bookkeeping")
    await asyncio.sleep(0.05)
    assert await audit_size() == 0 and not commits  # waiting for a batch to ride along with
    assert await runtime.shared_transaction(unit(runtime, 1)) in (0, 1)
    assert await audit_size() == 2 and len(commits) == 1  # both in the unit's one commit

    runtime.shared_transaction_soon(unit(runtime, 2), "bookkeeping")
    await runtime._group_commit().settled()  # as Runtime.close does: nothing is left behind
    assert await audit_size() == 3 and len(commits) == 2

    monkeypatch.setattr(group_commit, "RIDE_WITHIN", 0.05)
    runtime.shared_transaction_soon(unit(runtime, 3), "bookkeeping")
    for _ in range(100):
        if await audit_size() == 4:
            break
        await asyncio.sleep(0.02)
    assert await audit_size() == 4 and len(commits) == 3  # alone, soon after
    async with runtime.sessions() as session:
        assert (await runtime.audit.verify(session)).ok


async def test_a_batchs_audit_entries_read_and_write_the_head_once_and_each_answer_proves_its_entry(
    runtime: Runtime,
) -> None:
    # Audit entries of a batch are numbered, hashed and signed as they come from the head read once,
    # and stored together before the commit: one head write per batch, not two statements per entry.
    def appending(i: int) -> Any:
        async def work(session: AsyncSession) -> list[Any]:
            found = [await runtime.audit.append(session, "test.group", data={"i": i, "n": n}) for n in (1, 2)]
            await asyncio.sleep(0)  # let the other callers queue meanwhile
            return found

        return work

    await runtime.shared_transaction(appending(0))
    commits, statements = count_commits(runtime), count_statements(runtime)
    results = await asyncio.gather(*(runtime.shared_transaction(appending(i)) for i in range(1, 7)))
    answered = [a for found in results for a in found]
    assert sorted(a.position for a in answered) == list(range(2, 14))  # gapless
    assert len(commits) < 6  # the units shared transactions
    assert len([s for s in statements if s.startswith("UPDATE audit_head")]) == len(commits)
    assert len([s for s in statements if s.startswith("INSERT INTO audit_entries")]) == len(commits)
    verifier = runtime.audit.signer.verifier_key
    for a in answered:  # each answer proves its own entry in the tree its checkpoint signs
        checkpoint = merkle.open_checkpoint(a.checkpoint, verifier)
        assert checkpoint.size == a.position + 1 and checkpoint.root == a.root
        assert merkle.verify_inclusion(a.leaf_hash, a.position, a.position + 1, a.proof, a.root)
    async with runtime.sessions() as session:
        report = await runtime.audit.verify(session)
        stored = [await runtime.audit.entry(session, a.position) for a in answered]
    assert report.ok and report.size == 14
    assert [(e.entry, e.checkpoint) for e in stored] == [(a.entry, a.checkpoint) for a in answered]


@pytest.mark.parametrize("undone", [False, True], ids=["kept", "undone"])
async def test_a_room_event_from_a_units_own_savepoint_reruns_the_batch_so_numbers_stay_gapless(
    runtime: Runtime, undone: bool
) -> None:
    # Held events cannot follow a savepoint of a unit's own: one appended there makes the batch run
    # again with every write straight to the database, so what was undone is gone and no seq repeats.
    class Undo(Exception):
        pass

    def appending(i: int) -> Any:
        async def work(session: AsyncSession) -> None:
            await rooms.append(session, runtime.clock, "test:group", "thing", {"i": i})
            await asyncio.sleep(0)
            if i == 2:
                try:
                    async with session.begin_nested():
                        await rooms.append(session, runtime.clock, "test:group", "inner", {"i": i})
                        if undone:
                            raise Undo
                except Undo:
                    pass

        return work

    await runtime.shared_transaction(appending(0))
    await asyncio.gather(*(runtime.shared_transaction(appending(i)) for i in range(1, 6)))
    expected = list(range(1, 7)) if undone else list(range(1, 8))
    assert list(await stored_events(runtime, "test:group")) == expected
    async with runtime.sessions() as session:
        kinds = list(await session.scalars(select(RoomEvent.kind).where(RoomEvent.room == "test:group")))
        assert await rooms.head(session, "test:group") == expected[-1]
    assert kinds.count("inner") == (0 if undone else 1)
