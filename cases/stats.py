"""Statistics for the head and the admin, from plain columns only: nothing is decrypted.

Counts by channel, by case status ("new" = not registered yet), by month of receipt, and how
the deadlines went (rules.deadlines.deadline_stats), per deadline and overall. ``inexact``
counts NDA deadlines that could only be judged on the conservative bound (their exact receipt
time is sealed and no verdict was stored when they were settled, see cases.workflow): they are
included in the counts, where "late" may be too harsh, and named so the page can say so.

Reports are also counted by the kind of offence of p3 they concern.

Cases closed without a decision of the authorised body keep their own status and are counted
by the reason recorded (no decision by a stated date, transferred, duplicate), so a head's
statistics never pass them off as decided.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.orm import Session

from cases.lists import catch_up, counts
from rules.clock import require_aware
from rules.deadlines import DeadlineStats

NEW = "new"


@dataclass(frozen=True)
class Statistics:
    total: int
    by_channel: dict[str, int]
    by_status: dict[str, int]
    by_month: dict[str, int]  # "YYYY-MM" of the receipt date, in order
    deadlines: dict[str, DeadlineStats]  # per deadline key
    deadlines_total: DeadlineStats
    inexact: int = 0
    closed_without_decision: dict[str, int] = field(default_factory=dict)  # per reason
    # p3, in rules.offences order; a report nobody has opened is not determined yet.
    by_offence_type: dict[str, int] = field(default_factory=dict)
    since: date | None = None  # the period asked for, echoed for the page's heading
    until: date | None = None


def statistics(
    session: Session,
    now: datetime,
    *,
    org_ids: Collection[int],
    since: date | None = None,
    until: date | None = None,
) -> Statistics:
    """Counts over reports sent to `org_ids` and received in [since, until] (inclusive;
    open-ended when None), from the stored list columns (cases.lists): grouped queries, no
    per-case recomputation."""
    require_aware(now, "now")
    catch_up(session)
    found = counts(session, now, since, until, org_ids=org_ids)
    return Statistics(
        total=found.total,
        by_channel=found.by_channel,
        by_status=found.by_status,
        by_month=found.by_month,
        deadlines=found.deadlines,
        deadlines_total=found.deadlines_total,
        inexact=found.inexact,
        closed_without_decision=found.closed_without_decision,
        by_offence_type=found.by_offence_type,
        since=since,
        until=until,
    )
