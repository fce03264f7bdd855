"""Issue 12, item 6: a 20-digit id in any integer route parameter is a 404, not a 500.

`/admin/users/<20 digits>` overflowed the database driver. The sweep goes over the URL map of
both apps, so a route added later with an `<int:...>` parameter is covered too.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from werkzeug.routing import IntegerConverter

from portal import create_app as create_portal
from tests.support.backoffice import Browser
from tests.support.instance import DemoInstance

HUGE = "9" * 20
_PARAMETER = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def _urls(app: Flask) -> list[tuple[str, str]]:
    """(method, url) of every rule with an integer parameter: that one huge, the others plain."""
    found = []
    for rule in app.url_map.iter_rules():
        if not any(isinstance(c, IntegerConverter) for c in rule._converters.values()):
            continue

        def fill(match: re.Match[str]) -> str:
            return HUGE if match.group(1) == "int" else "x"

        url = _PARAMETER.sub(fill, rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((method, url))
    return found


def test_the_back_office_has_integer_routes_to_sweep(app: Flask) -> None:
    assert ("GET", f"/admin/users/{HUGE}") in _urls(app)


@pytest.mark.parametrize("role", ["admin", "handler", "head"])
def test_every_integer_route_answers_a_huge_id_with_404(
    app: Flask, as_role: Callable[[str], Browser], role: str
) -> None:
    signed_in = as_role(role)
    token = signed_in.fresh_token("/account/password")
    for method, url in _urls(app):
        data = {"csrf_token": token} if method == "POST" else None
        response = signed_in.request(method, url, data=data)
        assert response.status_code == 404, (method, url, response.status_code)


def test_no_portal_integer_route_overflows(demo: DemoInstance) -> None:
    portal = create_portal()
    client = portal.test_client()
    for method, url in _urls(portal):
        response = client.open(url, method=method)
        assert response.status_code == 404, (method, url, response.status_code)
