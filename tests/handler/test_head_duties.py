"""Who may record what (issue 11 item 13): the head's duties (NDA signed, written confirmation,
closing) are recorded in the head's name by a head, or by a handler who names the head on whose
instruction they act; that name is kept in the event."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from rules.clock import KZ_TZ
from rules.errors import AdalError
from rules.workflow import CaseFacts, Step, apply
from store.models import Case
from tests.support.backoffice import Browser, store_portal_report
from tests.support.instance import DemoInstance

FIELD = "On the instruction of the head (full name)"


def _now() -> str:
    return datetime.now(UTC).astimezone(KZ_TZ).strftime("%Y-%m-%dT%H:%M")


def _details(demo: DemoInstance, sid: str, kind: str) -> dict[str, str]:
    with demo.sessions() as s:
        case = s.scalars(select(Case).where(Case.submission_id == sid)).one()
        return dict(next(e.details for e in case.events if e.kind == kind))


def _notified(browser: Browser, sid: str) -> None:
    browser.get(f"/cases/{sid}")
    assert (
        browser.post(
            f"/cases/{sid}/steps/kns_notified",
            {"kns_notified-call_time": _now(), "kns_notified-operator": "A"},
        ).status_code
        == 303
    )


def test_handler_records_a_head_duty_only_naming_the_head(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    sid = store_portal_report(demo).submission_id
    handler = as_role("handler")
    _notified(handler, sid)
    page = handler.get(f"/cases/{sid}").get_data(as_text=True)
    assert FIELD in page
    today = datetime.now(UTC).astimezone(KZ_TZ).date().isoformat()
    letter = {
        "confirmation_sent-outgoing_number": "01-12/7",
        "confirmation_sent-outgoing_date": today,
    }
    response = handler.post(f"/cases/{sid}/steps/confirmation_sent", letter)
    assert response.status_code == 400
    with demo.sessions() as s:
        case = s.scalars(select(Case).where(Case.submission_id == sid)).one()
        assert "confirmation_sent" not in {e.kind for e in case.events}
    response = handler.post(
        f"/cases/{sid}/steps/confirmation_sent",
        {**letter, "confirmation_sent-on_instruction_of": "Әлиев Нұрлан"},
    )
    assert response.status_code == 303
    assert _details(demo, sid, "confirmation_sent")["on_instruction_of"] == "Әлиев Нұрлан"
    page = handler.get(f"/cases/{sid}").get_data(as_text=True)
    assert "On the instruction of the head" in page and "Әлиев Нұрлан" in page


def test_head_records_in_own_name(demo: DemoInstance, as_role: Callable[[str], Browser]) -> None:
    sid = store_portal_report(demo).submission_id
    head = as_role("head")
    _notified(head, sid)
    assert FIELD not in head.get(f"/cases/{sid}").get_data(as_text=True)
    today = datetime.now(UTC).astimezone(KZ_TZ).date().isoformat()
    assert (
        head.post(
            f"/cases/{sid}/steps/confirmation_sent",
            {
                "confirmation_sent-outgoing_number": "01-12/8",
                "confirmation_sent-outgoing_date": today,
                "confirmation_sent-on_instruction_of": "somebody else",
            },
        ).status_code
        == 303
    )
    assert "on_instruction_of" not in _details(demo, sid, "confirmation_sent")


@pytest.mark.parametrize("step", [Step.CLOSED, Step.CONFIRMATION_SENT, Step.NDA_SIGNED])
def test_rules_refuse_a_head_duty_without_the_head(step: Step) -> None:
    received = datetime(2026, 3, 20, 10, tzinfo=KZ_TZ)
    facts = CaseFacts(received_at=received, anonymous=False, nda_intended=True)
    # History up to the step, recorded by a head (the default).
    path = [
        Step.REGISTERED,
        Step.KNS_NOTIFIED,
        Step.CONFIRMATION_SENT,
        Step.RIGHTS_EXPLAINED,
        Step.NDA_SIGNED,
        Step.DECISION_RECEIVED,
        Step.REPORTER_INFORMED,
    ]
    details = {
        Step.KNS_NOTIFIED: {"call_time": "2026-03-20T10:30", "operator": "A"},
        Step.CONFIRMATION_SENT: {"outgoing_number": "1", "outgoing_date": "2026-03-23"},
        Step.NDA_SIGNED: {"signed_at": "2026-03-20T16:00"},
    }
    events = []
    at = datetime(2026, 3, 24, 9, tzinfo=KZ_TZ)
    for done in path:
        if done == step:
            break
        events.append(apply(facts, events, done, at, "head", details.get(done)))
    with pytest.raises(AdalError) as refused:
        apply(facts, events, step, at, "handler", details.get(step), actor_is_head=False)
    assert refused.value.code == "head_duty:on_instruction_of"
    event = apply(
        facts,
        events,
        step,
        at,
        "handler",
        {**details.get(step, {}), "on_instruction_of": "Әлиев Н."},
        actor_is_head=False,
    )
    assert event.details["on_instruction_of"] == "Әлиев Н."
