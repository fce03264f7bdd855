"""The official letters of a case (documents.letters), prefilled from the case, edited on a page,
exported as DOCX or as a page to print, in Russian or Kazakh.

What the handler edits travels in the POST and goes into the document only: nothing is stored.
Each export is audited with the letter's kind, language, format and case (and the protection
matter), never its text.

Who may: the holders of the case, like Appendix 1 (handler/exports.py). The notice of the
decision (Appendix 3 (4)) exists only for a case whose reporter is known, and it is addressed
by name only when a head's key opens the identity block (p14: the head keeps identities; a
handler's draft leaves the addressee for the head to fill). The letters to the civil service
agency (p18, p19) come from a protection matter: a head, or a handler a head shared the
protection record with, as on the protection page.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response as BaseResponse

import documents
from cases import letters as case_letters
from cases import protection as prot
from cases.reading import open_identity
from cases.workflow import find_case
from crypto.errors import CryptoError
from crypto.keys import PrivateKey
from handler.access import require_holder
from handler.downloads import content_disposition
from handler.forms import LetterForm
from handler.gate import CASE_ROLES, allow, current_user, own_org
from handler.settings import values as setting_values
from rules.errors import AdalError
from store import audit, payloads
from store.models import Case, Organization, ProtectionMatter, Submission
from web.database import db

bp = Blueprint("letters", __name__)

LANGS = ("ru", "kk")
# Each letter's name in the back office, with the paragraph it acts on.
LETTER_TITLES = {
    "confirmation_cover": _l("Cover letter to the Anti-Corruption Service (p9)"),
    "decision_notice": _l("Notice to the reporter of the decision taken (Appendix 3, right 4)"),
    "agency_materials": _l(
        "Letter to the authorised body for civil service affairs with the materials (p18)"
    ),
    "agency_decision": _l(
        "Letter to the authorised body for civil service affairs with the copy of the "
        "decision or minutes (p19)"
    ),
}
LANG_NAMES = {"ru": _l("Russian"), "kk": _l("Kazakh")}


def _case(submission_id: str) -> tuple[Submission, Case, PrivateKey]:
    submission, key = require_holder(submission_id)
    case = find_case(db(), submission)
    if case is None:
        abort(404)
    return submission, case, key


def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        abort(404)


def _sender(lang: str) -> str:
    """The organization's name as the letter's sender: the admin's setting, else the directory's
    name in the letter's language, so an organization made by `adal org add` never sends a
    letter from nobody (law review of issue 13, finding 9; p9, Appendix 1)."""
    name = setting_values(db(), own_org()).get("organization_name", "")
    if isinstance(name, str) and name.strip():
        return name
    org = db().get(Organization, own_org())
    return org.name(lang) if org is not None else ""


def _recipient(submission: Submission, key: PrivateKey) -> documents.Recipient | None:
    """The reporter's name and position, for a head whose key opens the identity block (the
    opening is audited like the identity page's); None for anyone else."""
    if current_user().role != "head":
        return None
    try:
        block = open_identity(submission, key)
    except (CryptoError, payloads.PayloadError):
        return None
    if block is None:
        return None

    def text(name: str) -> str:
        value = block.get(name)
        return value if isinstance(value, str) else ""

    audit.append(
        db(),
        "identity.open",
        actor=current_user().username,
        org_id=current_user().org_id,
        target=submission.id,
    )
    return documents.Recipient(text("full_name"), text("position"), text("unit"))


def _case_draft(
    submission: Submission, case: Case, key: PrivateKey, kind: str, lang: str
) -> documents.Letter:
    try:
        case_letters.check_case_letter(case, kind)
    except AdalError:
        abort(404)
    facts = case_letters.case_letter_facts(case)
    recipient = _recipient(submission, key) if kind == "decision_notice" else None
    return documents.draft(
        kind,  # type: ignore[arg-type]  # checked above
        lang,
        documents.LetterFacts(
            sender=_sender(lang),
            received_on=facts.received_on,
            channel=facts.channel,
            kns_notified_on=facts.kns_notified_on,
            outgoing_number=facts.outgoing_number,
            outgoing_date=facts.outgoing_date,
            decision_on=facts.decision_on,
        ),
        recipient,
    )


def _matter(case: Case, key: PrivateKey, matter_id: int) -> ProtectionMatter:
    """The case's protection matter, for a head or a handler holding the record (403 otherwise,
    as on the protection page), 404 for a matter of another case."""
    database = db()
    record = prot.protection_of(database, case)
    if current_user().role != "head" and (
        record is None or not prot.may_enter_dates(database, record, current_user().role, key)
    ):
        abort(403)
    matter = case_letters.case_matter(database, case, matter_id)
    if matter is None:
        abort(404)
    return matter


def _matter_draft(matter: ProtectionMatter, kind: str, lang: str) -> documents.Letter:
    try:
        facts = case_letters.matter_letter_facts(matter, kind)
    except AdalError:
        abort(404)
    return documents.draft(
        kind,  # type: ignore[arg-type]  # checked above
        lang,
        documents.LetterFacts(
            sender=_sender(lang),
            matter_kind=facts.kind,
            matter_body=facts.body,
            meeting_on=facts.meeting_on,
            decided_on=facts.decided_on,
        ),
    )


