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

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from cases.deadlines import all_deadline_rows
from rules.calendar import WorkCalendar
from rules.clock import require_aware
from rules.deadlines import Deadline, DeadlineStats, deadline_stats
from rules.offences import OFFENCE_TYPES, UNDETERMINED
from rules.workflow import Step
from store.models import Case, CaseEvent, Submission

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
    since: date | None = None,
    until: date | None = None,
    calendar: WorkCalendar | None = None,
) -> Statistics:
    """Counts over reports received in [since, until] (inclusive; open-ended when None)."""
    require_aware(now, "now")

    def within(query: Select[Any]) -> Select[Any]:
        if since is not None:
            query = query.where(Submission.received_on >= since)
        if until is not None:
            query = query.where(Submission.received_on <= until)
        return query

    channels = dict(
        session.execute(
            within(
                select(Submission.channel, func.count())
                .group_by(Submission.channel)
                .order_by(Submission.channel)
            )
        ).all()
    )
    statuses = Counter(
        dict(
            session.execute(
                within(
                    select(Case.status, func.count())
                    .join(Submission, Submission.id == Case.submission_id)
                    .group_by(Case.status)
                )
            ).all()
        )
    )
    total = sum(channels.values())
    unregistered = total - sum(statuses.values())
    if unregistered:
        statuses[NEW] = unregistered
    kinds = Counter(
        dict(
            session.execute(
                within(
                    select(Case.offence_type, func.count())
                    .join(Submission, Submission.id == Case.submission_id)
                    .group_by(Case.offence_type)
                )
            ).all()
        )
    )
    kinds[UNDETERMINED] += unregistered
    months: Counter[str] = Counter()
    for (day,) in session.execute(within(select(Submission.received_on))):
        months[f"{day.year:04d}-{day.month:02d}"] += 1
    in_period = set(session.execute(within(select(Submission.id))).scalars())
    reasons: Counter[str] = Counter()
    for (details,) in session.execute(
        within(
            select(CaseEvent.details)
            .join(Case, Case.id == CaseEvent.case_id)
            .join(Submission, Submission.id == Case.submission_id)
            .where(CaseEvent.kind == Step.CLOSED_WITHOUT_DECISION.value)
        )
    ):
        reasons[str((details or {}).get("reason", ""))] += 1
    rows = [r for r in all_deadline_rows(session, now, calendar) if r.submission_id in in_period]
    per_key: dict[str, list[Deadline]] = {}
    for row in rows:
        per_key.setdefault(row.key, []).append(row.deadline)
    return Statistics(
        total=total,
        by_channel={k: int(v) for k, v in channels.items()},
        by_status={k: int(v) for k, v in sorted(statuses.items())},
        by_month=dict(sorted(months.items())),
        deadlines={k: deadline_stats(v, now) for k, v in sorted(per_key.items())},
        deadlines_total=deadline_stats([r.deadline for r in rows], now),
        inexact=sum(1 for r in rows if not r.exact),
        closed_without_decision=dict(sorted(reasons.items())),
        by_offence_type={k: int(kinds[k]) for k in OFFENCE_TYPES if total},
        since=since,
        until=until,
    )
