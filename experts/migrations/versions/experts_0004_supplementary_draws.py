"""experts: supplementary draws (补抽) — expert_draws.supplements_id

Revision ID: experts_0004
Revises: experts_0003
Create Date: 2026-12-04 16:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "experts_0004"
down_revision = "experts_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("expert_draws", schema=None) as batch_op:
        batch_op.add_column(sa.Column("supplements_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_expert_draws_supplements_id"), ["supplements_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_expert_draws_supplements_id_expert_draws"),
            "expert_draws",
            ["supplements_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("expert_draws", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_expert_draws_supplements_id_expert_draws"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_expert_draws_supplements_id"))
        batch_op.drop_column("supplements_id")
