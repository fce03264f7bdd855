"""Appendix 1 (the written confirmation, p10-p11) drafted from the decrypted case, and the
blank Appendix 2 and full Appendix 3, as DOCX in Russian or Kazakh and as print pages.

The draft is prefilled and editable: what goes to the Anti-Corruption Service is what the
handler checked, not what the form happened to contain. The reporter's details go into
Appendix 1 only when a head exports a report with written consent and ticks the box
(documents.forms.check_identity_export decides; the identity block is opened only then). Every
export is written to the audit log, with whether identity was included, never the content.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, render_template, url_for
from flask_babel import gettext as _

import documents
from cases.disclosure import APPENDIX2, Consent, consent_of
from cases.facts import parse_received_at
from cases.reading import open_identity, open_report
from cases.workflow import find_case
from crypto.errors import CryptoError
from crypto.keys import PrivateKey
from handler.access import require_holder
from handler.downloads import content_disposition
from handler.forms import Appendix1Form
from handler.gate import CASE_ROLES, allow, current_user
from handler.messages import describe
from rules.clock import KZ_TZ
from rules.errors import AdalError
from rules.offences import UNDETERMINED
from store import audit, payloads
from store.models import Submission
from web.database import db

bp = Blueprint("exports", __name__)


def _case(submission_id: str) -> tuple[Submission, PrivateKey, dict[str, Any]]:
    submission, key = require_holder(submission_id)
    return submission, key, open_report(submission, key)


def _consent(submission: Submission, report: dict[str, Any]) -> Consent | None:
    """The reporter's consent as the case has it (cases.disclosure): the signed Appendix 2 or
    the portal statement; None without an identity or without consent."""
    case = find_case(db(), submission)
    if case is None:
        return None
    return consent_of(db(), case, portal_statement=bool(report.get("consent")))


def _draft(submission: Submission, report: dict[str, Any]) -> dict[str, Any]:
    received = parse_received_at(report.get("received_at"))
    user = current_user()
    case = find_case(db(), submission)

    def text(name: str) -> str:
        value = report.get(name)
        return value if isinstance(value, str) else ""

    return {
        "received_at": received.astimezone(KZ_TZ).replace(tzinfo=None) if received else None,
        "received_by": text("received_by") or user.full_name,
        "channel": submission.channel, "channel_details": text("channel_details"),
        "facts": text("facts") or text("text"), "persons": text("persons"),
        "subject": text("subject"), "when": text("when"), "where": text("where"),
        "offence_type": case.offence_type if case is not None else UNDETERMINED,
        "position": text("position"), "unit": text("unit"),
        "head_name": user.full_name if user.role == "head" else "",
        "lang": "ru", "fmt": "docx",
    }


def _page(form: Appendix1Form, submission: Submission, can_identity: bool,
          status: int = 200, error: str | None = None) -> tuple[str, int]:
    return render_template("handler/appendix1.html", form=form, submission=submission,
                           can_identity=can_identity, error=error), status


@bp.get("/cases/<submission_id>/appendix1")
@allow(*CASE_ROLES)
def appendix1_draft(submission_id: str) -> tuple[str, int]:
    submission, _key, report = _case(submission_id)
    can_identity = current_user().role == "head" and _consent(submission, report) is not None
    return _page(Appendix1Form(formdata=None, data=_draft(submission, report)), submission,
                 can_identity)


def _reporter(submission: Submission, key: PrivateKey, consent: Consent
              ) -> documents.ReporterDetails | None:
    try:
        block = open_identity(submission, key)
    except (CryptoError, payloads.PayloadError):
        return None
    if block is None:
        return None

    def text(name: str) -> str:
        value = block.get(name)
        return value if isinstance(value, str) else ""

    # The portal's statement must be in the identity block too; a signed Appendix 2 stands on
    # its own (a reporter who came forward later has no consent in their block).
    given = consent.form == APPENDIX2 or bool(block.get("consent"))
    return documents.ReporterDetails(full_name=text("full_name"), position=text("position"),
                                     unit=text("unit"), consent=given,
                                     consent_form=consent.form, basis_on=consent.received_on)


@bp.post("/cases/<submission_id>/appendix1")
@allow(*CASE_ROLES)
def appendix1_export(submission_id: str) -> Response | tuple[str, int]:
    submission, key, report = _case(submission_id)
    user = current_user()
    consent = _consent(submission, report)
    can_identity = user.role == "head" and consent is not None
    form = Appendix1Form()
    if not form.validate() or form.received_at.data is None:
        return _page(form, submission, can_identity, 400)
    include = bool(form.include_identity.data)
    reporter = None
    if include:
        # Refused before anything is opened: only a head, only with consent (p11 (5), p14).
        if not can_identity or consent is None:
            return _page(form, submission, can_identity, 403,
                         _("Only a head may include the reporter's details, and only with "
                           "their written consent."))
        reporter = _reporter(submission, key, consent)
    data = documents.Confirmation(
        received_at=form.received_at.data.replace(tzinfo=KZ_TZ),
        received_by=form.received_by.data or "", channel=form.channel.data or "",
        facts=form.facts.data or "", persons=form.persons.data or "",
        subject=form.subject.data or "", position=form.position.data or "",
        unit=form.unit.data or "", head_name=form.head_name.data or "",
        channel_details=form.channel_details.data or "", when=form.when.data or "",
        where=form.where.data or "", reporter=reporter,
        offence_type=form.offence_type.data or UNDETERMINED)
    lang, fmt = form.lang.data or "ru", form.fmt.data or "docx"
    try:
        sheet = documents.appendix1(data, lang, include_identity=include,
                                    exporter_role=user.role)
    except AdalError as refused:
        return _page(form, submission, can_identity, 403, describe(refused))
    database = db()
    audit.append(database, "export.appendix1", actor=user.username, target=submission.id,
                 details={"lang": lang, "format": fmt, "identity": include,
                          **({"basis": consent.form} if include and consent else {})})
    database.commit()
    return _document(documents.form_docx(sheet) if fmt == "docx" else
                     documents.form_html(sheet, stylesheet_href=url_for("exports.print_css")),
                     fmt, f"appendix1-{submission.id[:8]}-{lang}")


def _document(body: bytes | str, fmt: str, name: str) -> Response:
    if fmt == "docx":
        response = Response(body, mimetype=documents.DOCX_MIMETYPE)
        response.headers["Content-Disposition"] = content_disposition(f"{name}.docx")
    else:
        response = Response(body, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/documents/appendix/<int:number>/<lang>/<fmt>")
@allow(*CASE_ROLES)
def blank(number: int, lang: str, fmt: str) -> Response:
    """Appendix 2 (blank, for the reporter's own hand) and Appendix 3 (rights and duties)."""
    if number not in (2, 3) or lang not in ("ru", "kk") or fmt not in ("docx", "html"):
        abort(404)
    href = url_for("exports.print_css")
    if number == 2:
        sheet = documents.appendix2(lang)
        body: bytes | str = (documents.form_docx(sheet) if fmt == "docx"
                             else documents.form_html(sheet, stylesheet_href=href))
    else:
        rights = documents.appendix3(lang)
        body = (documents.rights_docx(rights) if fmt == "docx"
                else documents.rights_html(rights, stylesheet_href=href))
    database = db()
    audit.append(database, f"export.appendix{number}", actor=current_user().username,
                 details={"lang": lang, "format": fmt})
    database.commit()
    return _document(body, fmt, f"appendix{number}-{lang}")


@bp.get("/documents/print.css")
@allow(*CASE_ROLES)
def print_css() -> Response:
    # Served, not inlined: the back office's CSP allows style sheets from 'self' only.
    return Response(documents.print_css(), mimetype="text/css")
