"""Migrated databases for the tests, cloned from one template per engine and test run.

Running every migration for each test cost about half a second on SQLite and close to a second on
PostgreSQL, which across thousands of tests was most of the suite's time. The template is migrated
once, with the real ``upgrade``, and each test gets a copy: a file copy on SQLite, ``CREATE DATABASE
… TEMPLATE`` on PostgreSQL (a block copy of a few megabytes). The migration tests still exercise
``upgrade`` itself, on the template and again on their own copies.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

_sqlite_template: Path | None = None
_postgres_template: str | None = None  # the template database's name


async def _in_own_loop(coroutine_function) -> object:  # type: ignore[no-untyped-def]
    """Build a template on a fresh event loop in a thread: its connections never touch the test's loop."""
    return await asyncio.to_thread(lambda: asyncio.run(coroutine_function()))


async def _migrate(url: str) -> None:
    from core.db import make_engine
    from core.migrate import upgrade

    engine = make_engine(url, poolclass=NullPool)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


async def sqlite_copy(target: Path) -> str:
    """A migrated SQLite database at ``target``; returns its URL."""
    global _sqlite_template
    if _sqlite_template is None:  # tests run one at a time in a process: no lock needed
        template = Path(tempfile.mkdtemp(prefix="sunbid-template-")) / "sunbid.db"
        await _in_own_loop(lambda: _migrate(f"sqlite+aiosqlite:///{template}"))
        with sqlite3.connect(template) as conn:  # everything in the main file, nothing left in the WAL
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        _sqlite_template = template
    shutil.copyfile(_sqlite_template, target)
    return f"sqlite+aiosqlite:///{target}"


def _admin_url(base_url: str, database: str = "postgres") -> str:
    url = make_url(base_url).set(drivername="postgresql", database=database)
    return url.render_as_string(hide_password=False)


def _with_database(base_url: str, database: str) -> str:
    return make_url(base_url).set(database=database).render_as_string(hide_password=False)


@asynccontextmanager
async def postgres_copy(base_url: str) -> AsyncIterator[str]:
    """A migrated PostgreSQL database of its own for one test (dropped afterwards); yields its URL."""
    import asyncpg

    global _postgres_template
    if _postgres_template is None:
        name = f"sunbid_template_{uuid.uuid4().hex[:10]}"
        admin = await asyncpg.connect(_admin_url(base_url))
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        await _in_own_loop(lambda: _migrate(_with_database(base_url, name)))
        _postgres_template = name
    clone = f"sunbid_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(_admin_url(base_url))
    try:
        await admin.execute(f'CREATE DATABASE "{clone}" TEMPLATE "{_postgres_template}"')
        yield _with_database(base_url, clone)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{clone}" WITH (FORCE)')
        await admin.close()


def drop_templates(base_url: str | None) -> None:
    """At the end of the run: remove the templates this process made."""
    global _sqlite_template, _postgres_template
    if _sqlite_template is not None:
        shutil.rmtree(_sqlite_template.parent, ignore_errors=True)
        _sqlite_template = None
    if _postgres_template is not None and base_url:
        import asyncpg

        async def drop(name: str) -> None:
            admin = await asyncpg.connect(_admin_url(base_url))
            try:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await admin.close()

        asyncio.run(drop(_postgres_template))
        _postgres_template = None
