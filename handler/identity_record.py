"""The head records the identity of an anonymous reporter who came forward (cases.identity).

Head only (p14: the head keeps the identities). The details are sealed like a portal identity
block, so a handler never reads them; the case then offers the NDA, the explanation of rights
and the protection record.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from cases.identity import CameForward, record_identity
from cases.workflow import find_case
from handler.access import require_holder
from handler.forms import CameForwardForm
from handler.gate import allow, current_user
from handler.messages import describe
from rules.errors import AdalError
from store.models import Case, Submission
from web.database import db

bp = Blueprint("identity", __name__)


def _case(submission_id: str) -> tuple[Submission, Case]:
    submission = require_holder(submission_id)[0]
    case = find_case(db(), submission)
    if case is None:
        abort(409)  # the case page registers a report on first opening
    return submission, case


def _page(submission: Submission, case: Case, form: CameForwardForm, status: int = 200,
          error: str | None = None) -> tuple[str, int]:
    return render_template("handler/came_forward.html", submission=submission, case=case,
                           form=form, error=error), status


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
    person = CameForward(form_.full_name.data or "", form_.position.data or "",
                         form_.unit.data or "", form_.how.data or "")
    try:
        record_identity(database, case, person, current_user(), datetime.now(UTC))
    except AdalError as error:
        database.rollback()
        return _page(submission, case, form_, 409, describe(error))
    database.commit()
    flash(_("The reporter's identity is recorded and sealed for the heads."))
    return redirect(url_for("cases.case", submission_id=submission.id) + "#workflow", code=303)
