"""Group commit: units of work from concurrent requests share one transaction, so one commit (one
fsync, one round of lock waits) serves all of them.

A unit is an async function of the session. The first caller to arrive starts a committer task;
whoever arrives while a transaction is being written queues for the next one. A unit that raises is
undone alone and only its caller sees the error; the others are committed. Units rarely raise, so a
batch first runs them one after another with no savepoint (two statements per unit saved); if one
raises, that transaction is rolled back and the batch runs again with each unit in its own
savepoint. A caller's answer (or error) is given only after the commit, so what it acknowledges is
durable (docs/durability.md). Room and audit news queued by a unit are published after the commit,
those of an undone unit never.

Work that concerns the batch rather than each unit (an opening's progress count, whether its last
bid is settled) is queued with ``once_per_transaction``: it runs once, after every unit, in the same
transaction, so N concurrent reveals pay for one count instead of N. It is part of each unit that
queued it: if it fails, the whole batch fails and nothing of it is stored.

Rows many units append to one place (room events, each bumping its room's head) can be held by a
``deferred`` writer and written together after the units and their once-work, just before the
commit: one head update and one insert per batch instead of two statements per event. A writer
only lives in a batch run without savepoints (a rolled-back savepoint would leave it holding what
was undone): a unit that appends from inside a savepoint of its own makes the batch run again unit
by unit in savepoints, where every write goes straight to the database.

Two processes' batches can take the same rows (the audit head, a room's head, an opening's progress)
in different orders; PostgreSQL then aborts one with a deadlock (40P01) or a serialization failure
(40001). Nothing of that batch was stored, so the whole batch runs again, every unit from the start.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol, TypeVar

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import take_write_lock
from core.pubsub import PENDING_KEY

T = TypeVar("T")
W = TypeVar("W", bound="Deferred")
Unit = Callable[[AsyncSession], Awaitable[Any]]
RETRY_STATES = {"40P01", "40001"}  # deadlock detected, serialization failure
RETRIES = 5
RIDE_WITHIN = 0.5  # seconds ``submit``'s bookkeeping waits for a batch to ride along with
ONCE_KEY = "sunbid_once_per_transaction"
DEFERRED_KEY = "sunbid_deferred_writers"
UNSAFE_KEY = "sunbid_deferred_in_savepoint"
log = logging.getLogger(__name__)


async def once_per_transaction(session: AsyncSession, key: Hashable, work: Unit) -> None:
    """Run ``work`` once for the shared transaction ``session`` belongs to, after all its units (the
    first queued under ``key`` runs; later ones under the same key are the same work). Outside a
    shared transaction (a plain ``runtime.transaction()``) it runs at once."""
    queued: dict[Hashable, Unit] | None = session.info.get(ONCE_KEY)
    if queued is None:
        await work(session)
    else:
        queued.setdefault(key, work)


class Deferred(Protocol):
    async def write(self, session: AsyncSession) -> None:
        """Store what was held, in the batch's transaction, just before its commit."""


def deferred(session: AsyncSession, key: Hashable, make: Callable[[], W]) -> W | None:
    """The batch's writer under ``key`` (made on first use), or None where a write must go straight
    to the database: outside a shared transaction, in a batch rerun with savepoints, and inside a
    savepoint of the caller's own (the batch is then run again with savepoints, so what it wrote
    straight is never committed beside what a writer holds). What a writer holds reaches the
    database just before the commit: a read in the same batch does not see it yet."""
    writers: dict[Hashable, Any] | None = session.info.get(DEFERRED_KEY)
    if writers is None:
        return None
    if session.in_nested_transaction():
        session.info[UNSAFE_KEY] = True
        return None
    found = writers.get(key)
    if found is None:
        found = writers[key] = make()
    return found


def _log_failure(done: asyncio.Future[Any], what: str) -> None:
    if not done.cancelled() and done.exception() is not None:
        log.error("%s failed", what, exc_info=done.exception())


def retryable(exc: BaseException) -> bool:
    """The database aborted the transaction for a conflict with another one (not for what it did)."""
    seen: BaseException | None = exc
    for _ in range(4):
        if seen is None:
            return False
        if getattr(seen, "sqlstate", None) in RETRY_STATES or getattr(seen, "pgcode", None) in RETRY_STATES:
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__
    return False


class _Again(Exception):
    """A unit met a conflict with another transaction: the batch's transaction is abandoned and rerun."""


class _Isolate(Exception):
    """A unit raised in a batch run without savepoints: the batch is rolled back and run again with
    each unit in its own savepoint, so only that unit is undone."""


