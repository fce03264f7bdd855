"""Two workers at once, and a worker killed at each point of a pass (cases/notices.py): the
claims it made stay until their lease ends, the next pass after that sends them, and no notice
is lost. Only a mail the server accepted before the worker could record it comes twice.

The workers are real `adal notify --once` processes; the SMTP server kills them with SIGKILL.
The passes after the lease run in this process at the real time plus 11 minutes."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, timedelta, tzinfo

import pytest
from sqlalchemy import text

from cases import lists, notices
from cases.notices import LEASE
from rules.clock import KZ_TZ, utcnow
from tests.support.backoffice import reporter_follows_up
from tests.support.instance import DemoInstance
from tests.support.mailcatcher import (
    Mail,
    Markers,
    SmtpServer,
    addresses,
    by_address,
    finish,
    ledger,
    run_pass,
    start_worker,
)

AFTER_LEASE = LEASE + timedelta(minutes=1)


class Victim:
    """The worker the SMTP server kills: the handler waits for its pid if it is asked before
    the test has it (it never is in practice: the worker needs a second to start)."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[str] | None = None
        self.ready = threading.Event()
        self.killed = threading.Event()

    def start(self, port: int) -> subprocess.Popen[str]:
        self.process = start_worker(port)
        self.ready.set()
        return self.process

    def kill(self) -> None:
        assert self.ready.wait(30)
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.killed.set()


def counts(mail: Mail) -> list[str]:
    return sorted(line for line in mail.body.splitlines() if line.startswith("- "))


def reports(demo: DemoInstance, markers: Markers, n: int) -> None:
    for i in range(n):
        report = markers.report(demo, facts=f"Взятка номер {i} за допуск к тендеру.")
        text_ = f"Дополнение {i}: деньги передали в конверте."
        markers.always.add(text_)
        reporter_follows_up(demo, report, text_)


def owed_once(demo: DemoInstance, to: dict[str, str], mails: list[Mail]) -> None:
    """Each holder got exactly one mail, and the ledger has every notice sent, none claimed."""
    got = by_address(mails)
    assert sorted(got) == sorted([to["handler"], to["head"]])
    assert all(len(m) == 1 for m in got.values()), {a: len(m) for a, m in got.items()}
    rows = ledger(demo)
    assert rows and all(r.sent_on is not None and r.claim is None for r in rows)


def test_two_workers_started_together_send_each_notice_once(
    demo: DemoInstance, smtp: SmtpServer, mail_guard: Markers
) -> None:
    to = addresses(demo)
    reports(demo, mail_guard, 3)
    workers: list[subprocess.Popen[str]] = []

    async def other_pass_done() -> None:
        """Each worker connects only after its claims are committed. Hold the first one here
        until the other has made its whole pass (a worker with nothing claimed connects and
        quits without EHLO) or has come to send too: the passes overlap, claims and all."""
        ehlos.append(time.monotonic())
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if len(ehlos) >= 2 or any(w.poll() is not None for w in workers):
                return
            await asyncio.sleep(0.02)
        raise AssertionError("the other worker neither sent nor finished")

    ehlos: list[float] = []
    smtp.recorder.on_ehlo = other_pass_done
    workers += [start_worker(smtp.port), start_worker(smtp.port)]
    results = [finish(w) for w in workers]
    assert [code for code, _, _ in results] == [0, 0], results
    mails = smtp.recorder.taken()
    owed_once(demo, to, mails)
    for mail in mails:
        # All three reports and follow-ups, in one mail per holder, across both workers.
        assert "- New reports: 3" in counts(mail), mail.body
        assert "- New messages from reporters: 3" in counts(mail)
    # One worker claimed everything and sent it; the other found it all claimed.
    assert sorted(out.split()[1] for _, out, _ in results) == ["0", "2"], results


def _pending(demo: DemoInstance) -> None:
    """The killed worker's claims are still there, unsent, held until the lease ends."""
    rows = ledger(demo)
    assert rows and all(r.sent_on is None and r.claim is not None for r in rows)
    now = utcnow()
    for row in rows:
        assert row.claimed_until is not None
        until = row.claimed_until
        until = until if until.tzinfo else until.replace(tzinfo=now.tzinfo)
        assert now < until <= now + LEASE


def _after_a_kill(demo: DemoInstance, smtp: SmtpServer, before: int) -> list[Mail]:
    """A pass now sends nothing (the claims are held); the first pass after the lease sends
    them; a pass after that sends nothing. Returns the mails of those passes."""
    smtp.recorder.on_ehlo = smtp.recorder.before_data = smtp.recorder.after_data = None
    result = run_pass(demo, smtp.port, utcnow())
    assert result is not None and result.sent == 0 and result.failed == 0
    assert len(smtp.recorder.taken()) == before
    later = utcnow() + AFTER_LEASE
    result = run_pass(demo, smtp.port, later)
    assert result is not None and result.sent == 2 and result.failed == 0
    run_pass(demo, smtp.port, later + timedelta(minutes=1))
    return smtp.recorder.taken()[before:]


def test_a_worker_killed_before_sending_leaves_its_notices_to_the_pass_after_the_lease(
    demo: DemoInstance, smtp: SmtpServer, mail_guard: Markers
) -> None:
    to = addresses(demo)
    reports(demo, mail_guard, 1)
    victim = Victim()
    smtp.recorder.on_ehlo = victim.kill
    code, _, _ = finish(victim.start(smtp.port))
    assert code == -signal.SIGKILL and victim.killed.wait(10)
    assert smtp.recorder.taken() == []
    _pending(demo)
    owed_once(demo, to, _after_a_kill(demo, smtp, 0))


