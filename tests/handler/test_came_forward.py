"""Issue 11, item 4: an anonymous reporter who later identifies themselves is recorded by a
head, sealed like a portal identity block; the NDA, rights and protection then open up."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from store.models import AuditEntry, Case, Grant, RecipientKey, Submission
from tests.support.backoffice import Browser, store_portal_report
from tests.support.instance import DemoInstance

NAME = "Жанар Әбенова"


def _step(client: Browser, sid: str, step: str):  # type: ignore[no-untyped-def]
    return client.post(f"/cases/{sid}/steps/{step}", {})


def test_head_records_a_reporter_who_came_forward(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    sid = store_portal_report(demo).submission_id
    head, handler = as_role("head"), as_role("handler")
    page = head.get(f"/cases/{sid}").get_data(as_text=True)
    url = f"/cases/{sid}/identity/record"
    assert url in page
    assert url not in handler.get(f"/cases/{sid}").get_data(as_text=True)
    assert handler.get(url).status_code == 403
    assert _step(head, sid, "rights_explained").status_code == 409
    assert head.post(f"/cases/{sid}/protection", {"full_name": NAME}).status_code == 409

    assert head.post(url, {"full_name": "", "how": "в почтовом ящике"}).status_code == 400
    assert head.post(url, {"full_name": NAME}).status_code == 400  # how is needed
    with demo.sessions() as s:
        assert s.get(Submission, sid).identity_envelope_id is None  # type: ignore[union-attr]
    assert (
        head.post(
            url,
            {
                "full_name": NAME,
                "position": "экономист",
                "unit": "қаржы",
                "how": "Пришла лично 4 декабря 2026 г.",
            },
        ).status_code
        == 303
    )

    identity = head.get(f"/cases/{sid}/identity").get_data(as_text=True)
    assert NAME in identity and "экономист" in identity
    # Sealed like a portal identity block: heads and the recovery key, never the handler.
    with demo.sessions() as s:
        submission = s.get(Submission, sid)
        assert submission is not None and submission.identity_envelope is not None
        assert submission.identity_envelope.purpose == "identity"
        holders = set(
            s.scalars(
                select(RecipientKey.purpose)
                .join(Grant, Grant.key_id == RecipientKey.key_id)
                .where(Grant.envelope_id == submission.identity_envelope_id)
            )
        )
        assert holders == {"head", "recovery"}
        case = s.scalars(select(Case).where(Case.submission_id == sid)).one()
        assert not case.anonymous
        actions = set(s.scalars(select(AuditEntry.action)))
    assert {"identity.record", "case.identity_known"} <= actions
    assert NAME not in handler.get(f"/cases/{sid}").get_data(as_text=True)

    # The duties owed to a known reporter now apply.
    page = head.get(f"/cases/{sid}").get_data(as_text=True)
    assert f"/cases/{sid}/steps/rights_explained" in page
    assert f"/cases/{sid}/steps/nda_intention" in page
    assert _step(head, sid, "rights_explained").status_code == 303
    assert head.post(f"/cases/{sid}/protection", {"full_name": NAME}).status_code == 303
    # Once known, there is nothing more to record here.
    assert head.post(url, {"full_name": "Someone else", "how": "x"}).status_code == 409
