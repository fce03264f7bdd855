"""notes and links: holders' internal notes on a case and links between related reports (issue 15)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 12:30:00.000000

Two new tables (store/models/notes.py), created in place: nothing existing is rebuilt, so no
row that references `submissions`, `envelopes` or `users` can be cascade-deleted on SQLite (a
batch rebuild of a referenced table would do that, see 0003).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.String(length=32), nullable=False),
        sa.Column("envelope_id", sa.String(length=32), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_notes_author_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["envelope_id"], ["envelopes.id"], name=op.f("fk_notes_envelope_id_envelopes")
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_notes_submission_id_submissions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notes")),
    )
    op.create_index(op.f("ix_notes_envelope_id"), "notes", ["envelope_id"], unique=True)
    op.create_index("ix_notes_submission", "notes", ["submission_id", "id"], unique=False)
    op.create_table(
        "case_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("first_id", sa.String(length=32), nullable=False),
        sa.Column("second_id", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.CheckConstraint("first_id < second_id", name=op.f("ck_case_links_ordered_pair")),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_case_links_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["first_id"],
            ["submissions.id"],
            name=op.f("fk_case_links_first_id_submissions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["second_id"],
            ["submissions.id"],
            name=op.f("fk_case_links_second_id_submissions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_links")),
        sa.UniqueConstraint("first_id", "second_id", name="uq_case_links_pair"),
    )
    op.create_index("ix_case_links_second", "case_links", ["second_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_case_links_second", table_name="case_links")
    op.drop_table("case_links")
    op.drop_index("ix_notes_submission", table_name="notes")
    op.drop_index(op.f("ix_notes_envelope_id"), table_name="notes")
    op.drop_table("notes")
