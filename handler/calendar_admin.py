"""The national working-day calendar: the decree's extra days off and transferred working days.

One country's calendar for every organization (issue 13), so it is the operator's: only the
operator changes it. An organization's admin may still read it (read-only, no forms), to see
why a deadline falls where it does. Every deadline of the back office is counted on holidays.KZ
plus these entries (cases.calendar), so an entry moves the due dates of open cases at once;
that is why each change is audited there, in the same transaction. The public holidays of the
year are listed for reference, so the operator can see what the package already knows before
adding a day.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from cases.calendar import (
    add_calendar_day,
    calendar_days,
    remove_calendar_day,
)
from cases.lists import recompute
from handler.forms import DAY_KINDS, DayForm, RemoveForm
from handler.gate import OPERATOR, allow, current_user
from handler.holiday_names import holiday_names
from handler.messages import describe
from rules.errors import AdalError
from web.database import db

bp = Blueprint("calendar", __name__)
# Years an admin may look at: the decree is published a year ahead at most; older years still
# matter for the deadlines of old cases and the statistics.
MIN_YEAR, MAX_YEAR = 2020, 2100


def _year() -> int:
    year = request.args.get("year", type=int) or date.today().year
    return min(max(year, MIN_YEAR), MAX_YEAR)


def _page(form: DayForm, year: int, status: int = 200, error: str | None = None) -> tuple[str, int]:
    return render_template(
        "handler/calendar.html",
        form=form,
        year=year,
        entries=calendar_days(db(), year),
        public=holiday_names(year),
        kinds=DAY_KINDS,
        error=error,
        prev_year=max(MIN_YEAR, year - 1),
        next_year=min(MAX_YEAR, year + 1),
        editable=current_user().role == OPERATOR,
    ), status


@bp.get("/admin/calendar")
@allow(OPERATOR, "admin")
def calendar() -> tuple[str, int]:
    return _page(DayForm(formdata=None), _year())


@bp.post("/admin/calendar")
@allow(OPERATOR)
def add() -> Response | tuple[str, int]:
    form = DayForm()
    if not form.validate() or form.day.data is None:
        return _page(form, _year(), 400)
    day: date = form.day.data
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        form.day.errors = [_("Choose a date between %(a)s and %(b)s.", a=MIN_YEAR, b=MAX_YEAR)]
        return _page(form, _year(), 400)
    database = db()
    try:
        add_calendar_day(database, day, form.kind.data or "", form.note.data or "", current_user())
    except AdalError as error:
        database.rollback()
        return _page(form, day.year, 409, describe(error))
    # Working days move deadlines: the lists' stored columns follow in the same transaction.
    recompute(database)
    database.commit()
    flash(_("The calendar is updated; deadlines are counted with it from now on."))
    return redirect(url_for("calendar.calendar", year=day.year), code=303)


@bp.post("/admin/calendar/remove")
@allow(OPERATOR)
def remove() -> Response | tuple[str, int]:
    form = RemoveForm()
    try:
        day = date.fromisoformat(form.day.data or "") if form.validate() else None
    except ValueError:
        day = None
    if day is None:
        return _page(DayForm(formdata=None), _year(), 400, _("There is no such date."))
    database = db()
    try:
        remove_calendar_day(database, day, current_user())
    except AdalError as error:
        database.rollback()
        return _page(DayForm(formdata=None), day.year, 404, describe(error))
    recompute(database)
    database.commit()
    flash(_("The entry is removed."))
    return redirect(url_for("calendar.calendar", year=day.year), code=303)
