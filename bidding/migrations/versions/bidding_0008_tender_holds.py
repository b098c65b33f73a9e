"""bidding: suspensions of a tender's opening or award while a case is open (bidding_tender_holds)

Revision ID: bidding_0008
Revises: bidding_0007
Create Date: 2026-12-03 18:10:00
"""

import sqlalchemy as sa
from alembic import op

import core.db

revision = "bidding_0008"
down_revision = "bidding_0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bidding_tender_holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tender_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("lot_number", sa.String(length=16), nullable=True),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("placed_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("released_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tender_id"],
            ["bidding_tenders.id"],
            name=op.f("fk_bidding_tender_holds_tender_id_bidding_tenders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bidding_tender_holds")),
        sa.UniqueConstraint("tender_id", "step", "ref", name="uq_bidding_tender_holds_ref"),
    )
    with op.batch_alter_table("bidding_tender_holds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bidding_tender_holds_tender_id"), ["tender_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("bidding_tender_holds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bidding_tender_holds_tender_id"))
    op.drop_table("bidding_tender_holds")
