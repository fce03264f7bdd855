"""The case page and what can be done from it: read, download, reply, share, revoke.

Every view first proves that the signed-in key holds the report (handler.access.require_holder);
a case the key does not hold answers 404, exactly like one that does not exist. Each decryption
is written to the audit log in the same transaction as anything else the request changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _

from cases import assignment, links, notes, protection, reading, sharing
from cases.access import attachment_of
from cases.disclosure import consent_of
from cases.facts import parse_received_at
from cases.intake import TYPED_FIELDS
from cases.messages import reply as write_reply
from cases.messages import thread
from cases.workflow import register_from_report
from crypto.errors import CryptoError
from handler.access import require_holder
from handler.downloads import content_disposition
from handler.forms import CaseNoteForm, GrantForm, LinkForm, ReplyForm
from handler.gate import CASE_ROLES, allow, colleague, current_user, own_org
from handler.org_names import sent_from_name
from handler.workflow import case_view
from store import audit, payloads
from store.models import Envelope, User
from store.sealing import iter_file
from web.database import db
from web.extensions import sessions

bp = Blueprint("cases", __name__)

# Known report fields in the order Appendix 1 lists them; anything else the report carries is
# shown after them, so nothing the reporter sent is hidden.
REPORT_FIELDS = (
    "received_at",
    "channel",
    *TYPED_FIELDS,
    "attachment_count",
    "identity_provided",
    "consent",
    "nda_intended",
    "false_report_acknowledged",
    "language",
)
# "sent_from_org" is shown as a sentence above the report (a report sent to the superior body).
HIDDEN_FIELDS = frozenset({"format", "registered_by", "sent_from_org"})


def _ordered(report: dict[str, object]) -> list[tuple[str, object]]:
    known = [(k, report[k]) for k in REPORT_FIELDS if k in report]
    extra = sorted(
        (k, v) for k, v in report.items() if k not in REPORT_FIELDS and k not in HIDDEN_FIELDS
    )
    return known + extra


@bp.get("/cases/<submission_id>")
@allow(*CASE_ROLES)
def case(submission_id: str) -> str:
    submission, key = require_holder(submission_id)
    database = db()
    user = current_user()
    report = reading.open_report(submission, key)
    now = datetime.now(UTC)
    # The first opening registers the case (and audits that step) in this same transaction.
    case_row, _created = register_from_report(database, submission, report, user, now)
    audit.append(
        database, "case.open", actor=user.username, org_id=user.org_id, target=submission.id
    )
    files = reading.report_files(database, submission, key)
    messages = thread(database, submission, key)
    holders = sharing.case_holders(database, submission)
    responsible = assignment.assignee(database, submission)
    candidates = sharing.grant_candidates(database, submission)
    received_at = parse_received_at(report.get("received_at"))
    workflow = case_view(case_row, received_at)
    record = protection.protection_of(database, case_row)
    # A handler reaches the protection page only through a head's share (p16-p17).
    protection_shared = (
        user.role == "handler"
        and record is not None
        and protection.holds_record(database, record, key)
    )
    consent_record = consent_of(database, case_row, portal_statement=bool(report.get("consent")))
    case_notes = notes.case_notes(database, submission, key)
    linked = links.linked_cases(database, submission, key, own_org())
    link_choices = links.held_choices(database, key, exclude=submission.id, org_id=own_org())
    database.commit()
    grant_form = GrantForm()
    grant_form.offer([(u.id, f"{u.full_name} ({u.username})") for u in candidates])
    return render_template(
        "handler/case.html",
        submission=submission,
        case=case_row,
        report=_ordered(report),
        sent_from=sent_from_name(report),
        received_at=received_at,
        consent_record=consent_record,
        files=files,
        messages=messages,
        holders=holders,
        responsible=responsible,
        grant_form=grant_form,
        can_grant=bool(candidates),
        reply_form=ReplyForm(),
        can_reply=submission.mailbox is not None,
        is_head=user.role == "head",
        protection_shared=protection_shared,
        notes=case_notes,
        note_form=CaseNoteForm(),
        linked=linked,
        link_form=LinkForm(),
        link_choices=link_choices,
        **workflow,
    )


@bp.get("/cases/<submission_id>/identity")
@allow("head")
def identity(submission_id: str) -> str:
    """The reporter's identity (Appendix 2): heads only, on an explicit request, audited."""
    submission, key = require_holder(submission_id)
    try:
        block = reading.open_identity(submission, key)
    except (CryptoError, payloads.PayloadError):
        block = None
    database = db()
    if block is not None:
        audit.append(
            database,
            "identity.open",
            actor=current_user().username,
            org_id=current_user().org_id,
            target=submission.id,
        )
        database.commit()
    return render_template(
        "handler/identity.html",
        submission=submission,
        identity=block,
        exists=submission.identity_envelope is not None,
    )


