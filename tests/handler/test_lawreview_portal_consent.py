"""p11 (5), p14, Appendix 2 on the portal: the reporter's consent on the portal is a ticked box,
not written consent (the signed Appendix 2, which the back office records apart). The landing
page must not tell the reporter that ticking it is "agreeing in writing"."""

from __future__ import annotations

import pytest

from tests.support.instance import DemoInstance
from tests.support.portal import make_config, portal_app

SAYS = {
    "en": ("ticked the consent box", "agreed in writing"),
    "ru": ("отметили согласие", "дали письменное согласие"),
    "kk": ("келісім белгісін қойған", "жазбаша келісім берген"),
}


@pytest.mark.parametrize("lang", sorted(SAYS))
def test_landing_calls_the_consent_a_ticked_box(demo: DemoInstance, lang: str) -> None:
    ticked, written = SAYS[lang]
    with portal_app(demo.instance, make_config()) as app:
        app.config["TESTING"] = True
        client = app.test_client()
        client.get(f"/lang/{lang}")
        page = client.get("/").get_data(as_text=True)
    assert ticked in page
    assert written not in page
