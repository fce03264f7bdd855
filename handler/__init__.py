"""The back office: where handlers and heads receive, open and answer reports.

`create_app()` builds the Flask app for `adal handler` (gunicorn). It shares the portal's
security headers, encrypted server-side sessions and languages (web/), and adds staff sign-in
with TOTP, a deny-by-default gate in front of every view, and the audit log.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from handler import custody, errors, filters, gate, org_scope, uploads, workflow
from handler.assignment import bp as assignment_bp
from handler.audit_log import bp as audit_bp
from handler.auth import bp as auth_bp
from handler.calendar_admin import bp as calendar_bp
from handler.case_notes import bp as notes_bp
from handler.case_page import bp as cases_bp
from handler.config import HandlerConfig
from handler.deadlines import bp as deadlines_bp
from handler.exports import bp as exports_bp
from handler.extensions import handler_config
from handler.handover import bp as handover_bp
from handler.identity_record import bp as identity_bp
from handler.inbox import bp as inbox_bp
from handler.journal import bp as journal_bp
from handler.letters import bp as letters_bp
from handler.notifications import bp as notifications_bp
from handler.protection import bp as protection_bp
from handler.register import bp as register_bp
from handler.search import bp as search_bp
from handler.statistics import bp as stats_bp
from handler.users_admin import bp as admin_bp
from installation import instance as inst
from web import database, headers, i18n, routing, sessions
from web.scrub import ScrubClientInfo

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE.parent / "templates"

# A hotline call recording is the largest thing the back office receives (p5.4).
MAX_UPLOAD_BYTES = 100 * 1024 * 1024
IDLE_MINUTES = 15
ABSOLUTE_HOURS = 10


class HandlerFlask(Flask):
    request_class = uploads.MemoryUploadRequest


def _derived_secret(secret_key: bytes) -> bytes:
    # Keyed with secret.key, which the portal never holds (it has portal.key), so a portal host
    # cannot forge back-office tokens. Not the portal's derivation (that one hashes its key as
    # the message): changing either would void every signed token in use at the upgrade.
    return hashlib.blake2b(
        b"flask-secret", key=secret_key, digest_size=32, person=b"adal-handler"
    ).digest()


def create_app(
    overrides: Mapping[str, Any] | None = None,
    *,
    instance: inst.Instance | None = None,
    config: HandlerConfig | None = None,
) -> Flask:
    """`overrides` are Flask settings applied last (tests pass {"TESTING": True})."""
    instance = instance or inst.load()
    cfg = config or HandlerConfig.from_env()
    app = HandlerFlask(__name__, template_folder=str(TEMPLATES), static_folder="static")
    routing.install(app)
    app.config.update(
        # Flask-WTF signs CSRF tokens with this.
        SECRET_KEY=_derived_secret(instance.secret_key),
        SESSION_COOKIE_SECURE=cfg.secure_cookies,
        # __Host- binds the cookie to this exact origin (Secure, Path=/, no Domain). A distinct
        # name keeps it apart from the portal's cookie when both run on one host (the demo).
        SESSION_COOKIE_NAME="__Host-adal-backoffice" if cfg.secure_cookies else "adal-backoffice",
        MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES,
        # The gate calls CSRF protection itself, after sign-in and role checks.
        WTF_CSRF_CHECK_DEFAULT=False,
        # The client scrubber removes Referer, and the token is bound to the session anyway.
        WTF_CSRF_SSL_STRICT=False,
        WTF_CSRF_TIME_LIMIT=None,
        ADAL_IDLE_MINUTES=IDLE_MINUTES,
    )
    if overrides:
        app.config.update(overrides)

    handler_config.register(app, cfg)
    factory = database.init(app, instance, audit_log=True)
    # First of the request hooks: every transaction of the request names its organization.
    org_scope.install(app, factory)
    sessions.install(
        app,
        "handler",
        factory,
        idle=timedelta(minutes=app.config["ADAL_IDLE_MINUTES"]),
        absolute=timedelta(hours=ABSOLUTE_HOURS),
    )
    headers.install(app)
    i18n.install(app, HERE / "translations")
    csrf = CSRFProtect(app)
    gate.install(app, csrf)
    errors.install(app)
    filters.install(app)
    custody.install(app)
    app.jinja_env.globals.update(workflow.TEMPLATE_GLOBALS)
    for blueprint in (
        auth_bp,
        inbox_bp,
        cases_bp,
        register_bp,
        admin_bp,
        audit_bp,
        workflow.bp,
        deadlines_bp,
        calendar_bp,
        exports_bp,
        stats_bp,
        protection_bp,
        handover_bp,
        identity_bp,
        custody.bp,
        notifications_bp,
        journal_bp,
        letters_bp,
        notes_bp,
        search_bp,
        assignment_bp,
    ):
        app.register_blueprint(blueprint)

    app.wsgi_app = ScrubClientInfo(app.wsgi_app)  # type: ignore[method-assign]
    return app
