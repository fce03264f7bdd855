"""What the portal writes: sealed envelopes, grants, file chunks, submissions, mailboxes, messages.

Plain columns here hold a date at most, never a time: the exact time of receipt travels sealed.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.models.base import Base, new_id


class Envelope(Base):
    """One sealed payload (report, identity block, message or file).

    A file envelope has a stream header and its body in `file_chunks`; the others have `body`.
    `chunk_count` is set in the same transaction as the last chunk, so a file without all its
    chunks is detectable.
    """

    __tablename__ = "envelopes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    purpose: Mapped[str] = mapped_column(String(16))
    body: Mapped[bytes | None]
    stream_header: Mapped[bytes | None]
    chunk_count: Mapped[int | None]
    created_on: Mapped[date]

    grants: Mapped[list[Grant]] = relationship(
        back_populates="envelope", cascade="all, delete-orphan", passive_deletes=True
    )


class Grant(Base):
    """The envelope's data key sealed to one recipient; deleting every grant shreds the data."""

    __tablename__ = "grants"
    __table_args__ = (UniqueConstraint("envelope_id", "key_id", name="uq_grants_envelope_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    envelope_id: Mapped[str] = mapped_column(
        ForeignKey("envelopes.id", ondelete="CASCADE"), index=True
    )
    key_id: Mapped[str] = mapped_column(String(32), index=True)
    sealed_key: Mapped[bytes]

    envelope: Mapped[Envelope] = relationship(back_populates="grants")


class FileChunk(Base):
    __tablename__ = "file_chunks"

    envelope_id: Mapped[str] = mapped_column(
        ForeignKey("envelopes.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(primary_key=True)
    data: Mapped[bytes]


class Mailbox(Base):
    """The reporter's side of a case, found by the receipt's lookup tag.

    `status` is the short reporter-facing status the back office maintains, so the portal never
    needs to read the back office's case tables.
    """

    __tablename__ = "mailboxes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    lookup_tag: Mapped[bytes] = mapped_column(unique=True)
    public_key: Mapped[bytes]
    status: Mapped[str] = mapped_column(String(16), default="received")
    created_on: Mapped[date]


class Submission(Base):
    """A report from any channel; the portal's ones have a mailbox.

    Each envelope belongs to one row only (unique indexes here, on `messages` and on
    `attachments`): the associated data names the envelope, not its owner, so without them a
    hijacked portal could file another case's report or identity block under a mailbox of its own.
    They are unique indexes rather than constraints because SQLite adds an index in place, while
    adding a constraint rebuilds the table (see migration 0003).
    """

    __tablename__ = "submissions"
    __table_args__ = (
        # The reports the back office has not listed yet (cases.lists.catch_up): a partial
        # index, empty when nothing is owed, so every list page finds that out in one probe.
        Index(
            "ix_submissions_unlisted",
            "id",
            sqlite_where=text("listed IS NULL"),
            postgresql_where=text("listed IS NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    channel: Mapped[str] = mapped_column(String(24))
    # The organization the report was sent to (its own, or the superior body, p4). Always set
    # (see User.org_id); a row without one is visible to nobody under row-level security.
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    received_on: Mapped[date] = mapped_column(index=True)
    report_envelope_id: Mapped[str] = mapped_column(
        ForeignKey("envelopes.id"), unique=True, index=True
    )
    identity_envelope_id: Mapped[str | None] = mapped_column(
        ForeignKey("envelopes.id"), unique=True, index=True
    )
    mailbox_id: Mapped[str | None] = mapped_column(ForeignKey("mailboxes.id"), unique=True)
    # True once cases.lists wrote the report's list rows; NULL from the portal, which neither
    # sets it nor may write the list tables (migration 0011).
    listed: Mapped[bool | None]

    report_envelope: Mapped[Envelope] = relationship(foreign_keys=[report_envelope_id])
    identity_envelope: Mapped[Envelope | None] = relationship(foreign_keys=[identity_envelope_id])
    mailbox: Mapped[Mailbox | None] = relationship()


class Message(Base):
    """One message of the two-way thread; the row order is the thread order (no timestamps)."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_submission", "submission_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(16))  # "to_reporter" | "from_reporter"
    envelope_id: Mapped[str] = mapped_column(ForeignKey("envelopes.id"), unique=True, index=True)
    created_on: Mapped[date]

    envelope: Mapped[Envelope] = relationship()


class Attachment(Base):
    """A file of a report or a message; its name and type are sealed inside the stream."""

    __tablename__ = "attachments"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    submission_id: Mapped[str] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    envelope_id: Mapped[str] = mapped_column(ForeignKey("envelopes.id"), unique=True, index=True)

    envelope: Mapped[Envelope] = relationship()
