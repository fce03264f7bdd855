"""Staff users, their public keys and the organization's recovery key."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.models.base import Base

# "operator" runs the platform (organizations, the national calendar) and belongs to none.
ROLES = ("handler", "head", "admin", "auditor", "operator")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    # NULL for the operator only. Nullable in the schema because SQLite cannot add a referencing
    # column with a default (migration 0010); every writer sets it.
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    # The private key, wrapped under a key derived from the password (crypto.keys).
    wrapped_key: Mapped[bytes | None]
    # TOTP secret sealed with the instance secret key: a copy of the database alone cannot
    # produce codes.
    totp_secret: Mapped[bytes | None]
    totp_enrolled: Mapped[bool] = mapped_column(default=False)
    totp_last_counter: Mapped[int | None]
    failed_attempts: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    must_change_password: Mapped[bool] = mapped_column(default=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    # Where notices go (cases/notices.py). Only a confirmed address receives them; a new one
    # waits in `email_pending` until the code mailed to it (hashed here) is typed back.
    email: Mapped[str | None] = mapped_column(String(254))
    email_confirmed: Mapped[bool] = mapped_column(default=False, server_default=false())
    email_pending: Mapped[str | None] = mapped_column(String(254))
    email_code_hash: Mapped[str | None] = mapped_column(String(255))
    email_code_expires: Mapped[datetime | None]
    email_code_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    # Code mails sent on `email_codes_day`: capped per day, and kept through a removal, so an
    # account cannot turn the mail server on someone's mailbox.
    email_codes_day: Mapped[date | None]
    email_codes_sent: Mapped[int] = mapped_column(default=0, server_default="0")
    mail_language: Mapped[str] = mapped_column(String(2), default="kk", server_default="kk")
    # The notice kinds (cases.notices.CHOICES) this user turned off, space-separated.
    notices_off: Mapped[str] = mapped_column(String(200), default="", server_default="")

    keys: Mapped[list[RecipientKey]] = relationship(back_populates="user")


class RecipientKey(Base):
    """A public key reports can be sealed to.

    `purpose` says what the portal seals to it: "handler" keys get reports, "head" keys get
    reports and identity blocks, the "recovery" key gets everything. The portal reads only this
    table, never `users`.
    """

    __tablename__ = "recipient_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[str] = mapped_column(String(32), unique=True)
    public_key: Mapped[bytes]
    purpose: Mapped[str] = mapped_column(String(16), index=True)
    # The organization whose reports are sealed to this key; a key of one organization never
    # receives a grant on another's material (store/recipients.py). Always set (see User.org_id).
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    active: Mapped[bool] = mapped_column(default=True)
    # Ed25519 verify key derived from this key (crypto.signing): checks the approvals it signs.
    verify_key: Mapped[bytes | None]
    approved_by: Mapped[str | None] = mapped_column(String(32))  # the approving key's key_id
    approval: Mapped[bytes | None]  # its signature over this key
    approved_at: Mapped[datetime | None]

    user: Mapped[User | None] = relationship(back_populates="keys")
