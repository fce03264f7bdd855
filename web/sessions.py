"""Encrypted, server-side, process-independent sessions.

The browser's cookie holds a random session id and a random key; the database row (found by a
hash of the id) holds the session data sealed with that key (`crypto.sessionbox`). Neither
half opens the session alone: a copy of the database reveals no mailbox key or staff private
key, and a stolen cookie is useless once the row is gone. Logout (`session.clear()`) deletes
the row. Any process that shares the database can serve any session, so portal instances can
sit behind one proxy.

Idle and absolute lifetimes are enforced from timestamps inside the sealed data; the row itself
carries only an expiry date (`store.websessions`), so it says nothing about when someone was
active. Requests delete only the row they present; rows nobody presents again are deleted past
that date by the housekeeping worker (`adal housekeeping`), not inside a request.

**Anonymous sessions need no row** (issue 12, item 2). An app may name `anonymous` keys (the
portal: the CSRF token of its forms and the list of report forms already sent). While a session
holds nothing else, it travels in the same cookie, signed with the app's key and dated instead
of stored: a visitor who only reads pages and fills in forms writes nothing to the database, so
a client fetching forms in a loop costs the server no disk and no write lock. The first key that
is not anonymous (a mailbox opening) moves the whole session into a row, and the cookie becomes
the usual id and key. The signature is checked and the date limits it to the absolute
lifetime; the CSRF token inside carries its own shorter time limit.
"""

from __future__ import annotations

import base64
import binascii
import time
from datetime import date, timedelta
from typing import Any

from flask import Flask, Request, Response, request
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SessionInterface, SessionMixin
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.datastructures import CallbackDict

from crypto import sessionbox
from crypto.errors import DecryptionError
from store import websessions
from store.models import WebSession

_serializer = TaggedJSONSerializer()  # keeps bytes (keys) and datetimes intact


class EncryptedSession(CallbackDict[str, Any], SessionMixin):
    def __init__(
        self,
        initial: dict[str, Any] | None = None,
        sid: bytes | None = None,
        key: bytes | None = None,
    ) -> None:
        def on_update(s: EncryptedSession) -> None:
            s.modified = True

        super().__init__(initial or {}, on_update)
        self.sid = sid
        self.key = key
        self.modified = False
        self.regenerate_requested = False

    def regenerate(self) -> None:
        """New id and key on privilege change (login), so a planted cookie gains nothing."""
        self.regenerate_requested = True
        self.modified = True


def regenerate(session: SessionMixin) -> None:
    if isinstance(session, EncryptedSession):
        session.regenerate()


# A signed anonymous session stays far below browsers' 4 KiB per cookie; a row cookie is 86.
MAX_COOKIE = 4000
_ANONYMOUS_SALT = "adal-anonymous-session"


