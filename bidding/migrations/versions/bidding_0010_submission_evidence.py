"""bidding: evidence for the integrity indicators (who uploaded from where; what an opened package holds)

Revision ID: bidding_0010
Revises: bidding_0008
Create Date: 2026-12-04 16:30:00
"""

import sqlalchemy as sa
from alembic import op

import core.db

revision = "bidding_0010"
down_revision = "bidding_0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bidding_submission_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("uploader_id", sa.Integer(), nullable=False),
        sa.Column("client_ip", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=512), nullable=False),
        sa.Column("device", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["bidding_submissions.id"],
            name=op.f("fk_bidding_submission_evidence_submission_id_bidding_submissions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploader_id"], ["users.id"], name=op.f("fk_bidding_submission_evidence_uploader_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bidding_submission_evidence")),
        sa.UniqueConstraint("submission_id", name=op.f("uq_bidding_submission_evidence_submission_id")),
    )
    op.create_table(
        "bidding_package_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("opening_bid_id", sa.Integer(), nullable=False),
        sa.Column("captured_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("manager_id", sa.String(length=64), nullable=True),
        sa.Column("manager_id_tail", sa.String(length=8), nullable=True),
        sa.Column("problems", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["opening_bid_id"],
            ["bidding_opening_bids.id"],
            name=op.f("fk_bidding_package_evidence_opening_bid_id_bidding_opening_bids"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bidding_package_evidence")),
        sa.UniqueConstraint("opening_bid_id", name=op.f("uq_bidding_package_evidence_opening_bid_id")),
    )


def downgrade() -> None:
    op.drop_table("bidding_package_evidence")
    op.drop_table("bidding_submission_evidence")
