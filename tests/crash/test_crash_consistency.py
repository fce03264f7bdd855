"""A worker killed mid-write loses no report that was acknowledged, and leaves no half report.

200 reporters submit at once (each fetches the form for its token and cookie, then posts a
report with a small file of several chunks) to the portal under gunicorn. While they are in
flight (the test waits until posts are under way, so the kills cannot fall in a lull between
waves of resent reports) every worker is killed with SIGKILL, twice; gunicorn's master starts
new ones. The portal runs with the systemd unit's 16 threads, so uploads fill its slots and its
waiting line as in production. Then the portal is stopped and started again, and:
  * every submission that returned a receipt opens: the mailbox accepts its code over HTTP, and
    the handler's key (and the organization's recovery key) decrypt the report and its file,
    byte for byte, through the store code;
  * nothing is half-written anywhere: no submission without its sealed report, no envelope
    without grants, no mailbox without its submission, no attachment whose file is missing
    chunks or was never completed, no sealed report, identity or message that nothing links
    to. File envelopes of uploads that were cut off may remain unlinked (invisible, chunk_count
    NULL): the orphan cleanup removes them without touching any attached file.
Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import os
import random
import re
import secrets
import shutil
import signal
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

import requests
from nacl.public import PrivateKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench import loopback as servers
from cases.housekeeping import delete_orphan_files
from crypto import keys as ckeys
from crypto import receipt
from crypto.kdf import derive_receipt_secrets
from rules.clock import local_date, utcnow
from store import payloads
from store.models import Attachment, Envelope, FileChunk, Grant, Mailbox, Message, Submission
from store.sealing import iter_file, open_body
from tests.support.instance import DemoInstance

REPORTERS = 200
# Kill every worker when this many reporters have finished: early, while many are still
# sending (the posts cut by the first kill are sent again at once, a crowd for the second).
KILL_AFTER = (30, 60)
IN_FLIGHT = 4  # ... and this many posts are under way; after BUSY_WAIT seconds, any one will do
BUSY_WAIT = 5.0  # the storm may end within 20 s of the second threshold on a fast run
THREADS = 16  # as deploy/systemd/adal-portal@.service runs it
ATTEMPTS = 3
FILE_BYTES = 150 * 1024  # three 64 KiB chunks: a kill can land between two of them
LOGS = servers.ROOT / "test-artifacts" / "logs" / "crash"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_NONCE = re.compile(r'name="nonce"[^>]*value="([^"]+)"')
_RECEIPT = re.compile(r'class="code"[^>]*><strong>([0-9 ]+)</strong>')


@dataclass
class Outcome:
    facts: str
    data: bytes
    filename: str
    code: str | None = None
    failure: str = ""
    dropped: int = 0  # connections cut by a kill
    busy: int = 0  # 503s that gave the form back, each sent again after Retry-After


class Posts:
    """How many reports are being posted right now, for the kills to wait for."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0

    def add(self, n: int) -> None:
        with self._lock:
            self.count += n


def report(url: str, outcome: Outcome, deadline: float, posts: Posts) -> None:
    """Send the report as a browser would; after a dropped connection, reload the form and
    send again, as a person would (at most ATTEMPTS times). A 503 that gives the form back
    (every upload slot taken: nothing was stored) is sent again after its Retry-After, as the
    page asks; that costs no attempt, only time."""
    attempt = 0
    while attempt < ATTEMPTS:
        attempt += 1
        http = requests.Session()
        try:
            page = http.get(f"{url}/report", timeout=120).text
            token, nonce = _CSRF.search(page), _NONCE.search(page)
            if not (token and nonce):
                outcome.failure = "form without token"
                return
            posts.add(1)
            try:
                answer = http.post(
                    f"{url}/report",
                    timeout=120,
                    files=[
                        ("csrf_token", (None, token.group(1))),
                        ("nonce", (None, nonce.group(1))),
                        ("facts", (None, outcome.facts)),
                        ("acknowledge", (None, "y")),
                        ("files", (outcome.filename, outcome.data, "application/octet-stream")),
                    ],
                )
            finally:
                posts.add(-1)
        except requests.RequestException as exc:
            outcome.failure = f"connection: {type(exc).__name__}"
            outcome.dropped += 1
            continue
        found = _RECEIPT.search(answer.text)
        if answer.status_code == 200 and found:
            outcome.code, outcome.failure = found.group(1), ""
            return
        outcome.failure = f"HTTP {answer.status_code}"
        wait = answer.headers.get("Retry-After", "")
        given_back = outcome.facts in answer.text and 'action="/report"' in answer.text
        if answer.status_code != 503 or not wait.isdigit() or not given_back:
            return
        pause = int(wait) * random.uniform(0.5, 1.5)  # people are not in step
        if time.monotonic() + pause > deadline:
            return
        outcome.busy += 1
        attempt -= 1
        time.sleep(pause)


