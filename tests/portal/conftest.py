"""Portal fixtures: the app on the demo instance and its test client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.instance import DemoInstance
from tests.support.portal import make_config, portal_app


@pytest.fixture
def app(demo: DemoInstance) -> Iterator[Flask]:
    with portal_app(demo.instance, make_config()) as application:
        application.config["TESTING"] = True
        yield application


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
