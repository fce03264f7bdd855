"""Fixtures for the organization tests: the back office on the demo instance, signed-in
browsers per demo role, and the platform's operator (made by `adal user add --role operator`,
signed in the way a new account first signs in). Shared with tests/handler; defined in
tests/support/backoffice.py."""

from __future__ import annotations

from tests.support.backoffice import (  # noqa: F401 - fixtures
    backoffice_app,
    backoffice_as_role,
    backoffice_operator,
)
