"""Issue 11, item 7: closing without a decision, as rules.workflow sees it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rules.errors import AdalError
from rules.workflow import CaseFacts, Event, Step, apply, available_steps, public_status

# Monday 6 April 2026, 09:00 in Kazakhstan.
RECEIVED = datetime(2026, 4, 6, 4, 0, tzinfo=UTC)
KNOWN = CaseFacts(received_at=RECEIVED, anonymous=False, nda_intended=False)
ANON = CaseFacts(received_at=RECEIVED, anonymous=True, nda_intended=False)


def _run(facts: CaseFacts, steps: list[tuple[Step, dict[str, str]]]) -> list[Event]:
    events: list[Event] = []
    for i, (step, details) in enumerate(steps):
        events.append(
            apply(facts, events, step, RECEIVED + timedelta(hours=i + 1), "head", details)
        )
    return events


CALL = (Step.KNS_NOTIFIED, {"call_time": "2026-04-06T09:30", "operator": "A"})
LETTER = (Step.CONFIRMATION_SENT, {"outgoing_number": "1", "outgoing_date": "2026-04-06"})
AT = RECEIVED + timedelta(days=30)


def _close(facts: CaseFacts, events: list[Event], **details: str) -> Event:
    return apply(facts, events, Step.CLOSED_WITHOUT_DECISION, AT, "head", details)


def test_no_decision_needs_the_letter_and_the_date() -> None:
    registered = _run(ANON, [(Step.REGISTERED, {})])
    with pytest.raises(AdalError) as refused:
        _close(ANON, registered, reason="no_decision", no_decision_by="2026-05-05")
    assert refused.value.code == "out_of_order"
    assert refused.value.params["missing"] == (Step.CONFIRMATION_SENT,)
    sent = _run(ANON, [(Step.REGISTERED, {}), CALL, LETTER])
    with pytest.raises(AdalError) as refused:
        _close(ANON, sent, reason="no_decision")
    assert refused.value.code == "missing_detail:no_decision_by"
    with pytest.raises(AdalError) as refused:
        _close(ANON, sent, reason="no_decision", no_decision_by="2026-04-01")  # before receipt
    assert refused.value.code == "invalid_detail:no_decision_by"
    closing = _close(ANON, sent, reason="no_decision", no_decision_by="2026-05-05")
    events = [*sent, closing]
    assert public_status(ANON, events) == "closed"
    assert available_steps(ANON, events) == []


def test_a_known_reporter_is_still_owed_the_rights_explanation() -> None:
    events = _run(KNOWN, [(Step.REGISTERED, {}), CALL])
    with pytest.raises(AdalError) as refused:
        _close(KNOWN, events, reason="transferred", transferred_to="Prosecutor's office")
    assert refused.value.params["missing"] == (Step.RIGHTS_EXPLAINED,)
    # A duplicate's duties live on the case it repeats.
    assert (
        _close(KNOWN, events, reason="duplicate", duplicate_of="a" * 32).details["reason"]
        == "duplicate"
    )


def test_refused_after_a_decision_and_for_an_unknown_reason() -> None:
    sent = _run(ANON, [(Step.REGISTERED, {}), CALL, LETTER])
    with pytest.raises(AdalError) as refused:
        _close(ANON, sent, reason="lost_interest")
    assert refused.value.code == "invalid_detail:reason"
    decided = _run(ANON, [(Step.REGISTERED, {}), CALL, LETTER, (Step.DECISION_RECEIVED, {})])
    assert Step.CLOSED_WITHOUT_DECISION not in available_steps(ANON, decided)
    with pytest.raises(AdalError) as refused:
        _close(ANON, decided, reason="no_decision", no_decision_by="2026-05-05")
    assert refused.value.code == "decision_received"
