"""Plain columns the back office's lists read (issue 15): derived from cases, events, matters
and the calendar by cases.lists, in the same transaction as the change they follow.

``case_lists`` has one row per submission, opened or not: what the inbox sorts and filters on
(receipt date, channel, status, the next open deadline) and the case's responsible person.
``list_deadlines`` has one row per deadline of a report, case or protection matter, met ones
included: the deadlines page pages through the open ones and the statistics count them.

Deadline states change with time alone, so no state is stored: ``late_at`` (the instant the
deadline becomes overdue) and ``soon_at`` (the instant it becomes "due soon") are, and every
query compares them with its own ``now``. Only what is already in plain elsewhere is copied
here (dates, channel, status, workflow steps' outcomes): never anything sealed.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base


class CaseList(Base):
    __tablename__ = "case_lists"
    # Every list filters on one organization (or a superior body's few), so each index leads
    # with org_id: an organization's page is a seek into its own rows, never a walk past every
    # other organization's (migration 0012).
    __table_args__ = (
        Index("ix_case_lists_closed_received", "org_id", "closed", "received_on", "submission_id"),
        # Each list order ends in the submission id, the cursor's tie-breaker (cases.lists:
        # paging by key), so a page is one seek in one of these indexes (migration 0011).
        Index("ix_case_lists_closed_next", "org_id", "closed", "next_late_at", "submission_id"),
        # The assignee belongs to one organization: the user id alone narrows to it.
        Index("ix_case_lists_assignee", "assignee_id", "closed", "received_on", "submission_id"),
        # Covers the statistics' grouped count, read from the index alone in its order (no
        # sort), a period as a range of it; the register's period seeks it too.
        Index(
            "ix_case_lists_counts",
            "org_id",
            "received_on",
            "channel",
            "status",
            "offence_type",
            "closing_reason",
        ),
    )

    submission_id: Mapped[str] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True
    )
    # The submission's organization, copied so every list filters on it (always set).
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    received_on: Mapped[date]
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(24))  # "new" until a case is registered
    closed: Mapped[bool] = mapped_column(default=False)
    offence_type: Mapped[str] = mapped_column(String(16), default="undetermined")
    closing_reason: Mapped[str | None] = mapped_column(String(32))  # closed without decision
    # The open deadline that falls due first (moment order), and the earliest "due soon"
    # instant among the open ones: together they give the case's deadline state at any now.
    next_key: Mapped[str | None] = mapped_column(String(32))
    next_late_at: Mapped[datetime | None]
    next_soon_at: Mapped[datetime | None]
    # The responsible person (issue 15): one of the case's holders; the source of truth, which
    # the recomputation leaves alone.
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The written confirmation's outgoing number and date (p9, the CONFIRMATION_SENT step's
    # details), for the register, which then reads one table pair and no events (0011).
    outgoing_number: Mapped[str | None] = mapped_column(Text)
    outgoing_date: Mapped[date | None]


class ListDeadline(Base):
    __tablename__ = "list_deadlines"
    __table_args__ = (
        # The deadlines page's order with its tie-breaker (the cursor's key, migration 0011),
        # one index per database: SQLite seeks through "listed = 1 AND outcome IS NULL" as two
        # equalities and keeps the index order; PostgreSQL does neither through "outcome IS
        # NULL" (it sorted every overdue deadline for each page), so it gets a partial index
        # over the open rows, whose predicate the queries' words (cases.lists.OPEN) imply.
        Index("ix_list_deadlines_open", "org_id", "listed", "outcome", "late_at", "id").ddl_if(
            dialect="sqlite"
        ),
        Index(
            "ix_list_deadlines_open_only",
            "org_id",
            "late_at",
            "id",
            postgresql_where=text("listed AND outcome IS NULL"),
        ).ddl_if(dialect="postgresql"),
        Index("ix_list_deadlines_submission", "submission_id"),
        # Covers the statistics' per-deadline counts, a period's included (received_on).
        Index(
            "ix_list_deadlines_counts",
            "org_id",
            "key",
            "outcome",
            "late_at",
            "exact",
            "received_on",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    # The submission's organization, copied so every list filters on it (always set).
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    matter_id: Mapped[int | None] = mapped_column(
        ForeignKey("protection_matters.id", ondelete="CASCADE")
    )
    # The report's receipt date, copied from case_lists so the statistics of a period count
    # deadlines without joining every row to its report. Nullable only because SQLite adds a
    # NOT NULL column in place only with a default (migration 0011); the writer always sets it.
    received_on: Mapped[date | None]
    key: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    basis: Mapped[str] = mapped_column(String(200), default="")
    due: Mapped[datetime | None]  # hour deadlines
    due_date: Mapped[date | None]  # day deadlines
    warn_from: Mapped[date | None]
    aim_date: Mapped[date | None]
    met_at: Mapped[datetime | None]
    exact: Mapped[bool] = mapped_column(default=True)
    late_at: Mapped[datetime]
    soon_at: Mapped[datetime]
    outcome: Mapped[str | None] = mapped_column(String(16))  # None (open), "met", "met_late"
    # Shown on the deadlines page: every matter's, an unopened report's, an open case's.
    listed: Mapped[bool] = mapped_column(default=True)
