"""Appendix 1 (the written confirmation, p10-p11) drafted from the decrypted case, and the
blank Appendix 2 and full Appendix 3, as DOCX in Russian or Kazakh and as print pages.

The draft is prefilled and editable: what goes to the Anti-Corruption Service is what the
handler checked, not what the form happened to contain. The reporter's details go into
Appendix 1 only when a head exports a report with written consent and ticks the box
(documents.forms.check_identity_export decides; the identity block is opened only then). Every
export is written to the audit log, with whether identity was included, never the content.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, abort, render_template, url_for
from flask_babel import format_date
from flask_babel import gettext as _

import documents
from cases import disclosure
from cases.disclosure import APPENDIX2, STATEMENT, Consent, consent_of
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
from handler.org_names import sent_from_name
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
        "channel": submission.channel,
        "channel_details": text("channel_details"),
        "facts": text("facts") or text("text"),
        "persons": text("persons"),
        "subject": text("subject"),
        "when": text("when"),
        "where": text("where"),
        "offence_type": case.offence_type if case is not None else UNDETERMINED,
        "position": text("position"),
        # A report sent to the superior body: the subordinate body belongs with the unit (p11 4).
        "unit": ", ".join(v for v in (text("unit"), sent_from_name(report, "ru")) if v),
        "head_name": user.full_name if user.role == "head" else "",
        "lang": "ru",
        "fmt": "docx",
    }


@dataclass(frozen=True)
class Ground:
    """One ground on which a head may put the reporter's details into Appendix 1 (p14)."""

    value: str  # the form's choice: "consent" or "court:<record id>"
    label: str
    details: dict[str, Any]  # documents.ReporterDetails fields naming the ground
    audit: dict[str, Any]  # what the export's audit entry records about it


def _grounds(submission: Submission, key: PrivateKey, report: dict[str, Any]) -> list[Ground]:
    """The case's grounds for disclosure, for a head only: the reporter's consent (the signed
    Appendix 2, else the portal statement) and each recorded court decision the key opens."""
    if current_user().role != "head":
        return []
    database = db()
    found: list[Ground] = []
    consent = _consent(submission, report)
    if consent is not None:
        on_portal = submission.channel == "portal"
        label = (
            _("Written consent: signed Appendix 2")
            if consent.form == APPENDIX2
            else _("Consent ticked on the portal (not the signed Appendix 2)")
            if on_portal
            else _(
                "Consent marked when the report was registered (the signed Appendix 2 "
                "is not recorded)"
            )
        )
        found.append(
            Ground(
                "consent",
                label,
                {
                    "consent_form": consent.form,
                    "basis_on": consent.received_on,
                    "on_portal": on_portal,
                },
                {"basis": consent.form},
            )
        )
    case = find_case(database, submission)
    if case is None or submission.identity_envelope_id is None:
        return found
    for row in disclosure.records(database, case, disclosure.COURT):
        decision = disclosure.open_court_decision(database, row, key)
        if decision is None:
            continue
        found.append(
            Ground(
                f"court:{row.id}",
                _(
                    "Court decision: %(court)s, No %(number)s of %(date)s",
                    court=decision.court,
                    number=decision.number,
                    date=format_date(decision.decided_on, "medium"),
                ),
                {
                    "consent_form": disclosure.COURT,
                    "basis_on": decision.decided_on,
                    "court": decision.court,
                    "number": decision.number,
                },
                {"basis": disclosure.COURT, "court_decision": row.id},
            )
        )
    return found


def _page(
    form: Appendix1Form,
    submission: Submission,
    grounds: list[Ground],
    status: int = 200,
    error: str | None = None,
) -> tuple[str, int]:
    form.offer_grounds([(g.value, g.label) for g in grounds])
    return render_template(
        "handler/appendix1.html",
        form=form,
        submission=submission,
        can_identity=bool(grounds),
        error=error,
    ), status


