"""bidding: structured data on notices (candidates, awards) for open data

Revision ID: bidding_0003
Revises: bidding_0002
Create Date: 2026-11-24 12:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "bidding_0003"
down_revision = "bidding_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bidding_notices") as batch:
        batch.add_column(sa.Column("data", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bidding_notices") as batch:
        batch.drop_column("data")
