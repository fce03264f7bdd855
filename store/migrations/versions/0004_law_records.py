"""law records (issue 11): the offence type of p3 on each case, and the grounds for
disclosing a reporter's identity (p14: the signed Appendix 2, a court decision)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 08:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing cases were never classified: "undetermined" is the truth about them.
    with op.batch_alter_table("cases") as batch:
        batch.add_column(
            sa.Column(
                "offence_type", sa.String(length=16), nullable=False, server_default="undetermined"
            )
        )
    op.create_table(
        "disclosure_bases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("dated_on", sa.Date(), nullable=False),
        sa.Column("envelope_id", sa.String(length=32), nullable=True),
        sa.Column("scan_envelope_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_disclosure_bases_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["envelope_id"],
            ["envelopes.id"],
            name=op.f("fk_disclosure_bases_envelope_id_envelopes"),
        ),
        sa.ForeignKeyConstraint(
            ["scan_envelope_id"],
            ["envelopes.id"],
            name=op.f("fk_disclosure_bases_scan_envelope_id_envelopes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure_bases")),
    )
    op.create_index(op.f("ix_disclosure_bases_case_id"), "disclosure_bases", ["case_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_disclosure_bases_case_id"), table_name="disclosure_bases")
    op.drop_table("disclosure_bases")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("offence_type")
