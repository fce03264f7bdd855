"""org-first list indexes: every list index leads with the organization

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 18:30:00.000000

0008 and 0011 made the list indexes before organizations filtered every list (0010 came
from a parallel branch). A list now always names its organization, so an index without it
made SQLite either walk every organization's rows for one organization's page or, for the
statistics, look each row up in the table by the org_id index and sort: 0.6 s at 100,000
reports. Each index now leads with org_id. The statistics' covering index takes the receipt
date second, so a period is a range of it and the counts group in its order without a sort;
the register's period seeks it too, so the single-column org_id and received_on indexes, its
prefixes, go. Indexes only: on SQLite they change in place (see 0003).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = "listed AND outcome IS NULL"


def _remake(name: str, table: str, columns: list[str]) -> None:
    op.drop_index(name, table_name=table)
    op.create_index(name, table, columns)


def _open_deadlines(org_first: bool) -> None:
    """The deadlines page's index, per database (store/models/lists.py says why)."""
    org = ["org_id"] if org_first else []
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_list_deadlines_open_only", table_name="list_deadlines")
        op.create_index(
            "ix_list_deadlines_open_only",
            "list_deadlines",
            [*org, "late_at", "id"],
            postgresql_where=sa.text(_OPEN),
        )
    else:
        _remake(
            "ix_list_deadlines_open", "list_deadlines", [*org, "listed", "outcome", "late_at", "id"]
        )


def upgrade() -> None:
    _remake(
        "ix_case_lists_closed_received",
        "case_lists",
        ["org_id", "closed", "received_on", "submission_id"],
    )
    _remake(
        "ix_case_lists_closed_next",
        "case_lists",
        ["org_id", "closed", "next_late_at", "submission_id"],
    )
    # Receipt date second: a period is a range of it, and the statistics group in its order.
    _remake(
        "ix_case_lists_counts",
        "case_lists",
        ["org_id", "received_on", "channel", "status", "offence_type", "closing_reason"],
    )
    # Both are prefixes of the one above now.
    op.drop_index("ix_case_lists_received", table_name="case_lists")
    op.drop_index("ix_case_lists_org_id", table_name="case_lists")
    _open_deadlines(org_first=True)
    _remake(
        "ix_list_deadlines_counts",
        "list_deadlines",
        ["org_id", "key", "outcome", "late_at", "exact", "received_on"],
    )
    op.drop_index("ix_list_deadlines_org_id", table_name="list_deadlines")


def downgrade() -> None:
    op.create_index("ix_list_deadlines_org_id", "list_deadlines", ["org_id"])
    _remake(
        "ix_list_deadlines_counts",
        "list_deadlines",
        ["key", "outcome", "late_at", "exact", "received_on"],
    )
    _open_deadlines(org_first=False)
    op.create_index("ix_case_lists_org_id", "case_lists", ["org_id"])
    op.create_index("ix_case_lists_received", "case_lists", ["received_on"])
    _remake(
        "ix_case_lists_counts",
        "case_lists",
        ["channel", "status", "offence_type", "closing_reason", "received_on"],
    )
    _remake("ix_case_lists_closed_next", "case_lists", ["closed", "next_late_at", "submission_id"])
    _remake(
        "ix_case_lists_closed_received", "case_lists", ["closed", "received_on", "submission_id"]
    )
