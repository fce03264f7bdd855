"""Fixtures for the organization tests: the back office on the demo instance, signed-in
browsers per demo role, and the platform's operator (made by `adal user add --role operator`,
signed in the way a new account first signs in)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask

from tests.support.backoffice import (
    Browser,
    handler_app,
    operator_browser,
    sign_in,
)
from tests.support.instance import DemoInstance


@pytest.fixture
def app(demo: DemoInstance) -> Iterator[Flask]:
    with handler_app({"TESTING": True}) as application:
        yield application


@pytest.fixture
def as_role(app: Flask, demo: DemoInstance) -> Callable[[str], Browser]:
    """A browser signed in as the demo user of a role ("handler", "head", "admin", "auditor")."""

    def make(role: str) -> Browser:
        creds = demo.credentials()[role]
        return sign_in(
            Browser(app), demo, creds["username"], creds["password"], creds["totp secret"]
        )

    return make


@pytest.fixture
def operator(app: Flask, demo: DemoInstance) -> Browser:
    return operator_browser(app)
