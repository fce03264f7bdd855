"""A report sent to the superior body (p4; issue 13, "Must show"): the parent organization's
handler opens it, no key of the subordinate organization holds a grant on any of its envelopes,
and the subordinate's inbox, statistics and deadlines do not count it."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from sqlalchemy import func, select

from cases.stats import statistics
from store.models import Attachment, Grant, RecipientKey, Submission
from tests.support.instance import DemoInstance
from tests.support.orgs import Org, make_org, register_report, signed_in

FACTS = "Superior-only facts 41c9"


def _envelopes(demo: DemoInstance, submission_id: str) -> list[str]:
    with demo.sessions() as s:
        submission = s.get_one(Submission, submission_id)
        files = s.scalars(
            select(Attachment.envelope_id).where(Attachment.submission_id == submission_id)
        )
        found = [submission.report_envelope_id, *files]
        if submission.identity_envelope_id:
            found.append(submission.identity_envelope_id)
        return found


def _grants_of(demo: DemoInstance, org: Org, envelopes: list[str]) -> int:
    with demo.sessions() as s:
        return (
            s.scalar(
                select(func.count())
                .select_from(Grant)
                .join(RecipientKey, RecipientKey.key_id == Grant.key_id)
                .where(Grant.envelope_id.in_(envelopes), RecipientKey.org_id == org.id)
            )
            or 0
        )


def test_a_report_to_the_superior_body_is_the_parents_alone(app: Flask, demo: DemoInstance) -> None:
    parent = make_org(demo, "ministry", "ministry")
    child = make_org(demo, "committee", "committee", parent_slug="ministry")
    # The reporter works in the committee and sends to the ministry (the superior body).
    sent = register_report(demo, parent, FACTS, identity=True, file=b"superior file 41c9")
    own = register_report(demo, child, "The committee's own report 41c9")

    envelopes = _envelopes(demo, sent)
    assert len(envelopes) == 3  # report, file, identity
    assert _grants_of(demo, child, envelopes) == 0
    assert _grants_of(demo, parent, envelopes) > 0

    handler = signed_in(app, demo, parent.accounts["handler"])
    case = handler.get(f"/cases/{sent}")
    assert case.status_code == 200 and FACTS in case.get_data(as_text=True)

    # A closed case of the committee's own, so that its closed tab has something to list.
    closed = register_report(demo, child, "The committee's duplicate report 41c9")
    child_head = signed_in(app, demo, child.accounts["head"])
    step = "closed_without_decision"
    response = child_head.post(
        f"/cases/{closed}/steps/{step}",
        {f"{step}-reason": "duplicate", f"{step}-duplicate_of": own[:8]},
    )
    assert response.status_code == 303

    for role in ("handler", "head"):
        staff = signed_in(app, demo, child.accounts[role])
        assert staff.get(f"/cases/{sent}").status_code == 404
        # Each list with the committee's own case on it (the control): the superior body's
        # report is missing from a list that works, not from an error page.
        for page, listed in (
            ("/inbox", own),
            ("/inbox?show=closed", closed),
            ("/deadlines", own),
        ):
            response = staff.get(page)
            assert response.status_code == 200, (role, page)
            body = response.get_data(as_text=True)
            assert listed[:8] in body, (role, page)
            assert sent not in body and sent[:8] not in body, (role, page)
    stats = child_head.get("/statistics")
    assert stats.status_code == 200
    assert "Reports received: 2" in stats.get_data(as_text=True)  # its own two only
    now = datetime.now(UTC)
    with demo.sessions() as s:
        assert statistics(s, now, org_ids=[child.id]).total == 2  # its own two reports only
        assert statistics(s, now, org_ids=[parent.id]).total == 1
