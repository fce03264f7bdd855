"""Internal notes and related reports (issue 15): sealed to the holders only, never to the
reporter; following the case when it is shared; refused to anyone who does not hold the case."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from cases import links, notes, sharing
from crypto import keys as ckeys
from rules.errors import AdalError
from store.models import CaseLink, Grant, Mailbox, Note, Submission, User
from tests.support.backoffice import (
    Browser,
    PortalReport,
    audit_entries,
    reporter_reads,
    store_portal_report,
)
from tests.support.instance import DemoInstance

NOTE = "Свидетель готов дать показания, если его имя не назовут 51c9"


def _user(demo: DemoInstance, role: str) -> User:
    with demo.sessions() as s:
        user = s.scalars(select(User).where(User.role == role).order_by(User.id)).first()
        assert user is not None
        s.expunge(user)
        return user


def _take_from_handler(demo: DemoInstance, report: PortalReport) -> None:
    """The demo handler no longer holds this report (a head revoked them)."""
    with demo.sessions() as s, s.begin():
        submission = s.get(Submission, report.submission_id)
        handler = s.scalars(select(User).where(User.role == "handler")).first()
        assert submission is not None and handler is not None
        assert sharing.revoke_case(s, submission, handler) > 0


def test_note_is_shown_in_the_history_and_never_reaches_the_reporter(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    report = store_portal_report(demo)
    handler = as_role("handler")
    case = f"/cases/{report.submission_id}"
    handler.get(case)
    assert handler.post(f"{case}/notes", {"note": NOTE}).status_code == 303
    page = handler.get(case).get_data(as_text=True)
    assert NOTE in page
    assert "Demo Handler" in page or _user(demo, "handler").full_name in page
    # The reporter's mailbox shows no note, and the note's envelope has no grant for its key.
    assert all("51c9" not in text for text in reporter_reads(demo, report))
    with demo.sessions() as s:
        note = s.scalars(select(Note)).one()
        mailbox_key = s.scalars(select(Mailbox.public_key)).one()
        granted = set(s.scalars(select(Grant.key_id).where(Grant.envelope_id == note.envelope_id)))
        assert ckeys.key_id(mailbox_key) not in granted
        assert note.envelope.purpose == "note"
    # Audited without its words.
    entries = audit_entries(demo, "note.add")
    assert len(entries) == 1 and "51c9" not in str(entries[0].details)


def test_a_note_follows_a_shared_case(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    report = store_portal_report(demo)
    _take_from_handler(demo, report)
    head, handler = as_role("head"), as_role("handler")
    case = f"/cases/{report.submission_id}"
    head.get(case)
    assert head.post(f"{case}/notes", {"note": NOTE}).status_code == 303
    assert handler.get(case).status_code == 404
    handler_id = _user(demo, "handler").id
    assert head.post(f"{case}/grants", {"user_id": str(handler_id)}).status_code == 303
    assert NOTE in handler.get(case).get_data(as_text=True)


def test_notes_and_links_are_refused_to_non_holders(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    held = store_portal_report(demo)
    other = store_portal_report(demo)
    _take_from_handler(demo, other)
    handler = as_role("handler")
    handler.get(f"/cases/{held.submission_id}")
    # Through the pages: the case of the URL answers 404, the other case is refused in words.
    assert handler.post(f"/cases/{other.submission_id}/notes", {"note": NOTE}).status_code == 404
    response = handler.post(
        f"/cases/{held.submission_id}/links", {"other": other.submission_id[:8]}
    )
    assert response.status_code == 404
    assert "No case you hold has this reference" in response.get_data(as_text=True)
    response = handler.post(f"/cases/{held.submission_id}/links/{other.submission_id}/remove")
    assert response.status_code == 404
    # Through the use cases, with the handler's own key.
    key = demo.staff_key("handler")
    user = _user(demo, "handler")
    now = datetime.now(UTC)
    with demo.sessions() as s:
        with pytest.raises(AdalError) as refused:
            notes.add_note(s, other.submission_id, key, user, NOTE, now)
        assert refused.value.code == "not_holder"
        with pytest.raises(AdalError) as refused:
            links.link_cases(s, held.submission_id, other.submission_id, key, user, now)
        assert refused.value.code == "not_holder"
        s.rollback()
    with demo.sessions() as s:
        assert not s.scalars(select(Note)).all()
        assert not s.scalars(select(CaseLink)).all()


def test_link_shows_on_both_cases_and_can_be_removed(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    first = store_portal_report(demo)
    second = store_portal_report(demo)
    handler = as_role("handler")
    one, two = f"/cases/{first.submission_id}", f"/cases/{second.submission_id}"
    handler.get(one)
    assert handler.post(f"{one}/links", {"other": second.submission_id[:8]}).status_code == 303
    assert two in handler.get(one).get_data(as_text=True)
    assert one in handler.get(two).get_data(as_text=True)
    # The same pair again, either way round, and a case with itself: refused in words.
    again = handler.post(f"{two}/links", {"other": first.submission_id})
    assert again.status_code == 409 and "already linked" in again.get_data(as_text=True)
    itself = handler.post(f"{one}/links", {"other": first.submission_id[:10]})
    assert itself.status_code == 409
    assert handler.post(f"{one}/links", {"other": "xyz"}).status_code == 409
    assert handler.post(f"{two}/links/{first.submission_id}/remove").status_code == 303
    assert two not in handler.get(one).get_data(as_text=True)
    assert [e.action for e in audit_entries(demo, "case.link")] == ["case.link"]
    assert len(audit_entries(demo, "case.unlink")) == 1
