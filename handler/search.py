"""The search page: the text of the cases the signed-in user holds, opened with their key.

A GET form, so a result page can be bookmarked, reloaded and paged; neither Caddy nor gunicorn
writes an access log (Caddyfile, adal_cli/gunicorn_conf.py), and the page sends no Referer, so
the words do not leave the browser except to this view. The view writes nothing but the audit
entry (that a search happened and its number of results).
"""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l

from cases import search as finding
from handler.access import require_key
from handler.gate import CASE_ROLES, allow, current_user
from handler.messages import describe
from rules.errors import AdalError
from web.database import db

bp = Blueprint("search", __name__)

MAX_PAGE = 10_000
KIND_LABELS = {
    "report": _l("Report"),
    "from_reporter": _l("From the reporter"),
    "to_reporter": _l("To the reporter"),
    "note": _l("Internal note"),
}


def _page(query: str, results: finding.Results | None, error: str | None) -> str:
    return render_template(
        "handler/search.html",
        query=query,
        results=results,
        error=error,
        kinds=KIND_LABELS,
        per_page=finding.PER_PAGE,
    )


@bp.get("/search")
@allow(*CASE_ROLES)
def page() -> tuple[str, int] | str:
    query = request.args.get("q", "")
    if not query.strip():
        return _page("", None, None)
    number = request.args.get("page", 1, type=int) or 1
    number = max(1, min(number, MAX_PAGE))
    key = require_key()
    database = db()
    try:
        results = finding.search(database, key, query, current_user(), page=number)
    except AdalError as error:
        database.rollback()
        return _page(query[: finding.MAX_QUERY], None, describe(error)), 400
    database.commit()
    return _page(query, results, None)
