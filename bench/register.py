"""Register export benchmark (issue 15): prints how long the register of a period with N reports
takes to gather (cases.register_book) and to render as DOCX and XLSX. Not a test.

    .venv/bin/python bench/register.py                 10,000 reports on SQLite
    .venv/bin/python bench/register.py --reports 1000
    .venv/bin/python bench/register.py --url postgresql+psycopg://...   an empty database

The reports are plain rows (no sealed content is needed: the register decrypts nothing), spread
over 2026, half of them opened as cases in every state: registered, 1424 call recorded,
confirmation sent with its outgoing number and date, decided and closed; some with a protection
matter (p18, p19). Figures: rows, queries, seconds for gathering, DOCX and XLSX (median of 3).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, insert

from cases import organizations
from cases.register_book import register_book
from documents.register_book import register_docx, register_xlsx
from rules.clock import start_of_local_day
from store.db import make_engine, session_factory
from store.migrate import upgrade
from store.models import (
    Case,
    CaseEvent,
    Envelope,
    Protection,
    ProtectionMatter,
    Submission,
)

NOW = datetime(2027, 1, 10, 6, 0, tzinfo=UTC)
YEAR = (date(2026, 1, 1), date(2026, 12, 31))


def fill(factory: Any, reports: int) -> int:
    """The reports of one organization; returns its id."""
    with factory() as session, session.begin():
        org_id = organizations.create(
            session,
            slug="bench",
            names=organizations.Names(kk="Бенч", ru="Бенч", en="Bench"),
            today=YEAR[0],
        ).organization.id
    envelopes: list[dict[str, Any]] = []
    submissions: list[dict[str, Any]] = []
    cases: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    protections: list[dict[str, Any]] = []
    matters: list[dict[str, Any]] = []
    for i in range(reports):
        received = YEAR[0] + timedelta(days=i * 365 // reports)
        envelope_id, submission_id = f"e{i:031d}", f"s{i:031d}"
        envelopes.append(
            {"id": envelope_id, "purpose": "report", "body": b"x", "created_on": received}
        )
        submissions.append(
            {
                "id": submission_id,
                "channel": ("portal", "hotline", "electronic")[i % 3],
                "org_id": org_id,
                "received_on": received,
                "report_envelope_id": envelope_id,
            }
        )
        if i % 2:
            continue
        case_id = len(cases) + 1
        stage = (i // 2) % 5  # 0 registered ... 4 closed
        start = start_of_local_day(received) + timedelta(hours=5)
        steps: list[tuple[str, dict[str, str]]] = [("registered", {})]
        if stage >= 1:
            call = (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
            steps.append(("kns_notified", {"call_time": call, "operator": "x"}))
        if stage >= 2:
            sent = (received + timedelta(days=3)).isoformat()
            steps.append(
                ("confirmation_sent", {"outgoing_number": f"04-{i}", "outgoing_date": sent})
            )
        if stage >= 3:
            steps += [("decision_received", {}), ("reporter_informed", {})]
        if stage >= 4:
            steps.append(("closed", {}))
        status = steps[-1][0]
        cases.append(
            {
                "id": case_id,
                "submission_id": submission_id,
                "status": status,
                "anonymous": True,
                "nda_intended": False,
                "registered_at": start,
                "closed_at": start + timedelta(days=20) if stage == 4 else None,
                "offence_type": ("undetermined", "crime", "administrative")[i % 3],
            }
        )
        for n, (kind, details) in enumerate(steps):
            events.append(
                {
                    "case_id": case_id,
                    "kind": kind,
                    "at": start + timedelta(days=n),
                    "details": details,
                }
            )
        if i % 20 == 0:
            protection_id = len(protections) + 1
            protections.append(
                {
                    "id": protection_id,
                    "case_id": case_id,
                    "envelope_id": envelope_id,
                    "created_on": received,
                }
            )
            matters.append(
                {
                    "protection_id": protection_id,
                    "kind": "disciplinary",
                    "body": "conciliation",
                    "proposed_on": received + timedelta(days=5),
                    "agency_invited": True,
                    "meeting_on": received + timedelta(days=20),
                    "decided_on": received + timedelta(days=20),
                    "nda_required": False,
                }
            )
    with factory() as session, session.begin():
        for model, rows in (
            (Envelope, envelopes),
            (Submission, submissions),
            (Case, cases),
            (CaseEvent, events),
            (Protection, protections),
            (ProtectionMatter, matters),
        ):
            if rows:
                session.execute(insert(model), rows)
    return org_id


def _median(runs: int, action: Any) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--url", help="an empty database (default: a temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.url or f"sqlite:///{folder}/bench.db"
        engine = make_engine(url)
        upgrade(engine)
        factory = session_factory(engine)
        org_id = fill(factory, args.reports)
        queries: list[str] = []
        event.listen(engine, "before_cursor_execute", lambda *a, **k: queries.append(a[2]))
        with factory() as session:
            register_book(session, *YEAR, NOW, org_id=org_id)  # warm up
        queries.clear()

        def gather() -> Any:
            with factory() as session:
                return register_book(session, *YEAR, NOW, org_id=org_id)

        gathered, book = _median(3, gather)
        per_run = len(queries) // 3
        docx_s, docx = _median(3, lambda: register_docx(book, "ru"))
        xlsx_s, xlsx = _median(3, lambda: register_xlsx(book, "kk"))
        print(f"register of {len(book.rows)} reports ({args.reports} in the database)")
        print(f"  queries per register: {per_run}")
        print(f"  gather rows:  {gathered:6.2f} s")
        print(f"  DOCX (ru):    {docx_s:6.2f} s  {len(docx) / 1024:8.0f} KiB")
        print(f"  XLSX (kk):    {xlsx_s:6.2f} s  {len(xlsx) / 1024:8.0f} KiB")
        print(f"  export total: {gathered + max(docx_s, xlsx_s):6.2f} s (gather + slower format)")
        engine.dispose()


if __name__ == "__main__":
    main()
