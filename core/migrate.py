"""Alembic migrations, run programmatically (``sunbid db upgrade``) on either engine."""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from core.contexts import folders

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """Core's environment, with every context's own ``migrations/versions`` folder as a branch."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    locations = [str(path / "versions") for path in folders("migrations") if (path / "versions").is_dir()]
    cfg.set_main_option("version_locations", " ".join(locations))
    cfg.set_main_option("path_separator", "space")
    cfg.attributes["connection"] = connection
    return cfg


async def upgrade(engine: AsyncEngine, revision: str = "heads") -> None:
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync_conn: command.upgrade(alembic_config(sync_conn), revision))


async def current_heads(engine: AsyncEngine) -> tuple[str, ...]:
    """The applied revision of every branch (core and each context)."""
    from alembic.runtime.migration import MigrationContext

    async with engine.connect() as conn:
        return await conn.run_sync(lambda c: tuple(MigrationContext.configure(c).get_current_heads()))


@functools.cache
def script_heads() -> frozenset[str]:
    """The newest revision of every branch in the code (read once: the files do not change while running)."""
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


async def pending(engine: AsyncEngine) -> list[str]:
    """The code's branch heads the database has not reached (empty when the schema is current).

    Applied revisions older than a head are not themselves heads, so a branch behind shows its head here;
    an un-migrated database (no alembic_version table) shows every head.
    """
    applied = set(await current_heads(engine))
    return sorted(script_heads() - applied)
