"""Registering a report that arrived through another channel (p5.1-p5.4, p5.6).

The handler types what Appendix 1 needs; the result is sealed exactly like a portal report:
the report to every handler and head key plus the recovery key, the identity block (if the
reporter gave it) to the heads and the recovery key only, the files (for a hotline call, the
recording, p5.4) to the report's recipients. Everything is written in one transaction, after
the whole form has been checked, so a refused form leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import IO, Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from handler import casework
from handler.forms import RegisterForm
from handler.gate import CASE_ROLES, allow, current_user
from rules.clock import KZ_TZ, local_date
from store import audit, payloads, sealing
from store.models import Attachment, Submission, User
from store.recipients import identity_recipients, report_recipients
from web.database import db

bp = Blueprint("register", __name__)

MAX_FILES = 20
READ_SIZE = 256 * 1024
# Receipt times come from a person's note; a few minutes ahead is a wrong wall clock, more is
# a typo that would put the report in the future.
CLOCK_SLACK = timedelta(minutes=5)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Upload:
    filename: str
    content_type: str
    stream: IO[bytes]


def _read(stream: IO[bytes]) -> Iterator[bytes]:
    while chunk := stream.read(READ_SIZE):
        yield chunk


def register_report(database: Session, *, channel: str, received_at: datetime,
                    fields: dict[str, str], identity: dict[str, str] | None, consent: bool,
                    nda_intended: bool, uploads: list[Upload], actor: User,
                    now: datetime) -> Submission:
    """Seal and store the report, its identity block and files, and register its case."""
    today = local_date(now)
    recipients = report_recipients(database)
    report: dict[str, Any] = {
        "received_at": payloads.utc_timestamp(received_at),
        "channel": channel,
        **fields,
        "identity_provided": identity is not None,
        "consent": consent,
        "nda_intended": nda_intended,
        "attachment_count": len(uploads),
        "registered_by": actor.username,
    }
    report_envelope = sealing.seal(database, "report",
                                   payloads.encode(payloads.REPORT_FORMAT, report),
                                   recipients, today)
    identity_envelope = None
    if identity is not None:
        block = {"received_at": report["received_at"], **identity, "consent": consent}
        identity_envelope = sealing.seal(database, "identity",
                                         payloads.encode(payloads.IDENTITY_FORMAT, block),
                                         identity_recipients(database), today)
    submission = Submission(channel=channel, received_on=local_date(received_at),
                            report_envelope_id=report_envelope.id,
                            identity_envelope_id=identity_envelope.id if identity_envelope
                            else None)
    database.add(submission)
    database.flush()
    for upload in uploads:
        writer = sealing.FileWriter(database, recipients, today)
        writer.write(payloads.file_meta_header(upload.filename, upload.content_type))
        for chunk in _read(upload.stream):
            writer.write(chunk)
        envelope = writer.finish()
        database.add(Attachment(submission_id=submission.id, envelope_id=envelope.id))
    database.flush()
    casework.register(database, submission, report, actor, now)
    return submission


def _clean(value: str | None) -> str:
    return (value or "").strip()


@bp.route("/register", methods=["GET", "POST"])
@allow(*CASE_ROLES)
def register() -> Response | tuple[str, int] | str:
    form = RegisterForm()
    if request.method == "GET":
        form.received_by.data = current_user().full_name
        return render_template("handler/register.html", form=form)
    valid = form.validate()
    now = datetime.now(UTC)
    received_at = None
    if form.received_at.data is not None:
        received_at = form.received_at.data.replace(tzinfo=KZ_TZ).astimezone(UTC)
        if not EARLIEST <= received_at <= now + CLOCK_SLACK:
            form.received_at.errors = [
                _("Enter the real time of receipt: not in the future and not before the year "
                  "2000.")]
            valid = False
    uploads = [
        Upload(f.filename or "file", f.mimetype or "", f.stream)
        for f in (form.files.data or []) if getattr(f, "filename", None)
    ]
    if len(uploads) > MAX_FILES:
        form.files.errors = [_("No more than %(n)d files at a time.", n=MAX_FILES)]
        valid = False
    if not valid or received_at is None:
        return render_template("handler/register.html", form=form), 400
    identity_fields = {"full_name": _clean(form.full_name.data),
                       "position": _clean(form.reporter_position.data),
                       "unit": _clean(form.reporter_unit.data)}
    identity = identity_fields if any(identity_fields.values()) else None
    fields = {name: _clean(getattr(form, name).data)
              for name in ("received_by", "channel_details", "facts", "persons", "subject",
                           "position", "unit", "when", "where")}
    database = db()
    user = current_user()
    submission = register_report(
        database, channel=form.channel.data, received_at=received_at, fields=fields,
        identity=identity, consent=bool(form.consent.data) and identity is not None,
        nda_intended=bool(form.nda_intended.data), uploads=uploads, actor=user, now=now,
    )
    audit.append(database, "report.register", actor=user.username, target=submission.id,
                 details={"channel": submission.channel, "files": len(uploads),
                          "identity": identity is not None})
    database.commit()
    flash(_("The report is registered and sealed."))
    return redirect(url_for("cases.case", submission_id=submission.id), code=303)
