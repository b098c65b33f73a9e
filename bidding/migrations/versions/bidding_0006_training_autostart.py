"""bidding: training tenders (培训项目: scaled periods, never public) and the opening's autostart grace
(``opening_autostart_minutes`` in each tender's rules, 10 minutes for the tenders stored before it)

Revision ID: bidding_0006
Revises: bidding_0005
Create Date: 2026-12-03 13:45:00
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "bidding_0006"
down_revision = "bidding_0005"
branch_labels = None
depends_on = None

tenders = sa.table("bidding_tenders", sa.column("id", sa.Integer()), sa.column("rules", sa.JSON()))


def _rules(value: object) -> dict[str, object]:
    if isinstance(value, str):  # some drivers hand JSON back as text
        value = json.loads(value)
    return dict(value) if isinstance(value, dict) else {}


def upgrade() -> None:
    with op.batch_alter_table("bidding_tenders") as batch:
        batch.add_column(sa.Column("training", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.create_index("ix_bidding_tenders_training", ["training"])
    bind = op.get_bind()
    for tender_id, rules in bind.execute(sa.select(tenders.c.id, tenders.c.rules)).all():
        stored = _rules(rules)
        if "opening_autostart_minutes" not in stored:
            stored["opening_autostart_minutes"] = 10
            bind.execute(tenders.update().where(tenders.c.id == tender_id).values(rules=stored))


def downgrade() -> None:
    bind = op.get_bind()
    for tender_id, rules in bind.execute(sa.select(tenders.c.id, tenders.c.rules)).all():
        stored = _rules(rules)
        stored.pop("opening_autostart_minutes", None)
        stored.pop("day_seconds", None)
        bind.execute(tenders.update().where(tenders.c.id == tender_id).values(rules=stored))
    with op.batch_alter_table("bidding_tenders") as batch:
        batch.drop_index("ix_bidding_tenders_training")
        batch.drop_column("training")
