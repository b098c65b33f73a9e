"""guarantees: electronic bid guarantees, cash deposits and claims

Revision ID: guarantees_0001
Revises: 0001
Create Date: 2026-12-04 16:20:00
"""

import sqlalchemy as sa
from alembic import op

import core.db

revision = "guarantees_0001"
down_revision = "0001"
branch_labels = ("guarantees",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "guarantees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("guarantor_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("tender_code", sa.String(length=40), nullable=False),
        sa.Column("lot_number", sa.String(length=16), nullable=False),
        sa.Column("bidder_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("valid_until", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("signing_key", sa.String(length=64), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("document_sha256", sa.String(length=64), nullable=False),
        sa.Column("document_key", sa.String(length=512), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("seal_salt", sa.String(length=32), nullable=False),
        sa.Column("issued_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("issued_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bidder_id"], ["organisations.id"], name=op.f("fk_guarantees_bidder_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["guarantor_id"], ["organisations.id"], name=op.f("fk_guarantees_guarantor_id_organisations")
        ),
        sa.ForeignKeyConstraint(["issued_by"], ["users.id"], name=op.f("fk_guarantees_issued_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guarantees")),
        sa.UniqueConstraint("document_sha256", name=op.f("uq_guarantees_document_sha256")),
        sa.UniqueConstraint("number", name=op.f("uq_guarantees_number")),
    )
    with op.batch_alter_table("guarantees", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_guarantees_bidder_id"), ["bidder_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_guarantees_guarantor_id"), ["guarantor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_guarantees_tender_code"), ["tender_code"], unique=False)
    op.create_table(
        "guarantees_deposits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tender_code", sa.String(length=40), nullable=False),
        sa.Column("lot_number", sa.String(length=16), nullable=False),
        sa.Column("bidder_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("payer_account", sa.String(length=64), nullable=False),
        sa.Column("received_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("seal_salt", sa.String(length=32), nullable=False),
        sa.Column("contract_signed_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("refund_due_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("refunded_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("interest", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("forfeited_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["bidder_id"], ["organisations.id"], name=op.f("fk_guarantees_deposits_bidder_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_guarantees_deposits_recorded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guarantees_deposits")),
    )
    with op.batch_alter_table("guarantees_deposits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_guarantees_deposits_bidder_id"), ["bidder_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_guarantees_deposits_tender_code"), ["tender_code"], unique=False)
    op.create_table(
        "guarantees_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guarantee_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("filed_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("filed_by", sa.Integer(), nullable=False),
        sa.Column("accepted", sa.Boolean(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["answered_by"], ["users.id"], name=op.f("fk_guarantees_claims_answered_by_users")
        ),
        sa.ForeignKeyConstraint(["filed_by"], ["users.id"], name=op.f("fk_guarantees_claims_filed_by_users")),
        sa.ForeignKeyConstraint(
            ["guarantee_id"], ["guarantees.id"], name=op.f("fk_guarantees_claims_guarantee_id_guarantees")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guarantees_claims")),
    )
    with op.batch_alter_table("guarantees_claims", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_guarantees_claims_guarantee_id"), ["guarantee_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("guarantees_claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_guarantees_claims_guarantee_id"))
    op.drop_table("guarantees_claims")
    with op.batch_alter_table("guarantees_deposits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_guarantees_deposits_tender_code"))
        batch_op.drop_index(batch_op.f("ix_guarantees_deposits_bidder_id"))
    op.drop_table("guarantees_deposits")
    with op.batch_alter_table("guarantees", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_guarantees_tender_code"))
        batch_op.drop_index(batch_op.f("ix_guarantees_guarantor_id"))
        batch_op.drop_index(batch_op.f("ix_guarantees_bidder_id"))
    op.drop_table("guarantees")
