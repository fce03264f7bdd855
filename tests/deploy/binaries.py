"""External programs the deployment tests drive (caddy, tor): required in CI, optional locally."""

from __future__ import annotations

import os
import shutil

import pytest


def require(program: str) -> str:
    """The program's path. Missing: a failure under CI (CI=true), a visible skip elsewhere."""
    path = shutil.which(program)
    if path:
        return path
    message = (f"'{program}' is not installed (scripts/system-deps.sh installs it); "
               "the deployment tests need it")
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)
