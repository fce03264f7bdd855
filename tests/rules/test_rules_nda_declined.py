"""The "NDA declined / withdrawn" path (rules.workflow.Step.NDA_DECLINED).

Without it, a reporter who withdraws the NDA intention would leave a case that can never close,
because closing waits for a signed NDA whenever one is intended (p7).
"""

from datetime import UTC, datetime, timedelta

import pytest

from rules.calendar import WorkCalendar
from rules.deadlines import case_deadlines
from rules.errors import AdalError
from rules.workflow import CaseFacts, Event, Step, apply, available_steps, nda_owed
from tests.support.workflow import DETAILS as STEP_DETAILS
from tests.support.workflow import RECEIVED

KNOWN = CaseFacts(received_at=RECEIVED, anonymous=False, nda_intended=True)
ANON = CaseFacts(received_at=RECEIVED, anonymous=True, nda_intended=True)
DETAILS = {**STEP_DETAILS, Step.NDA_DECLINED: {"basis": "written statement of the reporter"}}


def run(facts: CaseFacts, steps: list[Step], start: datetime = RECEIVED) -> list[Event]:
    events: list[Event] = []
    for i, step in enumerate(steps):
        # Eight hours apart: the standard signing time (16:00) falls after the first step.
        at = start + timedelta(hours=8 * i + 1)
        events.append(apply(facts, events, step, at, "h", DETAILS.get(step, {})))
    return events


def refused(facts: CaseFacts, events: list[Event], step: Step, details=None) -> str:
    at = events[-1].at + timedelta(hours=1) if events else RECEIVED
    with pytest.raises(AdalError) as caught:
        apply(facts, events, step, at, "h", DETAILS.get(step, {}) if details is None else details)
    return caught.value.code


def test_declined_nda_lets_a_known_case_close() -> None:
    steps = [
        Step.REGISTERED,
        Step.RIGHTS_EXPLAINED,
        Step.NDA_DECLINED,
        Step.KNS_NOTIFIED,
        Step.CONFIRMATION_SENT,
        Step.DECISION_RECEIVED,
        Step.REPORTER_INFORMED,
        Step.CLOSED,
    ]
    events = run(KNOWN, steps)
    assert events[-1].kind == "closed"


def test_without_the_decline_the_case_cannot_close() -> None:
    steps = [
        Step.REGISTERED,
        Step.RIGHTS_EXPLAINED,
        Step.KNS_NOTIFIED,
        Step.CONFIRMATION_SENT,
        Step.DECISION_RECEIVED,
        Step.REPORTER_INFORMED,
    ]
    events = run(KNOWN, steps)
    assert nda_owed(KNOWN, events)
    assert refused(KNOWN, events, Step.CLOSED) == "out_of_order"
    events.append(
        apply(
            KNOWN,
            events,
            Step.NDA_DECLINED,
            events[-1].at + timedelta(hours=1),
            "h",
            DETAILS[Step.NDA_DECLINED],
        )
    )
    assert not nda_owed(KNOWN, events)
    assert Step.CLOSED in available_steps(KNOWN, events)


def test_decline_needs_an_intention_a_known_reporter_and_its_basis() -> None:
    no_intention = CaseFacts(received_at=RECEIVED, anonymous=False, nda_intended=False)
    events = run(no_intention, [Step.REGISTERED])
    assert Step.NDA_DECLINED not in available_steps(no_intention, events)
    assert refused(no_intention, events, Step.NDA_DECLINED) == "not_applicable_no_intention"
    events = run(ANON, [Step.REGISTERED])
    assert Step.NDA_DECLINED not in available_steps(ANON, events)
    assert refused(ANON, events, Step.NDA_DECLINED) == "not_applicable_anonymous"
    events = run(KNOWN, [Step.REGISTERED])
    assert refused(KNOWN, events, Step.NDA_DECLINED, {"basis": "  "}) == "missing_detail:basis"
    bad_time = {"basis": "x", "declined_at": "2026-03-19T09:00"}
    assert refused(KNOWN, events, Step.NDA_DECLINED, bad_time) == "invalid_detail:declined_at"


def test_decline_after_signing_or_twice_is_refused() -> None:
    events = run(KNOWN, [Step.REGISTERED, Step.NDA_SIGNED])
    assert Step.NDA_DECLINED not in available_steps(KNOWN, events)
    assert refused(KNOWN, events, Step.NDA_DECLINED) == "nda_already_signed"
    events = run(KNOWN, [Step.REGISTERED, Step.NDA_DECLINED])
    assert refused(KNOWN, events, Step.NDA_DECLINED) == "repeated"


def test_a_change_of_mind_after_declining_can_still_be_signed() -> None:
    events = run(KNOWN, [Step.REGISTERED, Step.NDA_DECLINED])
    assert Step.NDA_SIGNED in available_steps(KNOWN, events)
    at = events[-1].at + timedelta(hours=1)
    signed = {"signed_at": (at - timedelta(minutes=30)).isoformat()}
    events.append(apply(KNOWN, events, Step.NDA_SIGNED, at, "h", signed))
    assert events[-1].kind == "nda_signed"


def test_later_intention_can_be_declined() -> None:
    facts = CaseFacts(received_at=RECEIVED, anonymous=False, nda_intended=False)
    events = run(facts, [Step.REGISTERED, Step.NDA_INTENTION, Step.NDA_DECLINED])
    assert not nda_owed(facts, events)


def _nda(events: list[Event]):
    (deadline,) = [d for d in case_deadlines(KNOWN, events, WorkCalendar()) if d.key == "nda"]
    return deadline


def test_decline_within_24_hours_settles_the_nda_deadline() -> None:
    events = run(KNOWN, [Step.REGISTERED, Step.NDA_DECLINED])
    deadline = _nda(events)
    assert deadline.met_at == events[-1].at
    assert deadline.state(RECEIVED + timedelta(days=5)) == "met"


def test_decline_after_24_hours_leaves_the_deadline_missed() -> None:
    events = run(KNOWN, [Step.REGISTERED])
    late = {"basis": "mailbox message", "declined_at": "2026-03-21T12:00"}
    events.append(apply(KNOWN, events, Step.NDA_DECLINED, RECEIVED + timedelta(days=2), "h", late))
    deadline = _nda(events)
    assert deadline.met_at == datetime(2026, 3, 21, 7, 0, tzinfo=UTC)
    assert deadline.state(RECEIVED + timedelta(days=5)) == "met_late"
