"""One SQLAlchemy session per request, from the instance's engine."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session, sessionmaker

from installation.instance import Instance
from store.audit import ANCHOR_NAME, install_anchor
from store.db import make_engine, session_factory


def init(app: Flask, instance: Instance) -> sessionmaker[Session]:
    engine = make_engine(instance.database_url)
    factory = session_factory(engine)
    install_anchor(factory, instance.path / ANCHOR_NAME)
    app.extensions["adal.instance"] = instance
    app.extensions["adal.engine"] = engine
    app.extensions["adal.sessions"] = factory

    @app.teardown_appcontext
    def _close(_exc: BaseException | None) -> None:
        db: Session | None = g.pop("adal_db", None)
        if db is not None:
            db.close()

    return factory


def db() -> Session:
    """The request's session; callers commit explicitly (`with db().begin():` or commit())."""
    if "adal_db" not in g:
        g.adal_db = current_app.extensions["adal.sessions"]()
    session: Session = g.adal_db
    return session


def instance() -> Instance:
    inst: Instance = current_app.extensions["adal.instance"]
    return inst
