"""A superior body's view of the organizations below it: counts only (issue 13, "Superior bodies").

A head or auditor of an organization sees, for every organization under it (at any depth), how
many reports it received by channel, by status and by quarter of receipt, and how its deadlines
went (met, met late, overdue, open). By quarter, not month, and a count below SMALL_COUNT is not
shown as a number (`too_small`): a head must not learn that one of a subordinate's employees
reported in a given month (Recommendations p7, p14). Read from the stored list columns
(cases.lists), which hold nothing sealed: never content, never a case id, never a name of
anyone. Two grouped queries whatever the size of the tree, one over the reports and one over the
deadlines, each restricted to the subtree (found by the organizations' materialised paths) with
cases.scope; only the organizations of the subtree are ever reported, whatever a query returns.

The subtree is found in the caller's own scope (every scope reads the tree); only the two
counting queries run inside `narrow(ids)`, which the back office uses to tell the database that
this read may see those organizations' list rows and nothing else (handler/org_scope.subtree).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import extract, func, select
from sqlalchemy.orm import Session

from cases import organizations, scope
from cases.lists import outcome_counts
from rules.clock import require_aware
from rules.deadlines import DeadlineStats
from store.models import CaseList, ListDeadline, Organization


@dataclass(frozen=True)
class OrganizationCounts:
    organization: Organization
    depth: int  # below the superior body: 1 for its direct subordinates
    total: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)
    by_status: dict[str, int] = field(default_factory=dict)
    by_quarter: dict[tuple[int, int], int] = field(default_factory=dict)  # (year, 1-4), in order
    deadlines: DeadlineStats = field(default_factory=DeadlineStats)


# Counts from 1 to SMALL_COUNT - 1 are shown as "fewer than 3" (p7, p14: a report of a
# subordinate's employee is confidential, as is anything that may identify them).
SMALL_COUNT = 3


def too_small(count: int) -> bool:
    """Whether a count may not be shown as a number on a superior body's page."""
    return 0 < count < SMALL_COUNT


# Given the subtree's organization ids, a block within which the counts are read.
Narrow = Callable[[Sequence[int]], AbstractContextManager[object]]


def _as_is(_ids: Sequence[int]) -> AbstractContextManager[object]:
    return nullcontext()


def subordinate_counts(
    session: Session, org_id: int, now: datetime, *, narrow: Narrow = _as_is
) -> list[OrganizationCounts]:
    """The counts of every organization strictly below `org_id`, in tree order (empty when
    there is none). The counting queries run inside `narrow(ids of those organizations)`."""
    require_aware(now, "now")
    superior = session.get(Organization, org_id)
    if superior is None:
        return []
    below = [o for o in organizations.subtree(session, superior) if o.id != superior.id]
    if not below:
        return []
    ids = [o.id for o in below]
    channels: dict[int, Counter[str]] = {}
    statuses: dict[int, Counter[str]] = {}
    quarters: dict[int, Counter[tuple[int, int]]] = {}
    # Grouped by month in the database (not by day): the rows returned grow with the tree and
    # the months, not with every day that had a report.
    year = extract("year", CaseList.received_on)
    month = extract("month", CaseList.received_on)
    deadlines: dict[int, DeadlineStats] = {}
    with narrow(ids):
        for org, channel, status, y, m, n in session.execute(
            select(CaseList.org_id, CaseList.channel, CaseList.status, year, month, func.count())
            .where(scope.in_orgs(CaseList.org_id, ids))
            .group_by(CaseList.org_id, CaseList.channel, CaseList.status, year, month)
        ):
            channels.setdefault(org, Counter())[channel] += n
            statuses.setdefault(org, Counter())[status] += n
            quarters.setdefault(org, Counter())[(int(y), (int(m) - 1) // 3 + 1)] += n
        for org, met, late, overdue, pending in session.execute(
            select(
                ListDeadline.org_id,
                *outcome_counts(now),
            )
            .where(scope.in_orgs(ListDeadline.org_id, ids))
            .group_by(ListDeadline.org_id)
        ):
            deadlines[org] = DeadlineStats(
                met=int(met), met_late=int(late), overdue=int(overdue), open=int(pending)
            )
    base = organizations.depth(superior)
    result = []
    for org in organizations.tree_order(below):
        by_channel = channels.get(org.id, Counter())
        result.append(
            OrganizationCounts(
                organization=org,
                depth=organizations.depth(org) - base,
                total=sum(by_channel.values()),
                by_channel=dict(sorted(by_channel.items())),
                by_status=dict(sorted(statuses.get(org.id, Counter()).items())),
                by_quarter=dict(sorted(quarters.get(org.id, Counter()).items())),
                deadlines=deadlines.get(org.id, DeadlineStats()),
            )
        )
    return result


__all__ = ["SMALL_COUNT", "Narrow", "OrganizationCounts", "subordinate_counts", "too_small"]
