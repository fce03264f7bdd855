"""Removing file envelopes that never became part of a report or message.

Files are streamed into their own small transactions while an upload arrives, and linked to
their submission (an Attachment row, `chunk_count` set) only in the final transaction. A crash,
a lost connection or a refused form in between leaves an envelope nobody links to. Such an
envelope is never shown (only Attachment rows lead to files) and is removed here.

Contract for every writer of "file" envelopes: link each one with an Attachment row before the
end of the next day, or it is garbage.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from store.models import Attachment, Envelope
from store.sealing import shred

# Orphans are removed only when created before yesterday: an upload that began just before
# midnight is still in flight, and must not lose its first chunks to a cleanup after midnight.
GRACE = timedelta(days=1)


def orphan_file_ids(session: Session, today: date, limit: int = 100) -> list[str]:
    cutoff = today - GRACE
    linked = exists().where(Attachment.envelope_id == Envelope.id)
    return list(
        session.execute(
            select(Envelope.id)
            .where(Envelope.purpose == "file", Envelope.created_on < cutoff, ~linked)
            .limit(limit)
        ).scalars()
    )


def delete_orphan_files(session: Session, today: date, limit: int = 100) -> int:
    """Shred up to `limit` orphaned file envelopes; returns how many. The caller commits."""
    ids = orphan_file_ids(session, today, limit)
    for envelope_id in ids:
        shred(session, envelope_id)
    return len(ids)
