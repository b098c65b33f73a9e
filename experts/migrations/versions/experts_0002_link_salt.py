"""experts: the salt that seals an expert's code in the experts.user_linked audit entry

Revision ID: experts_0002
Revises: experts_0001
Create Date: 2026-11-25 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "experts_0002"
down_revision = "experts_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("experts") as batch:
        batch.add_column(sa.Column("link_salt", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("experts") as batch:
        batch.drop_column("link_salt")
