"""SQLite statements make one trip to aiosqlite's thread each, and answer as SQLAlchemy's adapter does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import make_engine, make_sessionmaker
from core.sqlite_async import OneTripDbapi

metadata = MetaData()
items = Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String, unique=True, nullable=False),
    Column("n", Integer, nullable=False),
)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'one_trip.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        await conn.execute(insert(items), [{"name": f"item{i}", "n": i} for i in range(10)])
    yield engine
    await engine.dispose()


async def test_make_engine_puts_sqlite_on_the_one_trip_cursor(engine: AsyncEngine) -> None:
    assert isinstance(engine.dialect.dbapi, OneTripDbapi)


async def test_each_statement_is_one_trip_to_the_database_thread(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    trips: list[str] = []
    trip = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        trips.append(getattr(fn, "__name__", repr(fn)))
        return await trip(self, fn, *args, **kwargs)

    async with make_sessionmaker(engine)() as session, session.begin():
        await session.execute(select(items.c.n).where(items.c.id == 1))  # the transaction has begun
        monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
        rows = (await session.execute(select(items.c.name).order_by(items.c.id))).scalars().all()
        changed = await session.execute(update(items).where(items.c.n < 3).values(n=items.c.n + 100))
        back = (
            await session.execute(
                update(items).where(items.c.id == 1).values(n=items.c.n).returning(items.c.n)
            )
        ).scalar_one()
        monkeypatch.undo()
    # SQLAlchemy's own adapter makes up to four each: cursor, execute, fetch, close.
    assert trips == ["_execute"] * 3
    assert rows == [f"item{i}" for i in range(10)]
    assert changed.rowcount == 3  # type: ignore[attr-defined]
    assert back == 100


async def test_statements_answer_as_the_adapter_does(engine: AsyncEngine) -> None:
    sessions = make_sessionmaker(engine)
    async with sessions() as session, session.begin():
        added = await session.execute(insert(items).values(name="new", n=42))
        assert added.inserted_primary_key == (11,)  # type: ignore[attr-defined]  # lastrowid
        one = await session.execute(update(items).where(items.c.name == "item0").values(n=0))
        assert one.rowcount == 1  # type: ignore[attr-defined]
        returned = await session.execute(
            update(items).where(items.c.n >= 8).values(n=items.c.n + 1).returning(items.c.name, items.c.n)
        )
        assert sorted(returned.all()) == [("item8", 9), ("item9", 10), ("new", 43)]
        assert await session.scalar(select(func.count()).select_from(items)) == 11
        nothing = await session.execute(select(items).where(items.c.id < 0))
        assert nothing.all() == [] and list(nothing.keys()) == ["id", "name", "n"]
        pragma = (await session.execute(text("PRAGMA foreign_keys"))).scalar_one()
        assert pragma == 1
    async with sessions() as session:
        streamed = await session.stream(select(items.c.name).order_by(items.c.id))  # server-side cursor
        assert [row.name async for row in streamed][:2] == ["item0", "item1"]


async def test_errors_and_rollback_are_the_adapters(engine: AsyncEngine) -> None:
    sessions = make_sessionmaker(engine)
    with pytest.raises(IntegrityError):
        async with sessions() as session, session.begin():
            await session.execute(update(items).where(items.c.id == 1).values(n=-1))
            await session.execute(insert(items).values(name="item2", n=0))  # the name is taken
    async with sessions() as session:
        assert await session.scalar(select(items.c.n).where(items.c.id == 1)) == 0  # rolled back
    async with engine.begin() as conn:
        await conn.execute(insert(items), [{"name": "a", "n": 1}, {"name": "b", "n": 2}])  # executemany
        assert await conn.scalar(select(func.count()).select_from(items)) == 12
