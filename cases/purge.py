"""Crypto-shredding closed cases whose retention has run out.

A case goes when today is after its purge date (cases.retention: closing + the admin's period,
never before the reporter's protection ends) and no protection matter of it is still open.
Everything sealed for it is shredded (store.sealing.shred: grants, body, file chunks): the
report, the identity block, every message, file and internal note, the protection records; the
rows that pointed at them go too (attachments, messages, notes, links to other cases, events,
case, submission, mailbox), so the reporter's receipt code opens nothing any more. One audit
entry per case records that it happened, by whom, and how many envelopes went; nothing about
the content.

What this cannot reach: copies made before the purge (backups, exported DOCX files) and
blocks a database or file system has not overwritten yet. SQLite runs with secure_delete, and
the CLI checkpoints the WAL; on PostgreSQL it runs VACUUM, which frees but does not overwrite.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session, selectinload

from cases import disclosure
from cases.facts import utc
from cases.protection import matter_open
from cases.retention import case_purge_after, retention_by_org
from rules.clock import local_date
from store import audit
from store.models import (
    Attachment,
    Case,
    CaseEvent,
    CaseLink,
    DisclosureBasis,
    Mailbox,
    Message,
    Note,
    Protection,
    ProtectionMatter,
    Submission,
)
from store.sealing import shred

# Tables a purge deletes from; the CLI vacuums them on PostgreSQL afterwards.
TOUCHED_TABLES = (
    "grants",
    "file_chunks",
    "envelopes",
    "attachments",
    "messages",
    "notes",
    "case_links",
    "protection_matters",
    "protections",
    "case_events",
    "disclosure_bases",
    "cases",
    "submissions",
    "mailboxes",
)


@dataclass(frozen=True)
class Held:
    submission_id: str
    reason: str


@dataclass
class PurgeResult:
    purged: list[str] = field(default_factory=list)
    held: list[Held] = field(default_factory=list)
    envelopes: int = 0


def _envelope_ids(session: Session, case: Case) -> list[str]:
    submission = case.submission
    ids = [submission.report_envelope_id]
    if submission.identity_envelope_id is not None:
        ids.append(submission.identity_envelope_id)
    ids += session.scalars(
        select(Message.envelope_id).where(Message.submission_id == submission.id)
    ).all()
    ids += session.scalars(
        select(Attachment.envelope_id).where(Attachment.submission_id == submission.id)
    ).all()
    ids += session.scalars(
        select(Note.envelope_id).where(Note.submission_id == submission.id)
    ).all()
    protection = session.scalar(select(Protection).where(Protection.case_id == case.id))
    if protection is not None:
        ids.append(protection.envelope_id)
        ids += [m.envelope_id for m in protection.matters if m.envelope_id is not None]
    ids += disclosure.envelope_ids(session, case)
    return list(dict.fromkeys(ids))


def _open_matter(session: Session, case: Case) -> bool:
    protection = session.scalar(select(Protection).where(Protection.case_id == case.id))
    return protection is not None and any(matter_open(m) for m in protection.matters)


def _delete_case(session: Session, case: Case) -> int:
    submission_id = case.submission_id
    mailbox_id = case.submission.mailbox_id
    envelope_ids = _envelope_ids(session, case)
    protection_ids = select(Protection.id).where(Protection.case_id == case.id)
    # Children first: the envelope foreign keys must be gone before the envelopes are.
    statements = [
        delete(Attachment).where(Attachment.submission_id == submission_id),
        delete(Message).where(Message.submission_id == submission_id),
        delete(Note).where(Note.submission_id == submission_id),
        delete(CaseLink).where(
            or_(CaseLink.first_id == submission_id, CaseLink.second_id == submission_id)
        ),
        delete(ProtectionMatter).where(ProtectionMatter.protection_id.in_(protection_ids)),
        delete(Protection).where(Protection.case_id == case.id),
        delete(CaseEvent).where(CaseEvent.case_id == case.id),
        delete(DisclosureBasis).where(DisclosureBasis.case_id == case.id),
        delete(Case).where(Case.id == case.id),
        delete(Submission).where(Submission.id == submission_id),
    ]
    if mailbox_id is not None:
        statements.append(delete(Mailbox).where(Mailbox.id == mailbox_id))
    for statement in statements:
        session.execute(statement.execution_options(synchronize_session=False))
    for envelope_id in envelope_ids:
        shred(session, envelope_id)
    return len(envelope_ids)


def purge_expired(
    session: Session, today: date, *, actor: str, dry_run: bool = False
) -> PurgeResult:
    """Shred every closed case past its purge date, in the caller's transaction.

    Purge dates are recomputed from the current setting first, so a period the admin has just
    lengthened is honoured even if a stored date was older. ``dry_run`` reports what would go
    and changes nothing (the caller rolls back).
    """
    # Each organization's cases follow its own period (issue 13); one without keeps everything.
    periods = retention_by_org(session)
    result = PurgeResult()
    cases = list(
        session.scalars(
            select(Case)
            .where(Case.closed_at.is_not(None))
            .options(selectinload(Case.submission), selectinload(Case.events))
            .order_by(Case.id)
        )
    )
    for case in cases:
        org_id = case.submission.org_id
        years = periods.get(org_id) if org_id is not None else None
        purge_after = case_purge_after(case, years)
        if purge_after is None or today <= purge_after:
            continue
        if _open_matter(session, case):
            result.held.append(Held(case.submission_id, "a protection matter is still open"))
            continue
        result.purged.append(case.submission_id)
        if dry_run:
            continue
        assert case.closed_at is not None
        details: dict[str, Any] = {
            "closed_on": local_date(utc(case.closed_at)).isoformat(),
            "purge_after": purge_after.isoformat(),
        }
        submission_id = case.submission_id
        # Nothing of this case may be left pending: after the DELETEs a flush would write it
        # back into a gone row.
        session.flush()
        details["envelopes"] = _delete_case(session, case)
        result.envelopes += details["envelopes"]
        audit.append(
            session,
            "case.purge",
            actor=actor,
            org_id=org_id,
            target=submission_id,
            details=details,
        )
    if not dry_run:
        # The ORM objects of purged rows are stale now; nothing may flush them back.
        session.expire_all()
    return result
