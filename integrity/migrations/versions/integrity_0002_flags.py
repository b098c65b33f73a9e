"""integrity: the flags computed per lot and stage, and the market table of opened bids

Revision ID: integrity_0002
Revises: integrity_0001
Create Date: 2026-12-04 16:30:00
"""

import sqlalchemy as sa
from alembic import op

import core.db

revision = "integrity_0002"
down_revision = "integrity_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "integrity_lot_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tender_code", sa.String(length=40), nullable=False),
        sa.Column("lot_number", sa.String(length=16), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("flag_count", sa.Integer(), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("source_position", sa.BigInteger(), nullable=False),
        sa.Column("computed_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integrity_lot_flags")),
        sa.UniqueConstraint("tender_code", "lot_number", "stage", name="uq_integrity_lot_flags_stage"),
    )
    op.create_index(op.f("ix_integrity_lot_flags_tender_code"), "integrity_lot_flags", ["tender_code"])
    op.create_index(
        op.f("ix_integrity_lot_flags_source_position"), "integrity_lot_flags", ["source_position"]
    )
    op.create_table(
        "integrity_market_bids",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tender_code", sa.String(length=40), nullable=False),
        sa.Column("lot_number", sa.String(length=16), nullable=False),
        sa.Column("buyer_code", sa.String(length=18), nullable=False),
        sa.Column("buyer_name", sa.String(length=200), nullable=False),
        sa.Column("bidder_code", sa.String(length=18), nullable=False),
        sa.Column("bidder_name", sa.String(length=200), nullable=False),
        sa.Column("project_manager", sa.String(length=64), nullable=False),
        sa.Column("price", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("ceiling", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("valid", sa.Boolean(), nullable=False),
        sa.Column("won", sa.Boolean(), nullable=False),
        sa.Column("opened_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integrity_market_bids")),
        sa.UniqueConstraint("tender_code", "lot_number", "bidder_code", name="uq_integrity_market_bids_bid"),
    )
    op.create_index(op.f("ix_integrity_market_bids_tender_code"), "integrity_market_bids", ["tender_code"])


def downgrade() -> None:
    op.drop_index(op.f("ix_integrity_market_bids_tender_code"), table_name="integrity_market_bids")
    op.drop_table("integrity_market_bids")
    op.drop_index(op.f("ix_integrity_lot_flags_source_position"), table_name="integrity_lot_flags")
    op.drop_index(op.f("ix_integrity_lot_flags_tender_code"), table_name="integrity_lot_flags")
    op.drop_table("integrity_lot_flags")
