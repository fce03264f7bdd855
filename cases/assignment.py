"""Assignment (issue 15): the person responsible for a case, one of the people whose key holds
it (cases.sharing.case_holders).

A head sets or clears it; a handler who holds the case takes it for themselves. Refused
(AdalError, area ``assignment``) to anyone who does not hold the case, for an assignee who does
not, and before the case is registered (a report nobody has opened has no case to answer for).
Every change is audited with the usernames, never anything of the report.

Stored on the case's list row (store/models/lists.py ``case_lists.assignee_id``) so the inbox
filters on it in its one query; the list recomputation leaves it alone.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from cases import lists
from cases.sharing import case_holders
from cases.workflow import find_case
from rules.errors import AdalError
from store import audit
from store.models import CaseList, Submission, User

AREA = "assignment"


def assignee(session: Session, submission: Submission) -> User | None:
    row = session.get(CaseList, submission.id)
    if row is None or row.assignee_id is None:
        return None
    return session.get(User, row.assignee_id)


def _list_row(session: Session, submission: Submission) -> CaseList:
    if find_case(session, submission) is None:
        raise AdalError(AREA, "no_case", "the report is not registered as a case yet")
    row = session.get(CaseList, submission.id)
    if row is None:
        lists.refresh(session, submission)
        row = session.get(CaseList, submission.id)
    assert row is not None
    return row


def _set(session: Session, submission: Submission, person: User | None, actor: User) -> bool:
    holders = {u.id for u in case_holders(session, submission)}
    if actor.id not in holders:
        raise AdalError(AREA, "not_holder", "only a holder of the case may assign it")
    if person is not None and (person.id not in holders or not person.active):
        raise AdalError(AREA, "assignee_not_holder", "the assignee must hold the case")
    row = _list_row(session, submission)
    new_id = person.id if person is not None else None
    if row.assignee_id == new_id:
        return False
    before = session.get(User, row.assignee_id) if row.assignee_id is not None else None
    row.assignee_id = new_id
    session.flush()
    audit.append(
        session,
        "case.assign",
        actor=actor.username,
        org_id=actor.org_id,
        target=submission.id,
        details={
            "from": before.username if before is not None else None,
            "to": person.username if person is not None else None,
        },
    )
    return True


def assign(session: Session, submission: Submission, person: User | None, actor: User) -> bool:
    """A head makes ``person`` responsible (None: nobody). Returns whether anything changed."""
    if actor.role != "head":
        raise AdalError(AREA, "not_head", "only a head assigns a case to someone else")
    return _set(session, submission, person, actor)


def take(session: Session, submission: Submission, actor: User) -> bool:
    """The signed-in holder makes themselves responsible. Returns whether anything changed."""
    return _set(session, submission, actor, actor)