class EncryptedSessionInterface(SessionInterface):
    def __init__(
        self,
        app_name: str,
        sessions: sessionmaker[Session],
        idle: timedelta,
        absolute: timedelta,
        anonymous: frozenset[str] = frozenset(),
    ) -> None:
        self.app_name = app_name
        self.sessions = sessions
        self.idle = idle
        self.absolute = absolute
        self.anonymous = anonymous

    def _signer(self, app: Flask) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(app.secret_key or b"", salt=_ANONYMOUS_SALT)

    def _is_anonymous(self, session: EncryptedSession) -> bool:
        return (
            bool(self.anonymous)
            and session.sid is None
            and all(k in self.anonymous for k in session if k != "_born")
        )

    def _open_anonymous(self, app: Flask, cookie: str) -> EncryptedSession:
        if not self.anonymous:
            return EncryptedSession()
        try:
            data = self._signer(app).loads(cookie, max_age=self.absolute.total_seconds())
        except BadSignature:
            return EncryptedSession()
        if not isinstance(data, dict):
            return EncryptedSession()
        return EncryptedSession({k: v for k, v in data.items() if k in self.anonymous})

    # -- reading -------------------------------------------------------------------------
    def _decode_cookie(self, value: str) -> tuple[bytes, bytes] | None:
        try:
            raw = base64.urlsafe_b64decode(value.encode("ascii") + b"==")
        except (binascii.Error, ValueError, UnicodeEncodeError):
            return None
        if len(raw) != sessionbox.ID_SIZE + sessionbox.KEY_SIZE:
            return None
        return raw[: sessionbox.ID_SIZE], raw[sessionbox.ID_SIZE :]

    def open_session(self, app: Flask, request: Request) -> EncryptedSession:
        cookie = request.cookies.get(self.get_cookie_name(app))
        if not cookie or len(cookie) > MAX_COOKIE:
            return EncryptedSession()
        decoded = self._decode_cookie(cookie) if "." not in cookie else None
        if decoded is None:
            return self._open_anonymous(app, cookie)
        sid, key = decoded
        with self.sessions() as db:
            row = db.get(WebSession, sessionbox.row_id(sid))
            if row is None or row.app != self.app_name:
                return EncryptedSession()
            try:
                plain = sessionbox.open_(key, row.data)
                data = _serializer.loads(plain.decode())
            except (DecryptionError, ValueError, UnicodeDecodeError):
                return EncryptedSession()
        now = time.time()
        meta = data.pop("_adal", {})
        if (
            now - meta.get("seen", 0) > self.idle.total_seconds()
            or now - meta.get("born", 0) > self.absolute.total_seconds()
        ):
            self._delete(sid)
            return EncryptedSession()
        session = EncryptedSession(data, sid, key)
        session["_born"] = meta.get("born", now)
        session.modified = now - meta.get("seen", 0) > 30  # refresh idle clock, not every hit
        return session

    # -- writing -------------------------------------------------------------------------
    def _delete(self, sid: bytes) -> None:
        with self.sessions() as db, db.begin():
            db.execute(delete(WebSession).where(WebSession.id_hash == sessionbox.row_id(sid)))

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        assert isinstance(session, EncryptedSession)
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        secure = self.get_cookie_secure(app)
        if not session or session.regenerate_requested:
            if session.sid is not None:
                self._delete(session.sid)
                session.sid = session.key = None
            if not session:
                if name in request.cookies:
                    response.delete_cookie(
                        name,
                        domain=domain,
                        path=path,
                        secure=secure,
                        httponly=True,
                        samesite="Strict",
                    )
                return
        if not session.modified:
            return
        if self._is_anonymous(session):
            value = self._signer(app).dumps({k: v for k, v in session.items() if k != "_born"})
            response.set_cookie(
                name,
                value,
                domain=domain,
                path=path,
                secure=secure,
                httponly=True,
                samesite="Strict",
            )
            response.vary.add("Cookie")
            return
        now = time.time()
        data = {k: v for k, v in session.items() if k != "_born"}
        born = session.get("_born", now) if session.sid is not None else now
        data["_adal"] = {"seen": now, "born": born}
        sid = session.sid or sessionbox.new_id()
        key = session.key or sessionbox.new_key()
        sealed = sessionbox.seal(key, _serializer.dumps(data).encode())
        expires_on = websessions.expires_on(date.today(), self.absolute)
        with self.sessions() as db, db.begin():
            row = db.get(WebSession, sessionbox.row_id(sid))
            if row is None:
                db.add(
                    WebSession(
                        id_hash=sessionbox.row_id(sid),
                        app=self.app_name,
                        data=sealed,
                        expires_on=expires_on,
                    )
                )
            else:
                row.data = sealed
                row.expires_on = expires_on
        session.sid, session.key = sid, key
        cookie = base64.urlsafe_b64encode(sid + key).rstrip(b"=").decode()
        # A browser-session cookie: no Expires, so closing the private window forgets it.
        response.set_cookie(
            name, cookie, domain=domain, path=path, secure=secure, httponly=True, samesite="Strict"
        )
        response.vary.add("Cookie")


def install(
    app: Flask,
    app_name: str,
    sessions: sessionmaker[Session],
    idle: timedelta,
    absolute: timedelta = timedelta(hours=12),
    anonymous: frozenset[str] = frozenset(),
) -> None:
    """`anonymous`: the keys that may travel in a signed cookie instead of a row (see above)."""
    app.session_interface = EncryptedSessionInterface(app_name, sessions, idle, absolute, anonymous)
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config["SESSION_COOKIE_SAMESITE"] = "Strict"


__all__ = ["EncryptedSession", "EncryptedSessionInterface", "install", "regenerate"]
