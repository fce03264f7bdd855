"""Routes for the responsible person of a case (cases.assignment): a head assigns one of the
case's holders, a handler who holds the case takes it."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from cases.assignment import assign, take
from handler.access import require_holder
from handler.gate import CASE_ROLES, allow, colleague, current_user
from handler.messages import describe
from rules.errors import AdalError
from web.database import db

bp = Blueprint("assignment", __name__)


def _refused(submission_id: str, error: AdalError) -> tuple[str, int]:
    db().rollback()
    back = url_for("cases.case", submission_id=submission_id) + "#responsible-h"
    return render_template(
        "handler/step_error.html", step=_("Responsible person"), message=describe(error), back=back
    ), 409


@bp.post("/cases/<submission_id>/take")
@allow(*CASE_ROLES)
def take_case(submission_id: str) -> Response | tuple[str, int]:
    submission = require_holder(submission_id)[0]
    try:
        take(db(), submission, current_user())
    except AdalError as error:
        return _refused(submission.id, error)
    db().commit()
    flash(_("You are now responsible for this case."))
    return redirect(url_for("cases.case", submission_id=submission.id), code=303)


@bp.post("/cases/<submission_id>/assign")
@allow("head")
def assign_case(submission_id: str) -> Response | tuple[str, int]:
    submission = require_holder(submission_id)[0]
    raw = request.form.get("user_id", "")
    person = None
    if raw:
        person = colleague(int(raw)) if raw.isdigit() and len(raw) < 10 else None
        if person is None:
            return _refused(
                submission.id, AdalError("assignment", "assignee_not_holder", "no such holder")
            )
    try:
        assign(db(), submission, person, current_user())
    except AdalError as error:
        return _refused(submission.id, error)
    db().commit()
    flash(_("The responsible person is recorded."))
    return redirect(url_for("cases.case", submission_id=submission.id), code=303)
