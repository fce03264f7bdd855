"""Error logging that carries no request data.

Flask's default exception log names the path and method, and exception messages can quote
values (SQLAlchemy puts statement parameters in its messages). Here a failure is logged as the
exception's type and the traceback's frames (file, line, function, source line) only: enough to
find the bug, nothing about who sent what.
"""

from __future__ import annotations

import logging
import sys
import traceback
from types import TracebackType

LOGGER_NAME = "adal.portal"

ExcInfo = tuple[type[BaseException], BaseException, TracebackType] | tuple[None, None, None]


def configure() -> logging.Logger:
    logger = logging.getLogger(LOGGER_NAME)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    # Werkzeug's development server writes one line per request with the client's address.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    return logger


def describe(exc_info: ExcInfo) -> str:
    """Type and frames of an exception chain, without any exception message."""
    exc_type, exc, _tb = exc_info
    if exc_type is None or exc is None:
        return "no exception"
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frames = "".join(traceback.format_tb(current.__traceback__))
        parts.append(f"{type(current).__module__}.{type(current).__qualname__}\n{frames}")
        current = current.__cause__ or current.__context__
    return "\ncaused by / during handling of ".join(parts)


def log_exception(exc_info: ExcInfo) -> None:
    logging.getLogger(LOGGER_NAME).error("unhandled exception: %s", describe(exc_info))
