"""The portal host holds adal.json and portal.key only (README, Deployment): the portal runs
from that, never opens secret.key, and says clearly what is missing when a file is."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask

import handler
from bench import loopback as srv
from installation import instance as inst
from portal import create_app
from tests.support.backoffice import Browser, sign_in
from tests.support.instance import DemoInstance, run_cli
from tests.support.portal import login, make_config, post_report, receipt_code, report_fields

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def portal_folder(demo: DemoInstance, tmp_path: Path) -> Path:
    """What an operator copies to the portal host, and nothing else."""
    folder = tmp_path / "portal-host"
    folder.mkdir(mode=0o700)
    for name in inst.PORTAL_FILES:
        shutil.copy2(demo.path / name, folder / name)
    return folder


@pytest.fixture
def portal_app(portal_folder: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    # ADAL_DATABASE_URL (the `env` fixture) still names the shared database.
    monkeypatch.setenv("ADAL_INSTANCE", str(portal_folder))
    app = create_app(config=make_config())  # the portal's own instance loading
    app.config["TESTING"] = True
    yield app
    app.extensions["adal.kdf_queue"].close()
    app.extensions["adal.engine"].dispose()


def test_portal_host_folder_takes_a_report_the_back_office_opens(
    portal_app: Flask, portal_folder: Path, demo: DemoInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    reporter = portal_app.test_client()
    assert reporter.get("/").status_code == 200
    facts = "Начальник склада продаёт казённое топливо."
    sent = post_report(reporter, report_fields(reporter, facts=facts))
    assert sent.status_code == 200, sent.get_data(as_text=True)[:2000]
    assert login(reporter, receipt_code(sent.get_data(as_text=True))).status_code == 303
    assert 'name="code"' not in reporter.get("/mailbox").get_data(as_text=True)  # signed in

    # The back office, on its own full instance folder, opens the report.
    srv.compile_translations()
    monkeypatch.setenv("ADAL_INSTANCE", str(demo.path))
    back_office = handler.create_app({"TESTING": True})
    try:
        creds = demo.credentials()["handler"]
        staff = sign_in(
            Browser(back_office), demo, creds["username"], creds["password"], creds["totp secret"]
        )
        links = re.findall(
            r'href="/cases/([0-9a-f]{32})"', staff.get("/inbox").get_data(as_text=True)
        )
        assert len(links) == 1
        assert facts in staff.get(f"/cases/{links[0]}").get_data(as_text=True)
        answer = "Получили, спасибо. Когда это началось?"
        assert staff.post(f"/cases/{links[0]}/reply", {"text": answer}).status_code == 303
    finally:
        back_office.extensions["adal.engine"].dispose()
    # ... and the reporter, still signed in on the portal, reads the answer.
    assert answer in reporter.get("/mailbox").get_data(as_text=True)
    # The portal added nothing to its folder, least of all a back-office secret.
    assert sorted(p.name for p in portal_folder.iterdir()) == sorted(inst.PORTAL_FILES)


def test_portal_signs_with_the_portal_key_not_the_secret_key(
    portal_app: Flask, demo: DemoInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A portal built from the full folder signs exactly as one built from the portal folder.
    full = create_app(demo.instance, make_config())
    try:
        for name in ("SECRET_KEY", "WTF_CSRF_SECRET_KEY"):
            assert full.config[name] == portal_app.config[name]
            assert full.config[name] not in (demo.instance.secret_key, demo.instance.portal_key)
    finally:
        full.extensions["adal.kdf_queue"].close()
        full.extensions["adal.engine"].dispose()


# Runs the portal's flow in a fresh interpreter whose audit hook records every file it opens.
_WATCH_OPENS = """
import os, sys
opened = []
sys.addaudithook(lambda event, args: opened.append(os.fsdecode(args[0]))
                 if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)) else None)
from portal import create_app
from tests.support.portal import make_config, post_report, receipt_code, report_fields
app = create_app(config=make_config())
app.config["TESTING"] = True
client = app.test_client()
assert client.get("/").status_code == 200
sent = post_report(client, report_fields(client))
assert sent.status_code == 200, sent.status_code
receipt_code(sent.get_data(as_text=True))
app.extensions["adal.kdf_queue"].close()
print(json.dumps(opened))
"""


def test_portal_never_opens_secret_key_even_beside_it(demo: DemoInstance) -> None:
    """One machine: the portal shares the full folder, and still reads only its own key."""
    result = subprocess.run(
        [sys.executable, "-c", "import json\n" + _WATCH_OPENS],
        cwd=ROOT,
        env=dict(os.environ, ADAL_INSTANCE=str(demo.path), PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    opened = json.loads(result.stdout.strip().splitlines()[-1])
    names = {Path(p).name for p in opened}
    assert inst.PORTAL_KEY_NAME in names and inst.CONFIG_NAME in names
    assert inst.SECRET_NAME not in names, [p for p in opened if p.endswith(inst.SECRET_NAME)]


def test_adal_portal_serves_from_the_portal_host_folder(
    portal_folder: Path, tmp_path: Path
) -> None:
    """The real `adal portal` (gunicorn), as the systemd unit starts it on the portal host."""
    server = srv.start_portal(portal_folder, tmp_path / "run")
    try:
        http = requests.Session()
        csrf, nonce = srv.form_tokens(http, server)
        sent = http.post(
            server.url("/report"),
            data={
                "csrf_token": csrf,
                "nonce": nonce,
                "facts": "Откат за тендер.",
                "acknowledge": "y",
            },
            files={"files": ("", b"", "application/octet-stream")},
        )
        assert sent.status_code == 200 and srv.CODE.search(sent.text), sent.text[:2000]
    finally:
        server.stop()
    log = server.log.read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]


def test_adal_portal_refuses_a_folder_without_portal_key_clearly(
    demo: DemoInstance, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "old-portal-host"
    folder.mkdir(mode=0o700)
    shutil.copy2(demo.path / inst.CONFIG_NAME, folder / inst.CONFIG_NAME)
    monkeypatch.setenv("ADAL_INSTANCE", str(folder))
    # Fails before it would start gunicorn, with the operator's next step, and no traceback.
    code, output = run_cli("portal", "--port", "1")
    assert code != 0
    assert f"has no {inst.PORTAL_KEY_NAME}" in output and "copy adal.json and portal.key" in output
    assert "Traceback" not in output
    assert not (folder / inst.PORTAL_KEY_NAME).exists()
