"""integrity: a flag decision per group of a rule in a lot (two shared files under E4 are two flags)

Decisions taken before keep group_key "" and go on covering every group of their rule.

Revision ID: integrity_0003
Revises: integrity_0002
Create Date: 2026-12-04 17:15:00
"""

import sqlalchemy as sa
from alembic import op

revision = "integrity_0003"
down_revision = "integrity_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("integrity_flag_decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_key", sa.String(length=32), server_default="", nullable=False))
        batch_op.drop_constraint("uq_integrity_flag_decisions_flag", type_="unique")
        batch_op.create_unique_constraint(
            "uq_integrity_flag_decisions_group", ["tender_code", "lot_number", "rule_code", "group_key"]
        )


def downgrade() -> None:
    # Going back keeps one decision per (lot, rule): the first taken for each.
    op.execute(
        "DELETE FROM integrity_flag_decisions WHERE id NOT IN (SELECT MIN(id) FROM integrity_flag_decisions "
        "GROUP BY tender_code, lot_number, rule_code)"
    )
    with op.batch_alter_table("integrity_flag_decisions", schema=None) as batch_op:
        batch_op.drop_constraint("uq_integrity_flag_decisions_group", type_="unique")
        batch_op.create_unique_constraint(
            "uq_integrity_flag_decisions_flag", ["tender_code", "lot_number", "rule_code"]
        )
        batch_op.drop_column("group_key")
