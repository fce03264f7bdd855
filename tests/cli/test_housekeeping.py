"""`adal housekeeping --once`: shreds abandoned uploads past the grace period and deletes
expired session rows, and keeps uploads in flight and live sessions."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from cases.housekeeping import Summary, run_housekeeping
from rules.clock import local_date, utcnow
from store.db import transaction
from store.models import Envelope, FileChunk, WebSession
from store.recipients import report_recipients
from store.sealing import FileWriter
from tests.support.instance import DemoInstance, demo_org_id, run_cli
from tests.support.reports import abandoned_and_arriving_upload


def test_housekeeping_removes_what_is_dead_and_keeps_the_rest(demo: DemoInstance) -> None:
    today = local_date(utcnow())
    old, fresh = abandoned_and_arriving_upload(demo, today)
    with transaction(demo.sessions) as s:
        s.add_all(
            [
                WebSession(
                    id_hash=b"e" * 32, app="portal", data=b"x", expires_on=today - timedelta(days=1)
                ),
                WebSession(
                    id_hash=b"h" * 32,
                    app="handler",
                    data=b"x",
                    expires_on=today - timedelta(days=3),
                ),
                WebSession(id_hash=b"t" * 32, app="portal", data=b"x", expires_on=today),
                WebSession(
                    id_hash=b"f" * 32,
                    app="handler",
                    data=b"x",
                    expires_on=today + timedelta(days=1),
                ),
            ]
        )

    code, output = run_cli("housekeeping", "--once")
    assert code == 0, output
    assert "Shredded 1 abandoned upload(s), deleted 2 expired session(s)." in output

    with demo.sessions() as s:
        assert set(s.execute(select(Envelope.id).where(Envelope.purpose == "file")).scalars()) == {
            fresh
        }
        assert (
            s.execute(
                select(func.count()).select_from(FileChunk).where(FileChunk.envelope_id == old)
            ).scalar_one()
            == 0
        )
        assert set(s.execute(select(WebSession.id_hash)).scalars()) == {b"t" * 32, b"f" * 32}

    # A second pass finds nothing: safe to run as often as the timer likes.
    code, output = run_cli("housekeeping", "--once")
    assert code == 0, output
    assert "Shredded 0 abandoned upload(s), deleted 0 expired session(s)." in output


def test_a_backlog_is_shredded_in_batches(demo: DemoInstance) -> None:
    today = local_date(utcnow())
    with demo.sessions() as s:
        keys = report_recipients(s, demo_org_id(s))
        for _ in range(3):
            FileWriter(s, keys, today - timedelta(days=5), commit_batches=True).write(b"x")
    with transaction(demo.sessions) as s:
        assert run_housekeeping(s, today, batch=2) == Summary(orphan_files=3, expired_sessions=0)
    with transaction(demo.sessions) as s:
        assert run_housekeeping(s, today, batch=2) == Summary(orphan_files=0, expired_sessions=0)
