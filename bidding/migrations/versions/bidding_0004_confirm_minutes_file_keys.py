"""bidding: a per-tender confirmation time for the 唱标 (default 10 minutes); revealed file keys and
decryption claims (recovery of a bid left "decrypting" by a crash)

Revision ID: bidding_0004
Revises: bidding_0003
Create Date: 2026-11-24 12:30:00
"""

import sqlalchemy as sa
from alembic import op

import core.db

revision = "bidding_0004"
down_revision = "bidding_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bidding_tenders") as batch:
        batch.add_column(sa.Column("confirm_minutes", sa.Integer(), nullable=False, server_default="10"))
    with op.batch_alter_table("bidding_opening_bids") as batch:
        batch.add_column(sa.Column("file_key", sa.LargeBinary(length=16), nullable=True))
        batch.add_column(sa.Column("decrypting_since", core.db.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bidding_opening_bids") as batch:
        batch.drop_column("decrypting_since")
        batch.drop_column("file_key")
    with op.batch_alter_table("bidding_tenders") as batch:
        batch.drop_column("confirm_minutes")
