"""The working-day calendar as the admin keeps it: the decree's transfers on top of holidays.KZ.

Each year a government decree moves days (a Saturday worked so a Monday can join a holiday). An
admin enters them as CalendarDay rows; every deadline in the back office is counted on the
calendar built here, so an entry changes the deadlines of open cases at once (nothing is cached
in the case rows). Entries are audited: a moved day can move a legal deadline.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from rules.calendar import CalendarOverrides, WorkCalendar
from rules.errors import AdalError
from store import audit
from store.models import CalendarDay, User

DAY_OFF = "day_off"
WORKING_DAY = "working_day"
KINDS = (DAY_OFF, WORKING_DAY)
MAX_NOTE = 200
AREA = "calendar"  # of the AdalError codes raised here


def calendar_days(session: Session, year: int | None = None) -> list[CalendarDay]:
    query = select(CalendarDay).order_by(CalendarDay.day)
    if year is not None:
        query = query.where(
            CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31)
        )
    return list(session.scalars(query))


def _overrides(rows: list[CalendarDay]) -> CalendarOverrides:
    return CalendarOverrides(
        extra_days_off=frozenset(r.day for r in rows if r.kind == DAY_OFF),
        extra_working_days=frozenset(r.day for r in rows if r.kind == WORKING_DAY),
    )


def calendar_overrides(session: Session) -> CalendarOverrides:
    return _overrides(calendar_days(session))


def work_calendar(session: Session) -> WorkCalendar:
    """holidays.KZ plus every admin entry; build it once per request and pass it around."""
    return WorkCalendar(calendar_overrides(session))


def add_calendar_day(session: Session, day: date, kind: str, note: str, actor: User) -> CalendarDay:
    """Enter one decree day, audited, in the caller's transaction.

    An entry that would change nothing (a "working day" on an ordinary Tuesday, a "day off" on
    a Sunday) is refused: it is almost always a typo for another date, and a silent no-op would
    let the admin believe the decree is in. A day has at most one entry; to correct one, remove
    it (an entry of the other kind would only restore the default, so it is never needed).
    """
    if kind not in KINDS:
        raise AdalError(AREA, "bad_kind", f"kind must be one of {', '.join(KINDS)}")
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise AdalError(AREA, "note_too_long", f"a note is at most {MAX_NOTE} characters")
    if session.get(CalendarDay, day) is not None:
        raise AdalError(AREA, "exists", f"{day.isoformat()} already has an entry")
    if work_calendar(session).is_working_day(day) == (kind == WORKING_DAY):
        state = "a working day" if kind == WORKING_DAY else "a day off"
        raise AdalError(AREA, "no_effect", f"{day.isoformat()} is already {state}")
    row = CalendarDay(day=day, kind=kind, note=note)
    session.add(row)
    session.flush()
    audit.append(
        session,
        "calendar.set",
        actor=actor.username,
        org_id=None,
        target=day.isoformat(),
        details={"kind": kind, "note": note},
    )
    return row


def remove_calendar_day(session: Session, day: date, actor: User) -> None:
    row = session.get(CalendarDay, day)
    if row is None:
        raise AdalError(AREA, "not_found", f"{day.isoformat()} has no entry")
    kind = row.kind
    session.delete(row)
    session.flush()
    audit.append(
        session,
        "calendar.remove",
        actor=actor.username,
        org_id=None,
        target=day.isoformat(),
        details={"kind": kind},
    )
