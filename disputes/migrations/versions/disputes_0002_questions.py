"""disputes: bidders' anonymous questions and their answers in clarification notices (disputes_questions)

Revision ID: disputes_0002
Revises: disputes_0001
Create Date: 2026-12-04 16:30:00
"""

import sqlalchemy as sa
from alembic import op

import core.db

revision = "disputes_0002"
down_revision = "disputes_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "disputes_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tender_code", sa.String(length=40), nullable=False),
        sa.Column("asker_id", sa.Integer(), nullable=False),
        sa.Column("asked_by", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("asked_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        sa.Column("notice_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["answered_by"], ["users.id"], name=op.f("fk_disputes_questions_answered_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["asked_by"], ["users.id"], name=op.f("fk_disputes_questions_asked_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["asker_id"], ["organisations.id"], name=op.f("fk_disputes_questions_asker_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disputes_questions")),
    )
    with op.batch_alter_table("disputes_questions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_disputes_questions_asker_id"), ["asker_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_disputes_questions_tender_code"), ["tender_code"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("disputes_questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disputes_questions_tender_code"))
        batch_op.drop_index(batch_op.f("ix_disputes_questions_asker_id"))
    op.drop_table("disputes_questions")
