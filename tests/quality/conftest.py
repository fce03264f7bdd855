"""One Chromium and one running site per directory for the browser tests
(tests/support/browser.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from tests.support.browser import Site, package_chrome, package_site
from tests.support.instance import Template


@pytest.fixture(scope="package")
def chrome() -> Iterator[Browser]:
    yield from package_chrome()


@pytest.fixture(scope="package")
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
         demo_template: Template) -> Iterator[Site]:
    yield from package_site(request, tmp_path_factory, demo_template)
