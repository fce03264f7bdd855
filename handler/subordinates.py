"""A superior body's page: the statistics of every organization below it (issue 13).

For the head and the auditor of an organization, as DESIGN.md's "Organizations" says: a superior
body sees its subordinates' counts (by channel, status, quarter of receipt and deadline
outcome), never their content, cases or people; a count below 3 reads "fewer than 3" (p7, p14).
Counted by cases.subordinates from plain list columns; the signed-in user's own organization is
the root, so nobody sees above it or beside it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from cases.lists import catch_up_committed
from cases.subordinates import subordinate_counts, too_small
from handler import org_scope
from handler.gate import allow, own_org
from handler.org_names import name_of
from web.database import db

bp = Blueprint("subordinates", __name__)
# Organizations a page: a national tree has thousands below its root.
PER_PAGE = 200


def _quarter(year: int, quarter: int) -> str:
    labels = {
        1: _("%(year)d Q1", year=year),
        2: _("%(year)d Q2", year=year),
        3: _("%(year)d Q3", year=year),
        4: _("%(year)d Q4", year=year),
    }
    return labels[quarter]


def _count(value: int) -> str:
    return _("fewer than 3") if too_small(value) else str(value)


@bp.get("/statistics/subordinates")
@allow("head", "auditor")
def page() -> str:
    org_id = own_org()
    catch_up_committed(db())
    # Row-level security keeps a transaction to one organization, and these are the counts of
    # the others below it: their two counting queries alone run in the subtree's scope (those
    # organizations' list rows, read-only; handler/org_scope.py), and everything after them
    # (the templates, the context processors) in the user's own again.
    # cases.subordinates also limits them to the subtree and returns counts only.
    database = db()
    rows = subordinate_counts(
        database,
        org_id,
        datetime.now(UTC),
        narrow=lambda ids: org_scope.subtree(database, ids),
    )
    pages = max(1, -(-len(rows) // PER_PAGE))
    page = min(max(1, request.args.get("page", 1, type=int) or 1), pages)
    shown = rows[(page - 1) * PER_PAGE : page * PER_PAGE]
    return render_template(
        "handler/subordinates.html",
        rows=[(r, name_of(r.organization)) for r in shown],
        page=page,
        pages=pages,
        quarter_label=_quarter,
        small_count=_count,
    )