class GroupCommit:
    def __init__(self, transaction: Callable[[], AbstractAsyncContextManager[AsyncSession]]) -> None:
        self._transaction = transaction
        self._waiting: list[tuple[Unit, asyncio.Future[Any]]] = []
        self._riding: list[tuple[Unit, asyncio.Future[Any]]] = []  # ``submit``'s, for the next batch
        self._alone: asyncio.TimerHandle | None = None  # when the riders commit without one
        self._committer: asyncio.Task[None] | None = None

    async def run(self, unit: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run ``unit`` in the next shared transaction; its result once that transaction committed."""
        done: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue(unit, done)
        # A caller that goes away does not cancel the others' transaction.
        return await asyncio.shield(done)

    def submit(self, unit: Unit, what: str) -> None:
        """Queue ``unit`` without waiting for it: bookkeeping no answer depends on (when a token was
        last used). It rides along with the next batch a caller of ``run`` starts (the request that
        presented the token usually writes next), or commits on its own after ``RIDE_WITHIN``: a
        transaction of its own would cost about what the request's own does. A failure is logged as
        ``what``."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[Any] = loop.create_future()
        done.add_done_callback(lambda finished: _log_failure(finished, what))
        self._riding.append((unit, done))
        if self._committer is None:
            self._arm()

    def _arm(self) -> None:
        if self._alone is None:
            self._alone = asyncio.get_running_loop().call_later(RIDE_WITHIN, self._commit_riders)

    def _commit_riders(self) -> None:
        """The riders commit now, in a batch of their own (none came for them to ride along with)."""
        if self._alone is not None:
            self._alone.cancel()
            self._alone = None
        if self._riding and self._committer is None:
            self._waiting, self._riding = self._waiting + self._riding, []
            self._committer = asyncio.create_task(self._drain())

    def _queue(self, unit: Unit, done: asyncio.Future[Any]) -> None:
        self._waiting.append((unit, done))
        if self._committer is None:
            self._committer = asyncio.create_task(self._drain())

    async def settled(self) -> None:
        """Wait until every queued unit is committed or failed (before the engine is disposed)."""
        while True:
            self._commit_riders()
            if self._committer is None:
                return
            await asyncio.wait([self._committer])

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch = self._waiting + self._riding
                self._waiting, self._riding = [], []
                await self._commit(batch)
        finally:
            self._committer = None
            if self._riding:  # came while the last batch was committing
                self._arm()

    async def _commit(self, batch: list[tuple[Unit, asyncio.Future[Any]]]) -> None:
        isolated = len(batch) == 1  # alone, the transaction is its savepoint
        defer = True
        attempt = 1
        while True:
            try:
                await self._attempt(batch, last=attempt == RETRIES, isolated=isolated, defer=defer)
                return
            except _Isolate:
                # not a conflict: run again at once, not counted as an attempt
                isolated, defer = True, False
            except _Again:
                await asyncio.sleep(0.01 * attempt)
                attempt += 1

    async def _attempt(
        self, batch: list[tuple[Unit, asyncio.Future[Any]]], *, last: bool, isolated: bool, defer: bool
    ) -> None:
        outcomes: list[tuple[asyncio.Future[Any], BaseException | None, Any]] = []
        try:
            async with self._transaction() as session:
                # SQLite: the write lock first (a batch that read before writing could not upgrade
                # once another process had committed). PostgreSQL: every batch appends to the audit
                # log, and taking its head's row lock first gives all batches of all processes one
                # lock order, so they queue instead of deadlocking.
                if not await take_write_lock(session):
                    await session.execute(text("SELECT id FROM audit_head WHERE id = 1 FOR UPDATE"))
                writers: dict[Hashable, Deferred] = {}
                if defer:
                    session.info[DEFERRED_KEY] = writers
                once: dict[Hashable, Unit] = {}
                for unit, done in batch:
                    queued = session.info[ONCE_KEY] = {}
                    if len(batch) == 1:  # alone: the transaction is its savepoint
                        outcomes.append((done, None, await unit(session)))
                        once.update(queued)
                        continue
                    if not isolated:
                        try:
                            value = await unit(session)
                        except Exception as exc:
                            if retryable(exc) and not last:
                                raise _Again from exc
                            raise _Isolate from exc
                        outcomes.append((done, None, value))
                        for key, work in queued.items():
                            once.setdefault(key, work)
                        continue
                    pending = session.info.setdefault(PENDING_KEY, [])
                    mark = len(pending)
                    try:
                        async with session.begin_nested():
                            value = await unit(session)
                    except Exception as exc:
                        if retryable(exc) and not last:
                            raise _Again from exc  # its locks were another batch's cycle: rerun all
                        del pending[mark:]  # its news is not news: nothing of it was stored
                        outcomes.append((done, exc, None))
                    else:
                        outcomes.append((done, None, value))
                        for key, work in queued.items():  # an undone unit's work is not queued
                            once.setdefault(key, work)
                session.info.pop(ONCE_KEY, None)
                for work in once.values():
                    await work(session)
                if session.info.pop(UNSAFE_KEY, False):
                    raise _Isolate  # a unit wrote straight from a savepoint while a writer held rows
                session.info.pop(DEFERRED_KEY, None)
                for writer in writers.values():
                    await writer.write(session)
        except (_Again, _Isolate):
            raise
        except Exception as exc:  # the transaction failed: nothing of the batch was stored
            if retryable(exc) and not last:
                raise _Again from exc
            for _, done in batch:
                if not done.done():
                    done.set_exception(exc)
            return
        except BaseException:
            for _, done in batch:
                done.cancel()
            raise
        for done, error, value in outcomes:
            if done.done():
                continue
            if error is None:
                done.set_result(value)
            else:
                done.set_exception(error)
