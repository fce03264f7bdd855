"""Reports stored the way the portal and the back office store them, for casework tests."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from nacl.public import PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.facts import facts_from_report
from cases.workflow import register_case
from rules.clock import local_date
from store import payloads, sealing
from store.models import Attachment, Case, Mailbox, Message, Submission, User
from store.recipients import holders, identity_recipients, report_recipients
from store.sealing import FileWriter
from tests.support.instance import DemoInstance, demo_org_id


@dataclass(frozen=True)
class Stored:
    submission_id: str
    report: dict[str, object]


def store_report(
    session: Session,
    received_at: datetime,
    *,
    channel: str = "portal",
    identity: dict[str, str] | None = None,
    nda_intended: bool = False,
    files: int = 1,
    messages: int = 1,
) -> Stored:
    """A sealed report with an optional identity block, a mailbox (portal), files and a
    follow-up message with its own file: every kind of sealed row a purge must remove."""
    today = local_date(received_at)
    report: dict[str, object] = {
        "received_at": payloads.utc_timestamp(received_at),
        "channel": channel,
        "language": "ru",
        "facts": "Начальник отдела закупок потребовал взятку.",
        "persons": "Н. Н. Иванов",
        "subject": "200 000 тенге",
        "position": "начальник отдела",
        "unit": "отдел закупок",
        "identity_provided": identity is not None,
        "consent": identity is not None,
        "nda_intended": nda_intended,
        "attachment_count": files,
    }
    recipients = report_recipients(session, demo_org_id(session))
    report_env = sealing.seal(
        session, "report", payloads.encode(payloads.REPORT_FORMAT, report), recipients, today
    )
    identity_env = None
    if identity is not None:
        identity_env = sealing.seal(
            session,
            "identity",
            payloads.encode(
                payloads.IDENTITY_FORMAT,
                {"received_at": report["received_at"], **identity, "consent": True},
            ),
            identity_recipients(session, demo_org_id(session)),
            today,
        )
    mailbox = None
    if channel == "portal":
        mailbox = Mailbox(
            lookup_tag=secrets.token_bytes(32),
            public_key=bytes(PrivateKey.generate().public_key),
            created_on=today,
        )
        session.add(mailbox)
        session.flush()
    submission = Submission(
        channel=channel,
        org_id=demo_org_id(session),
        received_on=today,
        report_envelope_id=report_env.id,
        identity_envelope_id=identity_env.id if identity_env else None,
        mailbox_id=mailbox.id if mailbox else None,
    )
    session.add(submission)
    session.flush()
    for i in range(files):
        _file(session, submission, recipients, today, f"scan-{i}.pdf")
    for i in range(messages):
        env = sealing.seal(
            session,
            "message",
            payloads.encode(
                payloads.MESSAGE_FORMAT,
                {"sent_at": report["received_at"], "text": f"follow-up {i}", "attachments": []},
            ),
            holders(session, report_env),
            today,
        )
        message = Message(
            submission_id=submission.id,
            direction="from_reporter",
            envelope_id=env.id,
            created_on=today,
        )
        session.add(message)
        session.flush()
        _file(session, submission, recipients, today, f"extra-{i}.txt", message.id)
    session.flush()
    return Stored(submission.id, report)


def _file(
    session: Session,
    submission: Submission,
    recipients: list[bytes],
    today: date,
    name: str,
    message_id: int | None = None,
) -> None:
    writer = sealing.FileWriter(session, recipients, today, batch=2)
    writer.write(payloads.file_meta_header(name, "application/pdf"))
    writer.write(secrets.token_bytes(200_000))  # several chunks
    session.add(
        Attachment(
            submission_id=submission.id, message_id=message_id, envelope_id=writer.finish().id
        )
    )


def user(session: Session, role: str) -> User:
    return session.scalars(select(User).where(User.role == role).order_by(User.id)).first()


def registered_case(
    demo: DemoInstance,
    received_at: datetime,
    *,
    identity: dict[str, str] | None = None,
    nda_intended: bool = False,
) -> str:
    """A report without files or messages, registered as a case by the handler five minutes
    after it came in; its submission id."""
    with demo.sessions() as s, s.begin():
        stored = store_report(
            s, received_at, identity=identity, nda_intended=nda_intended, files=0, messages=0
        )
        submission = s.get(Submission, stored.submission_id)
        register_case(
            s,
            submission,
            facts_from_report(stored.report, submission),
            user(s, "handler"),
            at=received_at + timedelta(minutes=5),
        )
        return stored.submission_id


def case_of(session: Session, submission_id: str) -> Case:
    return session.scalars(select(Case).where(Case.submission_id == submission_id)).one()


def abandoned_and_arriving_upload(demo: DemoInstance, today: date) -> tuple[str, str]:
    """Two file envelopes without a report: one finished two days ago and abandoned, one
    begun yesterday and still being written. Their envelope ids, in that order."""
    with demo.sessions() as s:
        keys = report_recipients(s, demo_org_id(s))
        old = FileWriter(s, keys, today - timedelta(days=2), commit_batches=True)
        old.write(b"abandoned upload")
        old.close_stream()
        fresh = FileWriter(s, keys, today - timedelta(days=1), commit_batches=True)
        fresh.write(b"still arriving")
        return old.envelope_id, fresh.envelope_id
