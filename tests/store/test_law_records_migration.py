"""Migration 0004 (issue 11): cases gain the p3 offence type without a rebuild that could
cascade into their events, existing ones marked "undetermined"; disclosure_bases is created."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text

from store.db import make_engine
from store.migrate import current_revision, upgrade


def test_0004_keeps_every_case_and_marks_it_undetermined(database_url: str, tmp_path: Path) -> None:
    (tmp_path / "instance").mkdir(exist_ok=True)
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0003")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO envelopes (id, purpose, body, created_on) "
                    "VALUES (:id, 'report', :body, '2026-05-08')"
                ),
                {"id": "e" * 32, "body": b"x"},
            )
            conn.execute(
                text(
                    "INSERT INTO submissions (id, channel, received_on, report_envelope_id) "
                    "VALUES (:id, 'portal', '2026-05-08', :env)"
                ),
                {"id": "s" * 32, "env": "e" * 32},
            )
            conn.execute(
                text(
                    "INSERT INTO cases (id, submission_id, status, anonymous, nda_intended, "
                    "registered_at) VALUES (1, :sid, 'registered', true, false, "
                    "'2026-05-08 05:00:00+00:00')"
                ),
                {"sid": "s" * 32},
            )
            conn.execute(
                text(
                    "INSERT INTO case_events (case_id, kind, at, details) "
                    "VALUES (1, 'registered', '2026-05-08 05:00:00+00:00', '{}')"
                )
            )
        upgrade(engine, "0004")
        assert current_revision(engine) == "0004"
        with engine.connect() as conn:
            assert conn.execute(text("SELECT offence_type FROM cases")).scalars().all() == [
                "undetermined"
            ]
            assert conn.execute(text("SELECT count(*) FROM case_events")).scalar() == 1
        assert "disclosure_bases" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
