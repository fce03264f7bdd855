"""Search benchmark (issue 15): time to search the text of 1,000 and 10,000 held reports.
Prints figures, checks nothing. Not a test.

    .venv/bin/python bench/search.py                 1,000 then 10,000 held reports
    .venv/bin/python bench/search.py --sizes 1000    one size only
    .venv/bin/python bench/search.py --url postgresql+psycopg://...   on PostgreSQL (an empty
                                                     database; its tables are created here)

A fresh SQLite database (migrated to head) gets N portal-like reports of about 1.5 KB of
Russian and Kazakh text each, sealed like the real ones to a handler, a head and the recovery
key (three grants); every fifth has a follow-up from the reporter and every tenth an internal
note. Then cases.search.search runs as the handler, as the search page does, for a rare word
(one report in a hundred), a word in every report (only one page of excerpts is kept) and a
word found nowhere; each is timed --repeat times and the median and worst are printed.
The goal is 2 s for 10,000 held reports on a 2-core machine. "CPU" is the process's CPU time
(both threads together): on a busy machine the wall time grows, the CPU time hardly does, and
the load average is printed so a run can be judged.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from nacl.public import PrivateKey  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from cases import organizations  # noqa: E402
from cases import search as finding  # noqa: E402
from crypto import envelope as env  # noqa: E402
from crypto import keys as ckeys  # noqa: E402
from store import payloads, sealing  # noqa: E402
from store.db import make_engine, session_factory  # noqa: E402
from store.migrate import upgrade  # noqa: E402
from store.models import (  # noqa: E402
    Envelope,
    Grant,
    Message,
    Note,
    Submission,
    User,
    new_id,
)

TODAY = date(2026, 12, 7)
FACTS = (
    "Начальник отдела государственных закупок потребовал от поставщика вознаграждение за "
    "победу в конкурсе. Деньги передавались наличными в служебном кабинете после окончания "
    "рабочего дня, свидетели — двое сотрудников отдела. Қызметкер өңірлік әкімдіктің "
    "құжаттарын ұстап, мердігерден ақша талап етті. "
) * 4


def _seal(purpose: str, text: bytes, recipients: list[bytes]) -> tuple[dict, list[dict]]:
    envelope_id = new_id()
    sealed = env.seal(text, recipients, sealing.aad(purpose, envelope_id))
    row = {"id": envelope_id, "purpose": purpose, "body": sealed.body, "created_on": TODAY}
    grants = [
        {"envelope_id": envelope_id, "key_id": g.recipient_id, "sealed_key": g.sealed_key}
        for g in sealed.grants
    ]
    return row, grants


def populate(sessions, start: int, count: int, recipients: list[bytes], org_id: int) -> None:  # type: ignore[no-untyped-def]
    now = payloads.utc_timestamp(datetime.now(UTC))
    envelopes: list[dict] = []
    grants: list[dict] = []
    submissions: list[dict] = []
    messages: list[dict] = []
    notes: list[dict] = []
    for n in range(start, start + count):
        marker = " редкоеслово" if n % 100 == 0 else ""
        report = payloads.encode(
            payloads.REPORT_FORMAT,
            {"received_at": now, "channel": "portal", "facts": FACTS + f"№{n}{marker}"},
        )
        row, g = _seal("report", report, recipients)
        envelopes.append(row)
        grants += g
        sid = new_id()
        submissions.append(
            {
                "id": sid,
                "channel": "portal",
                "org_id": org_id,
                "received_on": TODAY,
                "report_envelope_id": row["id"],
            }
        )
        if n % 5 == 0:
            text = payloads.encode(
                payloads.MESSAGE_FORMAT, {"sent_at": now, "text": "Дополнение: ещё один платёж."}
            )
            row, g = _seal("message", text, recipients)
            envelopes.append(row)
            grants += g
            messages.append(
                {
                    "submission_id": sid,
                    "direction": "from_reporter",
                    "envelope_id": row["id"],
                    "created_on": TODAY,
                }
            )
        if n % 10 == 0:
            text = payloads.encode(
                payloads.NOTE_FORMAT, {"written_at": now, "text": "Проверить договоры за 2025 год."}
            )
            row, g = _seal("note", text, recipients)
            envelopes.append(row)
            grants += g
            notes.append({"submission_id": sid, "envelope_id": row["id"], "created_on": TODAY})
    with sessions() as s, s.begin():
        s.execute(insert(Envelope), envelopes)
        s.execute(insert(Grant), grants)
        s.execute(insert(Submission), submissions)
        if messages:
            s.execute(insert(Message), messages)
        if notes:
            s.execute(insert(Note), notes)


def timed(sessions, key: PrivateKey, actor_id: int, query: str, repeat: int) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    times = []
    cpu = []
    total = searched = 0
    for _ in range(repeat):
        with sessions() as s:
            actor = s.get(User, actor_id)
            start, start_cpu = time.perf_counter(), time.process_time()
            results = finding.search(s, key, query, actor)
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
            s.rollback()  # the audit entry is not kept: the next run starts alike
        total, searched = results.total, results.searched
    return (
        f"  {query!r:>16}: median {statistics.median(times):.3f} s, worst {max(times):.3f} s, "
        f"CPU {statistics.median(cpu):.3f} s ({searched} texts opened, {total} results)"
    ), searched


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--url", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.url or f"sqlite:///{folder}/bench.sqlite3"
        engine = make_engine(url)
        upgrade(engine)
        sessions = session_factory(engine)
        handler, head, recovery = (PrivateKey.generate() for _ in range(3))
        recipients = [bytes(k.public_key) for k in (handler, head, recovery)]
        with sessions() as s, s.begin():
            # Search reads only the searcher's organization's reports (cases.scope).
            org_id = organizations.create(
                s,
                slug="bench",
                names=organizations.Names(kk="Бенч", ru="Бенч", en="Bench"),
                today=TODAY,
            ).organization.id
            user = User(
                username="bench-handler",
                full_name="Bench Handler",
                role="handler",
                org_id=org_id,
                password_hash="x",
                created_at=datetime.now(UTC),
            )
            s.add(user)
            s.flush()
            actor_id = user.id
        print(
            f"handler key {ckeys.key_id(handler.public_key)[:8]}, database {url.split(':')[0]}, "
            f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
        )
        held = 0
        for size in sorted(args.sizes):
            start = time.perf_counter()
            populate(sessions, held, size - held, recipients, org_id)
            print(f"{size} held reports (stored in {time.perf_counter() - start:.1f} s):")
            held = size
            # A report each, a follow-up every fifth, a note every tenth (populate).
            texts = size + len(range(0, size, 5)) + len(range(0, size, 10))
            for query in ("редкоеслово", "закупок", "отсутствует"):
                line, searched = timed(sessions, handler, actor_id, query, args.repeat)
                print(line)
                if searched != texts:
                    # A figure over the wrong texts is no figure: stop rather than print it.
                    print(f"search opened {searched} texts of the {texts} held", file=sys.stderr)
                    return 1
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