def kill_workers(server: servers.Server) -> list[int]:
    killed = server.workers()
    for pid in killed:
        os.kill(pid, signal.SIGKILL)
    return killed


def storm(server: servers.Server) -> tuple[list[Outcome], list[list[int]], list[int]]:
    outcomes = [
        Outcome(
            f"crash report {i}: {secrets.token_hex(8)}",
            secrets.token_bytes(FILE_BYTES),
            f"evidence-{i}.bin",
        )
        for i in range(REPORTERS)
    ]
    deadline = time.monotonic() + 600
    posts = Posts()
    threads = [
        threading.Thread(target=report, args=(server.url, o, deadline - 60, posts), daemon=True)
        for o in outcomes
    ]
    for thread in threads:
        thread.start()
    kills: list[list[int]] = []
    hit: list[int] = []  # posts under way at each kill
    for threshold in KILL_AFTER:
        while sum(not t.is_alive() for t in threads) < threshold and time.monotonic() < deadline:
            time.sleep(0.005)
        # Late in the storm the resent reports come back one by one (each waited a random
        # Retry-After), so a crowd of IN_FLIGHT may not come again; then one post will do.
        crowd_until = time.monotonic() + BUSY_WAIT
        while True:
            under_way = posts.count  # read once: the kill follows the figure that allowed it
            if (
                under_way >= (IN_FLIGHT if time.monotonic() < crowd_until else 1)
                or not any(t.is_alive() for t in threads)
                or time.monotonic() > deadline
            ):
                break
            time.sleep(0.002)
        hit.append(under_way)
        kills.append(kill_workers(server))
    for thread in threads:
        thread.join(timeout=max(1.0, deadline - time.monotonic()))
    assert not any(t.is_alive() for t in threads), "reporters still waiting after 10 minutes"
    return outcomes, kills, hit


def open_mailbox(url: str, code: str) -> bool:
    http = requests.Session()
    token = _CSRF.search(http.get(f"{url}/mailbox", timeout=60).text)
    assert token
    answer = http.post(
        f"{url}/mailbox/login", data={"csrf_token": token.group(1), "code": code}, timeout=60
    )
    return answer.status_code == 200 and 'action="/mailbox/reply"' in answer.text


def check_opens(
    db: Session, demo: DemoInstance, outcome: Outcome, keys: dict[str, PrivateKey]
) -> list[str]:
    assert outcome.code
    secrets_ = derive_receipt_secrets(
        receipt.normalize(outcome.code), demo.instance.salt, demo.instance.kdf
    )
    mailbox = db.scalars(select(Mailbox).where(Mailbox.lookup_tag == secrets_.lookup_tag)).one()
    submission = db.scalars(select(Submission).where(Submission.mailbox_id == mailbox.id)).one()
    problems = []
    for name, key in keys.items():
        body = payloads.decode(
            open_body(submission.report_envelope, key, expect="report"), payloads.REPORT_FORMAT
        )
        if body.get("facts") != outcome.facts:
            problems.append(f"{outcome.code}: the {name} key opens another report's text")
        files = db.scalars(
            select(Attachment).where(Attachment.submission_id == submission.id)
        ).all()
        if len(files) != 1:
            problems.append(f"{outcome.code}: {len(files)} files instead of 1")
            continue
        meta, chunks = payloads.split_file(iter_file(db, files[0].envelope, key))
        if meta.filename != outcome.filename or b"".join(chunks) != outcome.data:
            problems.append(f"{outcome.code}: the file does not decrypt to what was sent")
    return problems


