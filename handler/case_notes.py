"""Internal notes and related reports on the case page (issue 15).

Every view proves first that the signed-in key holds the case in the URL (require_holder: a
404, audited, for anyone else); the use cases check again, and linking also needs the other
case to be held. A refusal is shown in words (handler.messages) and changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from cases import links, notes
from handler.access import require_holder
from handler.forms import CaseNoteForm, LinkForm
from handler.gate import CASE_ROLES, allow, current_user, own_org
from handler.messages import describe
from rules.errors import AdalError
from web.database import db

bp = Blueprint("notes", __name__)


def _refused(error: AdalError, back: str) -> tuple[str, int]:
    db().rollback()
    # Not holding the other case reads like a case that does not exist (cases.access).
    status = 404 if error.code in ("not_holder", "no_such_case") else 409
    return render_template("handler/refused.html", message=describe(error), back=back), status


@bp.post("/cases/<submission_id>/notes")
@allow(*CASE_ROLES)
def add(submission_id: str) -> Response | tuple[str, int]:
    submission, key = require_holder(submission_id)
    back = url_for("cases.case", submission_id=submission.id) + "#notes"
    form = CaseNoteForm()
    if not form.validate():
        return render_template("handler/form_error.html", form=form, back=back), 400
    database = db()
    try:
        notes.add_note(
            database, submission.id, key, current_user(), form.note.data or "", datetime.now(UTC)
        )
    except AdalError as error:
        return _refused(error, back)
    database.commit()
    flash(_("Your note is sealed to the holders of this case."))
    return redirect(back, code=303)


@bp.post("/cases/<submission_id>/links")
@allow(*CASE_ROLES)
def link(submission_id: str) -> Response | tuple[str, int]:
    submission, key = require_holder(submission_id)
    back = url_for("cases.case", submission_id=submission.id) + "#links"
    form = LinkForm()
    if not form.validate():
        return render_template("handler/form_error.html", form=form, back=back), 400
    database = db()
    try:
        other = links.resolve_reference(database, form.other.data or "", key, own_org())
        links.link_cases(database, submission.id, other, key, current_user(), datetime.now(UTC))
    except AdalError as error:
        return _refused(error, back)
    database.commit()
    flash(_("The cases are linked."))
    return redirect(back, code=303)


@bp.post("/cases/<submission_id>/links/<other_id>/remove")
@allow(*CASE_ROLES)
def unlink(submission_id: str, other_id: str) -> Response | tuple[str, int]:
    submission, key = require_holder(submission_id)
    back = url_for("cases.case", submission_id=submission.id) + "#links"
    database = db()
    try:
        links.unlink_cases(database, submission.id, other_id, key, current_user())
    except AdalError as error:
        return _refused(error, back)
    database.commit()
    flash(_("The link is removed."))
    return redirect(back, code=303)
