"""Notifications in the back office (issue 14): each user's own address and choices, and the
admin's view of the notification worker (adal notify).

Every staff member has the page, but only handlers and heads receive notices
(cases.notices.RECEIVING_ROLES); the page tells the others so. A user acts on their own
account only: no route takes a user id, so nobody can set or read another person's address.
The admin sees the worker's last pass and, on the staff pages, whether each person has a
confirmed address, never the address.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from cases import mail_address, notices, scope
from handler import notice_mail
from handler.extensions import handler_config
from handler.forms import (
    NOTICE_CHOICE_LABELS,
    AddressCodeForm,
    AddressForm,
    Form,
    NoticeChoicesForm,
)
from handler.gate import ALL_ROLES, allow, current_user, own_org
from handler.messages import describe
from mail import smtp
from rules.clock import local_date, utcnow
from rules.errors import AdalError
from store.models import User
from web.database import db

bp = Blueprint("notifications", __name__)
log = logging.getLogger("adal.handler")
PAGE = "notifications.page"
# Anything shaped like an address in a server's error text: the admin's page shows none.
ADDRESS_LIKE = re.compile(r"[^\s<>()\[\]'\",;:]+@[^\s<>()\[\]'\",;:]+")
CODE_MINUTES = int(mail_address.CODE_LIFETIME.total_seconds() // 60)


def _choices_form(user: User) -> NoticeChoicesForm:
    off = mail_address.turned_off(user)
    data: dict[str, object] = {name: name not in off for name in NOTICE_CHOICE_LABELS}
    data["language"] = user.mail_language
    return NoticeChoicesForm(data=data)


def _page(
    *,
    address_form: AddressForm | None = None,
    code_form: AddressCodeForm | None = None,
    choices_form: NoticeChoicesForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    user = current_user()
    html = render_template(
        "handler/notifications.html",
        address_form=address_form or AddressForm(formdata=None),
        code_form=code_form or AddressCodeForm(formdata=None),
        choices_form=choices_form or _choices_form(user),
        remove_form=Form(formdata=None),
        receives=user.role in notices.RECEIVING_ROLES,
        mail_on=handler_config().smtp is not None,
        pending=bool(user.email_pending and user.email_code_hash),
        code_minutes=CODE_MINUTES,
    )
    return html, status


def _back(message: str) -> Response:
    flash(message)
    return redirect(url_for(PAGE), code=303)


@bp.get("/account/notifications")
@allow(*ALL_ROLES)
def page() -> tuple[str, int]:
    return _page()


@bp.post("/account/notifications/address")
@allow(*ALL_ROLES)
def address() -> Response | tuple[str, int]:
    user = current_user()
    form = AddressForm()
    if not form.validate_on_submit():
        return _page(address_form=form, status=400)
    settings = handler_config().smtp
    if settings is None:
        form.address.errors = [
            _(
                "This server sends no mail, so an address cannot be confirmed. "
                "Ask your administrator."
            )
        ]
        return _page(address_form=form, status=400)
    database = db()
    try:
        code = mail_address.request_code(database, user, form.address.data or "", datetime.now(UTC))
        subject, body = notice_mail.confirmation(user.mail_language, code, CODE_MINUTES)
        # Sent before anything is stored: a code that never left is never waited for.
        smtp.send_one(settings, smtp.Mail(user.email_pending or "", subject, body))
    except AdalError as exc:
        database.rollback()
        if exc.area == smtp.AREA:
            log.warning("confirmation code not sent: %s", exc.message)
        form.address.errors = [describe(exc)]
        return _page(address_form=form, status=400)
    database.commit()
    return _back(
        _(
            "A confirmation code is on its way to the new address. Type it below within "
            "%(minutes)d minutes.",
            minutes=CODE_MINUTES,
        )
    )


@bp.post("/account/notifications/confirm")
@allow(*ALL_ROLES)
def confirm() -> Response | tuple[str, int]:
    user = current_user()
    form = AddressCodeForm()
    if not form.validate_on_submit():
        return _page(code_form=form, status=400)
    database = db()
    try:
        mail_address.confirm_code(database, user, form.code.data or "", datetime.now(UTC))
    except AdalError as exc:
        database.commit()  # the wrong try counts
        form.code.errors = [describe(exc)]
        return _page(code_form=form, status=400)
    database.commit()
    return _back(_("Your e-mail address is confirmed."))


@bp.post("/account/notifications/remove")
@allow(*ALL_ROLES)
def remove() -> Response | tuple[str, int]:
    if not Form().validate_on_submit():
        return _page(status=400)
    database = db()
    mail_address.remove_address(database, current_user())
    database.commit()
    return _back(_("Your e-mail address is removed. You receive no mail."))


@bp.post("/account/notifications/choices")
@allow(*ALL_ROLES)
def choices() -> Response | tuple[str, int]:
    user = current_user()
    form = NoticeChoicesForm()
    if not form.validate_on_submit():
        return _page(choices_form=form, status=400)
    database = db()
    try:
        mail_address.set_choices(
            database,
            user,
            set(NOTICE_CHOICE_LABELS) - form.wanted(),
            form.language.data or "",
        )
    except AdalError as exc:
        database.rollback()
        form.language.errors = [describe(exc)]
        return _page(choices_form=form, status=400)
    database.commit()
    return _back(_("Your notification settings are saved."))


@bp.get("/admin/mail")
@allow("admin")
def status() -> str:
    database = db()
    org_id = own_org()
    state = notices.status(database, local_date(utcnow()), org_id)
    receivers = select(User).where(
        scope.in_org(User.org_id, org_id),
        User.active.is_(True),
        User.role.in_(notices.RECEIVING_ROLES),
    )
    total = database.scalar(select(func.count()).select_from(receivers.subquery())) or 0
    confirmed = (
        database.scalar(
            select(func.count()).select_from(
                receivers.where(User.email_confirmed.is_(True)).subquery()
            )
        )
        or 0
    )
    return render_template(
        "handler/mail_status.html",
        status=state,
        last_error=ADDRESS_LIKE.sub("…@…", state.last_error),
        mail_on=handler_config().smtp is not None,
        receivers=total,
        confirmed=confirmed,
    )
