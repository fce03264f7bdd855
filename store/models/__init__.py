"""Typed models; importing this package registers every table on `Base.metadata`."""

from store.models.audit import AuditEntry
from store.models.base import Base, new_id
from store.models.casework import CalendarDay, Case, CaseEvent, Setting, WebSession
from store.models.reports import (
    Attachment,
    Envelope,
    FileChunk,
    Grant,
    Mailbox,
    Message,
    Submission,
)
from store.models.staff import ROLES, RecipientKey, User

__all__ = [
    "ROLES",
    "Attachment",
    "AuditEntry",
    "Base",
    "CalendarDay",
    "Case",
    "CaseEvent",
    "Envelope",
    "FileChunk",
    "Grant",
    "Mailbox",
    "Message",
    "RecipientKey",
    "Setting",
    "Submission",
    "User",
    "WebSession",
    "new_id",
]
