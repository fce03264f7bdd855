"""The public reporter portal: a JS-free Flask app (DESIGN.md, "The reporter's path").

`create_app()` reads the instance (ADAL_INSTANCE) and the environment (portal.config) and
returns the WSGI app with ScrubClientInfo outermost, so nothing below it can see who is calling.
"""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from cases.attachments import MAX_FILES
from installation import instance as store_instance
from portal import (
    directory,
    errors,
    localized,
    logs,
    mailbox,
    padding,
    pages,
    report,
    sizes,
    uploads,
)
from portal.config import PortalConfig
from portal.extensions import kdf_queue, portal_config, upload_line
from portal.kdf_queue import KdfQueue
from portal.work_line import WorkLine
from web import database, headers, i18n, routing, sessions
from web.requests import NamedPartsRequest
from web.scrub import ScrubClientInfo

PACKAGE = Path(__file__).resolve().parent
TEMPLATES = PACKAGE.parent / "templates"
TRANSLATIONS = PACKAGE / "translations"
SMALL_FORM_BYTES = 2 * 1024 * 1024


class _Discard(io.RawIOBase):
    """Where Werkzeug's own form parser would put file parts: nowhere."""

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        return len(data)

    def readable(self) -> bool:
        return True

    def readinto(self, _buffer: Any) -> int:
        return 0

    def seekable(self) -> bool:
        return True

    def seek(self, _offset: int, _whence: int = 0) -> int:
        return 0


class PortalRequest(NamedPartsRequest):
    """Werkzeug spools file parts over 500 KB to temporary files. The portal's file forms are
    parsed by portal.uploads instead; any file part sent to another form is dropped unread."""

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        return _Discard()  # type: ignore[return-value]


class PortalFlask(Flask):
    request_class = PortalRequest

    def log_exception(self, exc_info: Any) -> None:
        logs.log_exception(exc_info)


def _derived_secret(secret: bytes, purpose: bytes) -> bytes:
    # Flask's signing key is derived, so the portal key itself never sits in app.config.
    return hashlib.blake2b(secret, digest_size=32, person=purpose).digest()


def create_app(
    instance: store_instance.Instance | None = None, config: PortalConfig | None = None
) -> Flask:
    # load_portal never opens secret.key (it seals staff TOTP seeds): the portal host holds
    # only adal.json and portal.key.
    inst = instance or store_instance.load_portal()
    cfg = config or PortalConfig.from_env()
    logs.configure()
    app = PortalFlask(__name__, template_folder=str(TEMPLATES), static_folder="static")
    routing.install(app)
    # First registered, so it runs last of the after_request hooks: it pads the final body.
    padding.install(app)
    app.config.update(
        SECRET_KEY=_derived_secret(inst.portal_key, b"adal-portal-app"),
        WTF_CSRF_SECRET_KEY=_derived_secret(inst.portal_key, b"adal-portal-csrf"),
        # The session ends after 20 idle minutes anyway; the token must not end sooner.
        WTF_CSRF_TIME_LIMIT=12 * 3600,
        # Flask-WTF's HTTPS check compares the Referer with the host; the portal sends
        # Referrer-Policy: no-referrer and strips the header, so the check cannot apply. The
        # token and SameSite=Strict cookies carry the origin check instead.
        WTF_CSRF_SSL_STRICT=False,
        SESSION_COOKIE_SECURE=cfg.secure_cookies,
        # __Host- binds the cookie to this exact origin (Secure, Path=/, no Domain).
        SESSION_COOKIE_NAME="__Host-adal-portal" if cfg.secure_cookies else "adal-portal",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        # Small forms only; the file forms are read by portal.uploads with their own limit.
        MAX_CONTENT_LENGTH=SMALL_FORM_BYTES,
        MAX_FORM_MEMORY_SIZE=SMALL_FORM_BYTES,
        MAX_FORM_PARTS=100,
        ONION_LOCATION=cfg.onion_location,
        TEMPLATES_AUTO_RELOAD=False,
        SEND_FILE_MAX_AGE_DEFAULT=3600,
    )
    factory = database.init(app, inst, audit_log=False)
    portal_config.register(app, cfg)
    kdf_queue.register(app, KdfQueue(cfg.kdf_slots, cfg.kdf_waiting))
    upload_line.register(
        app, WorkLine(cfg.upload_slots, cfg.upload_waiting, uploads.UploadsBusy.for_files)
    )
    # A row only once a mailbox opens: forms and sent-report markers ride in a signed cookie.
    sessions.install(
        app,
        "portal",
        factory,
        idle=timedelta(minutes=20),
        anonymous=frozenset(
            {app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), report.SPENT_KEY}
        ),
    )
    i18n.install(app, TRANSLATIONS)
    headers.install(app)
    csrf = CSRFProtect(app)
    # These two read their body as a stream and check the token themselves (portal.receive).
    csrf.exempt(report.submit)
    csrf.exempt(mailbox.reply)
    # These only show what was sent back in another language; they store nothing.
    csrf.exempt(report.in_language)
    csrf.exempt(mailbox.in_language)
    for blueprint in (pages.bp, directory.bp, report.bp, mailbox.bp):
        app.register_blueprint(blueprint)
    errors.install(app)
    mailbox.install_csrf_handler(app)
    app.jinja_env.filters["long_date"] = localized.long_date
    app.jinja_env.filters["filesize"] = sizes.filesize

    @app.context_processor
    def _limits() -> dict[str, object]:
        return {"max_upload_bytes": cfg.max_upload_bytes, "max_files": MAX_FILES}

    app.wsgi_app = ScrubClientInfo(app.wsgi_app)  # type: ignore[method-assign]
    return app
