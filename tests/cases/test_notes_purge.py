"""Notes and links go with the case when it is purged (issue 15): a note is one of the case's
envelopes and is shredded like a message; a link to a purged case disappears, the other case
stays."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from cases import links, notes
from cases.retention import set_retention_years
from store.models import CaseLink, Envelope, Grant, Note, Submission
from tests.cases.test_purge import OLD, RECENT, _case
from tests.support.instance import DemoInstance, run_cli
from tests.support.reports import user


def test_purge_shreds_the_notes_and_links_of_a_case(demo: DemoInstance) -> None:
    expired = _case(demo, OLD, close=True)
    recent = _case(demo, RECENT, close=True)
    key = demo.staff_key("handler")
    now = datetime.now(UTC)
    with demo.sessions() as s, s.begin():
        handler = user(s, "handler")
        gone = notes.add_note(s, expired, key, handler, "заметка к удалению", now).envelope_id
        kept = notes.add_note(s, recent, key, handler, "заметка остаётся", now).envelope_id
        links.link_cases(s, expired, recent, key, handler, now)
        set_retention_years(s, 3, user(s, "admin"))
    code, output = run_cli("purge")
    assert code == 0, output
    assert expired in output
    with demo.sessions() as s:
        assert s.get(Submission, expired) is None
        assert s.get(Envelope, gone) is None
        assert not s.scalar(
            select(func.count()).select_from(Grant).where(Grant.envelope_id == gone)
        )
        assert s.scalars(select(Note.envelope_id)).all() == [kept]
        assert s.scalar(select(func.count()).select_from(CaseLink)) == 0
        assert s.get(Envelope, kept) is not None
