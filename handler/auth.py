"""Sign-in (with TOTP set-up at the first one), password change and sign-out pages."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from cases.staff import open_totp
from handler import accounts, keyring, org_scope, settings, totp
from handler.forms import LoginForm, PasswordForm
from handler.gate import allow_pending, current_user, public, refresh_stamp, sign_in, stage
from store import audit
from store.models import User
from web.database import db
from web.extensions import instance
from web.sessions import regenerate

bp = Blueprint("auth", __name__)

# One message for every failure: unknown user, wrong password or code, locked account.
LOGIN_FAILED = _l(
    "Sign-in failed. Check your username, password and code. After several "
    "failed attempts an account is locked for a while; your administrator can "
    "unlock it."
)
PASSWORD_ERRORS = {
    "wrong_password": _l("The current password is not correct."),
    "too_short": _l("The new password is too short."),
    "too_long": _l("The new password is too long."),
    "same_password": _l("The new password must differ from the current one."),
}


def home_for(role: str) -> str:
    return {
        "admin": url_for("admin.users"),
        "auditor": url_for("audit.log"),
        "operator": url_for("operator.tree"),
    }.get(role, url_for("inbox.inbox"))


def _enrolment_page(form: LoginForm, user: User, status: int) -> tuple[str, int]:
    """The first sign-in of a new or reset account: set up the app, then sign in with a code.

    Shown only after the right password. The password field comes back empty: it is typed again
    with the first code, so that one request carries both and the one-time password alone never
    opens a session.
    """
    secret = open_totp(instance().secret_key, user.totp_secret or b"")
    form.password.data = ""
    form.code.data = ""
    form.code.description = _("Six digits from the app you have just set up.")
    uri = totp.provisioning_uri(secret, user.username)
    return render_template(
        "handler/enrol.html",
        form=form,
        qr=totp.qr_svg(uri, _("QR code for the authenticator app")),
        manual_key=totp.grouped(secret),
    ), status


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Response | tuple[str, int] | str:
    form = LoginForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("handler/login.html", form=form), status
    now = datetime.now(UTC)
    database = db()
    # Before the user is known, on purpose across organizations (handler/org_scope.py): the
    # account being tried, its organization's lockout setting, the audit of the attempt.
    org_scope.widen_to_platform(database)
    outcome = accounts.authenticate(
        database,
        username=form.username.data or "",
        password=form.password.data or "",
        code=form.code.data,
        instance_secret=instance().secret_key,
        now=now,
        # Before the user is known: the lockout of the account being tried, else defaults.
        policy=settings.lockout_policy(
            database, accounts.org_of_username(database, form.username.data or "")
        ),
    )
    user = outcome.user
    if not outcome.ok:
        # Unknown names are not written down: people type passwords into the wrong field.
        audit.append(
            database,
            "auth.login_failed",
            actor=user.username if user else None,
            org_id=user.org_id if user else None,
            details={"reason": outcome.reason},
        )
        if outcome.locked_now and user is not None:
            audit.append(
                database, "auth.locked", actor=None, org_id=user.org_id, target=user.username
            )
        database.commit()
        if outcome.must_enrol and user is not None and not outcome.locked_now:
            if outcome.reason == "bad_enrol_code":
                form.code.errors = [
                    _(
                        "That code is not valid. Check the time on your phone "
                        "and enter the newest code."
                    )
                ]
                return _enrolment_page(form, user, 400)
            return _enrolment_page(form, user, 200)
        return render_template("handler/login.html", form=form, failed=LOGIN_FAILED), 401
    assert user is not None
    if outcome.enrolled_now:
        audit.append(database, "auth.totp_enrolled", actor=user.username, org_id=user.org_id)
    audit.append(
        database,
        "auth.login",
        actor=user.username,
        org_id=user.org_id,
        details={"stage": stage(user)},
    )
    database.commit()
    session.clear()
    regenerate(session)  # a fresh id and key: a cookie planted before sign-in gains nothing
    sign_in(user)
    keyring.store(outcome.private_key)
    if outcome.enrolled_now:
        flash(_("Two-factor sign-in is set up."))
    if stage(user) == "password":
        return redirect(url_for("auth.password"), code=303)
    return redirect(home_for(user.role), code=303)


@bp.post("/logout")
@allow_pending
def logout() -> Response:
    user = current_user()
    audit.append(db(), "auth.logout", actor=user.username, org_id=user.org_id)
    db().commit()
    session.clear()  # deletes the server-side row: the private key is gone with it
    return redirect(url_for("auth.login"), code=303)


@bp.route("/account/password", methods=["GET", "POST"])
@allow_pending
def password() -> Response | tuple[str, int] | str:
    user = current_user()
    form = PasswordForm()
    if form.validate_on_submit():
        database = db()
        problem = accounts.change_password(
            database,
            user,
            current=form.current.data or "",
            new=form.new.data or "",
            kdf=instance().kdf,
        )
        if problem is None:
            audit.append(database, "auth.password_changed", actor=user.username, org_id=user.org_id)
            database.commit()
            refresh_stamp(user)  # this session stays; every other one of the account ends
            flash(_("Your password is changed."))
            return redirect(home_for(user.role), code=303)
        if problem == "wrong_password":
            # A session left open must not become a free password-guessing oracle.
            now = datetime.now(UTC)
            locked = accounts.record_failure(
                database, user, now, settings.lockout_policy(database, user.org_id)
            )
            audit.append(
                database, "auth.password_change_failed", actor=user.username, org_id=user.org_id
            )
            if locked:
                audit.append(database, "auth.locked", org_id=user.org_id, target=user.username)
            database.commit()
            if locked:
                session.clear()
                return redirect(url_for("auth.login"), code=303)
        field = form.current if problem == "wrong_password" else form.new
        field.errors = [PASSWORD_ERRORS.get(problem, PASSWORD_ERRORS["too_short"])]
    status = 400 if form.is_submitted() else 200
    return render_template(
        "handler/password.html", form=form, forced=user.must_change_password
    ), status
