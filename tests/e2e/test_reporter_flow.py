"""The whole path as people take it, in a real browser against gunicorn on loopback.

A reporter with JavaScript off (Tor Browser "Safest") reports in Kazakh with a file and writes
the receipt code down; a handler signs in with password and TOTP, opens the case, downloads the
file and replies; the reporter opens the mailbox with the code, reads the reply and follows up
with another file; the handler sees the follow-up. Every step leaves a screenshot in
test-artifacts/e2e/.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.support import browser
from tests.support.browser import Site, reporter_context, staff_sign_in, submit

# One worker per directory under pytest-xdist (--dist loadgroup): the directory's site
# fixture owns test-artifacts/logs/<dir>, and a second copy on another worker would clear it.
pytestmark = pytest.mark.xdist_group("e2e-site")

SHOTS = browser.ARTIFACTS / "e2e"
FACTS = "Мемлекеттік сатып алу бөлімінің басшысы келісімшартқа қол қою үшін 500 000 теңге сұрады."
EVIDENCE = "Хат алмасу: 2026 жылғы 3 наурыз.\n".encode() * 50
FOLLOW_UP = "Ақша 12 наурызда кабинетте берілді. Куәгер бар."
REPLY = "Рахмет. Ақша қашан және қайда берілгенін жазыңызшы?"


def shot(page: Page, step: int, name: str) -> None:
    """Keep a screenshot of the step; the page must carry no script (DESIGN: JS-free)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{step:02d}-{name}.png"), full_page=True)
    assert "<script" not in page.content().lower(), f"{name}: the page has a <script>"


