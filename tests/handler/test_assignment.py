"""Issue 15: the person responsible for a case, and the inbox's filters on the stored columns."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from cases.assignment import assign, take
from rules.errors import AdalError
from store.models import Submission, User
from tests.support.backoffice import Browser, audit_entries, store_portal_report
from tests.support.instance import DemoInstance


def _user_id(demo: DemoInstance, role: str) -> int:
    with demo.sessions() as s:
        return s.scalars(select(User.id).where(User.role == role).order_by(User.id)).first()


def test_a_handler_takes_a_case_and_a_head_reassigns_it(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    sid = store_portal_report(demo).submission_id
    other = store_portal_report(demo).submission_id
    handler = as_role("handler")
    assert handler.get(f"/cases/{sid}").status_code == 200  # opening registers the case
    page = handler.get(f"/cases/{sid}").get_data(as_text=True)
    assert "Nobody is responsible for this case yet." in page
    assert handler.post(f"/cases/{sid}/take").status_code == 303
    page = handler.get(f"/cases/{sid}").get_data(as_text=True)
    name = demo.credentials()["handler"]["username"]
    assert f"({name})" in page.split('id="responsible-h"', 1)[1].split("</p>", 1)[0]

    mine = handler.get("/inbox?assignee=mine").get_data(as_text=True)
    assert sid[:8] in mine and other[:8] not in mine
    nobody = handler.get("/inbox?assignee=none").get_data(as_text=True)
    assert other[:8] in nobody and sid[:8] not in nobody

    # A handler assigns nobody else; a head does, to a holder only.
    assert handler.post(f"/cases/{sid}/assign", {"user_id": "1"}).status_code == 403
    head = as_role("head")
    head_id = _user_id(demo, "head")
    assert head.post(f"/cases/{sid}/assign", {"user_id": str(head_id)}).status_code == 303
    refused = head.post(f"/cases/{sid}/assign", {"user_id": str(_user_id(demo, "admin"))})
    assert refused.status_code == 409
    assert "must be someone who holds this case" in refused.get_data(as_text=True)
    assert head.post(f"/cases/{sid}/assign", {"user_id": "x" * 40}).status_code == 409
    assert sid[:8] not in handler.get("/inbox?assignee=mine").get_data(as_text=True)
    assert sid[:8] in head.get("/inbox?assignee=mine").get_data(as_text=True)

    entries = audit_entries(demo, "case.assign")
    head_name = demo.credentials()["head"]["username"]
    assert [(e.details or {}).get("to") for e in entries] == [name, head_name]
    assert all(e.target == sid for e in entries)


def test_assignment_is_refused_to_non_holders_and_before_a_case(demo: DemoInstance) -> None:
    sid = store_portal_report(demo).submission_id
    with demo.sessions() as s, s.begin():
        submission = s.get(Submission, sid)
        admin = s.scalars(select(User).where(User.role == "admin")).one()
        head = s.scalars(select(User).where(User.role == "head")).one()
        with pytest.raises(AdalError) as refused:
            take(s, submission, admin)
        assert refused.value.code == "not_holder"
        with pytest.raises(AdalError) as early:
            take(s, submission, head)
        assert early.value.code == "no_case"
        with pytest.raises(AdalError) as other:
            assign(s, submission, head, s.scalars(select(User).where(User.role == "handler")).one())
        assert other.value.code == "not_head"


def test_inbox_filters_and_bad_values(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    opened = store_portal_report(demo).submission_id
    waiting = store_portal_report(demo).submission_id
    handler = as_role("handler")
    handler.get(f"/cases/{opened}")
    new = handler.get("/inbox?status=new").get_data(as_text=True)
    assert waiting[:8] in new and opened[:8] not in new
    registered = handler.get("/inbox?status=registered&channel=portal").get_data(as_text=True)
    assert opened[:8] in registered and waiting[:8] not in registered
    assert opened[:8] not in handler.get("/inbox?channel=hotline").get_data(as_text=True)
    # Received today: p8 is due today, so every open report is due soon, none overdue.
    soon = handler.get("/inbox?deadline=due_soon&sort=deadline").get_data(as_text=True)
    assert opened[:8] in soon and waiting[:8] in soon
    assert waiting[:8] not in handler.get("/inbox?deadline=overdue").get_data(as_text=True)
    assert waiting[:8] not in handler.get("/inbox?until=2000-01-01").get_data(as_text=True)
    for bad in (
        "status=bogus",
        "deadline=%00",
        "assignee=someone",
        "since=2026-13-40",
        "since=2026-05-02&until=2026-05-01",
        "sort=x" * 3,
        "page=-5",
    ):
        answer = handler.get(f"/inbox?{bad}")
        assert answer.status_code == 200, bad
        if "page" not in bad:
            assert "were not understood" in answer.get_data(as_text=True), bad
    deadlines = handler.get("/deadlines?state=nonsense&page=99999999")
    assert deadlines.status_code == 200
    assert "were not understood" in deadlines.get_data(as_text=True)


def test_revoking_the_responsible_persons_access_leaves_nobody_responsible(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    sid = store_portal_report(demo).submission_id
    handler = as_role("handler")
    handler.get(f"/cases/{sid}")
    assert handler.post(f"/cases/{sid}/take").status_code == 303
    head = as_role("head")
    handler_id = _user_id(demo, "handler")
    assert head.post(f"/cases/{sid}/grants/{handler_id}/revoke").status_code == 303
    page = head.get(f"/cases/{sid}").get_data(as_text=True)
    assert "Nobody is responsible for this case yet." in page
    # Without access the handler cannot take it back: the case does not exist for them.
    assert handler.post(f"/cases/{sid}/take").status_code == 404
