"""A superior body's page: the statistics of every organization below it (issue 13).

For the head and the auditor of an organization, as DESIGN.md's "Organizations" says: a
superior body sees its subordinates' counts (by channel, status, month of receipt and deadline
outcome), never their content, cases or people. Counted by cases.subordinates from plain list
columns; the signed-in user's own organization is the root, so nobody sees above it or beside it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, render_template

from cases.lists import catch_up_committed
from cases.subordinates import subordinate_counts
from handler.gate import allow, current_user
from handler.org_names import name_of
from web.database import db

bp = Blueprint("subordinates", __name__)


@bp.get("/statistics/subordinates")
@allow("head", "auditor")
def page() -> str:
    org_id = current_user().org_id
    if org_id is None:  # pragma: no cover - every head and auditor belongs to an organization
        rows = []
    else:
        catch_up_committed(db())
        rows = subordinate_counts(db(), org_id, datetime.now(UTC))
    return render_template(
        "handler/subordinates.html", rows=[(r, name_of(r.organization)) for r in rows]
    )
