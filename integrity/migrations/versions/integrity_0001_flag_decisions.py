"""integrity: the supervisors' decisions on collusion flags

Revision ID: integrity_0001
Revises: 0001
Create Date: 2026-12-03 18:35:00
"""

import sqlalchemy as sa
from alembic import op

import core.db

revision = "integrity_0001"
down_revision = "0001"
branch_labels = ("integrity",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "integrity_flag_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tender_code", sa.String(length=40), nullable=False),
        sa.Column("lot_number", sa.String(length=16), nullable=False),
        sa.Column("rule_code", sa.String(length=8), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=False),
        sa.Column("decided_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_integrity_flag_decisions_decided_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integrity_flag_decisions")),
        sa.UniqueConstraint(
            "tender_code", "lot_number", "rule_code", name="uq_integrity_flag_decisions_flag"
        ),
    )
    op.create_index(
        op.f("ix_integrity_flag_decisions_tender_code"), "integrity_flag_decisions", ["tender_code"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_integrity_flag_decisions_tender_code"), table_name="integrity_flag_decisions")
    op.drop_table("integrity_flag_decisions")
