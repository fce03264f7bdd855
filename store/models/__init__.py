"""Typed models; importing this package registers every table on `Base.metadata`."""

from store.models.audit import AuditEntry
from store.models.base import Base, new_id
from store.models.casework import (
    CalendarDay,
    Case,
    CaseEvent,
    DisclosureBasis,
    Setting,
    WebSession,
)
from store.models.lists import CaseList, ListDeadline
from store.models.notes import CaseLink, Note
from store.models.notices import Notice, NotifyState
from store.models.orgs import MIGRATED_ORG_ID, Organization
from store.models.protection import MATTER_BODIES, MATTER_KINDS, Protection, ProtectionMatter
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
    "MATTER_BODIES",
    "MATTER_KINDS",
    "MIGRATED_ORG_ID",
    "ROLES",
    "Attachment",
    "AuditEntry",
    "Base",
    "CalendarDay",
    "Case",
    "CaseEvent",
    "CaseLink",
    "CaseList",
    "DisclosureBasis",
    "Envelope",
    "FileChunk",
    "Grant",
    "ListDeadline",
    "Mailbox",
    "Message",
    "Note",
    "Notice",
    "NotifyState",
    "Organization",
    "Protection",
    "ProtectionMatter",
    "RecipientKey",
    "Setting",
    "Submission",
    "User",
    "WebSession",
    "new_id",
]
