"""guarantees: a deposit's procedure ended without a contract (refund due, Art. 31)

Revision ID: guarantees_0003
Revises: guarantees_0002
Create Date: 2026-12-05 04:30:00
"""

import sqlalchemy as sa
from alembic import op

import core.db

revision = "guarantees_0003"
down_revision = "guarantees_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("guarantees_deposits") as batch:
        batch.add_column(sa.Column("ended_at", core.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("guarantees_deposits") as batch:
        batch.drop_column("ended_at")
