"""Async database engine and sessions for SQLite (embedded default) and PostgreSQL.

Statements that run on every request, bid or room event (a token's lookup, the audit append, a room
head, the tender lock…) are module constants with bound parameters ("built once"): building and
caching a statement cost about what running it did on SQLite (#20's profile: 350 → 150 µs for a
reveal's read, 290 → 150 µs for the token lookup). An ORM UPDATE also looks for loaded objects to
update alike (synchronize_session, ≈ 90 µs); the constants whose rows are never held as objects
across them say so and skip that. The hottest (a reveal's, an append's) are Core statements on the
model's table (``table_of``): the ORM's own path for a statement on a mapped class costs about twice
as much again (#20's profile: 400 → 180 µs for a room head's UPDATE). A Core statement does not
flush the session first, so a read that must see the session's pending changes flushes itself.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar, cast

from sqlalchemy import DateTime, MetaData, String, Table, event, make_url, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from core.clock import as_utc
from core.sqlite_async import LoopFirstDbapi

# Stable constraint names, so Alembic migrations are the same on both engines.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def table_of(model: type[Base]) -> Table:
    """A mapped class's table, for the Core statements of the hot paths (the module's docstring)."""
    return cast(Table, model.__table__)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both engines (SQLite drops the zone, so we put it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment = as_utc(value)
        return moment.replace(tzinfo=None) if dialect.name == "sqlite" else moment

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return as_utc(value) if value is not None else None


E = TypeVar("E", bound=StrEnum)


class StrEnumType(TypeDecorator[E]):
    """A StrEnum stored as its value in a plain VARCHAR: the schema and the stored strings are what they
    were before the enum existed, and reads come back as members.

    Binds take a member or its value and refuse any other string, so no unknown status is ever written
    (a filter that may name no member must check that first: see ``bidding.tenders.list_tenders``).
    """

    impl = String
    cache_ok = True

    def __init__(self, enum_cls: type[E], length: int) -> None:
        super().__init__(length)
        self.enum_cls = enum_cls
        self.length = length

    def process_bind_param(self, value: E | str | None, dialect: Dialect) -> str | None:
        return None if value is None else self.enum_cls(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> E | None:
        return None if value is None else self.enum_cls(value)


def is_unique_violation(exc: IntegrityError) -> bool:
    """Whether the database refused a row because a unique constraint already holds its value."""
    orig = exc.orig
    if getattr(orig, "sqlstate", None) == "23505":  # PostgreSQL (asyncpg sets sqlstate on the error)
        return True
    name = getattr(orig, "sqlite_errorname", "")
    return name in ("SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY") or (
        not name and "UNIQUE constraint failed" in str(orig)
    )


async def insert_unless_present(
    session: AsyncSession, model: type[Any], values: Mapping[str, Any], unique: Sequence[str]
) -> bool:
    """INSERT … ON CONFLICT (unique) DO NOTHING on either engine; returns whether this call inserted.

    Two requests racing to create the same row then both succeed and leave one row, where
    read-then-insert would let the slower one fail on the unique constraint.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(model).values(**values).on_conflict_do_nothing(index_elements=list(unique))
    result = await session.execute(statement)
    return bool(result.rowcount)  # type: ignore[attr-defined]


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    if url.startswith("sqlite"):
        if make_url(url).drivername == "sqlite+aiosqlite":
            kwargs.setdefault("module", LoopFirstDbapi())  # statements on the loop unless they wait
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    # asyncpg takes no ``options`` in the URL; ``?search_path=`` selects a schema (deployments, tests).
    parsed = make_url(url)
    search_path = parsed.query.get("search_path")
    if isinstance(search_path, str):
        parsed = parsed.difference_update_query(["search_path"])
        kwargs.setdefault("connect_args", {})["server_settings"] = {"search_path": search_path}
    return create_async_engine(parsed, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside the single writer; busy_timeout makes several processes wait, not fail.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def take_write_lock(session: AsyncSession) -> bool:
    """On SQLite, take the database's write lock now (BEGIN IMMEDIATE, waiting out the busy timeout) and
    return True; elsewhere do nothing and return False. A transaction that reads before it writes needs
    it on SQLite: one started by a read (a SAVEPOINT opens it) cannot take the lock once another
    connection has committed, and its write is refused ("database is locked") at once."""
    if session.get_bind().dialect.name != "sqlite":
        return False
    await session.execute(text("BEGIN IMMEDIATE"))
    return True


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work: commit on success, roll back on any error."""
    async with sessions() as session, session.begin():
        yield session
