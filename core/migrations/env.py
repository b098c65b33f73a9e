"""Alembic environment: every context's models, one metadata, batch mode on SQLite."""

from __future__ import annotations

import importlib

from alembic import context

from core.db import Base

# Contexts above core register their tables here; the migration environment is the one place that
# sees every table, so it imports them by name instead of core importing upwards.
CONTEXTS = ("core", "credit", "catalog", "experts", "bidding", "evaluation")
for name in CONTEXTS:
    try:
        importlib.import_module(f"{name}.models")
    except ModuleNotFoundError as exc:
        if exc.name != f"{name}.models":
            raise

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
