"""bidding: drop bidding_tenders.public_bid_count (《招标投标法》第二十二条 forbids disclosing the number
of bidders before the opening; the count is public from the opening on for every tender)

Revision ID: bidding_0005
Revises: bidding_0004
Create Date: 2026-12-01 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "bidding_0005"
down_revision = "bidding_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bidding_tenders") as batch:
        batch.drop_column("public_bid_count")


def downgrade() -> None:
    with op.batch_alter_table("bidding_tenders") as batch:
        batch.add_column(
            sa.Column("public_bid_count", sa.Boolean(), nullable=False, server_default=sa.false())
        )
