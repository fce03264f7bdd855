"""The inbox: the reports the signed-in key holds, from stored plain columns (cases.lists),
one page at a time, filtered and sorted in the query; nothing is decrypted.

A report appears for a user only when their key holds a grant on it; other reports exist for
them neither here nor by URL. Filter values that make no sense are ignored, and the page says
so, rather than failing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Literal

from flask import Blueprint, redirect, render_template, request
from sqlalchemy import select
from werkzeug.wrappers import Response

from cases import scope
from cases.lists import DEADLINE_FILTERS, SORTS, InboxFilters, catch_up_committed, inbox_page
from handler import keyring
from handler.auth import home_for
from handler.filters import CHANNELS, STATUSES
from handler.gate import CASE_ROLES, allow, allow_pending, current_user, own_org
from store.models import User
from web.database import db

bp = Blueprint("inbox", __name__)
MAX_PAGE = 10_000


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def parse_filters(args: Any, me: int) -> tuple[InboxFilters, dict[str, str], bool]:
    """The filters asked for, the query arguments that keep them on the pager's links, and
    whether any value was not understood (and ignored)."""
    kept: dict[str, str] = {}
    bad = False

    def pick(name: str, allowed: Any) -> str | None:
        nonlocal bad
        value = args.get(name, "")
        if not value:
            return None
        if value not in allowed:
            bad = True
            return None
        kept[name] = value
        return str(value)

    closed = args.get("show") == "closed"
    if closed:
        kept["show"] = "closed"
    status = pick("status", STATUSES)
    channel = pick("channel", CHANNELS)
    deadline = pick("deadline", DEADLINE_FILTERS)
    sort = pick("sort", SORTS) or "received"
    assignee: int | Literal["none"] | None = None
    raw = args.get("assignee", "")
    if raw == "mine":
        assignee, kept["assignee"] = me, raw
    elif raw == "none":
        assignee, kept["assignee"] = "none", raw
    elif raw.isdigit() and len(raw) < 10:
        assignee, kept["assignee"] = int(raw), raw
    elif raw:
        bad = True
    days: dict[str, date | None] = {}
    for name in ("since", "until"):
        value = args.get(name, "")
        days[name] = _day(value) if value else None
        if value and days[name] is None:
            bad = True
        elif days[name] is not None:
            kept[name] = value
    since, until = days["since"], days["until"]
    if since and until and since > until:
        bad = True
        since = until = None
        kept.pop("since", None)
        kept.pop("until", None)
    filters = InboxFilters(
        closed=closed,
        status=status,
        channel=channel,
        deadline=deadline,
        assignee=assignee,
        since=since,
        until=until,
        sort=sort,
    )
    return filters, kept, bad


def _page() -> int:
    page = request.args.get("page", 1, type=int) or 1
    return max(1, min(page, MAX_PAGE))


def staff_choices() -> list[tuple[int, str]]:
    """Who may be responsible for a case, for the assignee filter: active handlers and heads."""
    return [
        (u.id, u.full_name)
        for u in db().scalars(
            select(User)
            .where(
                scope.in_org(User.org_id, own_org()),
                User.active.is_(True),
                User.role.in_(CASE_ROLES),
            )
            .order_by(User.full_name, User.id)
        )
    ]


@bp.get("/")
@allow_pending
def home() -> Response:
    return redirect(home_for(current_user().role), code=303)


@bp.get("/inbox")
@allow(*CASE_ROLES)
def inbox() -> str:
    filters, kept, bad = parse_filters(request.args, current_user().id)
    page = _page()
    key_id = keyring.key_id()
    rows: list[Any] = []
    more = False
    if key_id:
        catch_up_committed(db())
        found = inbox_page(db(), key_id, datetime.now(UTC), filters, page, org_id=own_org())
        rows, more = found.rows, found.more
    return render_template(
        "handler/inbox.html",
        rows=rows,
        more=more,
        page=page,
        closed=filters.closed,
        filters=filters,
        kept=kept,
        bad=bad,
        staff=staff_choices(),
        statuses=STATUSES,
        has_key=key_id is not None,
    )
