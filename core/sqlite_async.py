"""SQLite under asyncio: a statement runs right on the event loop, and goes to aiosqlite's thread
only when it runs long (a read past its budget); one refused for the write lock is asked again.

SQLAlchemy's aiosqlite adapter sends every statement to aiosqlite's thread, up to four trips each
(open a cursor, execute, fetch the rows, close the cursor). A trip is a queue hand-off there and a
wake-up of the event loop back, and each end must take the GIL back from whichever thread holds it:
while the loop is busy (decrypting bids, answering requests) that is up to the interpreter's switch
interval (5 ms) per hand-off, against ≈ 2 µs for a one-row UPDATE itself. So a statement that
neither waits nor runs long is run here, on the sqlite3 connection aiosqlite owns, whole (execute,
fetch, close) and with the connection's busy timeout at 0:

- a statement refused for the write lock (``SQLITE_BUSY``: another connection's transaction, of this
  process or another, is writing) is asked again every ``BUSY_POLL``, the loop serving meanwhile,
  until the busy timeout has passed (nothing of it was done: the lock is taken before anything is
  written). Not SQLite's own busy handler in the thread: it sleeps 1, 2, 5, 10, 15, 20, 25, 25, …
  ms between its tries, so a waiter took the lock up to tens of milliseconds after it was free, and
  two processes taking turns at the lock (a batch each) paid that at every turn;
- a ``SELECT`` still running after ``READ_BUDGET`` is interrupted (a progress handler: a read has
  nothing to undo) and runs again in the thread, to its end;
- a write runs to its end here: the platform's writes are a few rows each (a migration that rewrites
  a big table runs before the server serves);
- the commit goes to the thread: its fsync (the durable commit docs/durability.md promises) waits
  behind whatever else the disk is writing — a deadline rush's envelopes — and the loop must not.

Server-side (streamed) cursors stay the adapter's, in the thread, with the busy timeout set for
them. ``core.db.make_engine`` installs all this for ``sqlite+aiosqlite`` URLs.

It reaches two private names, ``aiosqlite.Connection._execute`` (run a function in the connection's
thread) and ``._conn`` (its sqlite3 connection), and subclasses SQLAlchemy's adapter: pyproject.toml
bounds both versions for that.
"""

from __future__ import annotations

import asyncio
import collections
import re
import sqlite3
import time
from collections.abc import Callable
from typing import Any, cast

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    AsyncAdapt_aiosqlite_ss_cursor,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

BUSY_POLL = 0.001  # seconds between two asks for the write lock another connection holds
READ_BUDGET = 0.002  # seconds a SELECT may hold the event loop before it is finished in the thread
_BUDGET_CHECK_EVERY = 1000  # SQLite VM instructions between two looks at the clock
_DEFAULT_BUSY_SECONDS = 5.0  # sqlite3.connect's own default timeout
# A read, which can be interrupted (matched in place: every statement passes here).
_READ = re.compile(r"\s*SELECT", re.IGNORECASE)
# Setting the busy timeout (not asking for it): the thread's waits take the new value.
_BUSY_TIMEOUT_PRAGMA = re.compile(r"\s*PRAGMA\s+(main\.)?busy_timeout\s*[=(]", re.IGNORECASE)

_Outcome = tuple[Any, list[Any] | None, int, int | None]
_Statement = Callable[[sqlite3.Connection, Any, Any], _Outcome]


def _execute(connection: sqlite3.Connection, operation: str, parameters: Any) -> _Outcome:
    """One statement, start to end: its description, rows, counts."""
    cursor = connection.cursor()
    try:
        if parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


def _execute_many(connection: sqlite3.Connection, operation: str, parameters: Any) -> _Outcome:
    cursor = connection.cursor()
    try:
        cursor.executemany(operation, parameters)
        return None, None, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


def _commit(connection: sqlite3.Connection, _operation: Any = None, _parameters: Any = None) -> _Outcome:
    connection.commit()
    return None, None, -1, None


def _rollback(connection: sqlite3.Connection, _operation: Any = None, _parameters: Any = None) -> _Outcome:
    connection.rollback()
    return None, None, -1, None


def _set_busy_timeout(connection: sqlite3.Connection, milliseconds: int) -> None:
    connection.execute(f"PRAGMA busy_timeout={int(milliseconds)}").close()


def _is_busy(error: sqlite3.Error) -> bool:
    return (getattr(error, "sqlite_errorcode", 0) & 0xFF) == sqlite3.SQLITE_BUSY


def _is_interrupt(error: sqlite3.Error) -> bool:
    return (getattr(error, "sqlite_errorcode", 0) & 0xFF) == sqlite3.SQLITE_INTERRUPT


def _here(
    connection: sqlite3.Connection, statement: _Statement, operation: Any, parameters: Any
) -> _Outcome | bool:
    """The statement run on the calling (event loop) thread, or where it was not: True if refused for
    another connection's lock, False if a read ran past its budget."""
    read = isinstance(operation, str) and _READ.match(operation) is not None
    if read:
        deadline = time.perf_counter() + READ_BUDGET
        connection.set_progress_handler(lambda: time.perf_counter() > deadline, _BUDGET_CHECK_EVERY)
    try:
        return statement(connection, operation, parameters)
    except sqlite3.OperationalError as error:
        if _is_busy(error):
            # Plainly refused for the lock: worth asking again. A variant (a stale WAL snapshot)
            # goes to the thread, which answers it as a plain connection would.
            return getattr(error, "sqlite_errorcode", 0) == sqlite3.SQLITE_BUSY
        if read and _is_interrupt(error):
            return False
        raise
    finally:
        if read:
            connection.set_progress_handler(None, 0)


