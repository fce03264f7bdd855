"""The report form and its submission (streamed), ending on the one-time receipt page.

Where the report goes (DESIGN.md, "Organizations"): in an installation of one organization,
to it, and the form asks nothing. With several, the form is reached from an organization's page
(/o/<slug>/report) and says where the report goes, offering the superior body where there is
one; /report alone sends the reporter to find the organization first, never to a default one.
The choice travels in the form above the files, and the files, the report and the identity
block are all sealed to the keys of the one organization it names (cases.directory checks it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from flask import Blueprint, render_template, request, session
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from cases import directory
from cases.intake import PORTAL, PortalSending, ReportInput, submit_report
from crypto import receipt
from portal import messages, receipts, uploads
from portal.directory import organization_page, organizations_page
from portal.errors import answer_refusal, error_page, refusal_status, refusal_text
from portal.forms import ReportForm
from portal.receive import receive_form, token_valid
from rules.clock import local_date, utcnow
from rules.errors import AdalError
from store.recipients import identity_recipients, report_recipients
from web.extensions import sessions
from web.i18n import current_language, remember_language, switch_language

bp = Blueprint("report", __name__)

SPENT_KEY = "spent_forms"
SPENT_KEEP = 20


def _where(form: ReportForm) -> directory.Place | None:
    """The organization the form is for (with its superior body), or None in an installation
    of one organization, where the form names none."""
    lang = current_language()
    with sessions()() as db:
        if directory.single(db) is not None and not form.org.data:
            return None
        try:
            return directory.place(db, form.org.data or "", lang)
        except AdalError:
            return None


def render_form(
    form: ReportForm,
    status: int = 200,
    notice: object | None = None,
    files_dropped: bool = False,
    where: directory.Place | None = None,
) -> Response:
    form.ensure_nonce()
    where = where or _where(form)
    lang = current_language()
    if where is not None:
        form.org.data = where.entry.slug
        form.to.choices = [(where.entry.slug, where.entry.name(lang))]
        if where.parent is not None:
            # Names are not unique (a department per region): the permanent slug tells two
            # same-named superior bodies apart.
            label = f"{where.parent.name(lang)} ({where.parent.slug})"
            form.to.choices.append((where.parent.slug, label))
        if form.to.data not in {slug for slug, _name in form.to.choices}:
            form.to.data = where.entry.slug
    body = render_template(
        "portal/report.html",
        form=form,
        notice=notice,
        files_dropped=files_dropped,
        language_form=LANGUAGE_FORM,
        where=where,
        lang=lang,
    )
    return Response(body, status=status, mimetype="text/html")


LANGUAGE_FORM = ("report-form", "report.in_language")
EXPIRED = _l(
    "For your safety this form expires after 20 minutes without activity, and it "
    "had expired. Nothing was sent yet. Your text is below: check it and press "
    "Send again."
)


@bp.post("/report/language/<code>")
def in_language(code: str) -> Response:
    """The form again in another language, with what was typed (files excepted: the language
    buttons send the form without them). Nothing is stored; without a valid token (another
    site may post here) the text still comes back, but no box is ticked for the reporter and
    the page says the form had expired."""
    switch_language(code)
    form = ReportForm(formdata=request.form)
    notice = None
    if not token_valid():
        form.consent.data = form.nda.data = form.acknowledge.data = False
        notice = EXPIRED
    sent_files = any(request.form.getlist("files"))
    return remember_language(render_form(form, notice=notice, files_dropped=sent_files), code)


CHOOSE_FIRST = _l(
    "First find the organization your report is for: it is sent to that organization, or to "
    "its superior body, and to nobody else."
)
NO_DESTINATION = _l(
    "The report was not sent yet: the organization it was for cannot be chosen on this form any "
    "more. Your text is below; copy it, find the organization again and send it from its page."
)


@bp.get("/report")
def form() -> Response:
    with sessions()() as db:
        single = directory.single(db) is not None
    if not single:
        return organizations_page(CHOOSE_FIRST)
    return render_form(ReportForm(formdata=None))


@bp.get("/o/<slug>/report")
def for_organization(slug: str) -> Response:
    with sessions()() as db:
        try:
            where = directory.place(db, slug, current_language())
        except AdalError as refused:
            return error_page(404, text=messages.text(refused))
    if not where.receives:  # nobody there could read it: the page says where to go instead
        return organization_page(where, 404)
    return render_form(ReportForm(formdata=None), where=where)


def _sent_from(fields: MultiDict[str, str], destination: directory.Entry) -> dict[str, str] | None:
    """The organization whose page the reporter used, when the report goes to its superior body
    instead (law review of issue 13, finding 1): the superior body needs it for Appendix 1 (p11
    4), «подразделение»). Sealed in the report body only, never a plain column, so the
    subordinate organization learns nothing (p7, p14)."""
    origin = fields.get("org", "")
    if not origin or origin == destination.slug:
        return None
    with sessions()() as db:
        try:
            where = directory.place(db, origin, current_language())
        except AdalError:  # a field the form never sends (an installation of one ignores it)
            return None
    if where.parent is None or where.parent.slug != destination.slug:
        return None  # only a report sent up from this page to its superior body names it
    entry = where.entry
    return {
        "slug": entry.slug,
        "name_kk": entry.name_kk,
        "name_ru": entry.name_ru,
        "name_en": entry.name_en,
    }


def _destination(fields: MultiDict[str, str]) -> directory.Entry | None:
    """The organization a report with these fields goes to, or None if they name none that
    may receive it (a tampered form, a body deactivated since the form was shown)."""
    with sessions()() as db:
        only = directory.single(db)
        if only is not None:
            return only
        try:
            return directory.destination(
                db, fields.get("org", ""), fields.get("to", ""), current_language()
            )
        except AdalError:
            return None


@dataclass
class _Sealed:
    """The organization a report's files were sealed for as they arrived, and its keys: the
    report and its identity block must go to the same one (read once, used for everything)."""

    destination: directory.Entry | None = None
    keys: list[bytes] = field(default_factory=list)


@bp.post("/report")
def submit() -> Response:
    today = local_date(utcnow())
    sealed = _Sealed()

    def files_recipients(fields: MultiDict[str, str]) -> Sequence[bytes]:
        destination = _destination(fields)
        if destination is None:
            raise uploads.FilesNotAccepted("files for no organization that may receive them")
        with sessions()() as db:
            sealed.keys = report_recipients(db, destination.id)
        sealed.destination = destination
        return sealed.keys

    try:
        with receive_form(files_recipients, today) as received:
            form = ReportForm(formdata=received.fields)
            if form.nonce.data and form.nonce.data in session.get(SPENT_KEY, []):
                return Response(
                    render_template("portal/already_sent.html"), status=409, mimetype="text/html"
                )
            if not received.csrf_ok:
                return render_form(form, 400, EXPIRED)
            destination = _destination(received.fields)
            if destination is None or sealed.destination not in (None, destination):
                return render_form(form, 422, NO_DESTINATION, files_dropped=bool(received.stored))
            if not form.validate():
                return render_form(
                    form,
                    422,
                    _l("The report was not sent yet: please correct the marked fields."),
                    files_dropped=bool(received.stored),
                )
            with sessions()() as db:
                report_keys = sealed.keys or report_recipients(db, destination.id)
                identity_keys = identity_recipients(db, destination.id)
            identity = form.identity()
            sent_from = _sent_from(received.fields, destination)
            report = ReportInput(
                fields=form.report_fields(),
                sent_from_org=sent_from,
                identity=identity,
                consent=bool(form.consent.data) and identity is not None,
                nda_intended=bool(form.nda.data),
            )
            code, opened = receipts.new_code()
            portal = PortalSending(
                language=str(get_locale() or "kk"),
                # Whose head the reporter agreed to (p14, Appendix 2): the wording ticked and
                # the body it names.
                consent_text=f"{form.consent.label.text} — {destination.name(current_language())}",
                secrets=opened.secrets,
                mailbox_public=opened.public_key,
            )
            received_at = utcnow()
            with sessions()() as db, db.begin():
                submit_report(
                    db,
                    org_id=destination.id,
                    channel=PORTAL,
                    report=report,
                    received_at=received_at,
                    today=today,
                    portal=portal,
                    files=received.stored,
                    report_keys=report_keys,
                    identity_keys=identity_keys,
                )
            received.keep()
    except uploads.UploadRefused as refused:
        form = ReportForm(formdata=refused.fields)
        form.mark_cut(refused.cut)
        return answer_refusal(
            refused,
            render_form(form, refusal_status(refused), refusal_text(refused), files_dropped=True),
        )
    session[SPENT_KEY] = [*session.get(SPENT_KEY, [])[-(SPENT_KEEP - 1) :], form.nonce.data]
    body = render_template(
        "portal/receipt.html", code=receipt.format_code(code), files=len(received.stored)
    )
    return Response(body, status=200, mimetype="text/html")
