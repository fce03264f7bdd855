"""Access control for every request, in one place, deny by default.

Each view declares who may use it (`@allow("handler", "head")`, `@public`, `@allow_pending`);
a view that declares nothing is refused, so a route added without thinking is closed, not open.
The order of checks matters: sign-in first (no session → the login page, never a CSRF or
validation error that would confirm anything), then the account's stage (a forced password
change comes before anything else), then the role, then the CSRF token. Two-factor set-up is
part of the sign-in itself (handler/auth.py): no session exists for an account without it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from flask_wtf.csrf import CSRFProtect
from werkzeug.wrappers import Response

from cases import scope
from handler import org_scope
from handler.accounts import credential_stamp
from store.models import User
from web.database import db

F = TypeVar("F", bound=Callable[..., Any])

CASE_ROLES = ("handler", "head")
ALL_ROLES = ("handler", "head", "admin", "auditor")
# The platform's own administrator (issue 13): outside every organization, it reaches only its
# own pages (handler/operator.py, the calendar) and those of its own account.
OPERATOR = "operator"
_ATTR = "_adal_access"
# Flask's and the language switcher's own endpoints; nothing in them reads the session.
_BUILTIN_PUBLIC = frozenset({"static", "set_language"})
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Access:
    roles: tuple[str, ...]
    # Pages an account may see before it is fully set up (password change, logout).
    pending_ok: bool = False
    public: bool = False


def allow(*roles: str) -> Callable[[F], F]:
    def mark(view: F) -> F:
        setattr(view, _ATTR, Access(tuple(roles)))
        return view

    return mark


def allow_pending(view: F) -> F:
    setattr(view, _ATTR, Access((*ALL_ROLES, OPERATOR), pending_ok=True))
    return view


def public(view: F) -> F:
    setattr(view, _ATTR, Access((), public=True))
    return view


def stage(user: User) -> str:
    """What the account must do before it may work: "password" or "ok"."""
    if user.must_change_password:
        return "password"
    return "ok"


def current_user() -> User:
    user: User = g.user
    return user


def own_org() -> int:
    """The signed-in user's organization: every back-office query is scoped to it. The operator
    (no organization) reaches no organization's page: 403."""
    org_id = current_user().org_id
    if org_id is None:
        abort(403)
    return org_id


def colleague(user_id: int) -> User | None:
    """A user of the signed-in user's organization by id; None for another organization's
    user exactly as for a missing one."""
    user = db().get(User, user_id)
    if user is None or not scope.same_org(user.org_id, current_user().org_id):
        return None
    return user


def sign_in(user: User) -> None:
    """Bind the session to the account; the caller regenerates the session id first."""
    session["uid"] = user.id
    session["cred"] = credential_stamp(user)


def refresh_stamp(user: User) -> None:
    session["cred"] = credential_stamp(user)


def _load_user() -> User | None:
    uid = session.get("uid")
    if not isinstance(uid, int):
        return None
    user = db().get(User, uid)
    # An admin's two-factor reset changes the stamp too; `totp_enrolled` is checked all the same
    # so that no session ever works for an account without two-factor.
    if (
        user is None
        or not user.active
        or not user.totp_enrolled
        or session.get("cred") != credential_stamp(user)
    ):
        session.clear()
        return None
    return user


def _to_stage() -> Response:
    return redirect(url_for("auth.password"), code=303)


def install(app: Flask, csrf: CSRFProtect) -> None:
    @app.before_request
    def _gate() -> Response | None:
        endpoint = request.endpoint
        if endpoint is None:
            return None  # no such route: Flask answers 404/405 itself
        if endpoint in _BUILTIN_PUBLIC:
            return None
        view = current_app.view_functions[endpoint]
        access: Access | None = getattr(view, _ATTR, None)
        if access is None:
            abort(403)
        if access.public:
            if request.method in UNSAFE_METHODS:
                csrf.protect()
            return None
        # The account is read before its organization is known: on purpose, the platform's
        # scope for this one read; from here on the user's organization, or nothing.
        org_scope.widen_to_platform(db())
        user = _load_user()
        if user is None:
            org_scope.close(db())
            return redirect(url_for("auth.login"), code=303)
        g.user = user
        # From here on the database, too, shows only the user's organization (PostgreSQL).
        org_scope.for_user(db(), user)
        current = stage(user)
        if current != "ok" and not access.pending_ok:
            return _to_stage()
        if user.role not in access.roles:
            abort(403)
        if request.method in UNSAFE_METHODS:
            csrf.protect()
        return None
