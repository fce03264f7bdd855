"""The operator's pages with many organizations (issue 13: a national installation has
thousands): the tree is read one level and one page at a time, found by a search over names
and slugs, a parent is typed by its slug (checked by the server), and an organization's page
names only the first few below it. No page grows with the number of organizations."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest
from sqlalchemy import select

from cases import organizations
from cases.organizations import Names
from store.models import Organization
from tests.support.backoffice import Browser
from tests.support.instance import DemoInstance
from tests.support.orgs import NEW_ORGANIZATION_FORM

NEW = NEW_ORGANIZATION_FORM
ROOTS = 300
UNDER = 70  # under the first root: more than an organization's page names
LINK = re.compile(r'href="/operator/(bulk-[0-9-]+)"')


def _many(demo: DemoInstance) -> None:
    """ROOTS organizations at the top of the tree and UNDER below the first, through the use
    case the pages call."""
    with demo.sessions() as s, s.begin():
        for i in range(ROOTS):
            organizations.create(
                s,
                slug=f"bulk-{i:03d}",
                names=Names(kk=f"Ұйым {i}", ru=f"Организация {i}", en=f"Body {i}"),
                today=date(2026, 1, 5),
            )
        for i in range(UNDER):
            organizations.create(
                s,
                slug=f"bulk-000-{i:03d}",
                names=Names(kk=f"Бөлім {i}", ru=f"Отдел {i}", en=f"Unit {i}"),
                today=date(2026, 1, 5),
                parent_slug="bulk-000",
            )


def _text(operator: Browser, path: str, status: int = 200) -> str:
    response = operator.get(path)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return html.unescape(response.get_data(as_text=True))


def _org(demo: DemoInstance, slug: str) -> Organization:
    with demo.sessions() as s:
        return s.scalars(select(Organization).where(Organization.slug == slug)).one()


def test_the_tree_is_paged_one_level_at_a_time(demo: DemoInstance, operator: Browser) -> None:
    _many(demo)
    first = _text(operator, "/operator")
    shown = set(LINK.findall(first))
    assert len(shown) == organizations.PAGE_SIZE  # one page of the 301 roots, not all of them
    assert "bulk-000-001" not in first  # the level below stays closed
    assert 'href="/operator?under=bulk-000"' in first and "Open (70)" in first
    assert 'rel="next"' in first and 'href="/operator?page=2"' in first
    assert "Page 1 of 7" in first
    second = _text(operator, "/operator?page=2")
    assert len(set(LINK.findall(second))) == organizations.PAGE_SIZE
    assert not shown & set(LINK.findall(second)) and 'rel="prev"' in second
    last = _text(operator, "/operator?page=7")
    assert 'href="/operator/demo"' in last and 'rel="next"' not in last  # 301 = 6 x 50 + 1
    # Every root is on exactly one page.
    every: set[str] = set()
    for page in range(1, 8):
        every |= set(LINK.findall(_text(operator, f"/operator?page={page}")))
    assert every == {f"bulk-{i:03d}" for i in range(ROOTS)}
    # A page out of range or not a number is the nearest page, never an error.
    assert "Page 7 of 7" in _text(operator, "/operator?page=99999")
    assert "Page 1 of 7" in _text(operator, "/operator?page=abc")
    # An opened branch: its organizations, paged, under a trail back to the top.
    branch = _text(operator, "/operator?under=bulk-000")
    below = set(LINK.findall(branch)) - {"bulk-000"}  # the trail names the branch itself
    assert len(below) == organizations.PAGE_SIZE
    assert all(s.startswith("bulk-000-") for s in below)
    assert "Top of the tree" in branch and 'href="/operator?under=bulk-000&page=2"' in branch
    assert _text(operator, "/operator?under=bulk-999", 404)
    assert _text(operator, "/operator?under=Bad%20Slug", 404)


def test_no_operator_page_grows_with_the_tree(demo: DemoInstance, operator: Browser) -> None:
    """The tree, the new form and a busy organization's page are the same size with 370 more
    organizations as with none: no select of every organization, no list of every one below."""
    before = {
        path: len(_text(operator, path))
        for path in ("/operator", "/operator/new", "/operator/demo")
    }
    _many(demo)
    for path, size in before.items():
        assert len(_text(operator, path)) < size + 20_000, path
    new = _text(operator, "/operator/new")
    assert "<select" not in new and "bulk-" not in new
    page = _text(operator, "/operator/bulk-000")
    assert "<select" not in page
    assert len(set(LINK.findall(page))) <= 20 + 20  # its first children and first cut-off ones
    assert "20 of 70 are shown." in page
    deactivate = page[page.index('id="deactivate-h"') :]
    assert "Active organizations under it: 70." in deactivate
    assert "The first 20:" in deactivate and 'href="/operator?under=bulk-000"' in deactivate


def test_the_search_finds_names_and_slugs_deactivated_ones_too(
    demo: DemoInstance, operator: Browser
) -> None:
    _many(demo)
    assert operator.post("/operator/bulk-017/deactivate", {}).status_code == 303
    by_slug = _text(operator, "/operator?q=bulk-017")
    assert set(LINK.findall(by_slug)) == {"bulk-017"} and "deactivated" in by_slug
    # Any language of the name, folded as the portal folds it.
    by_name = _text(operator, "/operator?q=ОТДЕЛ 42")
    assert set(LINK.findall(by_name)) == {"bulk-000-042", "bulk-000"}  # the hit and its parent
    assert "Unit 42" in by_name
    assert "Unit 42" in _text(operator, "/operator?q=бөлім+42")
    # Hundreds match: the first page of them, and the operator is told to type more.
    many = _text(operator, "/operator?q=body")
    assert 0 < len(set(LINK.findall(many))) <= 50 and "type more of the name" in many
    assert "No organization matches." in _text(operator, "/operator?q=nothing+like+it")
    for query in ("a", "x" * 101, "%00"):
        assert "bulk-" not in _text(operator, f"/operator?q={query}", 400)
    assert "Type at least two letters" in _text(operator, "/operator?q=a", 400)


def test_a_parent_is_typed_by_its_slug(demo: DemoInstance, operator: Browser) -> None:
    assert operator.post("/operator/new", {**NEW, "parent": " demo "}).status_code == 200
    assert _org(demo, "akimat-astana").parent_id == _org(demo, "demo").id
    # Its page offers to add under it, the form arriving with the parent filled in.
    assert 'href="/operator/new?parent=akimat-astana"' in _text(operator, "/operator/akimat-astana")
    assert 'value="akimat-astana"' in _text(operator, "/operator/new?parent=akimat-astana")
    child = {**NEW, "slug": "district", "parent": "akimat-astana"}
    assert operator.post("/operator/new", child).status_code == 200
    assert _org(demo, "district").parent_id == _org(demo, "akimat-astana").id


UNKNOWN = "No organization has this address name."


@pytest.mark.parametrize("parent", ["nowhere", "Bad Slug!", "a" * 63 + "\x00", "x\x00"])
def test_an_unknown_parent_is_refused(demo: DemoInstance, operator: Browser, parent: str) -> None:
    response = operator.post("/operator/new", {**NEW, "parent": parent})
    assert response.status_code == 400
    page = html.unescape(response.get_data(as_text=True))
    assert UNKNOWN in page or "Field cannot be longer" in page
    move = operator.post("/operator/demo/move", {"parent": parent})
    assert move.status_code == 400
    with demo.sessions() as s:
        assert s.scalars(select(Organization.slug)).all() == ["demo"]
        assert _org(demo, "demo").parent_id is None


def test_an_inactive_parent_or_one_below_is_refused(demo: DemoInstance, operator: Browser) -> None:
    for slug, parent in (("top", ""), ("middle", "top"), ("bottom", "middle"), ("gone", "top")):
        assert (
            operator.post("/operator/new", {**NEW, "slug": slug, "parent": parent}).status_code
            == 200
        )
    assert operator.post("/operator/gone/deactivate", {}).status_code == 303
    refused = {
        ("new", "gone"): "The superior body is deactivated; choose an active one.",
        ("middle", "gone"): "The superior body is deactivated; choose an active one.",
        ("top", "bottom"): "An organization cannot be moved under itself or under one below it.",
        ("top", "top"): "An organization cannot be moved under itself or under one below it.",
        ("middle", "nowhere"): UNKNOWN,
    }
    for (slug, parent), words in refused.items():
        if slug == "new":
            response = operator.post("/operator/new", {**NEW, "slug": "other", "parent": parent})
        else:
            response = operator.post(f"/operator/{slug}/move", {"parent": parent})
        assert response.status_code == 400, (slug, parent)
        page = html.unescape(response.get_data(as_text=True))
        assert words in page, (slug, parent)
        assert 'aria-invalid="true"' in page  # on the parent's field
    assert _org(demo, "middle").parent_id == _org(demo, "top").id
    assert _org(demo, "top").parent_id is None
    # In Russian and Kazakh too.
    for lang in ("ru", "kk"):
        operator.get(f"/lang/{lang}")
        page = html.unescape(
            operator.post("/operator/middle/move", {"parent": "nowhere"}).get_data(as_text=True)
        )
        assert UNKNOWN not in page and 'aria-invalid="true"' in page
