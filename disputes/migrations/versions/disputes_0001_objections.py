"""disputes: objections to a tender's documents and evaluation result (disputes_objections)

Revision ID: disputes_0001
Revises: 0001
Create Date: 2026-12-03 18:20:00
"""

import sqlalchemy as sa
from alembic import op

import core.db

revision = "disputes_0001"
down_revision = "0001"
branch_labels = ("disputes",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "disputes_objections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tender_code", sa.String(length=40), nullable=False),
        sa.Column("lot_number", sa.String(length=16), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("objector_id", sa.Integer(), nullable=False),
        sa.Column("filed_by", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("filed_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answer_due", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["answered_by"], ["users.id"], name=op.f("fk_disputes_objections_answered_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["filed_by"], ["users.id"], name=op.f("fk_disputes_objections_filed_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["objector_id"],
            ["organisations.id"],
            name=op.f("fk_disputes_objections_objector_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disputes_objections")),
    )
    with op.batch_alter_table("disputes_objections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_disputes_objections_objector_id"), ["objector_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_disputes_objections_tender_code"), ["tender_code"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("disputes_objections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disputes_objections_tender_code"))
        batch_op.drop_index(batch_op.f("ix_disputes_objections_objector_id"))
    op.drop_table("disputes_objections")
