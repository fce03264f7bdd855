"""External programs some tests need (Chromium, Java, Node, Caddy, Tor): found, or a loud
failure in CI.

On a developer's machine a missing program skips the test with the reason; with CI=true it is a
failure, because CI installs every one of them (scripts/system-deps.sh) and a quietly skipped
browser or validator would let a broken page through.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# The PostgreSQL pass of scripts/test.sh: the server's admin URL, or None on SQLite.
POSTGRES_URL = os.environ.get("ADAL_TEST_POSTGRES_URL") or None
POSTGRES_PASS = POSTGRES_URL is not None
# Browser, axe, Nu checker and catalogue checks look at rendered pages, not at SQL: the
# database cannot change their outcome, so they run in the SQLite pass only.
ONCE_REASON = "database-independent; run once, in the SQLite pass"
run_once = pytest.mark.skipif(POSTGRES_PASS, reason=ONCE_REASON)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(what: str, hint: str) -> None:
    """Fail in CI, skip elsewhere; never returns."""
    message = f"{what} is not available: {hint}"
    if in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def program(name: str, hint: str) -> str:
    """Absolute path of an executable on PATH (or an absolute path that exists)."""
    found = shutil.which(name)
    if found is None:
        missing(name, hint)
    assert found is not None
    return found


def file(path: Path, what: str, hint: str) -> Path:
    if not path.is_file():
        missing(f"{what} ({path})", hint)
    return path


def require(name: str) -> str:
    """A program the deployment tests drive (caddy, tor)."""
    return program(name, "scripts/system-deps.sh installs it; the deployment tests need it")
