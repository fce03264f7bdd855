"""Statistics for the head: counts by channel, status, month of receipt and deadline outcome.

From plain columns only (cases.stats): nothing is decrypted. Heads only, by least privilege:
the counts cover every report of the organisation, including those a handler does not hold, so
a handler could learn from them that a report arrived on a day; an admin opens no casework at
all. The head answers for every report (p6) and needs the overview.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import Blueprint, render_template, request

from cases.lists import catch_up_committed
from cases.stats import statistics
from handler.gate import allow, own_org
from web.database import db

bp = Blueprint("stats", __name__)


def _day(name: str) -> date | None:
    value = request.args.get(name, "")
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@bp.get("/statistics")
@allow("head")
def page() -> tuple[str, int]:
    since, until = _day("since"), _day("until")
    bad = any(request.args.get(n) and _day(n) is None for n in ("since", "until"))
    if since and until and since > until:
        bad = True
    if bad:
        since = until = None
    catch_up_committed(db())
    stats = statistics(db(), datetime.now(UTC), org_ids=[own_org()], since=since, until=until)
    return render_template(
        "handler/statistics.html", stats=stats, since=since, until=until, bad=bad
    ), 400 if bad else 200
