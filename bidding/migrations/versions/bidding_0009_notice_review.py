"""bidding: supervisor review of tender notices (bidding_review_rules, bidding_notice_reviews) and
re-tendering after a failure (bidding_tenders.retender_of_id, attempt)

Revision ID: bidding_0009
Revises: bidding_0008
Create Date: 2026-12-04 16:20:00
"""

import sqlalchemy as sa
from alembic import op

import core.db

revision = "bidding_0009"
down_revision = "bidding_0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bidding_review_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("legal_basis", sa.String(length=200), nullable=False),
        sa.Column("set_by", sa.Integer(), nullable=False),
        sa.Column("set_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["set_by"], ["users.id"], name=op.f("fk_bidding_review_rules_set_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bidding_review_rules")),
        sa.UniqueConstraint("region_code", "category", name="uq_bidding_review_rules_scope"),
    )
    op.create_table(
        "bidding_notice_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tender_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("submitted_by", sa.Integer(), nullable=False),
        sa.Column("submitted_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("lapsed_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_bidding_notice_reviews_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by"], ["users.id"], name=op.f("fk_bidding_notice_reviews_submitted_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["tender_id"],
            ["bidding_tenders.id"],
            name=op.f("fk_bidding_notice_reviews_tender_id_bidding_tenders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bidding_notice_reviews")),
    )
    with op.batch_alter_table("bidding_notice_reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bidding_notice_reviews_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_bidding_notice_reviews_tender_id"), ["tender_id"], unique=False)
    with op.batch_alter_table("bidding_tenders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retender_of_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("attempt", sa.Integer(), server_default="1", nullable=False))
        batch_op.create_index(
            batch_op.f("ix_bidding_tenders_retender_of_id"), ["retender_of_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_bidding_tenders_retender_of_id_bidding_tenders"),
            "bidding_tenders",
            ["retender_of_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("bidding_tenders", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_bidding_tenders_retender_of_id_bidding_tenders"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_bidding_tenders_retender_of_id"))
        batch_op.drop_column("attempt")
        batch_op.drop_column("retender_of_id")
    with op.batch_alter_table("bidding_notice_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bidding_notice_reviews_tender_id"))
        batch_op.drop_index(batch_op.f("ix_bidding_notice_reviews_state"))
    op.drop_table("bidding_notice_reviews")
    op.drop_table("bidding_review_rules")
