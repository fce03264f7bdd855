"""Every rendered page of both apps is valid HTML for the Nu HTML checker (vnu): zero errors.

Pages come from the Flask test client in kk, ru and en (tests/support/render.py), including
error pages and forms returned with errors; they are written to one folder and checked by one
vnu run (one JVM start), together with both stylesheets. Warnings are not failures; they are
kept in test-artifacts/vnu/ beside the pages for review.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

import handler
import portal
from portal.config import PortalConfig
from tests.support import browser, needs, render, tools
from tests.support.browser import LANGUAGES
from tests.support.instance import DemoInstance
from tests.support.org_tree import make_tree

pytestmark = needs.run_once
OUT = browser.ARTIFACTS / "vnu"
STYLESHEETS = [
    Path(portal.__file__).parent / "static" / "portal.css",
    Path(portal.__file__).parent / "static" / "poster.css",
    Path(handler.__file__).parent / "static" / "handler.css",
]


@pytest.fixture
def apps(demo: DemoInstance) -> Iterator[tuple[Flask, Flask]]:
    from bench import loopback as servers

    servers.compile_translations()
    front = portal.create_app(demo.instance, PortalConfig(kdf_slots=2))
    back = handler.create_app()
    yield front, back
    for app in (front, back):
        app.extensions["adal.engine"].dispose()


def test_every_page_is_valid_html(apps: tuple[Flask, Flask], demo: DemoInstance) -> None:
    front, back = apps
    command = tools.vnu_command()
    code, submission_id = render.seed_mailbox(front, demo)
    team = render.staff(back, demo)
    pages: list[render.Page] = []
    for lang in LANGUAGES:
        pages += render.portal_pages(front, lang, code)
        pages += render.backoffice_pages(back, team, lang, submission_id, demo)
    # Then several organizations: the portal now asks where a report goes (issue 13).
    make_tree(demo.sessions)
    for lang in LANGUAGES:
        pages += render.organization_pages(front, lang)

    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    for page in pages:
        (OUT / page.filename).write_text(page.html)
    files = [str(OUT / p.filename) for p in pages] + [str(p) for p in STYLESHEETS]
    result = subprocess.run(
        [*command, "--format", "json", "--stdout", "--also-check-css", *files],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        messages = json.loads(result.stdout)["messages"]
    except (json.JSONDecodeError, KeyError):
        pytest.fail(f"vnu gave no JSON (exit {result.returncode}):\n{result.stderr[-3000:]}")
    (OUT / "vnu.json").write_text(json.dumps(messages, ensure_ascii=False, indent=1))

    def where(m: dict[str, object]) -> str:
        return f"{Path(str(m.get('url', '?'))).name}:{m.get('lastLine', '?')}"

    errors = [
        f"{where(m)}: {m.get('message')} [{str(m.get('extract', '')).strip()[:120]}]"
        for m in messages
        if m.get("type") in ("error", "non-document-error")
    ]
    assert len(pages) >= 3 * 40, f"only {len(pages)} pages were rendered"
    assert not errors, (
        f"{len(errors)} HTML errors in {len(pages)} pages "
        f"(pages kept in {OUT}):\n" + "\n".join(errors)
    )