def test_a_worker_killed_during_data_leaves_its_notices_to_the_pass_after_the_lease(
    demo: DemoInstance, smtp: SmtpServer, mail_guard: Markers
) -> None:
    to = addresses(demo)
    reports(demo, mail_guard, 1)
    victim = Victim()

    def kill_before_answering() -> str:
        victim.kill()
        return "451 4.3.0 not taken"

    smtp.recorder.before_data = kill_before_answering
    code, _, _ = finish(victim.start(smtp.port))
    assert code == -signal.SIGKILL and victim.killed.wait(10)
    assert smtp.recorder.taken() == []  # the server never took it
    _pending(demo)
    owed_once(demo, to, _after_a_kill(demo, smtp, 0))


@contextmanager
def writes_held(demo: DemoInstance) -> Iterator[None]:
    """Nobody else can write the ledger while this is held: SQLite's write lock, or an
    EXCLUSIVE lock on PostgreSQL's notices table (reads go on)."""
    url = demo.engine.url
    if url.get_backend_name() == "sqlite":
        assert url.database
        db = sqlite3.connect(url.database, isolation_level=None, check_same_thread=False)
        db.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            db.execute("ROLLBACK")
            db.close()
    else:
        with demo.engine.connect() as conn:
            conn.execute(text("LOCK TABLE notices IN EXCLUSIVE MODE"))
            try:
                yield
            finally:
                conn.rollback()


def blocked_on_ledger(demo: DemoInstance, timeout: float = 20.0) -> None:
    """Wait until the worker is stuck recording the mail (PostgreSQL shows it waiting on the
    lock; SQLite cannot say, so give it a second: it cannot get past the lock either way)."""
    if demo.engine.url.get_backend_name() == "sqlite":
        time.sleep(1.0)
        return
    deadline = time.monotonic() + timeout
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock' AND query ILIKE 'UPDATE notices%'"
    )
    while time.monotonic() < deadline:
        with demo.engine.connect() as conn:
            if conn.execute(query).scalar():
                return
        time.sleep(0.05)
    raise AssertionError("the worker never got to recording the mail")


def test_a_worker_killed_after_the_server_took_a_mail_sends_that_one_twice_and_loses_none(
    demo: DemoInstance, smtp: SmtpServer, mail_guard: Markers
) -> None:
    to = addresses(demo)
    reports(demo, mail_guard, 1)
    victim = Victim()
    taken = threading.Event()
    lock_wanted, lock_held = threading.Event(), threading.Event()

    def hold_ledger() -> None:  # on EHLO: the claims are committed, no mail is recorded yet
        lock_wanted.set()
        assert lock_held.wait(30)

    smtp.recorder.on_ehlo = hold_ledger
    smtp.recorder.after_data = taken.set  # the mail is kept; then 250
    process = victim.start(smtp.port)
    assert lock_wanted.wait(30)
    with writes_held(demo):
        lock_held.set()
        assert taken.wait(30)
        blocked_on_ledger(demo)  # the worker has its 250 and waits to record it
        victim.kill()
    code, _, _ = finish(process)
    assert code == -signal.SIGKILL
    (first,) = smtp.recorder.taken()
    _pending(demo)  # the accepted mail too: nothing recorded it

    again = _after_a_kill(demo, smtp, 1)
    got = by_address([first, *again])
    assert sorted(got) == sorted([to["handler"], to["head"]])
    (twice,) = first.rcpt_tos
    assert len(got[twice]) == 2 and counts(got[twice][0]) == counts(got[twice][1])
    assert Counter(len(m) for m in got.values()) == Counter({2: 1, 1: 1})
    rows = ledger(demo)
    assert all(r.sent_on is not None and r.claim is None for r in rows)


@pytest.mark.parametrize("claimed_in, passes_in", [(KZ_TZ, UTC), (UTC, KZ_TZ)])
def test_the_lease_holds_whatever_time_zone_a_pass_is_given_in(
    demo: DemoInstance,
    smtp: SmtpServer,
    mail_guard: Markers,
    claimed_in: tzinfo,
    passes_in: tzinfo,
) -> None:
    """`one_pass` takes any aware `now`. A claim made at a `now` in one zone is held for its
    lease, then sent, in the reckoning of a pass in another zone. (SQLite keeps a timestamp's
    wall-clock digits: a Kazakh-time claim looked five hours longer to a UTC pass, and a UTC
    claim already ended to a Kazakh-time pass, so a live worker's mails were sent again.)"""
    to = addresses(demo)
    reports(demo, mail_guard, 1)
    claimed_at = utcnow().astimezone(claimed_in)
    with demo.sessions() as s:  # what a worker killed on EHLO leaves behind
        lists.catch_up_committed(s)
    with demo.sessions() as s, s.begin():
        notices.claim(s, demo.instance.secret_key, notices.events(s, claimed_at), claimed_at)
    held = run_pass(demo, smtp.port, (claimed_at + timedelta(minutes=1)).astimezone(passes_in))
    assert held is not None and held.sent == 0
    after = run_pass(demo, smtp.port, (claimed_at + AFTER_LEASE).astimezone(passes_in))
    assert after is not None and after.sent == 2
    owed_once(demo, to, smtp.recorder.taken())
