"""Accessibility of every portal page and the main back-office pages, in kk, ru and en.

axe-core runs inside each page (injected by the harness into a context with JavaScript on and
the CSP bypassed; the pages themselves carry no script): no serious or critical violation may
remain. Beside axe, three checks of our own that axe cannot know the intent of:
  * `lang` on <html> is the language chosen with the page's own link, the title is in it, and
    every language link names its own language;
  * every input, select and textarea has a label;
  * on a form returned with errors, each field in error is aria-invalid and aria-describedby
    points at its error text, and no error text is left untied.
Full axe results are written to test-artifacts/axe/ for review.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.support import browser, tools
from tests.support.browser import LANGUAGES, Site

# One worker per directory under pytest-xdist (--dist loadgroup): the directory's site
# fixture owns test-artifacts/logs/<dir>, and a second copy on another worker would clear it.
pytestmark = pytest.mark.xdist_group("quality-site")

REPORTS = browser.ARTIFACTS / "axe"
BLOCKING = ("serious", "critical")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")

# Fields that must be flagged on each page that returns a form with errors.
FIELD_ERRORS: dict[str, set[str]] = {
    "report-errors": {"facts", "acknowledge"},
    "mailbox-login-empty": {"code"},
    "register-errors": {"received_at", "facts"},
    "user-new-errors": {"username", "full_name"},
    "password-errors": {"confirm"},
    "organizations-search-empty": {"q"},
    "report-for-organization-errors": {"facts", "acknowledge"},
}

CHECKS_JS = """
() => {
  const problems = [];
  const html = document.documentElement;
  for (const a of document.querySelectorAll('a[hreflang]')) {
    const code = a.getAttribute('hreflang');
    if (a.getAttribute('lang') !== code)
      problems.push(`language link ${code} has lang="${a.getAttribute('lang')}"`);
  }
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (['hidden', 'submit', 'button', 'reset', 'image'].includes(el.type)) continue;
    const named = el.labels.length > 0 || el.getAttribute('aria-label')
      || el.getAttribute('aria-labelledby');
    if (!named) problems.push(`unlabelled <${el.tagName.toLowerCase()}> name="${el.name}"`);
  }
  const invalid = [];
  for (const el of document.querySelectorAll('[aria-invalid="true"]')) {
    invalid.push(el.id);
    const ids = (el.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean);
    const found = ids.map(i => document.getElementById(i)).filter(Boolean);
    if (found.length !== ids.length)
      problems.push(`#${el.id}: aria-describedby names an element that does not exist`);
    if (!found.some(d => d.classList.contains('error') && d.textContent.trim()))
      problems.push(`#${el.id}: aria-invalid, but aria-describedby reaches no error text`);
  }
  for (const err of document.querySelectorAll('.error[id]')) {
    const tied = [...document.querySelectorAll('[aria-describedby]')].some(
      el => el.getAttribute('aria-describedby').split(/\\s+/).includes(err.id));
    if (!tied) problems.push(`error text #${err.id} is tied to no field`);
  }
  return {lang: html.getAttribute('lang'), title: document.title, problems, invalid};
}
"""


def axe_violations(page: Page, axe: Path) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(axe))
    result: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    violations: list[dict[str, Any]] = result["violations"]
    return violations


def check_page(page: Page, axe: Path, where: str, lang: str, name: str) -> list[str]:
    """Every problem found on the page as it is now, one line each."""
    label = f"{where} [{lang}] {name} ({page.url})"
    violations = axe_violations(page, axe)
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / f"{where}-{lang}-{name}.json").write_text(
        json.dumps(violations, ensure_ascii=False, indent=1)
    )
    found = [
        f"{label}: axe {v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(" ".join(n["target"]) for n in v["nodes"][:5])
        for v in violations
        if v["impact"] in BLOCKING
    ]
    own = page.evaluate(CHECKS_JS)
    found += [f"{label}: {p}" for p in own["problems"]]
    if own["lang"] != lang:
        found.append(f"{label}: <html lang> is {own['lang']!r}, the chosen language is {lang!r}")
    if bool(CYRILLIC.search(own["title"])) != (lang != "en"):
        found.append(f"{label}: the title {own['title']!r} is not in the chosen language")
    expected = FIELD_ERRORS.get(name)
    if expected is not None and not expected <= set(own["invalid"]):
        found.append(
            f"{label}: fields in error {sorted(expected)} are not all aria-invalid "
            f"(marked: {sorted(own['invalid'])})"
        )
    return found


@pytest.fixture(scope="module")
def axe() -> Path:
    return tools.axe_script()


@pytest.fixture(scope="module")
def org_site(
    tmp_path_factory: pytest.TempPathFactory, demo_template: browser.Template
) -> Iterator[Site]:
    yield from browser.organizations_site(tmp_path_factory, demo_template, "quality-orgs")


@pytest.fixture(scope="module")
def staff(chrome: Browser, site: Site) -> Iterator[dict[str, Page]]:
    """One signed-in inspector page per role (a sign-in per role, not per language: each
    TOTP step is accepted once)."""
    contexts = []
    pages = {}
    for role in ("handler", "head", "admin", "auditor"):
        context = browser.inspector_context(chrome)
        contexts.append(context)
        page = context.new_page()
        browser.staff_sign_in(page, site, role)
        pages[role] = page
    yield pages
    for context in contexts:
        context.close()


def _walk(tour: Iterator[str], page: Page, axe: Path, where: str, lang: str) -> list[str]:
    problems: list[str] = []
    for name in tour:
        problems += check_page(page, axe, where, lang, name)
    return problems


@pytest.mark.parametrize("lang", LANGUAGES)
def test_portal_pages(chrome: Browser, site: Site, axe: Path, lang: str) -> None:
    context = browser.inspector_context(chrome)
    page = context.new_page()
    try:
        problems = _walk(browser.portal_tour(page, site, lang), page, axe, "portal", lang)
    finally:
        context.close()
    assert not problems, "accessibility problems in the portal:\n" + "\n".join(problems)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_organization_pages(chrome: Browser, org_site: Site, axe: Path, lang: str) -> None:
    """The search, the tree, an organization's page, its report form with the superior body
    to choose, its poster (issue 13)."""
    context = browser.inspector_context(chrome)
    page = context.new_page()
    try:
        tour = browser.organizations_tour(page, org_site, lang)
        problems = _walk(tour, page, axe, "portal-orgs", lang)
    finally:
        context.close()
    assert not problems, "accessibility problems in the organization pages:\n" + "\n".join(problems)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_backoffice_pages(
    chrome: Browser, site: Site, axe: Path, staff: dict[str, Page], lang: str
) -> None:
    context = browser.inspector_context(chrome)
    page = context.new_page()
    try:
        problems = _walk(browser.signed_out_tour(page, site, lang), page, axe, "backoffice", lang)
    finally:
        context.close()
    for role, staff_page in staff.items():
        problems += _walk(
            browser.backoffice_tour(staff_page, site, role, lang),
            staff_page,
            axe,
            f"backoffice-{role}",
            lang,
        )
    assert not problems, "accessibility problems in the back office:\n" + "\n".join(problems)
