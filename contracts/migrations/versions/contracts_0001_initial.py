"""contracts: the contract after an award, its milestones and its publications

Revision ID: contracts_0001
Revises: 0001
Create Date: 2026-12-04 16:30:00
"""

import sqlalchemy as sa
from alembic import op

import core.db

revision = "contracts_0001"
down_revision = "0001"
branch_labels = ("contracts",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contracts_contracts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tender_code", sa.String(length=40), nullable=False),
        sa.Column("lot_number", sa.String(length=16), nullable=False),
        sa.Column("tenderer_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("candidate_rank", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("performance_bond", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("publish_document", sa.Boolean(), nullable=False),
        sa.Column("award_notice_id", sa.Integer(), nullable=False),
        sa.Column("awarded_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("tenderer_signature", sa.String(length=100), nullable=True),
        sa.Column("tenderer_key", sa.String(length=128), nullable=True),
        sa.Column("tenderer_signed_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("supplier_signature", sa.String(length=100), nullable=True),
        sa.Column("supplier_key", sa.String(length=128), nullable=True),
        sa.Column("supplier_signed_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("signed_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("refused_by", sa.String(length=16), nullable=True),
        sa.Column("refusal_reason", sa.Text(), nullable=True),
        sa.Column("ended_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("next_step", sa.String(length=16), nullable=True),
        sa.Column("rating", sa.String(length=16), nullable=True),
        sa.Column("rating_comment", sa.Text(), nullable=True),
        sa.Column("rated_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["organisations.id"],
            name=op.f("fk_contracts_contracts_supplier_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["tenderer_id"],
            ["organisations.id"],
            name=op.f("fk_contracts_contracts_tenderer_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contracts_contracts")),
    )
    with op.batch_alter_table("contracts_contracts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contracts_contracts_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_contracts_contracts_supplier_id"), ["supplier_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contracts_contracts_tender_code"), ["tender_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_contracts_contracts_tenderer_id"), ["tenderer_id"], unique=False)
    op.create_table(
        "contracts_milestones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("met_on", sa.Date(), nullable=True),
        sa.Column("recorded_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts_contracts.id"],
            name=op.f("fk_contracts_milestones_contract_id_contracts_contracts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contracts_milestones")),
    )
    with op.batch_alter_table("contracts_milestones", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contracts_milestones_contract_id"), ["contract_id"], unique=False
        )
    op.create_table(
        "contracts_publications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("tender_code", sa.String(length=40), nullable=False),
        sa.Column("published_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts_contracts.id"],
            name=op.f("fk_contracts_publications_contract_id_contracts_contracts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contracts_publications")),
    )
    with op.batch_alter_table("contracts_publications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contracts_publications_contract_id"), ["contract_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_contracts_publications_tender_code"), ["tender_code"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("contracts_publications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contracts_publications_tender_code"))
        batch_op.drop_index(batch_op.f("ix_contracts_publications_contract_id"))
    op.drop_table("contracts_publications")
    with op.batch_alter_table("contracts_milestones", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contracts_milestones_contract_id"))
    op.drop_table("contracts_milestones")
    with op.batch_alter_table("contracts_contracts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contracts_contracts_tenderer_id"))
        batch_op.drop_index(batch_op.f("ix_contracts_contracts_tender_code"))
        batch_op.drop_index(batch_op.f("ix_contracts_contracts_supplier_id"))
        batch_op.drop_index(batch_op.f("ix_contracts_contracts_status"))
    op.drop_table("contracts_contracts")
