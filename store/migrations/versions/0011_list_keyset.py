"""list keyset: indexes for paging the lists by cursor; columns for the statistics and the register

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 14:30:00.000000

The inbox and the deadlines page are paged by cursor (cases.lists: the last row's sort key and
a unique tie-breaker) rather than by OFFSET, so each of their orders needs an index that ends
in its tie-breaker: the submission id for the inbox's orders, the row id for the deadlines.
The indexes are dropped and made again with the extra column; on SQLite that happens in place
(no table is rebuilt, see 0003).

``list_deadlines.received_on`` copies the report's receipt date so the statistics of a period
count deadlines without a join. It is added nullable (SQLite adds a NOT NULL column in place
only with a default) and filled here from case_lists; `adal db upgrade` then recomputes every
list row anyway. ``case_lists.outgoing_number`` / ``outgoing_date`` copy the written
confirmation's outgoing letter from its workflow step, so the register reads the list tables
alone (one query); the same recomputation fills them. ``submissions.listed`` (NULL until the
back office lists a report, with a partial index over the NULLs) replaces the two full counts
that told every list page whether the portal had added reports (about 20 ms at 100,000).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _remake(name: str, table: str, columns: list[str]) -> None:
    op.drop_index(name, table_name=table)
    op.create_index(name, table, columns)


def upgrade() -> None:
    _remake("ix_case_lists_closed_next", "case_lists", ["closed", "next_late_at", "submission_id"])
    _remake(
        "ix_case_lists_assignee",
        "case_lists",
        ["assignee_id", "closed", "received_on", "submission_id"],
    )
    # The deadlines page's index, per database (store/models/lists.py says why).
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_list_deadlines_open", table_name="list_deadlines")
        op.create_index(
            "ix_list_deadlines_open_only",
            "list_deadlines",
            ["late_at", "id"],
            postgresql_where=sa.text("listed AND outcome IS NULL"),
        )
    else:
        _remake("ix_list_deadlines_open", "list_deadlines", ["listed", "outcome", "late_at", "id"])
    op.add_column("list_deadlines", sa.Column("received_on", sa.Date(), nullable=True))
    op.execute(
        "UPDATE list_deadlines SET received_on = (SELECT c.received_on FROM case_lists c"
        " WHERE c.submission_id = list_deadlines.submission_id)"
    )
    _remake(
        "ix_list_deadlines_counts",
        "list_deadlines",
        ["key", "outcome", "late_at", "exact", "received_on"],
    )
    # Which reports the back office has listed: the portal's new ones have NULL, and a
    # partial index over those lets every list page check for them in one probe.
    op.add_column("submissions", sa.Column("listed", sa.Boolean(), nullable=True))
    op.execute(
        "UPDATE submissions SET listed = TRUE WHERE id IN (SELECT submission_id FROM case_lists)"
    )
    op.create_index(
        "ix_submissions_unlisted",
        "submissions",
        ["id"],
        sqlite_where=sa.text("listed IS NULL"),
        postgresql_where=sa.text("listed IS NULL"),
    )
    # Filled by the recomputation `adal db upgrade` runs after migrating (cases.lists).
    op.add_column("case_lists", sa.Column("outgoing_number", sa.Text(), nullable=True))
    op.add_column("case_lists", sa.Column("outgoing_date", sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_index("ix_submissions_unlisted", table_name="submissions")
    op.drop_column("submissions", "listed")
    op.drop_column("case_lists", "outgoing_date")
    op.drop_column("case_lists", "outgoing_number")
    _remake("ix_list_deadlines_counts", "list_deadlines", ["key", "outcome", "late_at", "exact"])
    op.drop_column("list_deadlines", "received_on")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_list_deadlines_open_only", table_name="list_deadlines")
        op.create_index(
            "ix_list_deadlines_open", "list_deadlines", ["listed", "outcome", "late_at"]
        )
    else:
        _remake("ix_list_deadlines_open", "list_deadlines", ["listed", "outcome", "late_at"])
    _remake("ix_case_lists_assignee", "case_lists", ["assignee_id", "closed", "received_on"])
    _remake("ix_case_lists_closed_next", "case_lists", ["closed", "next_late_at"])
