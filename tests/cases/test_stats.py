"""Statistics from plain columns only: counts and deadline outcomes, nothing decrypted."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from cases.facts import facts_from_report
from cases.stats import statistics
from cases.workflow import record_step, register_case
from crypto import envelope as crypto_envelope
from rules.workflow import HEAD_STEPS, Step
from store import sealing
from store.models import Case, Submission
from tests.support.instance import DemoInstance, demo_org_id
from tests.support.reports import store_report, user

MARCH = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)  # Friday 14:00 in Kazakhstan
APRIL = datetime(2026, 4, 6, 4, 0, tzinfo=UTC)  # Monday 09:00
NOW = datetime(2026, 4, 20, 6, 0, tzinfo=UTC)
IDENTITY = {"full_name": "Асель Нурланова", "position": "бухгалтер", "unit": "бухгалтерия"}


def _submit(demo: DemoInstance, received: datetime, *, register: bool = True, **kw: object) -> str:
    with demo.sessions() as s, s.begin():
        stored = store_report(s, received, files=0, messages=0, **kw)  # type: ignore[arg-type]
        if register:
            submission = s.get(Submission, stored.submission_id)
            register_case(
                s,
                submission,
                facts_from_report(stored.report, submission),
                user(s, "handler"),
                at=received + timedelta(minutes=5),
            )
        return stored.submission_id


def _step(demo: DemoInstance, sid: str, step: Step, at: datetime, details: dict[str, str]) -> None:
    with demo.sessions() as s, s.begin():
        case = s.scalars(select(Case).where(Case.submission_id == sid)).one()
        record_step(
            s, case, step, user(s, "head" if step in HEAD_STEPS else "handler"), at, details
        )


@pytest.fixture
def no_decryption(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("statistics must not decrypt anything")

    monkeypatch.setattr(sealing, "open_body", refuse)
    monkeypatch.setattr(sealing, "open_data_key", refuse)
    monkeypatch.setattr(crypto_envelope, "open_data_key", refuse)


def test_counts_and_deadline_outcomes(demo: DemoInstance, no_decryption: None) -> None:
    on_time = _submit(demo, MARCH)
    _step(
        demo,
        on_time,
        Step.KNS_NOTIFIED,
        MARCH + timedelta(hours=1),
        {"call_time": "2026-03-20T14:30", "operator": "x"},
    )
    # Due on 30 March (Nauryz in between); the letter is dated 1 April: late.
    _step(
        demo,
        on_time,
        Step.CONFIRMATION_SENT,
        MARCH + timedelta(days=12),
        {"outgoing_number": "7", "outgoing_date": "2026-04-01"},
    )
    _submit(demo, MARCH + timedelta(days=1), register=False)  # never opened yet: "new"
    forgotten = _submit(demo, APRIL, channel="hotline", identity=IDENTITY, nda_intended=True)
    assert forgotten

    with demo.sessions() as s:
        stats = statistics(s, NOW, org_ids=[demo_org_id(s)])
    assert stats.total == 3
    assert stats.by_channel == {"hotline": 1, "portal": 2}
    assert stats.by_status == {"confirmation_sent": 1, "new": 1, "registered": 1}
    assert stats.by_month == {"2026-03": 2, "2026-04": 1}
    d = stats.deadlines
    # The unopened report's p8 and p9 run from its receipt date too (issue 11).
    assert (d["kns_notification"].met, d["kns_notification"].overdue) == (1, 2)
    assert (d["written_confirmation"].met_late, d["written_confirmation"].overdue) == (1, 2)
    assert "rights_explained" not in d and d["nda"].overdue == 1  # p12 has no term
    assert stats.deadlines_total.met == 1
    assert stats.deadlines_total.missed == 6
    # The open NDA deadline of the hotline case is judged on the receipt date only.
    assert stats.inexact == 1


def test_period_filter_uses_the_receipt_date(demo: DemoInstance, no_decryption: None) -> None:
    _submit(demo, MARCH)
    _submit(demo, APRIL, channel="in_person")
    with demo.sessions() as s:
        april = statistics(
            s, NOW, org_ids=[demo_org_id(s)], since=date(2026, 4, 1), until=date(2026, 4, 30)
        )
        empty = statistics(s, NOW, org_ids=[demo_org_id(s)], since=date(2027, 1, 1))
    assert april.by_channel == {"in_person": 1} and april.by_month == {"2026-04": 1}
    assert (april.since, april.until) == (date(2026, 4, 1), date(2026, 4, 30))
    assert sum(x.total for x in april.deadlines.values()) == 2
    assert empty.total == 0 and empty.deadlines == {} and empty.by_status == {}
