"""URL converters both apps share.

Werkzeug's `int` converter accepts any number of digits, and a 20-digit id then overflows the
database driver (SQLite's 64-bit integers, PostgreSQL's `integer` columns) as a 500 (issue 12,
item 6). Every id column is at most a 32-bit signed integer on PostgreSQL, so no row can have a
larger id: such a URL names nothing and is answered 404 before any view runs.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter, Map

# PostgreSQL `integer`, the narrowest id column of both databases.
MAX_ID = 2**31 - 1


class BoundedIntConverter(IntegerConverter):
    """`<int:x>` with a ceiling by default; a route may still set a lower `max`."""

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = None,
        signed: bool = False,
    ) -> None:
        ceiling = MAX_ID if max is None or max > MAX_ID else max
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=ceiling, signed=signed)


def install(app: Flask) -> None:
    """Before any blueprint is registered: rules bind their converter when they are added."""
    app.url_map.converters["int"] = BoundedIntConverter