def _form_data(letter: documents.Letter) -> dict[str, object]:
    return {
        "sender": letter.sender,
        "outgoing_number": letter.outgoing_number,
        "outgoing_date": letter.outgoing_date,
        "addressee": letter.addressee,
        "subject": letter.subject,
        "body": documents.body_text(letter),
        "attachments": letter.attachments,
        "signatory_position": letter.signatory_position,
        "signatory_name": letter.signatory_name,
        "fmt": "docx",
    }


def _page(
    form: LetterForm,
    letter: documents.Letter,
    submission: Submission,
    action: str,
    status: int = 200,
) -> tuple[str, int]:
    database = db()
    database.commit()  # an identity opening is audited even when the page is only read
    return render_template(
        "handler/letter.html",
        form=form,
        title=LETTER_TITLES[letter.kind],
        language=LANG_NAMES[letter.lang],
        named=letter.kind == "decision_notice" and current_user().role == "head",
        action=action,
        submission=submission,
    ), status


def _export(
    form: LetterForm,
    draft: documents.Letter,
    submission: Submission,
    action: str,
    extra: dict[str, object],
) -> BaseResponse | tuple[str, int]:
    if not form.validate():
        return _page(form, draft, submission, action, 400)
    letter = documents.Letter(
        kind=draft.kind,
        lang=draft.lang,
        sender=form.sender.data or "",
        outgoing_number=form.outgoing_number.data or "",
        outgoing_date=form.outgoing_date.data,
        addressee=form.addressee.data or "",
        subject=form.subject.data or "",
        paragraphs=documents.paragraphs_of(form.body.data or ""),
        attachments=form.attachments.data or "",
        signatory_position=form.signatory_position.data or "",
        signatory_name=form.signatory_name.data or "",
    )
    fmt = form.fmt.data or "docx"
    database = db()
    audit.append(
        database,
        "export.letter",
        actor=current_user().username,
        org_id=current_user().org_id,
        target=submission.id,
        details={"letter": letter.kind, "lang": letter.lang, "format": fmt, **extra},
    )
    database.commit()
    name = f"{letter.kind.replace('_', '-')}-{submission.id[:8]}-{letter.lang}"
    if fmt == "docx":
        response = Response(documents.letter_docx(letter), mimetype=documents.DOCX_MIMETYPE)
        response.headers["Content-Disposition"] = content_disposition(f"{name}.docx")
    else:
        response = Response(
            documents.letter_html(letter, stylesheet_href=url_for("exports.print_css")),
            mimetype="text/html",
        )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/cases/<submission_id>/letters/<kind>/<lang>")
@allow(*CASE_ROLES)
def case_letter(submission_id: str, kind: str, lang: str) -> tuple[str, int]:
    submission, case, key = _case(submission_id)
    _check_lang(lang)
    letter = _case_draft(submission, case, key, kind, lang)
    action = url_for(
        "letters.case_letter_export", submission_id=submission.id, kind=kind, lang=lang
    )
    return _page(LetterForm(formdata=None, data=_form_data(letter)), letter, submission, action)


@bp.post("/cases/<submission_id>/letters/<kind>/<lang>")
@allow(*CASE_ROLES)
def case_letter_export(submission_id: str, kind: str, lang: str) -> BaseResponse | tuple[str, int]:
    submission, case, _key = _case(submission_id)
    _check_lang(lang)
    try:
        case_letters.check_case_letter(case, kind)
    except AdalError:
        abort(404)
    # The draft gives the kind and language only: the text is what the handler sent, so the
    # identity block is not opened again for an export.
    draft = documents.draft(kind, lang, documents.LetterFacts())  # type: ignore[arg-type]
    action = url_for(
        "letters.case_letter_export", submission_id=submission.id, kind=kind, lang=lang
    )
    return _export(LetterForm(), draft, submission, action, {})


@bp.get("/cases/<submission_id>/protection/matters/<int:matter_id>/letters/<kind>/<lang>")
@allow("head", "handler")
def matter_letter(submission_id: str, matter_id: int, kind: str, lang: str) -> tuple[str, int]:
    submission, case, key = _case(submission_id)
    matter = _matter(case, key, matter_id)
    _check_lang(lang)
    letter = _matter_draft(matter, kind, lang)
    action = url_for(
        "letters.matter_letter_export",
        submission_id=submission.id,
        matter_id=matter.id,
        kind=kind,
        lang=lang,
    )
    return _page(LetterForm(formdata=None, data=_form_data(letter)), letter, submission, action)


# Its own path: a GET and a POST rule on one path with a bounded integer answer a huge id
# with 405 instead of 404 (tests/handler/test_huge_ids.py).
@bp.post("/cases/<submission_id>/protection/matters/<int:matter_id>/letters/<kind>/<lang>/export")
@allow("head", "handler")
def matter_letter_export(
    submission_id: str, matter_id: int, kind: str, lang: str
) -> BaseResponse | tuple[str, int]:
    submission, case, key = _case(submission_id)
    matter = _matter(case, key, matter_id)
    _check_lang(lang)
    draft = _matter_draft(matter, kind, lang)
    action = url_for(
        "letters.matter_letter_export",
        submission_id=submission.id,
        matter_id=matter.id,
        kind=kind,
        lang=lang,
    )
    return _export(LetterForm(), draft, submission, action, {"matter": matter.id})
