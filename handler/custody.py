"""Head keys: every head sees new, reset and approved head keys, and approves pending ones.

The custody rule itself lives in cases/custody.py. Here a head whose own key is approved
countersigns a pending key with the private key held in their session, after the new head has
read out the key's fingerprint to them; every page of a head carries a notice while a key is
pending or has changed recently, so that an account an admin took over is seen by the others.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Flask, abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from cases import custody, scope
from handler import keyring
from handler.gate import allow, current_user
from handler.messages import describe
from rules.errors import AdalError
from store.models import RecipientKey
from web.database import db

bp = Blueprint("custody", __name__, url_prefix="/head-keys")


@bp.get("")
@allow("head")
def keys() -> str:
    database = db()
    user = current_user()
    return render_template(
        "handler/head_keys.html",
        keys=custody.head_keys(database, user.org_id),
        own=custody.own_key(database, user),
        can_approve=custody.may_approve(database, keyring.private_key()),
        events=custody.recent_events(database, user.org_id),
        days=custody.NOTICE_DAYS,
    )


@bp.post("/<int:row_id>/approve")
@allow("head")
def approve(row_id: int) -> Response:
    database = db()
    key = database.get(RecipientKey, row_id)  # web.routing bounds row_id
    if key is None or not scope.same_org(key.org_id, current_user().org_id):
        abort(404)  # another organization's key is as unknown as a missing one
    private_key = keyring.private_key()
    if private_key is None:
        abort(403)
    try:
        approval = custody.approve(
            database, key, private_key, actor=current_user().username, now=datetime.now(UTC)
        )
    except AdalError as exc:
        database.rollback()
        flash(describe(exc))
    else:
        database.commit()
        name = approval.key.user.full_name if approval.key.user is not None else ""
        flash(
            _(
                "The key of %(name)s is approved. %(count)s identity records were handed over "
                "to it.",
                name=name,
                count=approval.handed_over,
            )
        )
    return redirect(url_for("custody.keys"), code=303)


def install(app: Flask) -> None:
    @app.context_processor
    def _custody_notice() -> dict[str, object]:
        """For heads: pending head keys, their own key's state and recent key events."""
        user = g.get("user")
        if user is None or user.role != "head":
            return {"custody_notice": None}
        database = db()
        try:
            pending = custody.pending_keys(database, user.org_id)
            own = custody.own_key(database, user)
            events = custody.recent_events(database, user.org_id)
        except SQLAlchemyError:
            # Error pages render through this too: a broken transaction must not turn an
            # error page into a second error. The next page shows the notice again.
            return {"custody_notice": None}
        return {
            "custody_notice": {
                "own_pending": own is not None and own.state == "pending",
                "pending": [k for k in pending if own is None or k.key.id != own.key.id],
                # Their own account's events are news to the others, not to them.
                "events": [e for e in events if e.target != user.username][:3],
            }
        }
