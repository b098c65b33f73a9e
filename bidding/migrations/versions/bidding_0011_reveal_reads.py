"""bidding: what a reveal reads, without scans or blob reads: an opening's bids indexed by organisation
and by outcome; each submission keeps its envelope's age header

Revision ID: bidding_0011
Revises: bidding_0010
Create Date: 2026-12-07 09:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "bidding_0011"
down_revision = "bidding_0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bidding_opening_bids", schema=None) as batch_op:
        batch_op.create_index(
            "ix_bidding_opening_bids_opening_organisation", ["opening_id", "organisation_id"], unique=False
        )
        batch_op.create_index(
            "ix_bidding_opening_bids_opening_outcome", ["opening_id", "outcome"], unique=False
        )
        # Both new indexes start with opening_id: they serve what this one did.
        batch_op.drop_index("ix_bidding_opening_bids_opening_id")
    # Bids stored before keep None: their headers are read from the blob store, as before.
    with op.batch_alter_table("bidding_submissions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("header", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bidding_submissions", schema=None) as batch_op:
        batch_op.drop_column("header")
    with op.batch_alter_table("bidding_opening_bids", schema=None) as batch_op:
        batch_op.create_index("ix_bidding_opening_bids_opening_id", ["opening_id"], unique=False)
        batch_op.drop_index("ix_bidding_opening_bids_opening_outcome")
        batch_op.drop_index("ix_bidding_opening_bids_opening_organisation")
