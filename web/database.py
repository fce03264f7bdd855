"""One SQLAlchemy session per request, from the instance's engine."""

from __future__ import annotations

from flask import Flask, g
from sqlalchemy.orm import Session, sessionmaker

from installation.instance import Instance
from store import audit
from store.db import make_engine, session_factory
from web import extensions


def init(app: Flask, instance: Instance, *, audit_log: bool) -> sessionmaker[Session]:
    """`audit_log`: the back office, which writes the audit log with the key in its instance
    folder. The portal writes no entry and its host has no audit key (store/audit.py)."""
    engine = make_engine(instance.database_url)
    factory = session_factory(engine)
    if audit_log:
        audit.install(factory, instance.path)
    extensions.instance.register(app, instance)
    extensions.engine.register(app, engine)
    extensions.sessions.register(app, factory)

    @app.teardown_appcontext
    def _close(_exc: BaseException | None) -> None:
        db: Session | None = g.pop("adal_db", None)
        if db is not None:
            db.close()

    return factory


def db() -> Session:
    """The request's session; callers commit explicitly (`with db().begin():` or commit())."""
    if "adal_db" not in g:
        g.adal_db = extensions.sessions()()
    session: Session = g.adal_db
    return session
