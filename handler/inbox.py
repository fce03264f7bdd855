"""The inbox: the reports the signed-in key holds, from plain columns only (nothing decrypted).

A report appears for a user only when their key holds a grant on it; other reports exist for
them neither here nor by URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import Blueprint, redirect, render_template, request
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from cases.deadlines import DeadlineRow
from handler import keyring
from handler.auth import home_for
from handler.deadlines import held_open_deadlines
from handler.gate import CASE_ROLES, allow, allow_pending, current_user
from store.models import Case, Grant, Message, Submission
from web.database import db

bp = Blueprint("inbox", __name__)
PER_PAGE = 50


@dataclass(frozen=True)
class Row:
    submission_id: str
    received_on: date
    channel: str
    status: str
    last_from_reporter: date | None


def rows(database: Session, key_id: str, closed: bool, page: int) -> tuple[list[Row], bool]:
    last_message = (
        select(Message.submission_id, func.max(Message.created_on).label("last"))
        .where(Message.direction == "from_reporter")
        .group_by(Message.submission_id)
        .subquery()
    )
    query = (
        select(Submission, Case, last_message.c.last)
        .join(
            Grant, (Grant.envelope_id == Submission.report_envelope_id) & (Grant.key_id == key_id)
        )
        .outerjoin(Case, Case.submission_id == Submission.id)
        .outerjoin(last_message, last_message.c.submission_id == Submission.id)
        .where(Case.closed_at.is_not(None) if closed else Case.closed_at.is_(None))
        .order_by(Submission.received_on.desc(), Submission.id)
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE + 1)
    )
    result = [
        Row(s.id, s.received_on, s.channel, "new" if c is None else c.status, last)
        for s, c, last in database.execute(query)
    ]
    return result[:PER_PAGE], len(result) > PER_PAGE


@bp.get("/")
@allow_pending
def home() -> Response:
    return redirect(home_for(current_user().role), code=303)


@bp.get("/inbox")
@allow(*CASE_ROLES)
def inbox() -> str:
    closed = request.args.get("show") == "closed"
    page = request.args.get("page", 1, type=int) or 1
    page = max(1, min(page, 10_000))
    key_id = keyring.key_id()
    found, more = rows(db(), key_id, closed, page) if key_id else ([], False)
    # Open deadlines of the listed cases: the most urgent per opened case, shown next to its
    # status; for a report nobody has opened, both of p8 and p9, which run from its receipt.
    urgent: dict[str, list[DeadlineRow]] = {}
    if found and not closed:
        new = {r.submission_id for r in found if r.status == "new"}
        on_page = {r.submission_id for r in found}
        for row in held_open_deadlines(db(), key_id):
            if row.submission_id not in on_page:
                continue
            listed = urgent.setdefault(row.submission_id, [])
            if not listed or row.submission_id in new:
                listed.append(row)
    return render_template(
        "handler/inbox.html",
        rows=found,
        more=more,
        page=page,
        closed=closed,
        has_key=key_id is not None,
        urgent=urgent,
    )
