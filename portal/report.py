"""The report form and its submission (streamed), ending on the one-time receipt page."""

from __future__ import annotations

from flask import Blueprint, render_template, request, session
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from cases.intake import PORTAL, PortalSending, ReportInput, submit_report
from cases.organizations import only_organization
from crypto import receipt
from portal import receipts, uploads
from portal.errors import answer_refusal, refusal_status, refusal_text
from portal.forms import ReportForm
from portal.receive import receive_form, token_valid
from rules.clock import local_date, utcnow
from store.recipients import NoRecipients, identity_recipients, report_recipients
from web.extensions import sessions
from web.i18n import remember_language, switch_language

bp = Blueprint("report", __name__)

SPENT_KEY = "spent_forms"
SPENT_KEEP = 20


def render_form(
    form: ReportForm, status: int = 200, notice: object | None = None, files_dropped: bool = False
) -> Response:
    form.ensure_nonce()
    body = render_template(
        "portal/report.html",
        form=form,
        notice=notice,
        files_dropped=files_dropped,
        language_form=LANGUAGE_FORM,
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


@bp.get("/report")
def form() -> Response:
    return render_form(ReportForm(formdata=None))


@bp.post("/report")
def submit() -> Response:
    with sessions()() as db:
        # Until the portal offers a choice (issue 13), a report goes to the installation's only
        # organization; an installation of several takes none here rather than guess.
        organization = only_organization(db)
        if organization is None:
            raise NoRecipients("no single organization to send to")
        org_id = organization.id
        report_keys = report_recipients(db, org_id)
        identity_keys = identity_recipients(db, org_id)
    today = local_date(utcnow())
    try:
        with receive_form(report_keys, today) as received:
            form = ReportForm(formdata=received.fields)
            if form.nonce.data and form.nonce.data in session.get(SPENT_KEY, []):
                return Response(
                    render_template("portal/already_sent.html"), status=409, mimetype="text/html"
                )
            if not received.csrf_ok:
                return render_form(form, 400, EXPIRED)
            if not form.validate():
                return render_form(
                    form,
                    422,
                    _l("The report was not sent yet: please correct the marked fields."),
                    files_dropped=bool(received.stored),
                )
            identity = form.identity()
            report = ReportInput(
                fields=form.report_fields(),
                identity=identity,
                consent=bool(form.consent.data) and identity is not None,
                nda_intended=bool(form.nda.data),
            )
            code, opened = receipts.new_code()
            portal = PortalSending(
                language=str(get_locale() or "kk"),
                consent_text=str(form.consent.label.text),
                secrets=opened.secrets,
                mailbox_public=opened.public_key,
            )
            received_at = utcnow()
            with sessions()() as db, db.begin():
                submit_report(
                    db,
                    org_id=org_id,
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
