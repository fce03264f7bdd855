"""Every portal page in every language, as a reporter without JavaScript sees it, at a small
phone's width (360 px) and a desktop's (1280 px).

Each state is saved as a screenshot under test-artifacts/screenshots/ for people to look at,
and no page may scroll sideways: a reporter on a phone must not have to pan to read the form or
the receipt code. The width is read over CDP (document.scrollingElement), since the page's own
scripts are off.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.support import browser
from tests.support.browser import LANGUAGES, WIDTHS, Site

# One worker per directory under pytest-xdist (--dist loadgroup): the directory's site
# fixture owns test-artifacts/logs/<dir>, and a second copy on another worker would clear it.
pytestmark = pytest.mark.xdist_group("e2e-site")

SHOTS = browser.ARTIFACTS / "screenshots" / "portal"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_portal_pages_fit_and_are_captured(chrome: Browser, site: Site, lang: str) -> None:
    context = browser.reporter_context(chrome)
    page = context.new_page()
    folder = SHOTS / lang
    folder.mkdir(parents=True, exist_ok=True)
    overflowing: list[str] = []
    seen = []
    try:
        for step, name in enumerate(browser.portal_tour(page, site, lang), start=1):
            seen.append(name)
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": browser.HEIGHT})
                page.screenshot(path=str(folder / f"{step:02d}-{name}-{width}.png"), full_page=True)
                scroll, client = browser.horizontal_overflow(page)
                if scroll > client:
                    overflowing.append(
                        f"[{lang}] {name} at {width}px: scrollWidth {scroll} > "
                        f"clientWidth {client} ({page.url})"
                    )
            page.set_viewport_size({"width": 1280, "height": browser.HEIGHT})
    finally:
        context.close()
    assert tuple(seen) == browser.PORTAL_PAGES, f"the tour did not reach every page: {seen}"
    assert not overflowing, "pages scroll horizontally:\n" + "\n".join(overflowing)
