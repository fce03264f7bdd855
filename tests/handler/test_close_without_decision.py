"""Issue 11, item 7: a head closes a case without the authorised body's decision, with a
recorded reason, and the statistics count it as closed without decision."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import select

from cases import sharing
from rules.clock import KZ_TZ
from store.models import Case, Submission, User
from tests.support.backoffice import Browser, store_portal_report
from tests.support.instance import DemoInstance

STEP = "closed_without_decision"


def _now() -> datetime:
    return datetime.now(UTC).astimezone(KZ_TZ)


def _step(client: Browser, sid: str, step: str, data: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return client.post(
        f"/cases/{sid}/steps/{step}", {f"{step}-{k}": v for k, v in (data or {}).items()}
    )


def _case(demo: DemoInstance, sid: str) -> Case:
    with demo.sessions() as s:
        case = s.scalars(select(Case).where(Case.submission_id == sid)).one()
        s.expunge(case)
        return case


def _last_details(demo: DemoInstance, sid: str) -> tuple[str, dict[str, str]]:
    with demo.sessions() as s:
        case = s.scalars(select(Case).where(Case.submission_id == sid)).one()
        last = sorted(case.events, key=lambda e: e.id)[-1]
        return last.kind, dict(last.details)


def _notified(head: Browser, sid: str) -> None:
    assert (
        _step(
            head,
            sid,
            "kns_notified",
            {"call_time": _now().strftime("%Y-%m-%dT%H:%M"), "operator": "Operator A"},
        ).status_code
        == 303
    )


def test_head_closes_without_decision_for_each_reason(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    waited, duplicate, transferred = (store_portal_report(demo).submission_id for _ in range(3))
    head = as_role("head")
    handler = as_role("handler")
    for sid in (waited, duplicate, transferred):
        head.get(f"/cases/{sid}")

    # A handler is neither offered the step nor allowed it.
    assert f"/steps/{STEP}" not in handler.get(f"/cases/{waited}").get_data(as_text=True)
    assert (
        _step(
            handler, waited, STEP, {"reason": "duplicate", "duplicate_of": duplicate[:8]}
        ).status_code
        == 403
    )
    assert f"/steps/{STEP}" in head.get(f"/cases/{waited}").get_data(as_text=True)

    # No decision: only after the written confirmation, and with the date waited for.
    today = _now().date().isoformat()
    response = _step(head, waited, STEP, {"reason": "no_decision", "no_decision_by": today})
    assert response.status_code == 409
    assert "earlier steps are missing" in response.get_data(as_text=True)
    _notified(head, waited)
    assert (
        _step(
            head,
            waited,
            "confirmation_sent",
            {"outgoing_number": "01-12/7", "outgoing_date": today},
        ).status_code
        == 303
    )
    response = _step(head, waited, STEP, {"reason": "no_decision"})
    assert response.status_code == 409
    assert "No decision had been received by" in response.get_data(as_text=True)
    assert (
        _step(head, waited, STEP, {"reason": "no_decision", "no_decision_by": today}).status_code
        == 303
    )
    assert _last_details(demo, waited) == (STEP, {"reason": "no_decision", "no_decision_by": today})
    closed = _case(demo, waited)
    assert closed.status == STEP and closed.closed_at is not None
    assert _step(head, waited, "decision_received", {"note": "late"}).status_code == 409

    # Duplicate: names one other case (the inbox's 8 characters), never itself.
    assert (
        _step(
            head, duplicate, STEP, {"reason": "duplicate", "duplicate_of": duplicate[:8]}
        ).status_code
        == 409
    )
    assert (
        _step(
            head, duplicate, STEP, {"reason": "duplicate", "duplicate_of": "zzzzzzzz"}
        ).status_code
        == 409
    )
    assert (
        _step(
            head, duplicate, STEP, {"reason": "duplicate", "duplicate_of": waited[:8]}
        ).status_code
        == 303
    )
    assert _last_details(demo, duplicate)[1]["duplicate_of"] == waited

    # Transferred: the 1424 notice is owed first (p8), and the recipient is named.
    assert (
        _step(
            head,
            transferred,
            STEP,
            {"reason": "transferred", "transferred_to": "Prosecutor's office"},
        ).status_code
        == 409
    )
    _notified(head, transferred)
    assert _step(head, transferred, STEP, {"reason": "transferred"}).status_code == 409
    assert (
        _step(
            head,
            transferred,
            STEP,
            {"reason": "transferred", "transferred_to": "Prosecutor's office"},
        ).status_code
        == 303
    )
    assert _step(head, transferred, STEP, {"reason": "bogus"}).status_code == 400

    page = head.get(f"/cases/{transferred}").get_data(as_text=True)
    assert "Case transferred" in page and "Prosecutor&#39;s office" in page
    closed_tab = head.get("/inbox?show=closed").get_data(as_text=True)
    # Counted in the table: the status filter above it names every status once too.
    assert closed_tab.split("<tbody>", 1)[1].count("Closed without decision") == 3
    stats = head.get("/statistics").get_data(as_text=True)
    assert re.search(r"<td>Closed without decision</td><td>3</td>", stats)
    for label in (
        "No decision received by a stated date",
        "Case transferred",
        "Duplicate of another case",
    ):
        assert re.search(rf"<td>{label}</td><td>1</td>", stats), label


def test_not_offered_once_a_decision_is_received(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    sid = store_portal_report(demo).submission_id
    head = as_role("head")
    head.get(f"/cases/{sid}")
    _notified(head, sid)
    today = _now().date().isoformat()
    assert (
        _step(
            head, sid, "confirmation_sent", {"outgoing_number": "1", "outgoing_date": today}
        ).status_code
        == 303
    )
    assert _step(head, sid, "decision_received", {"note": "ERDR"}).status_code == 303
    assert f"/steps/{STEP}" not in head.get(f"/cases/{sid}").get_data(as_text=True)
    response = _step(head, sid, STEP, {"reason": "no_decision", "no_decision_by": today})
    assert response.status_code == 409
    assert "close the case the usual way" in response.get_data(as_text=True)


def test_a_duplicate_names_only_a_case_the_closer_holds(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    """A registered case the head does not hold is refused exactly like one that does not
    exist: prefixes tried one by one must not tell which cases exist (found by the security
    review of issue 12)."""
    mine, other = (store_portal_report(demo).submission_id for _ in range(2))
    head = as_role("head")
    handler = as_role("handler")
    head.get(f"/cases/{mine}")
    handler.get(f"/cases/{other}")  # registered by the handler
    with demo.sessions() as s, s.begin():
        head_user = s.scalars(select(User).where(User.role == "head")).first()
        submission = s.get(Submission, other)
        assert head_user is not None and submission is not None
        assert sharing.revoke_case(s, submission, head_user) > 0
    unknown = _step(head, mine, STEP, {"reason": "duplicate", "duplicate_of": "0" * 8})
    not_held = _step(head, mine, STEP, {"reason": "duplicate", "duplicate_of": other[:8]})
    assert unknown.status_code == not_held.status_code == 409
    assert _case(demo, mine).closed_at is None
