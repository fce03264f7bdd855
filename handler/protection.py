"""Section 3 for the head: the protected employee's record and the register of matters a
commission must consider (p16-p20), with their p18, p19 and p20 deadlines.

Heads (p14: the head keeps the identities; the record is sealed to heads and the recovery key).
A head may share the record with a handler who holds the case (HR or the ethics officer who keeps
the commission's dates, p16-p17): that handler then sees the record and enters the matters'
dates, nothing more. Viewing the decrypted record is audited. The page warns when a meeting is
set on a day off and when the civil service body's representative is recorded as not invited.
The store (cases.protection) checks every date against the others; its refusals come back as a
translated message and nothing is saved.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from cases import protection as prot
from cases.calendar import work_calendar
from cases.deadlines import matter_rows
from cases.workflow import find_case
from crypto.errors import CryptoError
from crypto.keys import PrivateKey
from handler.access import require_holder
from handler.filters import kz_date
from handler.forms import (
    MEASURE_BODIES,
    MEASURE_KINDS,
    DatesForm,
    MatterForm,
    PersonForm,
    ProtectionShareForm,
)
from handler.gate import allow, colleague, current_user
from handler.messages import DATE_LABELS, describe
from rules.clock import local_date
from rules.errors import AdalError
from store import audit, payloads
from store.models import Case, ProtectionMatter
from web.database import db

bp = Blueprint("protection", __name__)


def _case(submission_id: str) -> tuple[Case, PrivateKey]:
    submission, key = require_holder(submission_id)
    case = find_case(db(), submission)
    if case is None:
        abort(409)
    return case, key


def _allowed(case: Case, key: PrivateKey) -> None:
    """A handler comes in only through a head's share of an existing record (403 otherwise,
    the same answer as before sharing existed)."""
    if current_user().role == "head":
        return
    record = prot.protection_of(db(), case)
    if record is None or not prot.may_enter_dates(db(), record, current_user().role, key):
        abort(403)


def _matter(record: Any, matter_id: int) -> ProtectionMatter:
    matter = db().get(ProtectionMatter, matter_id)
    if matter is None or record is None or matter.protection_id != record.id:
        abort(404)
    return matter


def _page(
    case: Case,
    key: PrivateKey,
    *,
    person_form: PersonForm | None = None,
    matter_form: MatterForm | None = None,
    status: int = 200,
    error: str | None = None,
) -> tuple[str, int]:
    database = db()
    record = prot.protection_of(database, case)
    person = None
    matters: list[dict[str, Any]] = []
    if record is not None:
        try:
            person = prot.open_person(record, database, key)
        except (CryptoError, payloads.PayloadError, LookupError):
            person = None
        if person is not None:
            audit.append(
                database,
                "protection.open",
                actor=current_user().username,
                org_id=current_user().org_id,
                target=case.submission_id,
            )
        calendar = work_calendar(database)
        now = datetime.now(UTC)
        for matter in sorted(record.matters, key=lambda m: m.id):
            warnings = []
            if prot.meeting_on_day_off(matter, calendar):
                warnings.append(
                    _(
                        "The meeting is set on a day off (%(day)s). Check the date: "
                        "a commission meets on a working day.",
                        day=kz_date(matter.meeting_on),
                    )
                )
            if prot.invitation_missing(matter):
                warnings.append(
                    _(
                        "The representative of the authorised body for civil service "
                        "affairs is recorded as not invited. Inviting them is "
                        "obligatory (p16, p17)."
                    )
                )
            try:
                description = prot.open_description(matter, database, key)
            except (CryptoError, payloads.PayloadError, LookupError):
                description = None
            matters.append(
                {
                    "row": matter,
                    "description": description,
                    "deadlines": matter_rows(matter, case.submission_id, calendar, now),
                    "warnings": warnings,
                    "form": DatesForm(
                        formdata=None, obj=matter, prefix=f"m{matter.id}", meta={"csrf": False}
                    ),
                }
            )
    is_head = current_user().role == "head"
    share_form = None
    if record is not None and is_head:
        share_form = ProtectionShareForm(formdata=None)
        share_form.offer(
            [
                (u.id, f"{u.full_name} ({u.username})")
                for u in prot.share_candidates(database, record)
            ]
        )
    database.commit()
    return render_template(
        "handler/protection.html",
        case=case,
        record=record,
        person=person,
        is_head=is_head,
        share_form=share_form,
        period=prot.period(case),
        matters=matters,
        kinds=MEASURE_KINDS,
        bodies=MEASURE_BODIES,
        date_labels=DATE_LABELS,
        error=error,
        person_form=person_form or PersonForm(formdata=None),
        matter_form=matter_form or MatterForm(formdata=None),
    ), status


@bp.get("/cases/<submission_id>/protection")
@allow("head", "handler")
def page(submission_id: str) -> tuple[str, int]:
    case, key = _case(submission_id)
    _allowed(case, key)
    return _page(case, key)


@bp.post("/cases/<submission_id>/protection/share")
@allow("head")
def share(submission_id: str) -> Response | tuple[str, int]:
    case, key = _case(submission_id)
    database = db()
    record = prot.protection_of(database, case)
    if record is None:
        abort(409)
    form = ProtectionShareForm()
    form.offer([(u.id, u.username) for u in prot.share_candidates(database, record)])
    if not form.validate():
        return _page(case, key, status=400, error=_("Choose a colleague who holds the case."))
    grantee = colleague(int(form.user_id.data or 0))
    try:
        if grantee is None:
            raise AdalError(prot.AREA, "not_shareable", "no such user")
        prot.share_protection(database, record, key, grantee, current_user())
    except AdalError as error:
        database.rollback()
        return _page(case, key, status=409, error=describe(error))
    database.commit()
    flash(
        _(
            "The protection record is shared: %(name)s may now enter the commission's dates.",
            name=grantee.full_name,
        )
    )
    return _back(case)


def _back(case: Case) -> Response:
    return redirect(url_for("protection.page", submission_id=case.submission_id), code=303)


@bp.post("/cases/<submission_id>/protection")
@allow("head")
def create(submission_id: str) -> Response | tuple[str, int]:
    case, key = _case(submission_id)
    form = PersonForm()
    if not form.validate():
        return _page(case, key, person_form=form, status=400)
    database = db()
    person = prot.ProtectedPerson(
        form.full_name.data or "",
        form.position.data or "",
        form.unit.data or "",
        form.note.data or "",
    )
    try:
        prot.create_protection(
            database, case, person, current_user(), local_date(datetime.now(UTC))
        )
    except AdalError as error:
        database.rollback()
        return _page(case, key, person_form=form, status=409, error=describe(error))
    database.commit()
    flash(_("The protection record is opened."))
    return _back(case)


@bp.post("/cases/<submission_id>/protection/matters")
@allow("head")
def add(submission_id: str) -> Response | tuple[str, int]:
    case, key = _case(submission_id)
    database = db()
    record = prot.protection_of(database, case)
    if record is None:
        abort(409)
    form = MatterForm()
    if not form.validate() or form.proposed_on.data is None:
        return _page(case, key, matter_form=form, status=400)
    try:
        prot.add_matter(
            database,
            record,
            kind=form.kind.data or "",
            body=form.body.data or "",
            proposed_on=form.proposed_on.data,
            actor=current_user(),
            today=local_date(datetime.now(UTC)),
            description=form.description.data or "",
        )
    except AdalError as error:
        database.rollback()
        return _page(case, key, matter_form=form, status=409, error=describe(error))
    database.commit()
    flash(_("The matter is registered."))
    return _back(case)


@bp.post("/cases/<submission_id>/protection/matters/<int:matter_id>")
@allow("head", "handler")
def update(submission_id: str, matter_id: int) -> Response | tuple[str, int]:
    case, key = _case(submission_id)
    _allowed(case, key)
    database = db()
    matter = _matter(prot.protection_of(database, case), matter_id)
    form = DatesForm(prefix=f"m{matter.id}", meta={"csrf": False})
    if not form.validate():
        return _page(case, key, status=400, error=_("A date is not valid."))
    changes: dict[str, date | bool | None] = {
        name: form[name].data for name in (*prot.MATTER_DATES, *prot.MATTER_FLAGS)
    }
    try:
        prot.update_matter(
            database, matter, actor=current_user(), today=local_date(datetime.now(UTC)), **changes
        )
    except AdalError as error:
        database.rollback()
        return _page(case, key, status=409, error=describe(error))
    database.commit()
    flash(_("The matter is updated."))
    return _back(case)
