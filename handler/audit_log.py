"""The audit log for the auditor: newest first, paged, and a check of the whole chain."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from cases import scope
from handler import org_scope
from handler.gate import allow, own_org
from store import audit
from store.models import AuditEntry
from web.database import db
from web.extensions import instance

bp = Blueprint("audit", __name__, url_prefix="/audit")
PER_PAGE = 100
# store.audit.Verification.code -> what the auditor reads.
FAILURES = {
    "link": _l("it does not follow the entry before it (an entry was removed, inserted or moved)"),
    "content": _l("its content was changed after it was written"),
    "mac": _l(
        "it was written or changed without the back office's key, which is kept "
        "outside the database (audit.key)"
    ),
    "legacy_hash": _l(
        "it differs from the copy recorded outside the database (audit.key) "
        "when the log was first sealed"
    ),
    "legacy_missing": _l(
        "it was recorded outside the database (audit.key) but is no longer in the log"
    ),
    "anchor_hash": _l("it differs from the copy recorded outside the database"),
    "anchor_entry_missing": _l(
        "it was recorded outside the database but is no longer in the "
        "log (the newest entries were deleted)"
    ),
    "anchor_missing": _l("the record kept outside the database (audit.anchor) is missing"),
}


@bp.get("")
@allow("auditor")
def log() -> str:
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 1_000_000))
    database = db()
    mine = scope.in_org(AuditEntry.org_id, own_org())
    total = database.scalar(select(func.count()).select_from(AuditEntry).where(mine)) or 0
    entries = list(
        database.scalars(
            select(AuditEntry)
            .where(mine)
            .order_by(AuditEntry.id.desc())
            .offset((page - 1) * PER_PAGE)
            .limit(PER_PAGE)
        )
    )
    pages = max(1, -(-total // PER_PAGE))
    return render_template(
        "handler/audit.html", entries=entries, page=page, pages=pages, total=total
    )


@bp.get("/verify")
@allow("auditor")
def verify() -> str:
    """The same check as `adal audit verify`: chain, MACs and anchor."""
    # The installation has one chain (until each organization has its own): checking it
    # reads every entry, so this view alone reads across organizations, showing only the result.
    org_scope.widen_to_platform(db())
    result = audit.verify(db(), anchor=instance().path / audit.ANCHOR_NAME, key=audit.key_of(db()))
    return render_template(
        "handler/audit_verify.html", result=result, reason=FAILURES.get(result.code, result.reason)
    )
