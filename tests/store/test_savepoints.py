"""A savepoint is part of its transaction: what it wrote goes if a later step of the same unit
of work fails (store.db.savepoint).

On SQLite the driver begins a transaction only at the first INSERT, UPDATE or DELETE, so a
savepoint sent first began the transaction itself and its release committed it: an audit
entry of an action that then failed, or a registered case without its list rows and audit
entry, stayed in the database. Each test here makes the savepoint the transaction's first
write, then fails the transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from cases.facts import facts_from_report
from cases.workflow import register_case
from store import audit
from store.db import transaction
from store.models import AuditEntry, Case, Submission
from tests.support.instance import DemoInstance, demo_org_id
from tests.support.reports import store_report, user

RECEIVED = datetime(2026, 12, 4, 5, 0, tzinfo=UTC)  # Friday 10:00 in Kazakhstan


class LaterStepFailed(Exception):
    pass


def _count(demo: DemoInstance, model: type, *where: object) -> int:
    with demo.sessions() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_an_audit_entry_goes_with_the_action_that_failed(demo: DemoInstance) -> None:
    before = _count(demo, AuditEntry, AuditEntry.action == "test.probe")
    with pytest.raises(LaterStepFailed), transaction(demo.sessions) as s:
        org_id = demo_org_id(s)  # a read first, as every request does
        audit.append(s, "test.probe", actor="tester", org_id=org_id)
        raise LaterStepFailed
    assert _count(demo, AuditEntry, AuditEntry.action == "test.probe") == before
    # And kept when the transaction commits.
    with transaction(demo.sessions) as s:
        audit.append(s, "test.probe", actor="tester", org_id=demo_org_id(s))
    assert _count(demo, AuditEntry, AuditEntry.action == "test.probe") == before + 1


def test_a_case_registered_in_a_failed_transaction_is_not_kept(demo: DemoInstance) -> None:
    with transaction(demo.sessions) as s:
        stored = store_report(s, RECEIVED, files=0, messages=0)
    steps = _count(demo, AuditEntry, AuditEntry.action == "case.step")
    with pytest.raises(LaterStepFailed), transaction(demo.sessions) as s:
        submission = s.get(Submission, stored.submission_id)
        assert submission is not None
        register_case(
            s,
            submission,
            facts_from_report(stored.report, submission),
            user(s, "handler"),
            at=RECEIVED + timedelta(minutes=5),
        )
        raise LaterStepFailed
    assert _count(demo, Case, Case.submission_id == stored.submission_id) == 0
    assert _count(demo, AuditEntry, AuditEntry.action == "case.step") == steps
