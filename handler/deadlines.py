"""The deadline dashboard: every open deadline of the cases the signed-in key holds.

Computed from plain columns and events (cases.deadlines), nothing decrypted, so the NDA's
24 hours show their earliest possible due time (marked as such). Cases the key does not hold are
left out: the dashboard must not reveal that a case exists to someone who cannot open it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from flask import Blueprint, render_template
from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.deadlines import DeadlineRow, open_deadlines
from handler import keyring
from handler.gate import CASE_ROLES, allow
from store.models import Grant, Submission
from web.database import db

bp = Blueprint("deadlines", __name__)


def held_ids(database: Session, key_id: str, among: Iterable[str]) -> set[str]:
    wanted = set(among)
    if not wanted:
        return set()
    rows = database.scalars(
        select(Submission.id)
        .join(
            Grant, (Grant.envelope_id == Submission.report_envelope_id) & (Grant.key_id == key_id)
        )
        .where(Submission.id.in_(wanted))
    )
    return set(rows)


def held_open_deadlines(database: Session, key_id: str | None) -> list[DeadlineRow]:
    if key_id is None:
        return []
    rows = open_deadlines(database, datetime.now(UTC))
    held = held_ids(database, key_id, {r.submission_id for r in rows})
    return [r for r in rows if r.submission_id in held]


@bp.get("/deadlines")
@allow(*CASE_ROLES)
def dashboard() -> str:
    rows = held_open_deadlines(db(), keyring.key_id())
    return render_template("handler/deadlines.html", rows=rows)
