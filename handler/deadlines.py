"""The deadline dashboard: the open deadlines of the cases the signed-in key holds, one page at a
time, from stored plain columns (cases.lists), nothing decrypted.

The NDA's 24 hours show their earliest possible due time (marked as such). Cases the key does not
hold are left out: the dashboard must not reveal that a case exists to someone who cannot open it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, render_template, request

from cases.lists import Page, catch_up_committed, open_deadlines_page
from handler import keyring
from handler.gate import CASE_ROLES, allow, own_org
from web.database import db

bp = Blueprint("deadlines", __name__)
STATES = ("overdue", "due_soon", "due")
MAX_PAGE = 10_000


@bp.get("/deadlines")
@allow(*CASE_ROLES)
def dashboard() -> str:
    page = max(1, min(request.args.get("page", 1, type=int) or 1, MAX_PAGE))
    state = request.args.get("state", "")
    bad = bool(state) and state not in STATES
    if bad:
        state = ""
    key_id = keyring.key_id()
    found = Page([], page, False)
    if key_id is not None:
        catch_up_committed(db())
        found = open_deadlines_page(
            db(), key_id, datetime.now(UTC), org_id=own_org(), page=page, state=state or None
        )
    return render_template(
        "handler/deadlines.html",
        rows=found.rows,
        page=page,
        more=found.more,
        state=state,
        states=STATES,
        bad=bad,
    )
