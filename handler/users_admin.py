"""Administration: staff accounts and installation settings. An admin opens no report.

Admins hold no key pair, and nothing here touches envelopes: an admin can create, reset,
lock out and unlock accounts, but cannot read a case or give one to anybody. A password reset
is therefore also a new key pair: the old private key was wrapped under the forgotten password
and is gone; the user sees their cases again only when a holder shares them or the
organization runs `adal recover` with its offline recovery key.

An admin sees the one-time password of every account it creates or resets, so it could sign in
as a new head; that is why a new or reset head key receives no reporter's identity until another
head approves it (cases/custody.py), and why every head is told about it.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pyotp
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from cases import custody, mail_address, retention, scope
from cases.staff import KEY_ROLES, create_user, generate_password, issue_key, seal_totp
from crypto import passwords
from crypto.kdf import KdfParams
from handler import settings
from handler.accounts import is_locked
from handler.forms import NewUserForm, SettingsForm
from handler.gate import allow, colleague, current_user, own_org
from handler.messages import describe
from rules.errors import AdalError
from store import audit
from store.models import RecipientKey, User
from web.database import db
from web.extensions import instance

bp = Blueprint("admin", __name__, url_prefix="/admin")


# --- rules, without Flask ----------------------------------------------------------------


def reset_password(database: Session, user: User, kdf: KdfParams) -> str:
    """A new one-time password and, for key holders, a new key pair; returns the password."""
    password = generate_password()
    user.password_hash = passwords.hash_password(password)
    user.must_change_password = True
    user.failed_attempts = 0
    user.locked_until = None
    mail_address.forget_address(user)
    if user.role in KEY_ROLES:
        issue_key(database, user, password, kdf)  # retires the old key; its grants stay inert
    return password


def reset_two_factor(user: User, instance_secret: bytes) -> None:
    user.totp_secret = seal_totp(instance_secret, pyotp.random_base32())
    user.totp_enrolled = False
    user.totp_last_counter = None
    mail_address.forget_address(user)


def set_active(database: Session, user: User, active: bool) -> None:
    """Deactivation also retires the user's key, so new reports are not sealed to it."""
    user.active = active
    keys = list(
        database.scalars(
            select(RecipientKey).where(RecipientKey.user_id == user.id).order_by(RecipientKey.id)
        )
    )
    for key in keys:
        key.active = False
    if active and keys:
        keys[-1].active = True  # the newest key is the one the current password unwraps


# --- views ---------------------------------------------------------------------------------


def _audited(target: User, action: str, message: str) -> Response:
    """The end of an admin action on an account: audit it, commit, say so, back to the user."""
    audit.append(
        db(),
        action,
        actor=current_user().username,
        org_id=current_user().org_id,
        target=target.username,
    )
    db().commit()
    flash(message)
    return redirect(url_for("admin.user", user_id=target.id), code=303)


def _user_or_404(user_id: int) -> User:
    """A user of the admin's own organization; another organization's is as unknown as a
    missing one."""
    user = colleague(user_id)
    if user is None:
        abort(404)
    return user


def _not_self(user: User) -> None:
    if user.id == current_user().id:
        abort(400)  # an admin cannot lock themselves out or reset their own credentials here


@bp.get("/users")
@allow("admin")
def users() -> str:
    rows = list(
        db().scalars(
            select(User)
            .where(scope.in_org(User.org_id, own_org()))
            .order_by(User.active.desc(), User.username)
        )
    )
    now = datetime.now(UTC)
    return render_template(
        "handler/users.html",
        users=rows,
        locked={u.id for u in rows if is_locked(u, now)},
        head_keys=_head_key_states(),
    )


def _head_key_states() -> dict[int, str]:
    """user id → state of their head key, so that carried-over keys are listed for review."""
    return {k.user.id: k.state for k in custody.head_keys(db(), own_org()) if k.user is not None}


