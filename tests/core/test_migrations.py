"""Upgrading an empty database yields exactly the models' schema, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import select

from core.contexts import parts
from core.db import Base
from core.migrate import alembic_config, current_heads, upgrade
from core.models import AuditHead
from core.runtime import Runtime


async def test_upgrade_yields_exactly_the_models(runtime: Runtime) -> None:
    parts("models")  # every context's tables, as the migration environment sees them

    def diff(sync_conn):  # type: ignore[no-untyped-def]
        context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)

    async with runtime.engine.connect() as conn:
        differences = await conn.run_sync(diff)
    assert differences == []
    script = ScriptDirectory.from_config(alembic_config())
    assert set(await current_heads(runtime.engine)) == set(script.get_heads())


async def test_upgrade_is_idempotent_and_seeds_the_audit_head(runtime: Runtime) -> None:
    await upgrade(runtime.engine)  # the fixture already upgraded once
    async with runtime.sessions() as session:
        heads = list(await session.scalars(select(AuditHead)))
    assert [(h.id, h.size) for h in heads] == [(1, 0)]
