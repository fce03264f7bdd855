"""Background housekeeping: work no request waits for, run by `adal housekeeping`.

One pass (`run_housekeeping`) does two things, each in bounded time and idempotent, so a timer
can run it hourly and a rerun after a crash is harmless:

* Orphaned file envelopes. Files are streamed into their own small transactions while an
  upload arrives, and linked to their submission (an Attachment row, `chunk_count` set) only in
  the final transaction. A crash, a lost connection or a refused form in between leaves an
  envelope nobody links to. Such an envelope is never shown (only Attachment rows lead to files)
  and is shredded here. Contract for every writer of "file" envelopes: link each one with an
  Attachment row before the end of the next day, or it is garbage.
* Expired web sessions: rows past the date `store.websessions` gives them.

Where it runs. On the back-office host, as the owner role, from `deploy/systemd/
adal-housekeeping.timer` (hourly, as the portal used to do it after a report). There is
deliberately no request-time fallback: a web request should do its own work only, the portal
role could collect only the portal's rows anyway, and nothing is exposed while the worker is
missing: an orphan is sealed and never shown, an expired session never opens (and the request
that presents it deletes its row). What a missing timer costs is disk space, so the units and
the README's deployment steps install it together with the apps.

The coming notification worker (`adal notify`, DESIGN.md "Notifications") takes the same shape
with one addition, an outbox: a `notifications` table in `store.models` that the use case in
`cases/` (submit_report, the message writer, the workflow steps) writes in the same transaction
as the change it announces. A rolled-back change then announces nothing and a committed one is
never missed, with no second source of truth to reconcile; the worker (`cases/notify.py`, its
own command, unit and timer on the back-office host) sends pending rows in batches and marks
them sent, so a crash or a rerun sends no duplicate and loses none. Its rows hold plain facts
only (event kind, organization, a date, never an exact time or content), and the portal role
gets INSERT on that table alone. It is a separate command from this one because its cadence
(batched every 15 minutes) and its failures (a mail server down) are its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from store import websessions
from store.models import Attachment, DisclosureBasis, Envelope
from store.sealing import shred

# Orphans are removed only when created before yesterday: an upload that began just before
# midnight is still in flight, and must not lose its first chunks to a cleanup after midnight.
GRACE = timedelta(days=1)


def orphan_file_ids(session: Session, today: date, limit: int = 100) -> list[str]:
    cutoff = today - GRACE
    linked = exists().where(Attachment.envelope_id == Envelope.id)
    # A signed Appendix 2's scan is a file too, owned by its disclosure record, not a message.
    scan = exists().where(DisclosureBasis.scan_envelope_id == Envelope.id)
    return list(
        session.execute(
            select(Envelope.id)
            .where(Envelope.purpose == "file", Envelope.created_on < cutoff, ~linked, ~scan)
            .limit(limit)
        ).scalars()
    )


def delete_orphan_files(session: Session, today: date, limit: int = 100) -> int:
    """Shred up to `limit` orphaned file envelopes; returns how many. The caller commits."""
    ids = orphan_file_ids(session, today, limit)
    for envelope_id in ids:
        shred(session, envelope_id)
    return len(ids)


@dataclass(frozen=True)
class Summary:
    """What one pass removed."""

    orphan_files: int
    expired_sessions: int


def run_housekeeping(
    session: Session, today: date, batch: int = 100, max_batches: int = 1000
) -> Summary:
    """One pass: the orphans past their grace period, the expired sessions. The caller commits.

    Orphans are shredded in batches, so a backlog (a worker not installed for a while) never
    loads every id at once, and at most `max_batches` of them, so a pass ends in bounded time
    even if a row refused to go; the next pass takes the rest.
    """
    orphans = 0
    for _ in range(max_batches):
        removed = delete_orphan_files(session, today, batch)
        orphans += removed
        if removed < batch:
            break
    return Summary(
        orphan_files=orphans, expired_sessions=websessions.delete_expired(session, today)
    )