@bp.route("/users/new", methods=["GET", "POST"])
@allow("admin")
def new_user() -> str | tuple[str, int]:
    form = NewUserForm()
    if form.validate_on_submit():
        database = db()
        try:
            created = create_user(
                database,
                username=form.username.data or "",
                full_name=form.full_name.data or "",
                role=form.role.data or "",
                org_id=own_org(),
                instance_secret=instance().secret_key,
                kdf=instance().kdf,
            )
        except AdalError as exc:
            database.rollback()
            form.username.errors = [describe(exc)]
        else:
            audit.append(
                database,
                "user.create",
                actor=current_user().username,
                org_id=current_user().org_id,
                target=created.user.username,
                details={"role": created.user.role},
            )
            custody.announce(database, created.user, actor=current_user().username, reset=False)
            database.commit()
            return render_template(
                "handler/one_time_password.html",
                target=created.user,
                password=created.password,
                new=True,
            )
    status = 400 if form.is_submitted() else 200
    return render_template("handler/user_new.html", form=form), status


@bp.get("/users/<int:user_id>")
@allow("admin")
def user(user_id: int) -> str:
    target = _user_or_404(user_id)
    return render_template(
        "handler/user.html",
        target=target,
        locked=is_locked(target, datetime.now(UTC)),
        is_self=target.id == current_user().id,
        has_key=target.role in KEY_ROLES,
        head_key=_head_key_states().get(target.id),
    )


@bp.post("/users/<int:user_id>/reset-password")
@allow("admin")
def reset_password_view(user_id: int) -> str:
    target = _user_or_404(user_id)
    _not_self(target)
    database = db()
    password = reset_password(database, target, instance().kdf)
    audit.append(
        database,
        "user.reset_password",
        actor=current_user().username,
        org_id=current_user().org_id,
        target=target.username,
        details={"new_key": target.role in KEY_ROLES},
    )
    custody.announce(database, target, actor=current_user().username, reset=True)
    database.commit()
    return render_template(
        "handler/one_time_password.html", target=target, password=password, new=False
    )


@bp.post("/users/<int:user_id>/reset-two-factor")
@allow("admin")
def reset_two_factor_view(user_id: int) -> Response:
    target = _user_or_404(user_id)
    _not_self(target)
    reset_two_factor(target, instance().secret_key)
    return _audited(
        target,
        "user.reset_two_factor",
        _(
            "Two-factor sign-in is reset. %(name)s will set it up at the next sign-in.",
            name=target.full_name,
        ),
    )


@bp.post("/users/<int:user_id>/unlock")
@allow("admin")
def unlock(user_id: int) -> Response:
    target = _user_or_404(user_id)
    target.locked_until = None
    target.failed_attempts = 0
    return _audited(target, "user.unlock", _("The account is unlocked."))


@bp.post("/users/<int:user_id>/deactivate")
@allow("admin")
def deactivate(user_id: int) -> Response:
    target = _user_or_404(user_id)
    _not_self(target)
    set_active(db(), target, False)
    return _audited(
        target, "user.deactivate", _("The account is deactivated; its sessions have ended.")
    )


@bp.post("/users/<int:user_id>/activate")
@allow("admin")
def activate(user_id: int) -> Response:
    target = _user_or_404(user_id)
    set_active(db(), target, True)
    return _audited(target, "user.activate", _("The account is active again."))


@bp.route("/settings", methods=["GET", "POST"])
@allow("admin")
def settings_view() -> Response | tuple[str, int] | str:
    database = db()
    org_id = own_org()
    current = settings.values(database, org_id)
    kept = retention.retention_years(database, org_id)
    form = SettingsForm(data={**current, "retention_years": kept})
    if form.validate_on_submit():
        try:
            changed = settings.change(
                database, org_id, {key: getattr(form, key).data for key in settings.DEFINITIONS}
            )
        except AdalError as exc:
            database.rollback()
            form.organization_name.errors = [describe(exc)]
            return render_template("handler/settings.html", form=form), 400
        for key, (old, new) in changed.items():
            audit.append(
                database,
                "setting.change",
                actor=current_user().username,
                org_id=current_user().org_id,
                target=key,
                details={"old": old, "new": new},
            )
        years = form.retention_years.data
        if years is not None and years != kept:
            # Audited and re-dates closed cases inside this same transaction.
            retention.set_retention_years(database, org_id, years, current_user())
            changed["retention_years"] = (kept, years)
        database.commit()
        flash(_("Settings saved.") if changed else _("Nothing was changed."))
        return redirect(url_for("admin.settings_view"), code=303)
    status = 400 if form.is_submitted() else 200
    return render_template("handler/settings.html", form=form), status