@bp.get("/cases/<submission_id>/files/<attachment_id>")
@allow(*CASE_ROLES)
def download(submission_id: str, attachment_id: str) -> Response:
    submission, key = require_holder(submission_id)
    database = db()
    attachment = attachment_of(database, submission, attachment_id)
    if attachment is None:
        abort(404)
    envelope_id = attachment.envelope_id
    # Streaming outlives the request's session: the body is read through a session of its
    # own, closed when the last chunk is sent or the client goes away.
    stream_db = sessions()()
    try:
        envelope = stream_db.get(Envelope, envelope_id)
        assert envelope is not None  # the attachment row references it
        chunks = iter_file(stream_db, envelope, key)
        meta, body = payloads.split_file(chunks)
    except (CryptoError, payloads.PayloadError):
        stream_db.close()
        abort(404)
    except BaseException:
        stream_db.close()
        raise
    audit.append(
        database,
        "file.download",
        actor=current_user().username,
        org_id=current_user().org_id,
        target=submission.id,
        details={"attachment": attachment.id},
    )
    database.commit()

    def generate() -> Iterator[bytes]:
        try:
            yield from body
        finally:
            chunks.close()
            stream_db.close()

    response = Response(stream_with_context(generate()), mimetype="application/octet-stream")
    response.headers["Content-Disposition"] = content_disposition(meta.filename)
    return response


@bp.post("/cases/<submission_id>/reply")
@allow(*CASE_ROLES)
def reply(submission_id: str) -> Response | tuple[str, int]:
    submission = require_holder(submission_id)[0]
    if submission.mailbox is None:
        abort(409)
    form = ReplyForm()
    if not form.validate():
        return render_template(
            "handler/form_error.html",
            form=form,
            back=url_for("cases.case", submission_id=submission.id),
        ), 400
    database = db()
    message = write_reply(database, submission, form.text.data or "", datetime.now(UTC))
    audit.append(
        database,
        "message.reply",
        actor=current_user().username,
        org_id=current_user().org_id,
        target=submission.id,
        details={"message": message.id},
    )
    database.commit()
    flash(_("Your reply is sealed and waiting in the reporter's mailbox."))
    return redirect(url_for("cases.case", submission_id=submission.id) + "#thread", code=303)


@bp.post("/cases/<submission_id>/grants")
@allow(*CASE_ROLES)
def grant(submission_id: str) -> Response | tuple[str, int]:
    submission, key = require_holder(submission_id)
    database = db()
    form = GrantForm()
    candidates = {u.id: u for u in sharing.grant_candidates(database, submission)}
    form.offer([(uid, u.username) for uid, u in candidates.items()])
    if not form.validate():
        return render_template(
            "handler/form_error.html",
            form=form,
            back=url_for("cases.case", submission_id=submission.id),
        ), 400
    grantee: User = candidates[int(form.user_id.data or "")]  # a validated choice
    result = sharing.grant_case(database, submission, key, grantee)
    audit.append(
        database,
        "case.grant",
        actor=current_user().username,
        org_id=current_user().org_id,
        target=submission.id,
        details={"to": grantee.username, "envelopes": result.granted, "skipped": result.skipped},
    )
    database.commit()
    flash(_("%(name)s can now open this case.", name=grantee.full_name))
    return redirect(url_for("cases.case", submission_id=submission.id), code=303)


@bp.post("/cases/<submission_id>/grants/<int:user_id>/revoke")
@allow(*CASE_ROLES)
def revoke(submission_id: str, user_id: int) -> Response:
    submission = require_holder(submission_id)[0]
    database = db()
    me = current_user()
    target = colleague(user_id)
    if target is None or target.id == me.id:
        # Revoking oneself would lock the case away from the person looking at it.
        abort(400 if target is not None else 404)
    if target.role == "head" and me.role != "head":
        # The head must act on every report (p6) and keeps the identities (p14): a handler
        # cannot take a case away from them.
        abort(403)
    removed = sharing.revoke_case(database, submission, target)
    audit.append(
        database,
        "case.revoke",
        actor=me.username,
        org_id=me.org_id,
        target=submission.id,
        details={"from": target.username, "grants": removed},
    )
    database.commit()
    flash(_("%(name)s can no longer open this case.", name=target.full_name))
    return redirect(url_for("cases.case", submission_id=submission.id), code=303)
