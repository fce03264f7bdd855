"""Issue 15: the inbox and the deadlines page are paged by cursor ("next" links carry the last
row's sort key): following the links visits every report once, in order, back and forth; an
edited or foreign cursor gives a clear, translated refusal and the first page, never a 5xx."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape

import pytest

from cases import lists
from cases.lists import encode_cursor
from tests.support.backoffice import Browser, store_portal_report
from tests.support.instance import DemoInstance

_LINK = re.compile(r'<a href="([^"]+)" rel="(prev|next)">')
_CASE = re.compile(r"<code>([0-9a-f]{8})</code>")
_DEADLINE_CASE = re.compile(r'<td><a href="/cases/[0-9a-f]+">([0-9a-f]{8})</a></td>')


def _links(html: str) -> dict[str, str]:
    return {rel: unescape(href) for href, rel in _LINK.findall(html)}


def _walk(client: Browser, first: str, pattern: re.Pattern[str]) -> list[list[str]]:
    pages = []
    url: str | None = first
    while url is not None:
        answer = client.get(url)
        assert answer.status_code == 200, url
        html = answer.get_data(as_text=True)
        pages.append(pattern.findall(html))
        url = _links(html).get("next")
        assert len(pages) < 20
    return pages


@pytest.fixture
def reports(demo: DemoInstance, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setattr(lists, "PER_PAGE", 3)
    return [store_portal_report(demo).submission_id for _ in range(8)]


def test_next_and_previous_links_visit_every_report_once(
    reports: list[str], as_role: Callable[[str], Browser]
) -> None:
    handler = as_role("handler")
    for sort in ("received", "received_asc", "deadline"):
        pages = _walk(handler, f"/inbox?sort={sort}", _CASE)
        seen = [sid for page in pages for sid in page]
        assert sorted(seen) == sorted(r[:8] for r in reports), sort
        assert [len(p) for p in pages] == [3, 3, 2], sort
    # Back from the last page with the "previous" links: the same pages in reverse.
    html = handler.get("/inbox").get_data(as_text=True)
    forward = [_CASE.findall(html)]
    while "next" in _links(html):
        html = handler.get(_links(html)["next"]).get_data(as_text=True)
        forward.append(_CASE.findall(html))
    assert "Page 3" in html
    backward = [_CASE.findall(html)]
    while "prev" in _links(html):
        html = handler.get(_links(html)["prev"]).get_data(as_text=True)
        backward.append(_CASE.findall(html))
    assert backward == list(reversed(forward))
    assert "Page 1" in html
    # The deadlines page: every open deadline (p8 and p9 of each unopened report) once.
    pages = _walk(handler, "/deadlines", _DEADLINE_CASE)
    seen = [sid for page in pages for sid in page]
    assert sorted(seen) == sorted(r[:8] for r in reports for _ in range(2))


@pytest.mark.parametrize(
    "cursor",
    [
        "nonsense",
        "%00",
        "A" * 400,
        encode_cursor("all", ["2026-01-01"]),  # one value short
        encode_cursor("elsewhere", ["2026-01-01", "ab"]),  # a segment of no list
        encode_cursor("all", ["not a date", "ab"]),
        encode_cursor("all", [12, "ab"]),
        encode_cursor("overdue", ["2026-01-01T00:00:00", 1]),  # no time zone
        encode_cursor("overdue", ["2026-01-01T00:00:00+00:00", "1"]),
        encode_cursor("overdue", ["2026-01-01T00:00:00+00:00", -1]),
    ],
)
def test_an_edited_cursor_is_refused_clearly(
    reports: list[str], as_role: Callable[[str], Browser], cursor: str
) -> None:
    handler = as_role("handler")
    for path in ("/inbox", "/deadlines"):
        for name in ("after", "before"):
            answer = handler.get(f"{path}?{name}={cursor}&page=7")
            assert answer.status_code == 400, (path, name)
            html = answer.get_data(as_text=True)
            assert "This page link is not one the list made" in html
            assert 'rel="prev"' not in html and "Page 1" in html  # the first page instead


def test_the_refusal_is_translated(reports: list[str], as_role: Callable[[str], Browser]) -> None:
    handler = as_role("handler")
    for lang, word in (("ru", "Страница 1"), ("kk", "1-бет")):
        handler.get(f"/lang/{lang}?next=/inbox")
        answer = handler.get("/inbox?after=nonsense")
        html = answer.get_data(as_text=True)
        assert answer.status_code == 400
        assert "This page link is not one the list made" not in html, lang
        assert word in html, lang
