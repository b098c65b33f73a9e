"""guarantees: performance guarantees (a guarantee's purpose: bid or performance, Art. 58)

Revision ID: guarantees_0002
Revises: guarantees_0001
Create Date: 2026-12-04 17:05:00
"""

import sqlalchemy as sa
from alembic import op

revision = "guarantees_0002"
down_revision = "guarantees_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("guarantees") as batch:
        batch.add_column(sa.Column("purpose", sa.String(length=16), server_default="bid", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("guarantees") as batch:
        batch.drop_column("purpose")