@bp.get("/cases/<submission_id>/appendix1")
@allow(*CASE_ROLES)
def appendix1_draft(submission_id: str) -> tuple[str, int]:
    submission, key, report = _case(submission_id)
    return _page(
        Appendix1Form(formdata=None, data=_draft(submission, report)),
        submission,
        _grounds(submission, key, report),
    )


def _reporter(
    submission: Submission, key: PrivateKey, ground: Ground
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

    # The portal's statement must be in the identity block too; a signed Appendix 2 or a court
    # decision stands on its own (a reporter who came forward later has no consent there).
    given = ground.details["consent_form"] != STATEMENT or bool(block.get("consent"))
    return documents.ReporterDetails(
        full_name=text("full_name"),
        position=text("position"),
        unit=text("unit"),
        consent=given,
        **ground.details,
    )


@bp.post("/cases/<submission_id>/appendix1")
@allow(*CASE_ROLES)
def appendix1_export(submission_id: str) -> Response | tuple[str, int]:
    submission, key, report = _case(submission_id)
    user = current_user()
    grounds = _grounds(submission, key, report)
    form = Appendix1Form()
    if not form.validate() or form.received_at.data is None:
        return _page(form, submission, grounds, 400)
    include = bool(form.include_identity.data)
    reporter = None
    # No choice sent (an old form): the first ground, which is the consent when there is one.
    ground = next(
        (g for g in grounds if g.value == form.basis.data),
        grounds[0] if grounds and not form.basis.data else None,
    )
    if include:
        # Refused before anything is opened: only a head, only with consent or a court
        # decision, and only on a ground this case has (p11 (5), p14).
        if ground is None:
            return _page(
                form,
                submission,
                grounds,
                403,
                _(
                    "Only a head may include the reporter's details, and only with "
                    "their written consent or a court decision."
                ),
            )
        reporter = _reporter(submission, key, ground)
    data = documents.Confirmation(
        received_at=form.received_at.data.replace(tzinfo=KZ_TZ),
        received_by=form.received_by.data or "",
        channel=form.channel.data or "",
        facts=form.facts.data or "",
        persons=form.persons.data or "",
        subject=form.subject.data or "",
        position=form.position.data or "",
        unit=form.unit.data or "",
        head_name=form.head_name.data or "",
        channel_details=form.channel_details.data or "",
        when=form.when.data or "",
        where=form.where.data or "",
        reporter=reporter,
        offence_type=form.offence_type.data or UNDETERMINED,
    )
    lang, fmt = form.lang.data or "ru", form.fmt.data or "docx"
    try:
        sheet = documents.appendix1(data, lang, include_identity=include, exporter_role=user.role)
    except AdalError as refused:
        return _page(form, submission, grounds, 403, describe(refused))
    database = db()
    audit.append(
        database,
        "export.appendix1",
        actor=user.username,
        org_id=user.org_id,
        target=submission.id,
        details={
            "lang": lang,
            "format": fmt,
            "identity": include,
            **(ground.audit if include and ground else {}),
        },
    )
    database.commit()
    return _document(
        documents.form_docx(sheet)
        if fmt == "docx"
        else documents.form_html(sheet, stylesheet_href=url_for("exports.print_css")),
        fmt,
        f"appendix1-{submission.id[:8]}-{lang}",
    )


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
        body: bytes | str = (
            documents.form_docx(sheet)
            if fmt == "docx"
            else documents.form_html(sheet, stylesheet_href=href)
        )
    else:
        rights = documents.appendix3(lang)
        body = (
            documents.rights_docx(rights)
            if fmt == "docx"
            else documents.rights_html(rights, stylesheet_href=href)
        )
    database = db()
    audit.append(
        database,
        f"export.appendix{number}",
        actor=current_user().username,
        org_id=current_user().org_id,
        details={"lang": lang, "format": fmt},
    )
    database.commit()
    return _document(body, fmt, f"appendix{number}-{lang}")


@bp.get("/documents/print.css")
@allow(*CASE_ROLES)
def print_css() -> Response:
    # Served, not inlined: the back office's CSP allows style sheets from 'self' only.
    return Response(documents.print_css(), mimetype="text/css")
