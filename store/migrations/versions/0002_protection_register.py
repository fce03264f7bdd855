"""protection register (Section 3): protected reporters and their commission matters

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 04:34:21.768106
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "protections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("envelope_id", sa.String(length=32), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_protections_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["envelope_id"], ["envelopes.id"], name=op.f("fk_protections_envelope_id_envelopes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_protections")),
        sa.UniqueConstraint("case_id", name=op.f("uq_protections_case_id")),
    )
    op.create_table(
        "protection_matters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("protection_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("body", sa.String(length=16), nullable=False),
        sa.Column("envelope_id", sa.String(length=32), nullable=True),
        sa.Column("proposed_on", sa.Date(), nullable=False),
        sa.Column("agency_invited", sa.Boolean(), nullable=False),
        sa.Column("agency_invited_on", sa.Date(), nullable=True),
        sa.Column("meeting_on", sa.Date(), nullable=True),
        sa.Column("materials_sent_on", sa.Date(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("copy_sent_on", sa.Date(), nullable=True),
        sa.Column("notice_received_on", sa.Date(), nullable=True),
        sa.Column("appeal_on", sa.Date(), nullable=True),
        sa.Column("nda_required", sa.Boolean(), nullable=False),
        sa.Column("nda_signed_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["envelope_id"],
            ["envelopes.id"],
            name=op.f("fk_protection_matters_envelope_id_envelopes"),
        ),
        sa.ForeignKeyConstraint(
            ["protection_id"],
            ["protections.id"],
            name=op.f("fk_protection_matters_protection_id_protections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_protection_matters")),
    )
    with op.batch_alter_table("protection_matters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_protection_matters_protection_id"), ["protection_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("protection_matters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_protection_matters_protection_id"))
    op.drop_table("protection_matters")
    op.drop_table("protections")
