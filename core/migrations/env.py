"""Alembic environment: every context's models, one metadata, batch mode on SQLite."""

from __future__ import annotations

from alembic import context

import core.models  # noqa: F401 - registers core's tables
from core.contexts import parts
from core.db import Base

# The migration environment is the one place that sees every context's tables.
parts("models")

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `sunbid db upgrade` (core.migrate.upgrade)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
