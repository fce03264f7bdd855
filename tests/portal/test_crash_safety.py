"""No half-written report: files stream into incomplete envelopes that only the final
transaction completes and links; anything left behind is invisible and cleaned up."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from cases import attachments
from cases.housekeeping import delete_orphan_files
from rules.clock import local_date, utcnow
from store.models import Attachment, Envelope, FileChunk, Grant, Mailbox, Submission
from store.sealing import mark_complete
from tests.support.instance import DemoInstance
from tests.support.portal import post_report, report_fields
from tests.support.reports import abandoned_and_arriving_upload


def count(demo: DemoInstance, model: type) -> int:
    with demo.sessions() as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def test_failure_in_final_transaction_leaves_nothing(
    client: FlaskClient, demo: DemoInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("simulated crash while linking")

    monkeypatch.setattr(attachments, "mark_complete", crash)
    client.application.config["TESTING"] = False  # answer with the 500 page, as in production
    data = report_fields(client)
    response = post_report(client, data, [(b"evidence" * 20_000, "a.pdf", "application/pdf")])
    assert response.status_code == 500
    for model in (Submission, Mailbox, Attachment, Envelope, Grant, FileChunk):
        assert count(demo, model) == 0, model.__name__


def test_orphans_are_removed_but_uploads_in_flight_are_not(demo: DemoInstance) -> None:
    today = local_date(utcnow())
    old, fresh = abandoned_and_arriving_upload(demo, today)
    with demo.sessions() as s, s.begin():
        assert delete_orphan_files(s, today) == 1
    with demo.sessions() as s:
        ids = set(s.execute(select(Envelope.id)).scalars())
        assert ids == {fresh}
        assert (
            s.execute(
                select(func.count()).select_from(FileChunk).where(FileChunk.envelope_id == old)
            ).scalar_one()
            == 0
        )
    with demo.sessions() as s, s.begin(), pytest.raises(LookupError):
        mark_complete(s, old, 1)  # gone: a late final transaction rolls back
