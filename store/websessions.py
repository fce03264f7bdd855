"""How long a `web_sessions` row lives: one rule for the writer and for the collector.

A session ends by its own clocks (idle and absolute lifetimes, kept inside the sealed data and
checked by `web.sessions` on every request). The row carries only a date past which it can no
longer be alive, so it says nothing about when someone was active; the housekeeping worker
deletes rows past that date (`cases.housekeeping`). A row whose browser never returns is
otherwise never read again: it is dead, sealed, and only takes space until then.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from store.models import WebSession


def expires_on(today: date, absolute: timedelta) -> date:
    """The date a row written today may be deleted after.

    Whole days of the absolute lifetime, plus a day: a session saved just before midnight may
    still be used after it, and the collector's "today" may come from another host's clock.
    """
    return today + timedelta(days=1 + absolute.days)


def delete_expired(session: Session, today: date) -> int:
    """Delete the rows that expired before `today`; returns how many. The caller commits."""
    result = session.execute(delete(WebSession).where(WebSession.expires_on < today))
    return int(result.rowcount)  # type: ignore[attr-defined]
