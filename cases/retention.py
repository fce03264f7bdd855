"""How long a closed case is kept, and the day after which it may be crypto-shredded.

Each organization's admin sets its own period in whole years after closing (Setting
"retention_years" of that organization); its cases follow it, and no other's. A case's
purge date is the later of closing + period and the end of the reporter's 3-year protection
(Appendix 3 (1), (7)): the record of a report is the protected employee's evidence while the
protection runs, so no setting can destroy it earlier. Periods shorter than the protection are
refused outright, so the setting page never shows a number the system would not honour.

Without a setting nothing is ever purged: destroying reports must be a deliberate decision.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases import scope
from cases.facts import protection_end, utc
from rules.clock import local_date
from rules.deadlines import PROTECTION_YEARS
from rules.errors import AdalError
from store import audit
from store.models import Case, Setting, Submission, User

SETTING_KEY = "retention_years"
MIN_YEARS = PROTECTION_YEARS
MAX_YEARS = 100  # beyond this a value is a typo, not a policy
AREA = "retention"  # of the AdalError codes raised here


def add_years(day: date, years: int) -> date:
    """The same calendar date ``years`` later; 29 February falls back to 28 February, as in
    rules.deadlines.protection_end, so the two periods are counted the same way."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 2, 28)


def retention_years(session: Session, org_id: int | None) -> int | None:
    """The organization's period; None (keep everything) when unset or for no organization."""
    if org_id is None:
        return None
    row = session.get(Setting, (org_id, SETTING_KEY))
    if row is None:
        return None
    value = row.value.get("years")
    # Stored by set_retention_years only; anything else is treated as "not set" (keep all).
    if isinstance(value, int) and not isinstance(value, bool) and value >= MIN_YEARS:
        return value
    return None


def retention_by_org(session: Session) -> dict[int, int]:
    """{organization id: its period} of every organization that has set one."""
    rows = session.scalars(select(Setting).where(Setting.key == SETTING_KEY))
    return {
        row.org_id: years
        for row in rows
        if (years := retention_years(session, row.org_id)) is not None
    }


def purge_after(closed_on: date, protection_ends: date, years: int) -> date:
    """The last day a closed case is kept; it may be purged from the next day on."""
    if years < MIN_YEARS:
        raise AdalError(AREA, "too_short", f"retention is at least {MIN_YEARS} years")
    return max(add_years(closed_on, years), protection_ends)


def case_purge_after(case: Case, years: int | None) -> date | None:
    """A closed case's purge date under a period; None (kept) while open or without one."""
    if case.closed_at is None or years is None:
        return None
    return purge_after(local_date(utc(case.closed_at)), protection_end(case), years)


def refresh_purge_date(case: Case, years: int | None) -> date | None:
    """Store (and return) :func:`case_purge_after` in the case row."""
    case.purge_after = case_purge_after(case, years)
    return case.purge_after


def set_retention_years(session: Session, org_id: int, years: int, actor: User) -> int:
    """Store the organization's period (audited) and re-date its closed cases; returns how many
    were re-dated.

    Re-dating in the same transaction keeps `Case.purge_after` the single answer to "when does
    this case go", for the purge job and for the case page alike.
    """
    if isinstance(years, bool) or not isinstance(years, int):
        raise AdalError(AREA, "not_a_number", "retention is a whole number of years")
    if years < MIN_YEARS:
        raise AdalError(
            AREA,
            "too_short",
            f"retention cannot be shorter than the {PROTECTION_YEARS}-year protection period",
        )
    if years > MAX_YEARS:
        raise AdalError(AREA, "too_long", f"retention is at most {MAX_YEARS} years")
    row = session.get(Setting, (org_id, SETTING_KEY))
    before = retention_years(session, org_id)
    if row is None:
        session.add(Setting(org_id=org_id, key=SETTING_KEY, value={"years": years}))
    else:
        row.value = {"years": years}
    session.flush()
    closed = list(
        session.scalars(
            select(Case)
            .join(Submission, Submission.id == Case.submission_id)
            .where(Case.closed_at.is_not(None), scope.in_org(Submission.org_id, org_id))
        )
    )
    for case in closed:
        refresh_purge_date(case, years)
    session.flush()
    audit.append(
        session,
        "settings.retention",
        actor=actor.username,
        org_id=org_id,
        target=SETTING_KEY,
        details={"years": years, "was": before, "cases_redated": len(closed)},
    )
    return len(closed)
