"""Section 3: protection of a reporter whose identity is known, and its register of matters.

Plain columns hold dates, kinds and flags only. Who is protected, and what the proposed measure
is about, lives in sealed envelopes (purpose "protection") that only the heads and the recovery
key can open, like the identity block (p14): a database reader learns that some known reporter
of some case faces, say, a transfer with a meeting on a given day, and nothing about who.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.models.base import Base

# p16: an individual labour dispute goes to the conciliation commission; p17: disciplinary
# liability, dismissal or transfer needs the disciplinary commission or another collegial body.
MATTER_KINDS = ("disciplinary", "dismissal", "transfer", "labour_dispute")
MATTER_BODIES = ("conciliation", "collegial")


class Protection(Base):
    """One protected reporter per case; the 3-year period is computed from the case's events
    (rules.deadlines.case_protection_end), so a later-recorded 1424 call moves it correctly."""

    __tablename__ = "protections"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    # Sealed to heads + recovery: full name, position, unit of the protected employee.
    envelope_id: Mapped[str] = mapped_column(ForeignKey("envelopes.id"))
    created_on: Mapped[date]

    matters: Mapped[list[ProtectionMatter]] = relationship(
        back_populates="protection",
        order_by="ProtectionMatter.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class ProtectionMatter(Base):
    """A proposed disciplinary action, dismissal or transfer (or a labour dispute) of a
    protected employee, which a commission must consider with the civil service agency's
    representative invited (p16-p17), with the dates that drive p18, p19 and p20."""

    __tablename__ = "protection_matters"

    id: Mapped[int] = mapped_column(primary_key=True)
    protection_id: Mapped[int] = mapped_column(
        ForeignKey("protections.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(String(16))
    # Sealed to heads + recovery: what is proposed and why (it would identify the employee).
    envelope_id: Mapped[str | None] = mapped_column(ForeignKey("envelopes.id"))
    proposed_on: Mapped[date]
    agency_invited: Mapped[bool] = mapped_column(default=False)
    agency_invited_on: Mapped[date | None]
    meeting_on: Mapped[date | None]
    materials_sent_on: Mapped[date | None]
    decided_on: Mapped[date | None]
    copy_sent_on: Mapped[date | None]
    # p20: the agency's notice under art. 24-4 p.2 of the Law, and the day the employee's
    # appeal reached the agency (the 30 calendar days run from it).
    notice_received_on: Mapped[date | None]
    appeal_on: Mapped[date | None]
    # p20: an NDA is owed if the employee had signed one with the Anti-Corruption Service.
    nda_required: Mapped[bool] = mapped_column(default=False)
    nda_signed_on: Mapped[date | None]

    protection: Mapped[Protection] = relationship(back_populates="matters")
