"""experts: self-registrations waiting for a supervisor (expert_applications)

Revision ID: experts_0003
Revises: experts_0002
Create Date: 2026-12-03 13:40:00
"""

import sqlalchemy as sa
from alembic import op

import core.db

revision = "experts_0003"
down_revision = "experts_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "expert_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("employer_code", sa.String(length=18), nullable=False),
        sa.Column("employer_name", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=32), nullable=False),
        sa.Column("specialties", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(), nullable=False),
        sa.Column("decided_at", core.db.UTCDateTime(), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("expert_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["county_code"], ["regions.code"]),
        sa.ForeignKeyConstraint(["decided_by"], ["users.id"]),
        sa.ForeignKeyConstraint(["expert_id"], ["experts.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_expert_applications_username", "expert_applications", ["username"])
    op.create_index("ix_expert_applications_state", "expert_applications", ["state"])


def downgrade() -> None:
    op.drop_index("ix_expert_applications_state", table_name="expert_applications")
    op.drop_index("ix_expert_applications_username", table_name="expert_applications")
    op.drop_table("expert_applications")
