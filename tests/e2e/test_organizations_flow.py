"""Finding the organization and reporting to its superior body, in Chromium with JavaScript off
(issue 13, "Portal"), and the poster printed to PDF."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser
from sqlalchemy import select

from store.models import Attachment, Grant, Organization, RecipientKey, Submission
from tests.support import browser, needs, qr
from tests.support.browser import Site, reporter_context, submit

pytestmark = pytest.mark.xdist_group("e2e-orgs")

SHOTS = browser.ARTIFACTS / "e2e"
QUERIES = {"kk": "Денсаулық", "ru": "здравоохранения", "en": "Minzdrav"}
FACTS = {
    "kk": "Комитет төрағасы лицензия үшін ақша сұрады.",
    "ru": "Председатель комитета потребовал деньги за лицензию.",
    "en": "The chairman of the committee asked for money for a licence.",
}


@pytest.fixture(scope="module")
def org_site(
    tmp_path_factory: pytest.TempPathFactory, demo_template: browser.Template
) -> Iterator[Site]:
    yield from browser.organizations_site(tmp_path_factory, demo_template, "e2e-orgs")


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_find_the_committee_and_report_to_its_ministry_without_javascript(
    chrome: Browser, org_site: Site, tmp_path: Path, lang: str
) -> None:
    evidence = tmp_path / "evidence.txt"
    evidence.write_bytes(b"licence 17/2026\n" * 20)
    context = reporter_context(chrome)
    page = context.new_page()
    try:
        page.goto(org_site.portal.url + "/")
        browser.choose_language(page, lang)
        # With several organizations the form first asks for one: it never picks a default.
        page.goto(org_site.portal.url + "/report")
        assert page.locator("#facts").count() == 0
        page.fill("#q", QUERIES[lang])
        submit(page, 'form[action="/organizations"]')
        with page.expect_navigation():
            page.click('section[aria-labelledby="results"] a[href="/o/health"]')
        with page.expect_navigation():
            page.click('ul.orgs a[href="/o/health-control"]')
        assert page.get_attribute('dl.names a[href="/o/health"]', "href") == "/o/health"
        with page.expect_navigation():
            page.click('a[href="/o/health-control/report"]')
        # Both destinations offered, this organization chosen unless the reporter changes it.
        radios = page.locator('input[name="to"]')
        assert radios.count() == 2
        assert page.is_checked('input[name="to"][value="health-control"]')
        page.check('input[name="to"][value="health"]')
        page.fill("#facts", FACTS[lang])
        page.set_input_files("#files", str(evidence))
        page.check("#acknowledge")
        submit(page, 'form[action="/report"]')
        code = page.inner_text(".code strong").strip()
        assert browser.RECEIPT_CODE.match(code), f"no receipt code: {code!r}"
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"orgs-receipt-{lang}.png"), full_page=True)
        assert "<script" not in page.content().lower()
    finally:
        context.close()

    with org_site.demo.sessions() as db:
        ids = dict(db.execute(select(Organization.slug, Organization.id)).all())
        sent = (
            db.execute(
                select(Submission).where(
                    Submission.org_id.in_([ids["health"], ids["health-control"]])
                )
            )
            .scalars()
            .all()
        )
        # Every report of this test went to the ministry, none to the committee.
        assert sent and {s.org_id for s in sent} == {ids["health"]}
        for submission in sent:
            envelopes = [
                submission.report_envelope_id,
                *db.execute(
                    select(Attachment.envelope_id).where(Attachment.submission_id == submission.id)
                ).scalars(),
            ]
            assert len(envelopes) == 2  # the report and its file
            # Sealed to the ministry's keys alone: no key of the committee holds a grant.
            key_orgs = set(
                db.execute(
                    select(RecipientKey.org_id)
                    .join(Grant, Grant.key_id == RecipientKey.key_id)
                    .where(Grant.envelope_id.in_(envelopes))
                ).scalars()
            )
            assert key_orgs == {ids["health"]}


def test_the_poster_prints_on_one_a4_page_with_its_qr_code(
    chrome: Browser, org_site: Site, tmp_path: Path
) -> None:
    needs.file(Path("/usr/bin/pdfinfo"), "poppler's pdfinfo", "apt-get install poppler-utils")
    context = reporter_context(chrome)
    page = context.new_page()
    try:
        for lang in ("kk", "ru"):
            page.goto(org_site.portal.url + "/o/health-control/poster")
            with page.expect_navigation():
                page.click(f'nav a[hreflang="{lang}"]')  # the poster's own language links
            html = page.content()
            svg = html[html.index("<svg") : html.index("</svg>") + 6]
            assert qr.holds(svg, org_site.portal.url + "/o/health-control")
            pdf = tmp_path / f"poster-{lang}.pdf"
            page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
            info = subprocess.run(
                ["/usr/bin/pdfinfo", str(pdf)], capture_output=True, text=True, check=True
            ).stdout
            assert re.search(r"^Pages:\s+1$", info, re.MULTILINE), info
            assert "(A4)" in info, info
    finally:
        context.close()
