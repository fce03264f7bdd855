"""The head's pages on the reporter's identity: recording a reporter who came forward
(cases.identity) and the grounds on which the identity may be disclosed (cases.disclosure).

Head only (p14: the head keeps the identities). The details are sealed like a portal identity
block, so a handler never reads them; the case then offers the NDA, the explanation of rights
and the protection record. The disclosure page shows which consent the case has (the portal's
statement or the signed Appendix 2) and records the signed form when it arrives.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask import Response as FlaskResponse
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from cases import disclosure
from cases.attachments import Upload
from cases.disclosure import consent_of
from cases.identity import CameForward, record_identity
from cases.reading import open_report
from cases.workflow import find_case
from crypto.errors import CryptoError
from handler.access import require_holder, require_key
from handler.downloads import content_disposition
from handler.forms import Appendix2ReceivedForm, CameForwardForm, CourtDecisionForm
from handler.gate import allow, current_user
from handler.messages import describe
from rules.clock import local_date
from rules.errors import AdalError
from store import audit, payloads
from store.models import Case, Submission
from store.sealing import iter_file
from web.database import db

bp = Blueprint("identity", __name__)


def _case(submission_id: str) -> tuple[Submission, Case]:
    submission = require_holder(submission_id)[0]
    case = find_case(db(), submission)
    if case is None:
        abort(409)  # the case page registers a report on first opening
    return submission, case


def _page(
    submission: Submission,
    case: Case,
    form: CameForwardForm,
    status: int = 200,
    error: str | None = None,
) -> tuple[str, int]:
    return render_template(
        "handler/came_forward.html", submission=submission, case=case, form=form, error=error
    ), status


@bp.get("/cases/<submission_id>/identity/record")
@allow("head")
def form(submission_id: str) -> tuple[str, int]:
    submission, case = _case(submission_id)
    return _page(submission, case, CameForwardForm(formdata=None))


@bp.post("/cases/<submission_id>/identity/record")
@allow("head")
def record(submission_id: str) -> Response | tuple[str, int]:
    submission, case = _case(submission_id)
    form_ = CameForwardForm()
    if not form_.validate():
        return _page(submission, case, form_, 400)
    database = db()
    person = CameForward(
        form_.full_name.data or "",
        form_.position.data or "",
        form_.unit.data or "",
        form_.how.data or "",
    )
    try:
        record_identity(database, case, person, current_user(), datetime.now(UTC))
    except AdalError as error:
        database.rollback()
        return _page(submission, case, form_, 409, describe(error))
    database.commit()
    flash(_("The reporter's identity is recorded and sealed for the heads."))
    return redirect(url_for("cases.case", submission_id=submission.id) + "#workflow", code=303)


# --- p14: the grounds for disclosing the identity -------------------------------------------


def _disclosure_page(
    submission: Submission,
    case: Case,
    *,
    status: int = 200,
    error: str | None = None,
    appendix2_form: Appendix2ReceivedForm | None = None,
    court_form: CourtDecisionForm | None = None,
) -> tuple[str, int]:
    database = db()
    key = require_key()
    statement = bool(open_report(submission, key).get("consent"))
    decisions = [
        (row, disclosure.open_court_decision(database, row, key))
        for row in disclosure.records(database, case, disclosure.COURT)
    ]
    if any(decision is not None for _row, decision in decisions):
        audit.append(
            database,
            "disclosure.open",
            actor=current_user().username,
            org_id=current_user().org_id,
            target=submission.id,
        )
        database.commit()
    return render_template(
        "handler/disclosure.html",
        submission=submission,
        case=case,
        error=error,
        consent=consent_of(database, case, portal_statement=statement),
        signed=disclosure.records(database, case, disclosure.APPENDIX2),
        decisions=decisions,
        appendix2_form=appendix2_form or Appendix2ReceivedForm(formdata=None),
        court_form=court_form or CourtDecisionForm(formdata=None),
    ), status


@bp.get("/cases/<submission_id>/disclosure")
@allow("head")
def disclosure_page(submission_id: str) -> tuple[str, int]:
    submission, case = _case(submission_id)
    return _disclosure_page(submission, case)


@bp.post("/cases/<submission_id>/disclosure/appendix2")
@allow("head")
def appendix2_received(submission_id: str) -> Response | tuple[str, int]:
    submission, case = _case(submission_id)
    form_ = Appendix2ReceivedForm()
    if not form_.validate() or form_.received_on.data is None:
        return _disclosure_page(submission, case, status=400, appendix2_form=form_)
    upload = form_.scan.data
    scan = (
        Upload(upload.filename or "scan", upload.mimetype or "", upload.stream)
        if getattr(upload, "filename", None)
        else None
    )
    database = db()
    try:
        disclosure.record_appendix2(
            database,
            case,
            form_.received_on.data,
            current_user(),
            local_date(datetime.now(UTC)),
            scan,
        )
    except AdalError as error:
        database.rollback()
        return _disclosure_page(
            submission, case, status=409, error=describe(error), appendix2_form=form_
        )
    database.commit()
    flash(_("The signed Appendix 2 is recorded."))
    return redirect(url_for("identity.disclosure_page", submission_id=submission.id), code=303)


@bp.post("/cases/<submission_id>/disclosure/court")
@allow("head")
def court_decision(submission_id: str) -> Response | tuple[str, int]:
    submission, case = _case(submission_id)
    form_ = CourtDecisionForm()
    if not form_.validate() or form_.decided_on.data is None:
        return _disclosure_page(submission, case, status=400, court_form=form_)
    decision = disclosure.CourtDecision(
        form_.court.data or "",
        form_.number.data or "",
        form_.decided_on.data,
        form_.scope.data or "",
    )
    database = db()
    try:
        disclosure.record_court_decision(
            database, case, decision, current_user(), local_date(datetime.now(UTC))
        )
    except AdalError as error:
        database.rollback()
        return _disclosure_page(
            submission, case, status=409, error=describe(error), court_form=form_
        )
    database.commit()
    flash(_("The court decision is recorded and sealed for the heads."))
    return redirect(url_for("identity.disclosure_page", submission_id=submission.id), code=303)


@bp.get("/cases/<submission_id>/disclosure/<int:record_id>/scan")
@allow("head")
def scan(submission_id: str, record_id: int) -> FlaskResponse:
    submission, case = _case(submission_id)
    key = require_key()
    database = db()
    envelope = disclosure.scan_envelope(database, case, record_id)
    if envelope is None:
        abort(404)
    try:
        meta, body = payloads.split_file(iter_file(database, envelope, key))
        data = b"".join(body)
    except (CryptoError, payloads.PayloadError):
        abort(404)
    audit.append(
        database,
        "consent.scan_download",
        actor=current_user().username,
        org_id=current_user().org_id,
        target=submission.id,
        details={"record": record_id},
    )
    database.commit()
    response = FlaskResponse(data, mimetype="application/octet-stream")
    response.headers["Content-Disposition"] = content_disposition(meta.filename)
    return response
