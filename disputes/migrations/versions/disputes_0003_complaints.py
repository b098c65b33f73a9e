"""disputes: complaints to the supervising department and their evidence documents

Revision ID: disputes_0003
Revises: disputes_0001
Create Date: 2026-12-04 16:30:00
"""

import sqlalchemy as sa
from alembic import op

import core.db

revision = "disputes_0003"
down_revision = "disputes_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "disputes_complaints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tender_code", sa.String(length=40), nullable=False),
        sa.Column("lot_number", sa.String(length=16), nullable=True),
        sa.Column("matter", sa.String(length=16), nullable=False),
        sa.Column("complainant_id", sa.Integer(), nullable=False),
        sa.Column("filed_by", sa.Integer(), nullable=False),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("grounds", sa.Text(), nullable=False),
        sa.Column("knew_on", sa.Date(), nullable=False),
        sa.Column("objection_id", sa.Integer(), nullable=True),
        sa.Column("paused_seconds", sa.Integer(), nullable=False),
        sa.Column("filed_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("accept_due", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("accepted_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decide_due", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("suspended_step", sa.String(length=16), nullable=True),
        sa.Column("decided_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision", sa.Text(), nullable=True),
        sa.Column("remedy", sa.String(length=16), nullable=True),
        sa.Column("fault_kind", sa.String(length=16), nullable=True),
        sa.Column("fault_org_id", sa.Integer(), nullable=True),
        sa.Column("malicious", sa.Boolean(), nullable=False),
        sa.Column("handled_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["complainant_id"],
            ["organisations.id"],
            name=op.f("fk_disputes_complaints_complainant_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["fault_org_id"],
            ["organisations.id"],
            name=op.f("fk_disputes_complaints_fault_org_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["filed_by"], ["users.id"], name=op.f("fk_disputes_complaints_filed_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["handled_by"], ["users.id"], name=op.f("fk_disputes_complaints_handled_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["objection_id"],
            ["disputes_objections.id"],
            name=op.f("fk_disputes_complaints_objection_id_disputes_objections"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disputes_complaints")),
    )
    with op.batch_alter_table("disputes_complaints", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_disputes_complaints_complainant_id"), ["complainant_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_disputes_complaints_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_disputes_complaints_tender_code"), ["tender_code"], unique=False)
    op.create_table(
        "disputes_complaint_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("blob_key", sa.String(length=512), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["disputes_complaints.id"],
            name=op.f("fk_disputes_complaint_documents_complaint_id_disputes_complaints"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disputes_complaint_documents")),
    )
    with op.batch_alter_table("disputes_complaint_documents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_disputes_complaint_documents_complaint_id"), ["complaint_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("disputes_complaint_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disputes_complaint_documents_complaint_id"))
    op.drop_table("disputes_complaint_documents")
    with op.batch_alter_table("disputes_complaints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disputes_complaints_tender_code"))
        batch_op.drop_index(batch_op.f("ix_disputes_complaints_status"))
        batch_op.drop_index(batch_op.f("ix_disputes_complaints_complainant_id"))
    op.drop_table("disputes_complaints")
