"""Back-office lists at scale, on loopback: prints figures, checks nothing. Not a test.

    .venv/bin/python bench/backoffice.py [--reports 100000] [--postgres URL] [--quick]

Builds an instance with N portal reports (``adal init --demo`` with a fast KDF), every one
sealed for real as cases.intake.submit_report seals it (same payload and keys, inserted in
bulk), so any case page opens. Half are opened as
cases, spread over every workflow state (registered ... closed, closed without decision); their
events are checked by rules.workflow.apply, as the use case would, and inserted in bulk (the
audit entries of those steps are not written: they are not read by any list). The list columns
are then filled by the same writer the back office uses (cases.lists.recompute).

It starts ``adal handler`` under gunicorn (2 workers) on 127.0.0.1, signs in as the demo handler
and head, and prints p50/p95 of: the inbox's first page and a late page, the deadlines page (first
and late; a late page is reached by the cursor its "next" link would carry), the inbox filtered
to overdue cases, the statistics page (all time and a half year), and the register of a month
exported as XLSX; with each page's size. Search is measured by bench/search.py.
The same run with a 1,000-report instance gives the reference for the "1.5x" goal: both
instances are built first and both back offices run side by side, and the growth is measured
by asking each in turn for the first inbox page, so the machine's other work (the second fill's
aftermath, a checkpoint) weighs on both alike.

``--postgres URL``: a server to create a scratch database on (scripts/postgres.sh start DIR
prints one); SQLite otherwise.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from secrets import token_bytes
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere: imports bench.loopback
    sys.path.insert(0, str(ROOT))

import pyotp  # noqa: E402
import requests  # noqa: E402

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SAMPLES = 30
GOAL_MS = 300.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


# --- the data ------------------------------------------------------------------------------

# Paths through the workflow, each ending in the state it is named after (anonymous reports:
# no NDA or rights steps are owed).
PATHS: dict[str, list[str]] = {
    "registered": ["registered"],
    "kns_notified": ["registered", "kns_notified"],
    "confirmation_sent": ["registered", "kns_notified", "confirmation_sent"],
    "decision_received": ["registered", "kns_notified", "confirmation_sent", "decision_received"],
    "reporter_informed": [
        "registered",
        "kns_notified",
        "confirmation_sent",
        "decision_received",
        "reporter_informed",
    ],
    "closed": [
        "registered",
        "kns_notified",
        "confirmation_sent",
        "decision_received",
        "reporter_informed",
        "closed",
    ],
    "closed_without_decision": ["registered", "kns_notified", "closed_without_decision"],
}


def _details(step: str, at: datetime) -> dict[str, str]:
    from rules.clock import to_local

    if step == "kns_notified":
        return {"call_time": to_local(at).strftime("%Y-%m-%dT%H:%M"), "operator": "Оператор"}
    if step == "confirmation_sent":
        return {"outgoing_number": "01-12/345", "outgoing_date": to_local(at).date().isoformat()}
    if step == "closed_without_decision":
        return {"reason": "transferred", "transferred_to": "Прокуратура"}
    return {}


def _portal_rows(
    n: int, first: int, day: date, received: datetime, keys: list[bytes], org_id: int
) -> dict[str, list[dict[str, Any]]]:
    """The rows cases.intake.submit_report writes for one anonymous portal report (the same
    payload, sealed for real to the same keys), as plain dicts for a bulk insert: one statement
    per table per batch instead of a flush per report."""
    from nacl.public import PrivateKey

    from crypto import envelope as env
    from store import payloads, sealing
    from store.models import new_id

    body = {
        "received_at": payloads.utc_timestamp(received),
        "channel": "portal",
        "facts": f"Факты {first}",
        "persons": "",
        "subject": "",
        "identity_provided": False,
        "consent": False,
        "nda_intended": False,
        "attachment_count": 0,
        "language": "ru",
        "false_report_acknowledged": True,
    }
    envelope_id, mailbox_id, submission_id = new_id(), new_id(), new_id()
    sealed = env.seal(
        payloads.encode(payloads.REPORT_FORMAT, body), keys, sealing.aad("report", envelope_id)
    )
    return {
        "envelopes": [
            {"id": envelope_id, "purpose": "report", "body": sealed.body, "created_on": day}
        ],
        "grants": [
            {"envelope_id": envelope_id, "key_id": g.recipient_id, "sealed_key": g.sealed_key}
            for g in sealed.grants
        ],
        "mailboxes": [
            {
                "id": mailbox_id,
                "lookup_tag": token_bytes(32),
                "public_key": bytes(PrivateKey.generate().public_key),
                "status": "received",
                "created_on": day,
            }
        ],
        "submissions": [
            {
                "id": submission_id,
                "org_id": org_id,
                "channel": "portal",
                "received_on": day,
                "report_envelope_id": envelope_id,
                "mailbox_id": mailbox_id,
            }
        ],
    }


def populate(url: str, n: int, seed: int = 15) -> dict[str, int]:
    """N sealed portal reports received over the last year; half opened as cases. Written in
    bulk (an executemany per table per batch): a flush per report made the fill of 100,000
    reports on PostgreSQL take about 6 minutes, most of it round trips."""
    from sqlalchemy import insert, select

    from rules.clock import local_date, start_of_local_day, utcnow
    from store.db import make_engine, session_factory
    from store.models import Envelope, Grant, Mailbox, Submission, User
    from store.recipients import report_recipients

    rng = random.Random(seed)
    engine = make_engine(url)
    sessions = session_factory(engine)
    now = utcnow()
    today = local_date(now)
    with sessions() as s:
        actor = s.scalars(select(User).where(User.role == "head")).one()
        actor_id, actor_name, org_id = actor.id, actor.username, actor.org_id
        assert org_id is not None
        keys = list(report_recipients(s, org_id))
    started = time.perf_counter()
    created: list[tuple[str, date, str]] = []  # submission id, day of receipt, mailbox id
    batch = 2000
    for first in range(0, n, batch):
        tables: dict[str, list[dict[str, Any]]] = {
            "envelopes": [],
            "grants": [],
            "mailboxes": [],
            "submissions": [],
        }
        for i in range(first, min(first + batch, n)):
            # Received at 10:00 on one of the past 365 days, never today: before 10:00 local
            # time a report of today would be received in the future, and its case could not
            # be opened (no step may precede its report).
            day = today - timedelta(days=rng.randrange(1, 366))
            rows = _portal_rows(
                n, i, day, start_of_local_day(day) + timedelta(hours=10), keys, org_id
            )
            for name, found in rows.items():
                tables[name] += found
            created.append((rows["submissions"][0]["id"], day, rows["mailboxes"][0]["id"]))
        with sessions() as s, s.begin():
            for model, name in (
                (Envelope, "envelopes"),
                (Grant, "grants"),
                (Mailbox, "mailboxes"),
                (Submission, "submissions"),
            ):
                s.execute(insert(model), tables[name])
        print(f"\r  sealed {len(created)}/{n} reports", end="", flush=True)
    print(f" in {time.perf_counter() - started:.0f} s")
    opened = open_cases(sessions, created, actor_id, actor_name, rng, batch=batch)
    if engine.dialect.name == "postgresql":
        # What autovacuum does on a live server after a bulk change: fresh planner statistics
        # and a visibility map, so the plans and index-only scans are those of steady state
        # rather than of tables the planner has never measured.
        started = time.perf_counter()
        with engine.connect() as conn:
            auto = conn.execution_options(isolation_level="AUTOCOMMIT")
            auto.exec_driver_sql("VACUUM ANALYZE")
            # And the checkpoint a live server has long since made: otherwise the bulk fill's
            # dirty pages are still being written out while the first pages are measured.
            auto.exec_driver_sql("CHECKPOINT")
        print(f"  VACUUM ANALYZE and CHECKPOINT in {time.perf_counter() - started:.0f} s")
    else:
        # The same for SQLite: the fill's write-ahead log copied back into the database file.
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return {"reports": n, "cases": opened}


def open_cases(
    sessions: Any,
    created: list[tuple[str, date, str]],
    actor_id: int,
    actor_name: str,
    rng: random.Random,
    batch: int = 2000,
) -> int:
    """Half of the reports (every other one of `created`: submission id, day of receipt,
    mailbox id) opened as cases over every workflow state in turn, with their events and their
    mailboxes' public status; then the list columns filled by the back office's own writer
    (cases.lists.recompute). Returns how many were opened. bench/orgs.py uses it too."""
    from sqlalchemy import bindparam, insert, update

    from cases.lists import recompute
    from cases.workflow import case_status
    from rules import workflow
    from rules.clock import start_of_local_day, utcnow
    from rules.workflow import CaseFacts, Step
    from store.models import Case, CaseEvent, Mailbox

    now = utcnow()
    started = time.perf_counter()
    opened = created[::2]
    states = list(PATHS)
    mailbox_status = (
        update(Mailbox.__table__)
        .where(Mailbox.__table__.c.id == bindparam("b_id"))
        .values(status=bindparam("b_status"))
    )
    for first in range(0, len(opened), batch):
        with sessions() as s, s.begin():
            cases = []
            events: list[list[dict[str, Any]]] = []
            statuses: list[dict[str, str]] = []
            for i, (sid, day, mailbox_id) in enumerate(opened[first : first + batch]):
                received = start_of_local_day(day) + timedelta(hours=10)
                facts = CaseFacts(received_at=received, anonymous=True, nda_intended=False)
                path = PATHS[states[(first + i) % len(states)]]
                done: list[workflow.Event] = []
                at = received + timedelta(minutes=30)
                for step in path:
                    if at > now:
                        break
                    done.append(
                        workflow.apply(facts, done, Step(step), at, actor_name, _details(step, at))
                    )
                    at += timedelta(hours=rng.randrange(2, 120))
                closed = next((e.at for e in done if e.kind in workflow.CLOSING_STEPS), None)
                cases.append(
                    {
                        "submission_id": sid,
                        "status": case_status(done),
                        "anonymous": True,
                        "nda_intended": False,
                        "registered_at": done[0].at,
                        "closed_at": closed,
                        "offence_type": rng.choice(["crime", "administrative", "undetermined"]),
                    }
                )
                events.append(
                    [
                        {
                            "kind": e.kind,
                            "at": e.at,
                            "actor_id": actor_id,
                            "details": dict(e.details),
                        }
                        for e in done
                    ]
                )
                statuses.append(
                    {"b_id": mailbox_id, "b_status": workflow.public_status(facts, done)}
                )
            ids = s.scalars(
                insert(Case).returning(Case.id, sort_by_parameter_order=True), cases
            ).all()
            s.execute(
                insert(CaseEvent),
                [
                    {**e, "case_id": case_id}
                    for case_id, evs in zip(ids, events, strict=True)
                    for e in evs
                ],
            )
            s.connection().execute(mailbox_status, statuses)
        print(
            f"\r  opened {min(first + batch, len(opened))}/{len(opened)} cases", end="", flush=True
        )
    print(f" in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    with sessions() as s, s.begin():
        listed = recompute(s, everything=True, release=True)
    print(f"  list columns of {listed} reports in {time.perf_counter() - started:.0f} s")
    return len(opened)


# --- the measurements ----------------------------------------------------------------------


def sign_in(base: str, creds: dict[str, str]) -> requests.Session:
    http = requests.Session()
    page = http.get(base + "/login")
    token = _CSRF.search(page.text)
    code = pyotp.TOTP(creds["totp secret"]).now()
    answer = http.post(
        base + "/login",
        data={
            "csrf_token": token.group(1) if token else "",
            "username": creds["username"],
            "password": creds["password"],
            "code": code,
        },
        allow_redirects=False,
    )
    if answer.status_code != 303:
        raise RuntimeError(f"sign-in as {creds['username']} failed: {answer.status_code}")
    return http


def measure(http: requests.Session, url: str, samples: int) -> tuple[float, float, int, int]:
    times = []
    size = status = 0
    http.get(url)  # warm the worker's caches once
    for _ in range(samples):
        started = time.perf_counter()
        answer = http.get(url)
        times.append((time.perf_counter() - started) * 1000)
        size, status = len(answer.content), answer.status_code
    return percentile(times, 50), percentile(times, 95), size, status


@dataclass(frozen=True)
class Built:
    n: int
    folder: Path
    url: str
    creds: dict[str, dict[str, str]]
    counts: dict[str, int]


def build(n: int, postgres: str | None, workdir: Path) -> Built:
    from bench import loopback as servers

    folder = workdir / f"n{n}"
    if postgres:
        os.environ["ADAL_TEST_POSTGRES_URL"] = postgres
        url = servers.create_database(servers.database_name("adal_bench"))
    else:
        url = f"sqlite:///{folder / 'instance' / 'adal.db'}"
    servers.init_demo(folder / "instance", url)
    print(f"\n{n} portal reports, {'PostgreSQL' if postgres else 'SQLite'}:")
    counts = populate(url, n)
    return Built(n, folder, url, servers.demo_credentials(folder / "instance"), counts)


def pages_of(built: Built, base: str, samples: int) -> requests.Session:
    """Prints every page's figures on one instance's running back office; returns the
    handler's signed-in session (a second sign-in in the same half minute would reuse the
    TOTP code, which the back office refuses)."""
    handler_http = sign_in(base, built.creds["handler"])
    head_http = sign_in(base, built.creds["head"])
    late = max(1, (built.counts["reports"] - built.counts["cases"] // 2) // 50 * 4 // 5)
    inbox_after, deadlines_after = late_cursors(built.url, late)
    month = (date.today() - timedelta(days=60), date.today() - timedelta(days=30))
    register = f"/journal/register-ru.xlsx?since={month[0]}&until={month[1]}"
    pages = [
        ("handler", handler_http, "/inbox", samples),
        ("handler", handler_http, f"/inbox?page={late}&after={inbox_after}", samples),
        ("handler", handler_http, "/inbox?deadline=overdue&sort=deadline", samples),
        ("handler", handler_http, "/deadlines", samples),
        ("handler", handler_http, f"/deadlines?page={late}&after={deadlines_after}", samples),
        ("head", head_http, "/inbox", samples),
        ("head", head_http, "/statistics", samples),
        ("head", head_http, "/statistics?since=2026-01-01&until=2026-06-30", samples),
        ("head", head_http, register, max(3, samples // 6)),
    ]
    print(f"\n{built.n} portal reports:")
    print(f"  {'page':<44} {'p50 ms':>8} {'p95 ms':>8} {'bytes':>9}")
    for who, http, path, times in pages:
        p50, p95, size, status = measure(http, base + path, times)
        flag = "" if p95 <= GOAL_MS else f"  (> {GOAL_MS:.0f} ms by {p95 - GOAL_MS:.0f})"
        shown = f"{who} {_short(path)}" + ("" if status == 200 else f" [{status}]")
        print(f"  {shown:<44} {p50:>8.1f} {p95:>8.1f} {size:>9}{flag}")
    return handler_http


def growth(
    small: tuple[Built, str, requests.Session],
    large: tuple[Built, str, requests.Session],
    samples: int,
) -> str:
    """The handler's first inbox page on both instances, one request to each in turn, so
    whatever else the machine does weighs on both alike (measured one after the other, the
    large one came straight after its own bulk fill)."""
    times: list[list[float]] = [[], []]
    for _built, base, http in (small, large):
        http.get(base + "/inbox")  # warm each worker's caches once
    for _ in range(samples):
        for i, (_built, base, http) in enumerate((small, large)):
            started = time.perf_counter()
            http.get(base + "/inbox")
            times[i].append((time.perf_counter() - started) * 1000)
    (s50, s95), (l50, l95) = ((percentile(t, 50), percentile(t, 95)) for t in times)
    return (
        f"inbox first page, {samples} requests to each instance in turn: "
        f"p50 {l50:.1f} ms with {large[0].n} reports, {s50:.1f} ms with {small[0].n}: "
        f"{l50 / s50:.2f}x; p95 {l95:.1f} ms and {s95:.1f} ms: {l95 / s95:.2f}x (goal <= 1.5x)"
    )


def _short(path: str) -> str:
    """A path with its cursor cut short, for the table."""
    return re.sub(r"(after=[^&]{6})[^&]*", r"\1…", path)


def late_cursors(url: str, page: int) -> tuple[str, str]:
    """The cursors a "next page" link carries to page ``page`` of the handler's inbox (newest
    first) and deadlines page: the sort key of the last row of the page before, found here
    with OFFSET once, as following the links page by page would."""
    from sqlalchemy import select

    from cases.lists import PER_PAGE, encode_cursor
    from rules.clock import utcnow
    from store.db import make_engine
    from store.models import CaseList, Grant, ListDeadline, RecipientKey, Submission, User

    engine = make_engine(url)
    skip = (page - 1) * PER_PAGE - 1
    now = utcnow()
    with engine.connect() as conn:
        key_id = conn.scalar(
            select(RecipientKey.key_id)
            .join(User, User.id == RecipientKey.user_id)
            .where(User.role == "handler", RecipientKey.active.is_(True))
        )
        held = (
            select(Submission.id)
            .join(Grant, Grant.envelope_id == Submission.report_envelope_id)
            .where(Grant.key_id == key_id)
        )
        last = conn.execute(
            select(CaseList.received_on, CaseList.submission_id)
            .where(CaseList.closed.is_(False), CaseList.submission_id.in_(held))
            .order_by(CaseList.received_on.desc(), CaseList.submission_id.desc())
            .offset(skip)
            .limit(1)
        ).one()
        inbox = encode_cursor("all", [last.received_on, last.submission_id])
        rows = conn.execute(
            select(ListDeadline.id, ListDeadline.late_at, ListDeadline.soon_at).where(
                ListDeadline.listed.is_(True),
                ListDeadline.outcome.is_(None),
                ListDeadline.submission_id.in_(held),
            )
        ).all()

    def aware(moment: datetime) -> datetime:
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    def segment(row: Any) -> str:
        if aware(row.late_at) <= now:
            return "overdue"
        return "due_soon" if aware(row.soon_at) <= now else "due"

    order = {"overdue": 0, "due_soon": 1, "due": 2}
    rows.sort(key=lambda r: (order[segment(r)], aware(r.late_at), r.id))
    mark = rows[min(skip, len(rows) - 1)]
    deadlines = encode_cursor(segment(mark), [aware(mark.late_at), mark.id])
    engine.dispose()
    return inbox, deadlines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--baseline", type=int, default=1_000, help="the small instance")
    parser.add_argument("--postgres", help="a PostgreSQL server URL to create a database on")
    parser.add_argument("--samples", type=int, default=SAMPLES)
    parser.add_argument("--quick", action="store_true", help="300 and 100 reports, 10 samples")
    args = parser.parse_args()
    if args.quick:
        args.reports, args.baseline, args.samples = 300, 100, 10
    from bench import loopback as servers

    servers.compile_translations()
    print(
        f"Adal back-office lists: {os.cpu_count()} cores; gunicorn 2 workers x 4 threads; "
        f"client and server on one machine; {args.samples} requests per page, one at a time"
    )
    with tempfile.TemporaryDirectory(prefix="adal-backoffice-") as tmp:
        built = [build(n, args.postgres, Path(tmp)) for n in (args.baseline, args.reports)]
        launched = [
            servers.launch("handler", b.folder / "instance", b.url, b.folder / "logs", workers=2)
            for b in built
        ]
        with servers.serving(*launched) as running:
            signed = [
                (b, server.url, pages_of(b, server.url, args.samples))
                for b, server in zip(built, running, strict=True)
            ]
            print("\n" + growth(signed[0], signed[1], args.samples * 2))
            for server in running:
                problems = server.problems()
                if problems:
                    print("  the handler logged failures:\n" + "\n".join(problems[:10]))
        if args.postgres:
            for b in built:
                servers.drop_database(b.url.rsplit("/", 1)[-1].split("?")[0])
    print("(percentiles by nearest rank; goal: every page <= 300 ms p95)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
