"""The back office's own records: cases, their workflow events, settings, calendar, sessions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.models.base import Base
from store.models.reports import Submission


class Case(Base):
    """A submission as the back office handles it; created when a handler registers it (p6)."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[str] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[str] = mapped_column(String(24), default="registered")
    anonymous: Mapped[bool] = mapped_column(default=True)
    nda_intended: Mapped[bool] = mapped_column(default=False)
    registered_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    purge_after: Mapped[date | None]
    # p3: "crime" (Criminal Code art. 3 (29)), "administrative" (Code of Administrative
    # Offences, chapter 34) or "undetermined" (rules.offences).
    offence_type: Mapped[str] = mapped_column(
        String(16), default="undetermined", server_default="undetermined"
    )

    submission: Mapped[Submission] = relationship()
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", order_by="CaseEvent.id", cascade="all, delete-orphan"
    )


class CaseEvent(Base):
    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)

    case: Mapped[Case] = relationship(back_populates="events")


class Setting(Base):
    """An organization's own setting (handler/settings.py)."""

    __tablename__ = "settings"

    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]]


class CalendarDay(Base):
    """An admin-entered exception to the KZ calendar: a decree's extra day off or working day."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "day_off" | "working_day"
    note: Mapped[str] = mapped_column(String(200), default="")


class WebSession(Base):
    """Server half of a web session: ciphertext whose key only the browser's cookie holds.

    Neither half alone opens the session; deleting the row ends it everywhere (logout), and any
    portal or back-office process can serve it. `expires_on` is a date so the row says nothing
    about when a reporter was active.
    """

    __tablename__ = "web_sessions"

    id_hash: Mapped[bytes] = mapped_column(primary_key=True)
    app: Mapped[str] = mapped_column(String(16))
    data: Mapped[bytes]
    expires_on: Mapped[date] = mapped_column(index=True)


class DisclosureBasis(Base):
    """p14: what allows a reporter's identity to leave the case. Either their written consent,
    the signed Appendix 2 received by the head (``kind`` "appendix2", p11 (5)), or a court
    decision (``kind`` "court"). A tick on the portal is a statement of consent and needs no
    row: it travels in the report.

    ``dated_on`` is the day the signed form was received, or the decision's date. What could
    lead to the reporter (the court, the case number, the scope, a scan with a signature) is
    sealed like the identity block, to the heads and the recovery key only.
    """

    __tablename__ = "disclosure_bases"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    dated_on: Mapped[date]
    envelope_id: Mapped[str | None] = mapped_column(ForeignKey("envelopes.id"))
    scan_envelope_id: Mapped[str | None] = mapped_column(ForeignKey("envelopes.id"))
