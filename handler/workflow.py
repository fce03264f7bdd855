"""The workflow on the case page (Section 2, p6-p12): the steps that may be recorded now, the
history of recorded steps, and the case's deadlines.

The rules decide what is possible (rules.workflow.available_steps, the same checks apply()
runs), so the page never offers a step the store would refuse; a refusal that still happens
(two people at once, an out-of-range date) is shown as a translated message keyed off the error's
stable code (handler.messages), and nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from cases.calendar import work_calendar
from cases.deadlines import case_deadline_rows
from cases.facts import case_facts, parse_received_at
from cases.reading import open_report
from cases.workflow import find_case, history, record_step, set_offence_type
from handler.access import require_holder
from handler.forms import (
    LOCAL_MINUTE,
    ClosedWithoutDecisionForm,
    ConfirmationForm,
    Form,
    InstructedConfirmationForm,
    InstructedNdaSignedForm,
    InstructedNoteForm,
    KnsForm,
    NdaDeclinedForm,
    NdaSignedForm,
    NoteForm,
    OffenceTypeForm,
)
from handler.gate import CASE_ROLES, allow, current_user
from handler.messages import (
    CLOSING_REASON_LABELS,
    DETAIL_LABELS,
    OFFENCE_TYPE_LABELS,
    STEP_LABELS,
    describe,
)
from rules.deadlines import case_duties
from rules.errors import AdalError
from rules.workflow import HEAD_STEPS, CaseFacts, Event, Step, available_steps
from store.models import Case
from web.database import db

bp = Blueprint("workflow", __name__)

DEADLINE_LABELS: Mapping[str, Any] = {
    "kns_notification": _l("Notify the Anti-Corruption Service via 1424 (p8)"),
    "nda": _l("Sign the non-disclosure agreement (p7)"),
    # p12 sets no term: listed as a duty at receipt (DUTY_LABELS), never as a deadline.
    "written_confirmation": _l("Send written confirmation to the Anti-Corruption Service (p9)"),
    # p18 and p19 name the addressee: the authorised body for civil service affairs, never the
    # commission itself (the commission meets in the state body; the agency reviews it).
    "commission_materials": _l(
        "Send the materials to the authorised body for civil service "
        "affairs before the commission meets (p18)"
    ),
    "commission_decision_copy": _l(
        "Send a copy of the commission's decision or of the minutes "
        "to the authorised body for civil service affairs (p19)"
    ),
    "agency_notice": _l("Answer the agency's notice (p20)"),
}
DUTY_LABELS: Mapping[str, Any] = {
    "rights_explained": _l("Explain rights and obligations to the reporter (p12)"),
}
# A text marker, not only a colour, so the state survives printing and colour blindness.
DEADLINE_STATES: Mapping[str, Any] = {
    "met": _l("Met"),
    "met_late": _l("Met late"),
    # Not "Due": that was also the column header, and a header and a state are two messages.
    "due": _l("Within the term"),
    "due_soon": _l("Due soon"),
    "overdue": _l("Overdue"),
}


FORMS: Mapping[str, type[Form]] = {
    Step.KNS_NOTIFIED: KnsForm,
    Step.CONFIRMATION_SENT: ConfirmationForm,
    Step.NDA_SIGNED: NdaSignedForm,
    Step.NDA_DECLINED: NdaDeclinedForm,
    Step.CLOSED_WITHOUT_DECISION: ClosedWithoutDecisionForm,
}
# Steps only a head records: closing without the authorised body's decision ends the head's
# duties on the case with no outside document to show for it, so it is the head's own call.
HEAD_ONLY: frozenset[str] = frozenset({Step.CLOSED_WITHOUT_DECISION})


# A head's duty recorded by someone else names the instructing head (rules.workflow).
INSTRUCTED_FORMS: Mapping[str, type[Form]] = {
    Step.CONFIRMATION_SENT: InstructedConfirmationForm,
    Step.NDA_SIGNED: InstructedNdaSignedForm,
    Step.CLOSED: InstructedNoteForm,
}


def step_form(step: str, *, formdata: bool = False) -> Form:
    # The prefix keeps field ids unique when several step forms share the case page. The token
    # is checked by the gate for every POST (csrf.protect()); a prefixed per-form token field
    # would only rename it.
    if step in HEAD_STEPS and current_user().role != "head":
        cls = INSTRUCTED_FORMS[step]
    else:
        cls = FORMS.get(step, NoteForm)
    meta = {"csrf": False}
    return cls(prefix=step, meta=meta) if formdata else cls(prefix=step, formdata=None, meta=meta)


def details_of(form: Form) -> dict[str, str]:
    """Form values as the string details rules.workflow expects (blank ones left out)."""
    out: dict[str, str] = {}
    for name, field in form._fields.items():
        if field.data in (None, ""):
            continue
        value = field.data
        if isinstance(value, datetime):
            out[name] = value.strftime(LOCAL_MINUTE)
        elif isinstance(value, date):
            out[name] = value.isoformat()
        else:
            out[name] = str(value)
    return out


def steps_for(facts: CaseFacts, events: list[Event], role: str) -> list[tuple[str, Form]]:
    return [
        (s.value, step_form(s.value))
        for s in available_steps(facts, events)
        if role == "head" or s not in HEAD_ONLY
    ]


def case_view(case: Case, received_at: datetime | None) -> dict[str, Any]:
    """What the case page shows of the workflow: history, available steps, deadlines."""
    database = db()
    events = history(database, case)
    now = datetime.now(UTC)
    facts = case_facts(case, received_at)
    return {
        "events": events,
        "steps": steps_for(facts, events, current_user().role),
        "duties": case_duties(facts, events),
        "deadlines": case_deadline_rows(case, work_calendar(database), now, received_at),
        "offence_form": OffenceTypeForm(formdata=None, data={"offence_type": case.offence_type}),
    }


def _received_at(submission_id: str) -> tuple[Case, datetime | None, str]:
    submission, key = require_holder(submission_id)
    case = find_case(db(), submission)
    if case is None:
        abort(409)  # the case page registers a report on first opening
    report = open_report(submission, key)
    return case, parse_received_at(report.get("received_at")), submission.id


@bp.post("/cases/<submission_id>/steps/<step>")
@allow(*CASE_ROLES)
def record(submission_id: str, step: str) -> Response | tuple[str, int]:
    if step not in STEP_LABELS or step == Step.REGISTERED:
        abort(404)
    if step in HEAD_ONLY and current_user().role != "head":
        abort(403)
    case, received_at, sid = _received_at(submission_id)
    back = url_for("cases.case", submission_id=sid) + "#workflow"
    form = step_form(step, formdata=True)
    if not form.validate():
        return render_template("handler/form_error.html", form=form, back=back), 400
    database = db()
    try:
        record_step(
            database,
            case,
            step,
            current_user(),
            datetime.now(UTC),
            details_of(form),
            received_at=received_at,
        )
    except AdalError as error:
        database.rollback()
        return render_template(
            "handler/step_error.html", message=describe(error), step=STEP_LABELS[step], back=back
        ), 409
    database.commit()
    flash(_("Recorded: %(step)s.", step=STEP_LABELS[step]))
    return redirect(back, code=303)


@bp.post("/cases/<submission_id>/offence-type")
@allow(*CASE_ROLES)
def offence_type(submission_id: str) -> Response | tuple[str, int]:
    """p3: which kind of offence the report concerns; a handler or the head records it."""
    submission = require_holder(submission_id)[0]
    case = find_case(db(), submission)
    if case is None:
        abort(409)
    back = url_for("cases.case", submission_id=submission.id) + "#offence"
    form = OffenceTypeForm()
    if not form.validate():
        return render_template("handler/form_error.html", form=form, back=back), 400
    database = db()
    set_offence_type(database, case, form.offence_type.data or "", current_user())
    database.commit()
    flash(_("Recorded: %(step)s.", step=OFFENCE_TYPE_LABELS[case.offence_type]))
    return redirect(back, code=303)


TEMPLATE_GLOBALS: Mapping[str, Any] = {
    "step_labels": STEP_LABELS,
    "detail_labels": DETAIL_LABELS,
    "deadline_labels": DEADLINE_LABELS,
    "duty_labels": DUTY_LABELS,
    "deadline_states": DEADLINE_STATES,
    "closing_reasons": CLOSING_REASON_LABELS,
    "offence_types": OFFENCE_TYPE_LABELS,
}
