"""case lists: plain per-report and per-deadline columns for the back office's lists (issue 15)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 13:00:00.000000

Two new tables (store/models/lists.py), created in place: nothing existing is rebuilt, since on
SQLite a batch rebuild of a referenced table cascades into the rows that reference it (see
0003). The rows are derived data: `adal db upgrade` fills them after migrating by running the
same recomputation as `adal cases recompute` (cases.lists), which reads the rules in code rather
than a copy frozen into this migration.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_lists",
        sa.Column("submission_id", sa.String(length=32), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.Column("offence_type", sa.String(length=16), nullable=False),
        sa.Column("closing_reason", sa.String(length=32), nullable=True),
        sa.Column("next_key", sa.String(length=32), nullable=True),
        sa.Column("next_late_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_soon_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_case_lists_submission_id_submissions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["users.id"],
            name=op.f("fk_case_lists_assignee_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("submission_id", name=op.f("pk_case_lists")),
    )
    op.create_index(
        "ix_case_lists_closed_received",
        "case_lists",
        ["closed", "received_on", "submission_id"],
    )
    op.create_index("ix_case_lists_closed_next", "case_lists", ["closed", "next_late_at"])
    op.create_index(
        "ix_case_lists_assignee", "case_lists", ["assignee_id", "closed", "received_on"]
    )
    op.create_index("ix_case_lists_received", "case_lists", ["received_on"])
    op.create_index(
        "ix_case_lists_counts",
        "case_lists",
        ["channel", "status", "offence_type", "closing_reason", "received_on"],
    )
    op.create_table(
        "list_deadlines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.String(length=32), nullable=False),
        sa.Column("matter_id", sa.Integer(), nullable=True),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("basis", sa.String(length=200), nullable=False),
        sa.Column("due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("warn_from", sa.Date(), nullable=True),
        sa.Column("aim_date", sa.Date(), nullable=True),
        sa.Column("met_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("exact", sa.Boolean(), nullable=False),
        sa.Column("late_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("soon_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("listed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_list_deadlines_submission_id_submissions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["matter_id"],
            ["protection_matters.id"],
            name=op.f("fk_list_deadlines_matter_id_protection_matters"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_list_deadlines")),
    )
    op.create_index("ix_list_deadlines_open", "list_deadlines", ["listed", "outcome", "late_at"])
    op.create_index("ix_list_deadlines_submission", "list_deadlines", ["submission_id"])
    op.create_index(
        "ix_list_deadlines_counts", "list_deadlines", ["key", "outcome", "late_at", "exact"]
    )


def downgrade() -> None:
    op.drop_table("list_deadlines")
    op.drop_table("case_lists")
