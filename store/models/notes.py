"""Holders' own records on a case: internal notes and links between related reports (issue 15).

A note is sealed like a message, but to the case's holders only: the reporter's mailbox key never
gets a grant, so nothing of it can reach the portal. Its row says which case, who wrote it and on
which day; the time of writing and the text travel sealed.

A link joins two reports that concern the same matter. It is an unordered pair, stored once with
the smaller submission id first, so "A is related to B" and "B is related to A" are one row.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.models.base import Base
from store.models.reports import Envelope


class Note(Base):
    __tablename__ = "notes"
    __table_args__ = (Index("ix_notes_submission", "submission_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    # One owner per envelope, as for messages (migration 0003): a unique index, not a constraint.
    envelope_id: Mapped[str] = mapped_column(ForeignKey("envelopes.id"), unique=True, index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_on: Mapped[date]

    envelope: Mapped[Envelope] = relationship()


class CaseLink(Base):
    __tablename__ = "case_links"
    __table_args__ = (
        UniqueConstraint("first_id", "second_id", name="uq_case_links_pair"),
        CheckConstraint("first_id < second_id", name="ordered_pair"),
        Index("ix_case_links_second", "second_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    first_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("submissions.id", ondelete="CASCADE")
    )
    second_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("submissions.id", ondelete="CASCADE")
    )
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_on: Mapped[date]
