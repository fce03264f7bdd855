"""Receiving a report, from the portal or typed in by a handler (p5.1-p5.6): one writer.

Everything of a new report is written in the caller's ONE transaction: the report and identity
envelopes and their grants, the mailbox (portal), the Attachment rows with their files, and the
case (another channel). Either all of it exists afterwards, or none of it does. Sealing follows
DESIGN.md, "Who can open what": the report to every handler and head key plus the recovery key,
the identity block (Appendix 2) to the heads and the recovery key only, the files to the
report's recipients.

The channels differ only in what they know, and each writes exactly that:
  * the portal: the page's language, the consent wording the reporter ticked, the
    acknowledgement of liability for false reports (a required box), and a mailbox; its case
    is registered when a handler first opens it;
  * another channel: who typed it in (`registered_by`), who registers its case at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from cases.attachments import StoredFile, Upload, attach_stored, attach_uploads
from cases.workflow import register_from_report
from crypto.kdf import ReceiptSecrets
from rules.clock import local_date
from store import payloads
from store.models import Mailbox, Submission, User
from store.recipients import identity_recipients, report_recipients
from store.sealing import seal

PORTAL = "portal"
# The report's own fields a person types, staff for another channel or the reporter, in the
# order Appendix 1 lists them (p11); the case page and the registration form read this list.
TYPED_FIELDS = (
    "received_by",
    "channel_details",
    "facts",
    "persons",
    "subject",
    "position",
    "unit",
    "when",
    "where",
)


@dataclass(frozen=True)
class ReportInput:
    """What the reporter told: Appendix 1 fields, and Appendix 2 if they gave their identity."""

    fields: dict[str, str]
    identity: dict[str, str] | None
    consent: bool
    nda_intended: bool
    # A report sent to the superior body: the organization whose page the reporter used
    # ({"slug", "name_kk", "name_ru", "name_en"}), sealed in the body only (store/payloads.py).
    sent_from_org: dict[str, str] | None = None


@dataclass(frozen=True)
class PortalSending:
    """What only the portal knows about a report: its page and the reporter's mailbox."""

    language: str
    consent_text: str  # the consent box's wording, kept with the identity it covers
    secrets: ReceiptSecrets
    mailbox_public: bytes


@dataclass(frozen=True)
class Registration:
    """A report typed in by staff: its case is registered at once, by them (p6)."""

    by: User
    at: datetime


def submit_report(
    session: Session,
    *,
    org_id: int,
    channel: str,
    report: ReportInput,
    received_at: datetime,
    today: date,
    portal: PortalSending | None = None,
    registration: Registration | None = None,
    files: Sequence[StoredFile] = (),
    uploads: Sequence[Upload] = (),
    report_keys: Sequence[bytes] | None = None,
    identity_keys: Sequence[bytes] | None = None,
) -> Submission:
    """Seal and store a new report in the caller's transaction; returns its submission.

    `files` were streamed in already (sealed to `report_keys`, which the portal therefore reads
    before the body arrives and passes here); `uploads` are sealed now. Keys not given are read
    now, from `org_id`'s keys: the organization the report is sent to (the reporter's own or
    its superior body, p4), and nobody else's. `today` dates the rows written; the day of
    receipt is `today` for the portal (received now) and the day of `received_at` for another
    channel (received when the person noted).
    """
    if channel == PORTAL:
        if portal is None or registration is not None:
            raise ValueError(
                "a portal report comes with its mailbox; its case waits for a handler to open it"
            )
    elif portal is not None or registration is None:
        raise ValueError(
            "a report from another channel is registered by the staff member who typed it in"
        )
    stamp = payloads.utc_timestamp(received_at)
    body: dict[str, Any] = {
        "received_at": stamp,
        "channel": channel,
        **report.fields,
        "identity_provided": report.identity is not None,
        "consent": report.consent,
        "nda_intended": report.nda_intended,
        "attachment_count": len(files) + len(uploads),
    }
    if report.sent_from_org is not None:
        body["sent_from_org"] = dict(report.sent_from_org)
    if portal is not None:
        body["language"] = portal.language
        body["false_report_acknowledged"] = True  # the form takes no report without it
    if registration is not None:
        body["registered_by"] = registration.by.username
    if report_keys is None:
        report_keys = report_recipients(session, org_id)
    report_envelope = seal(
        session, "report", payloads.encode(payloads.REPORT_FORMAT, body), report_keys, today
    )
    identity_envelope = None
    if report.identity is not None:
        block: dict[str, Any] = {"received_at": stamp, **report.identity, "consent": report.consent}
        if portal is not None:
            block["consent_text"] = portal.consent_text
        if identity_keys is None:
            identity_keys = identity_recipients(session, org_id)
        identity_envelope = seal(
            session,
            "identity",
            payloads.encode(payloads.IDENTITY_FORMAT, block),
            identity_keys,
            today,
        )
    mailbox = None
    if portal is not None:
        mailbox = Mailbox(
            lookup_tag=portal.secrets.lookup_tag,
            public_key=portal.mailbox_public,
            status="received",
            created_on=today,
        )
        session.add(mailbox)
    submission = Submission(
        channel=channel,
        org_id=org_id,
        received_on=today if portal is not None else local_date(received_at),
        report_envelope_id=report_envelope.id,
        identity_envelope_id=identity_envelope.id if identity_envelope else None,
        mailbox=mailbox,
    )
    session.add(submission)
    session.flush()
    attach_stored(session, submission.id, files)
    attach_uploads(session, submission.id, uploads, report_keys, today)
    if registration is not None:
        session.flush()
        register_from_report(session, submission, body, registration.by, registration.at)
    return submission
