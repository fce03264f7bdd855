"""Issue 13, "Superior bodies": a head or auditor sees the counts of every organization below
their own, at any depth, and nothing else of them: no content, no case id, no organization
beside or above."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from cases.subordinates import subordinate_counts
from handler import subordinates
from rules.clock import local_date
from store.models import Organization
from tests.support.backoffice import Browser, store_portal_report
from tests.support.instance import DemoInstance, run_cli

PAGE = "/statistics/subordinates"
IDENTITY = {"full_name": "Серікбаев Ерлан", "position": "бухгалтер", "unit": "қаржы бөлімі"}


def _add(slug: str, name: str, parent: str | None) -> None:
    extra = ("--parent", parent) if parent else ()
    code, output = run_cli(
        "org", "add", slug, "--name-kk", name, "--name-ru", name, "--name-en", name, *extra
    )
    assert code == 0, output


def _ids(demo: DemoInstance) -> dict[str, int]:
    with demo.sessions() as s:
        return {slug: i for slug, i in s.execute(select(Organization.slug, Organization.id))}


def _row(page: str, name: str) -> list[str]:
    """The cells of an organization's row."""
    found = re.search(rf"{re.escape(name)}</th>(.*?)</tr>", page, re.S)
    assert found, page[:5000]
    return re.findall(r"<td>(.*?)</td>", found.group(1), re.S)


def test_nothing_below_is_an_empty_state(as_role: Callable[[str], Browser]) -> None:
    for role in ("head", "auditor"):
        page = as_role(role).get(PAGE)
        assert page.status_code == 200
        assert "There are no organizations below yours." in page.get_data(as_text=True)


def test_counts_of_every_organization_below(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    with demo.sessions() as s:
        own = s.scalars(select(Organization).order_by(Organization.id)).first()
        assert own is not None
        own_slug = own.slug
    _add("committee", "Комитет по делам", own_slug)
    _add("department", "Департамент области", "committee")
    _add("elsewhere", "Другое министерство", None)
    ids = _ids(demo)
    secret = "Жасырын мазмұн: пара"
    sids = [
        store_portal_report(demo, facts=secret, org_id=ids["committee"]).submission_id,
        store_portal_report(
            demo, facts=secret, identity=IDENTITY, org_id=ids["committee"]
        ).submission_id,
        store_portal_report(demo, facts=secret, org_id=ids["department"]).submission_id,
        store_portal_report(demo, facts=secret, org_id=ids["elsewhere"]).submission_id,
        store_portal_report(demo, facts=secret, org_id=ids[own_slug]).submission_id,
    ]
    today = local_date(datetime.now(UTC))
    quarter = (today.year, (today.month - 1) // 3 + 1)
    label = f"{today.year} Q{quarter[1]}"
    for role in ("head", "auditor"):
        response = as_role(role).get(PAGE)
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        committee, department = _row(page, "Комитет по делам"), _row(page, "Департамент области")
        # Fewer than 3, by quarter: no month, no small number (p7, p14).
        assert committee[0] == "fewer than 3" and department[0] == "fewer than 3"
        assert f"{label}: fewer than 3" in committee[3]
        assert f"{label}: fewer than 3" in department[3]
        # Organizations beside or above are not listed; neither is one's own.
        assert "Другое министерство" not in page
        assert page.index("Комитет по делам") < page.index("Департамент области")
        # Counts only: no content, no case reference of any report.
        assert "пара" not in page
        for sid in sids:
            assert sid not in page and sid[:8] not in page
    with demo.sessions() as s:
        counts = {
            c.organization.slug: c for c in subordinate_counts(s, ids[own_slug], datetime.now(UTC))
        }
        assert set(counts) == {"committee", "department"}
        assert counts["committee"].by_channel == {"portal": 2}
        assert counts["committee"].by_status == {"new": 2}
        assert counts["committee"].by_quarter == {quarter: 2}
        assert counts["committee"].depth == 1 and counts["department"].depth == 2
        # Unopened reports have their first deadlines running.
        assert counts["committee"].deadlines.total >= 2
        # The committee's own view: only the department below it.
        below = subordinate_counts(s, ids["committee"], datetime.now(UTC))
        assert [c.organization.slug for c in below] == ["department"]


def test_only_heads_and_auditors(as_role: Callable[[str], Browser]) -> None:
    for role in ("handler", "admin"):
        assert as_role(role).get(PAGE).status_code == 403


def test_a_large_tree_is_paged(
    demo: DemoInstance, as_role: Callable[[str], Browser], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(subordinates, "PER_PAGE", 2)
    with demo.sessions() as s:
        own = s.scalars(select(Organization.slug).order_by(Organization.id)).first()
    for slug in ("a-one", "b-two", "c-three"):
        _add(slug, f"Орган {slug}", own)
    head = as_role("head")
    first = head.get(PAGE).get_data(as_text=True)
    assert "Орган a-one" in first and "Орган b-two" in first and "Орган c-three" not in first
    second = head.get(f"{PAGE}?page=2").get_data(as_text=True)
    assert "Орган c-three" in second and "Орган a-one" not in second
    assert "Орган c-three" in head.get(f"{PAGE}?page=999").get_data(as_text=True)
    assert head.get(f"{PAGE}?page=abc").status_code == 200


ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


def test_small_counts_hidden_by_quarter_in_every_language(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    """Law review of issue 13, finding 3: counts by quarter, a count from 1 to 2 reads
    «менее 3» / «3-тен аз», larger counts stay exact, and the page says why (p7, p14)."""
    with demo.sessions() as s:
        own = s.scalars(select(Organization.slug).order_by(Organization.id)).first()
    _add("many", "Орган многих", own)
    _add("few", "Орган немногих", own)
    ids = _ids(demo)
    for _n in range(3):
        store_portal_report(demo, org_id=ids["many"])
    store_portal_report(demo, org_id=ids["few"])
    today = local_date(datetime.now(UTC))
    roman = ROMAN[(today.month - 1) // 3 + 1]
    head = as_role("head")
    expected = {
        "en": (f"{today.year} Q{(today.month - 1) // 3 + 1}", "fewer than 3", "small values"),
        "ru": (f"{roman} квартал {today.year}", "менее 3", "малые значения не показываются"),
        "kk": (f"{today.year} ж. {roman} тоқсан", "3-тен аз", "кіші мәндер көрсетілмейді"),
    }
    for lang, (label, small, note) in expected.items():
        head.get(f"/lang/{lang}")
        page = head.get(PAGE).get_data(as_text=True)
        assert note in page
        many, few = _row(page, "Орган многих"), _row(page, "Орган немногих")
        assert many[0] == "3" and f"{label}: 3" in many[3]
        assert few[0] == small and f"{label}: {small}" in few[3]
        assert f"{today.year}-{today.month:02d}" not in page
        # Deadline figures: the same rule, exact only from 3 up.
        for cell in many[4:] + few[4:]:
            assert cell in ("0", small) or int(cell) >= 3


def test_one_term_for_the_bodies_below(as_role: Callable[[str], Browser]) -> None:
    """Law review of issue 13, finding 10: «подведомственные органы и организации» /
    «ведомстволық бағынысты органдар мен ұйымдар» on both sides (seed p1, p3)."""
    head = as_role("head")
    for lang, term in (
        ("ru", "Статистика подведомственных органов и организаций"),
        ("kk", "Ведомстволық бағынысты органдар мен ұйымдардың статистикасы"),
    ):
        head.get(f"/lang/{lang}")
        page = head.get(PAGE).get_data(as_text=True)
        assert term in page and "ижестоящ" not in page