def test_report_reply_and_follow_up_in_kazakh(chrome: Browser, site: Site, tmp_path: Path) -> None:
    evidence = tmp_path / "дәлел.txt"
    evidence.write_bytes(EVIDENCE)
    second = tmp_path / "куә.txt"
    second.write_bytes("Куәгердің аты-жөні мөрленген хатта.".encode())

    reporter = reporter_context(chrome)
    staff = chrome.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 800})
    # Everything the reporter's browser fetched, to check origins and types at the end.
    fetched: list[tuple[str, str]] = []
    reporter.on("response", lambda r: fetched.append((r.url, r.headers.get("content-type", ""))))
    portal = reporter.new_page()
    office = staff.new_page()

    # 1. The reporter reads the landing page in Kazakh and opens the form from it.
    portal.goto(site.portal.url + "/")
    browser.choose_language(portal, "kk")
    assert portal.get_attribute("html", "lang") == "kk"
    shot(portal, 1, "landing-kk")
    portal.click('main a[href="/report"]')
    portal.wait_for_load_state()
    assert portal.locator("#facts").count() == 1, "the report form has no facts field"

    # 2. Report with a file; the receipt page shows the code once.
    portal.fill("#facts", FACTS)
    portal.fill("#where", "Астана")
    portal.set_input_files("#files", str(evidence))
    portal.check("#acknowledge")
    shot(portal, 2, "report-filled")
    submit(portal, 'form[action="/report"]')
    code = portal.inner_text(".code strong").strip()
    assert browser.RECEIPT_CODE.match(code), f"no receipt code on the page: {code!r}"
    shot(portal, 3, "receipt")

    # 3. The handler signs in (password + TOTP) and opens the case from the inbox.
    staff_sign_in(office, site, "handler")
    assert office.url.endswith("/inbox"), office.url
    shot(office, 4, "inbox")
    links = office.locator('table a[href^="/cases/"]')
    hrefs = [links.nth(i).get_attribute("href") or "" for i in range(links.count())]
    assert hrefs, "the handler's inbox lists no report"
    # Other tests of this site add reports of the same day too: find ours by its text.
    for href in hrefs:
        office.goto(site.handler.url + href)
        if FACTS in office.inner_text("main"):
            break
    else:
        raise AssertionError(f"no case in the inbox shows the report ({len(hrefs)} cases)")
    shot(office, 5, "case")

    # 4. The file arrives intact, as a download (never shown in the browser).
    link = office.locator("a[download]", has_text="дәлел.txt")
    assert link.count() == 1, "the attachment is not listed on the case page"
    with office.expect_download() as download:
        link.click()
    saved = tmp_path / "downloaded"
    download.value.save_as(saved)
    assert saved.read_bytes() == EVIDENCE
    assert download.value.suggested_filename == "дәлел.txt"

    # 5. The handler replies.
    office.fill("#text", REPLY)
    submit(office, 'form[action$="/reply"]')
    assert REPLY in office.inner_text("main"), "the reply is not in the thread"
    shot(office, 6, "case-replied")

    # 6. The reporter opens the mailbox with the code and reads the reply.
    portal.goto(site.portal.url + "/mailbox")
    portal.fill("#code", code)
    shot(portal, 7, "mailbox-login")
    submit(portal, 'form[action="/mailbox/login"]')
    assert portal.url.endswith("/mailbox"), portal.url
    assert REPLY in portal.inner_text("main"), "the mailbox does not show the handler's reply"
    shot(portal, 8, "mailbox-with-reply")

    # 7. A follow-up with another file.
    portal.fill("#text", FOLLOW_UP)
    portal.set_input_files("#files", str(second))
    submit(portal, 'form[action="/mailbox/reply"]')
    text = portal.inner_text("main")
    assert FOLLOW_UP in text, "the follow-up is not in the reporter's thread"
    assert "куә.txt" in text, "the follow-up's file is not listed in the reporter's thread"
    shot(portal, 9, "mailbox-followed-up")

    # 8. The handler sees the follow-up and its file.
    office.reload()
    main = office.inner_text("main")
    assert FOLLOW_UP in main and "куә.txt" in main, "the follow-up did not reach the case"
    shot(office, 10, "case-with-follow-up")

    # 9. The reporter closes the mailbox; the page says so.
    submit(portal, 'form[action="/mailbox/logout"]')
    shot(portal, 11, "logged-out")
    portal.goto(site.portal.url + "/mailbox")
    assert portal.locator("#code").count() == 1, "the mailbox stayed open after logout"

    reporter.close()
    staff.close()
    # Every byte came from the portal's own origin, and no script was among them.
    foreign = [url for url, _type in fetched if not url.startswith(site.portal.url)]
    assert not foreign, f"the reporter's browser fetched from elsewhere: {foreign}"
    scripts = [url for url, ctype in fetched if "javascript" in ctype]
    assert not scripts, f"scripts reached the reporter: {scripts}"
    assert len(fetched) >= 8, f"only {len(fetched)} responses were seen"


def test_switching_language_mid_report_keeps_the_text(
    chrome: Browser, site: Site, tmp_path: Path
) -> None:
    evidence = tmp_path / "scan.txt"
    evidence.write_bytes(b"scan")
    portal = reporter_context(chrome).new_page()
    portal.goto(site.portal.url + "/report")
    browser.choose_language(portal, "kk")
    portal.fill("#facts", FACTS)
    portal.fill("#position", "бөлім бастығы")
    portal.check("#nda")
    portal.set_input_files("#files", str(evidence))
    browser.choose_language(portal, "ru")
    assert portal.get_attribute("html", "lang") == "ru"
    assert portal.input_value("#facts") == FACTS
    assert portal.input_value("#position") == "бөлім бастығы" and portal.is_checked("#nda")
    # The file stayed behind (it was not uploaded to switch language), and the page says so.
    assert portal.locator('[role="alert"]').count() >= 1
    shot(portal, 20, "report-switched-to-ru")
    portal.check("#acknowledge")
    submit(portal, 'form[action="/report"]')
    assert browser.RECEIPT_CODE.match(portal.inner_text(".code strong").strip())