def half_written(db: Session) -> list[str]:
    """Every way a report, message or file could exist only in part."""
    problems: list[str] = []
    granted = select(Grant.envelope_id)
    for env_id, purpose in db.execute(
        select(Envelope.id, Envelope.purpose).where(Envelope.id.not_in(granted))
    ):
        problems.append(f"{purpose} envelope {env_id} has no grant")
    for sub in db.scalars(select(Submission)):
        if sub.report_envelope is None or sub.report_envelope.body is None:
            problems.append(f"submission {sub.id} has no sealed report")
        if sub.channel == "portal" and sub.mailbox_id is None:
            problems.append(f"portal submission {sub.id} has no mailbox")
    linked = select(Submission.mailbox_id).where(Submission.mailbox_id.is_not(None))
    for (mailbox_id,) in db.execute(select(Mailbox.id).where(Mailbox.id.not_in(linked))):
        problems.append(f"mailbox {mailbox_id} belongs to no submission")
    used = select(Submission.report_envelope_id).union(
        select(Submission.identity_envelope_id), select(Message.envelope_id)
    )
    for env_id, purpose in db.execute(
        select(Envelope.id, Envelope.purpose).where(
            Envelope.purpose.in_(("report", "identity", "message")), Envelope.id.not_in(used)
        )
    ):
        problems.append(f"{purpose} envelope {env_id} is linked to nothing")
    counts = dict(
        db.execute(
            select(FileChunk.envelope_id, func.count()).group_by(FileChunk.envelope_id)
        ).all()
    )
    for attachment in db.scalars(select(Attachment)):
        env = attachment.envelope
        if env.chunk_count is None:
            problems.append(f"attachment {attachment.id}: its file was never completed")
        elif counts.get(env.id, 0) != env.chunk_count:
            problems.append(
                f"attachment {attachment.id}: {counts.get(env.id, 0)} of {env.chunk_count} chunks"
            )
    attached = select(Attachment.envelope_id)
    for (env_id,) in db.execute(
        select(Envelope.id).where(
            Envelope.purpose == "file",
            Envelope.chunk_count.is_not(None),
            Envelope.id.not_in(attached),
        )
    ):
        problems.append(f"file envelope {env_id} is complete but attached to nothing")
    return problems


def test_sigkill_during_200_submissions(demo: DemoInstance) -> None:
    servers.compile_translations()
    url = demo.instance.database_url
    shutil.rmtree(LOGS, ignore_errors=True)  # only this run's logs stay behind
    server = servers.start("portal", demo.path, url, LOGS, workers=2, threads=THREADS)
    try:
        outcomes, kills, hit = storm(server)
        assert all(kills), f"no worker to kill at some point: {kills}"
        after_kill = requests.get(server.url + "/", timeout=60)
        assert after_kill.status_code == 200, "the master did not replace the killed workers"
    finally:
        server.stop()
    log_problems = server.problems()
    receipted = [o for o in outcomes if o.code]
    failures: dict[str, int] = {}
    for o in outcomes:
        if not o.code:
            failures[o.failure] = failures.get(o.failure, 0) + 1
    dropped = sum(o.dropped for o in outcomes)
    busy = sum(o.busy for o in outcomes)
    summary = (
        f"{len(receipted)} receipts, {dropped} connections dropped by the kills, "
        f"{busy} sent again after a busy 503, unfinished {failures}, "
        f"workers killed {kills} with {hit} posts under way"
    )
    assert not [f for f in failures if f.startswith("HTTP")], (
        f"the portal refused reports instead of storing them or dropping the connection: {summary}"
    )
    assert all(hit), f"a kill found no post under way: {summary}"
    assert dropped > 0, f"the kills hit no request in flight: {summary}"
    assert len(receipted) >= REPORTERS // 2, f"too few reports got through: {summary}"
    assert not log_problems, "the portal logged failures:\n" + "\n".join(log_problems)

    restarted = servers.start("portal", demo.path, url, LOGS, workers=2, threads=THREADS)
    try:
        unopened = [o.code for o in receipted if not open_mailbox(restarted.url, o.code or "")]
    finally:
        restarted.stop()
    assert not unopened, f"receipts whose mailbox does not open after restart: {unopened}"

    keys: dict[str, PrivateKey] = {
        "handler": demo.staff_key("handler"),
        "recovery": ckeys.parse_recovery_key(demo.recovery_key()),
    }
    with demo.sessions() as db:
        problems = half_written(db)
        for outcome in receipted:
            problems += check_opens(db, demo, outcome, keys)
        stored = db.scalar(select(func.count()).select_from(Submission)) or 0
    assert not problems, f"{summary}\n" + "\n".join(problems)
    assert stored >= len(receipted)

    # What cut-off uploads left behind is garbage the cleanup removes, and only that.
    with demo.sessions() as db, db.begin():
        delete_orphan_files(db, local_date(utcnow()) + timedelta(days=2), limit=10_000)
    with demo.sessions() as db:
        left = db.scalar(
            select(func.count())
            .select_from(Envelope)
            .where(Envelope.purpose == "file", Envelope.id.not_in(select(Attachment.envelope_id)))
        )
        assert left == 0, f"{left} orphaned files survive the cleanup"
        assert not half_written(db)
        for outcome in receipted[:20]:
            assert not check_opens(db, demo, outcome, keys)
    print(summary)  # shown with -s: the figures of this run
