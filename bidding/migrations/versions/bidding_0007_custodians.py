"""bidding: the user accounts holding a tender's custody shares (bidding_tender_custodians)

Revision ID: bidding_0007
Revises: bidding_0006
Create Date: 2026-12-03 14:30:00
"""

import sqlalchemy as sa
from alembic import op

import core.db

revision = "bidding_0007"
down_revision = "bidding_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bidding_tender_custodians",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tender_id", sa.Integer(), nullable=False),
        sa.Column("share_index", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("assigned_by", sa.Integer(), nullable=False),
        sa.Column("assigned_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assigned_by"],
            ["users.id"],
            name=op.f("fk_bidding_tender_custodians_assigned_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["tender_id"],
            ["bidding_tenders.id"],
            name=op.f("fk_bidding_tender_custodians_tender_id_bidding_tenders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_bidding_tender_custodians_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bidding_tender_custodians")),
        sa.UniqueConstraint("tender_id", "share_index", name="uq_bidding_tender_custodians_share"),
        sa.UniqueConstraint("tender_id", "user_id", name="uq_bidding_tender_custodians_user"),
    )
    with op.batch_alter_table("bidding_tender_custodians", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bidding_tender_custodians_tender_id"), ["tender_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_bidding_tender_custodians_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("bidding_tender_custodians", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bidding_tender_custodians_user_id"))
        batch_op.drop_index(batch_op.f("ix_bidding_tender_custodians_tender_id"))
    op.drop_table("bidding_tender_custodians")
