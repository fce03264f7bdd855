"""Typed access to what an app factory shares with the code below it through `app.extensions`.

`app.extensions` is an untyped dict: read by name at each use, every reader re-declared the type
and a misspelt name failed only at run time. Each shared object is declared once, with its name
and type (here for both apps, in portal.extensions for the portal's own); the factory registers
it, everything else calls the accessor.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from flask import Flask, current_app
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from installation.instance import Instance

T = TypeVar("T")


class Extension(Generic[T]):
    """One entry of `app.extensions`: `register` in the factory, call it to read it back."""

    def __init__(self, name: str) -> None:
        self.name = name

    def register(self, app: Flask, value: T) -> T:
        app.extensions[self.name] = value
        return value

    def __call__(self) -> T:
        """The current app's (inside an app or request context)."""
        value: T = current_app.extensions[self.name]
        return value


instance: Extension[Instance] = Extension("adal.instance")
engine: Extension[Engine] = Extension("adal.engine")
# Sessions of one's own, for work that outlives the request's (web.database.db()).
sessions: Extension[sessionmaker[Session]] = Extension("adal.sessions")
