"""Fixtures for the back office: the app on the demo instance and signed-in browsers per role
(shared with tests/orgs; defined in tests/support/backoffice.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from tests.support.backoffice import (  # noqa: F401 - fixtures
    Browser,
    backoffice_app,
    backoffice_as_role,
    backoffice_operator,
)


@pytest.fixture
def browser(app: Flask) -> Callable[[], Browser]:
    return lambda: Browser(app)
