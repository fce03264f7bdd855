"""The head handover page: the outgoing head grants everything they hold to the incoming head.

Head only. One POST runs cases.handover.hand_over in one transaction with its audit entry, and
the page then shows how many cases, identities and protection records moved and how many could
not (never sealed to the outgoing head's key).
"""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select

from cases import scope
from cases.handover import KINDS, hand_over
from cases.sharing import CUSTODIAN, active_key
from handler.access import require_key
from handler.forms import HandoverForm
from handler.gate import allow, current_user, own_org
from handler.messages import describe
from rules.errors import AdalError
from store.models import User
from web.database import db

bp = Blueprint("handover", __name__)


def _candidates(me: User) -> dict[int, User]:
    heads = db().scalars(
        select(User)
        .where(
            User.role == CUSTODIAN,
            User.active.is_(True),
            User.id != me.id,
            scope.in_org(User.org_id, own_org()),
        )
        .order_by(User.full_name, User.id)
    )
    return {u.id: u for u in heads if active_key(db(), u) is not None}


def _form(me: User, *, formdata: bool) -> tuple[HandoverForm, dict[int, User]]:
    candidates = _candidates(me)
    form = HandoverForm() if formdata else HandoverForm(formdata=None)
    form.offer([(uid, f"{u.full_name} ({u.username})") for uid, u in candidates.items()])
    return form, candidates


@bp.get("/handover")
@allow("head")
def page() -> str:
    form = _form(current_user(), formdata=False)[0]
    return render_template("handler/handover.html", form=form, result=None, kinds=KINDS)


@bp.post("/handover")
@allow("head")
def hand() -> tuple[str, int]:
    me = current_user()
    key = require_key()
    form, candidates = _form(me, formdata=True)
    if not form.validate():
        return render_template("handler/handover.html", form=form, result=None, kinds=KINDS), 400
    incoming = candidates[int(form.user_id.data or "")]  # a validated choice
    database = db()
    try:
        result = hand_over(database, key, incoming, actor=me.username)
    except AdalError as error:
        database.rollback()
        return render_template(
            "handler/handover.html", form=form, result=None, kinds=KINDS, error=describe(error)
        ), 409
    database.commit()
    return render_template(
        "handler/handover.html", form=None, result=result, kinds=KINDS, incoming=incoming
    ), 200
