"""Fixtures both fuzz modules share; each module builds its own app (TESTING off)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.fuzz import LogWatch, watched_logs


@pytest.fixture
def watch() -> Iterator[LogWatch]:
    """Every ERROR record and exception the apps log during the test."""
    with watched_logs() as w:
        yield w
