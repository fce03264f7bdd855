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
from handler.inbox import paging, shown_page
from handler.messages import describe
from rules.errors import AdalError
from web.database import db

bp = Blueprint("deadlines", __name__)
STATES = ("overdue", "due_soon", "due")


@bp.get("/deadlines")
@allow(*CASE_ROLES)
def dashboard() -> tuple[str, int]:
    page, after, before = paging()
    state = request.args.get("state", "")
    bad = bool(state) and state not in STATES
    if bad:
        state = ""
    key_id = keyring.key_id()
    found = Page([], False)
    refused: str | None = None
    if key_id is not None:
        catch_up_committed(db())
        now = datetime.now(UTC)
        chosen = state or None
        org_id = own_org()
        try:
            found = open_deadlines_page(
                db(), key_id, now, org_id=org_id, state=chosen, after=after, before=before
            )
        except AdalError as error:  # an edited or stale link: say so and start again
            refused = describe(error)
            found = open_deadlines_page(db(), key_id, now, org_id=org_id, state=chosen)
    return render_template(
        "handler/deadlines.html",
        rows=found.rows,
        found=found,
        page=shown_page(found, page),
        state=state,
        states=STATES,
        bad=bad,
        refused=refused,
    ), 400 if refused else 200