def _waiting(busy_ms: int, statement: _Statement) -> _Statement:
    """``statement`` for the database thread: it waits up to ``busy_ms`` for another connection's
    lock, as a plain sqlite3 connection would; the loop's statements keep a busy timeout of 0."""

    def run(connection: sqlite3.Connection, operation: Any, parameters: Any) -> _Outcome:
        _set_busy_timeout(connection, busy_ms)
        try:
            return statement(connection, operation, parameters)
        finally:
            _set_busy_timeout(connection, 0)

    return run


class LoopFirstCursor(AsyncAdapt_aiosqlite_cursor):
    """A client-side cursor that holds nothing open: each execute runs whole (on the loop, or in one
    trip to the database thread) and keeps what the statement produced."""

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: Any) -> None:
        # Not the base's __init__: it opens an aiosqlite cursor (a trip) this cursor never uses.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        outcome = self._owner().run(_execute, operation, parameters)
        self._keep(outcome)
        if isinstance(operation, str) and _BUSY_TIMEOUT_PRAGMA.match(operation):
            _, rows, _, _ = outcome
            self._owner().keep_busy_timeout(rows[0][0] if rows else 0)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        self._keep(self._owner().run(_execute_many, operation, seq_of_parameters))

    def _owner(self) -> _LoopFirstConnection:
        return cast("_LoopFirstConnection", self._adapt_connection)

    def _keep(self, outcome: _Outcome) -> None:
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows or ())

    async def _async_soft_close(self) -> None:
        """Nothing is open in the database thread, and the description is kept here."""

    def close(self) -> None:
        self._rows.clear()


class _WaitingServerSideCursor(AsyncAdapt_aiosqlite_ss_cursor):
    """The adapter's streamed cursor (it stays in the database thread), waiting for another
    connection's lock as a statement sent to the thread does."""

    __slots__ = ()

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        busy_ms = cast(_LoopFirstConnection, self._adapt_connection).busy_ms
        await connection._execute(_set_busy_timeout, connection._conn, busy_ms)
        try:
            return await super()._execute_async(operation, parameters)
        finally:
            await connection._execute(_set_busy_timeout, connection._conn, 0)


class _LoopFirstConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("busy_ms",)
    _cursor_cls = LoopFirstCursor
    _ss_cursor_cls = _WaitingServerSideCursor

    def __init__(self, dbapi: Any, connection: Any, busy_ms: int) -> None:
        super().__init__(dbapi, connection)
        self.busy_ms = busy_ms
        _set_busy_timeout(connection._conn, 0)

    def run(
        self, statement: _Statement, operation: Any, parameters: Any, *, on_loop: bool = True
    ) -> _Outcome:
        """``statement`` on the loop where it neither waits nor runs long, else (or if not
        ``on_loop``) in one trip to the database thread, after whatever that thread is running for
        this connection."""
        try:
            # Awaited even when it runs here: AsyncConnection checks that its driver awaited; a
            # coroutine that never suspends costs two greenlet switches, not a pass of the loop.
            return await_(self._run(statement, operation, parameters, on_loop))
        except Exception as error:
            self._handle_exception(error)

    async def _run(self, statement: _Statement, operation: Any, parameters: Any, on_loop: bool) -> _Outcome:
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        busy_ms = self.busy_ms
        give_up = None
        while on_loop and not self._execute_mutex.locked():
            outcome = _here(connection._conn, statement, operation, parameters)
            if not isinstance(outcome, bool):
                return outcome
            if not outcome:  # a read past its budget
                break
            # Refused for the lock: asked again in a moment, the loop serving meanwhile.
            now = time.monotonic()
            give_up = give_up or now + busy_ms / 1000
            busy_ms = max(0, int((give_up - now) * 1000))
            if not busy_ms:
                break  # the thread answers it as a plain connection would: "database is locked"
            await asyncio.sleep(BUSY_POLL)
        async with self._execute_mutex:
            return await connection._execute(
                _waiting(busy_ms, statement), connection._conn, operation, parameters
            )

    def keep_busy_timeout(self, milliseconds: int) -> None:
        """A ``PRAGMA busy_timeout=…`` answered ``milliseconds``: the thread's waits take it, and the
        connection goes back to 0 for the loop (the pragma may have run on either)."""
        self.busy_ms = milliseconds
        _set_busy_timeout(self._connection._conn, 0)

    def commit(self) -> None:
        if self._connection._connection:
            self.run(_commit, None, None, on_loop=False)  # the fsync: see the module's docstring

    def rollback(self) -> None:
        if self._connection._connection:
            self.run(_rollback, None, None)


class LoopFirstDbapi(AsyncAdapt_aiosqlite_dbapi):
    """aiosqlite as SQLAlchemy adapts it, with statements run on the event loop where they neither
    wait nor run long (``LoopFirstCursor``)."""

    def __init__(self) -> None:
        super().__init__(aiosqlite, sqlite3)

    def connect(self, *arg: Any, **kw: Any) -> _LoopFirstConnection:
        # The connection is used from the loop's thread and from aiosqlite's, never both at once.
        kw["check_same_thread"] = False
        busy_ms = round(1000 * float(kw.get("timeout", _DEFAULT_BUSY_SECONDS)))
        adapted = super().connect(*arg, **kw)
        return _LoopFirstConnection(self, adapted._connection, busy_ms)
