"""bidding: openings and what they made of each sealed bid

Revision ID: bidding_0002
Revises: bidding_0001
Create Date: 2026-11-24 09:00:00
"""

import sqlalchemy as sa
from alembic import op

import core.db

revision = "bidding_0002"
down_revision = "bidding_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bidding_openings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tender_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("opened_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("window_ends_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("custody_ends_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("confirm_ends_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("coefficient_secret", sa.LargeBinary(length=32), nullable=False),
        sa.Column("coefficient_commit", sa.String(length=64), nullable=False),
        sa.Column("contributions", sa.JSON(), nullable=False),
        sa.Column("coefficient", sa.Numeric(precision=8, scale=4), nullable=True),
        sa.Column("shares", sa.JSON(), nullable=False),
        sa.Column("record", sa.Text(), nullable=True),
        sa.Column("closed_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["lot_id"],
            ["bidding_lots.id"],
            name=op.f("fk_bidding_openings_lot_id_bidding_lots"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tender_id"],
            ["bidding_tenders.id"],
            name=op.f("fk_bidding_openings_tender_id_bidding_tenders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bidding_openings")),
        sa.UniqueConstraint("lot_id", name="uq_bidding_openings_lot"),
    )
    with op.batch_alter_table("bidding_openings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bidding_openings_phase"), ["phase"], unique=False)
        batch_op.create_index(batch_op.f("ix_bidding_openings_tender_id"), ["tender_id"], unique=False)

    op.create_table(
        "bidding_opening_bids",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("opening_id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("wrong_keys", sa.Integer(), nullable=False),
        sa.Column("opened_by", sa.String(length=16), nullable=True),
        sa.Column("opened_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("package_key", sa.String(length=512), nullable=True),
        sa.Column("package_sha256", sa.String(length=64), nullable=True),
        sa.Column("form", sa.JSON(), nullable=True),
        sa.Column("price", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("confirmation", sa.String(length=16), nullable=True),
        sa.Column("objection", sa.Text(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["opening_id"],
            ["bidding_openings.id"],
            name=op.f("fk_bidding_opening_bids_opening_id_bidding_openings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_bidding_opening_bids_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["bidding_submissions.id"],
            name=op.f("fk_bidding_opening_bids_submission_id_bidding_submissions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bidding_opening_bids")),
        sa.UniqueConstraint("submission_id", name=op.f("uq_bidding_opening_bids_submission_id")),
    )
    with op.batch_alter_table("bidding_opening_bids", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bidding_opening_bids_opening_id"), ["opening_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_bidding_opening_bids_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_bidding_opening_bids_outcome"), ["outcome"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("bidding_opening_bids", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bidding_opening_bids_outcome"))
        batch_op.drop_index(batch_op.f("ix_bidding_opening_bids_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_bidding_opening_bids_opening_id"))
    op.drop_table("bidding_opening_bids")
    with op.batch_alter_table("bidding_openings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bidding_openings_tender_id"))
        batch_op.drop_index(batch_op.f("ix_bidding_openings_phase"))
    op.drop_table("bidding_openings")
