"""Issue 13, "Upgrade": an installation made by main before organizations, migrated by this code.

The old instance is made by the old code itself (commit 2bc6abb, the last of main before
organizations, extracted from this repository's history): its `adal init --demo`, its back
office opening cases and recording a protection, its test support storing portal reports.
Then this code's `adal db upgrade` migrates it, and everything must still work: each case opens
for the same people with the same keys, `adal audit verify` passes (the old chain is now
organization "main"'s, MACs and anchor included), and "main" holds every row. On SQLite and on
PostgreSQL (the `database_url` fixture).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from cases import organizations
from store.models import AuditEntry, RecipientKey, Submission, User
from tests.support.backoffice import Browser, handler_app, sign_in
from tests.support.instance import open_demo, run_cli

BEFORE_ORGANIZATIONS = "2bc6abb"
ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("before_organizations.py")
ORG_TABLES = (
    "users",
    "recipient_keys",
    "submissions",
    "audit_log",
    "case_lists",
    "list_deadlines",
    "settings",
)


def _old_tree(into: Path) -> Path:
    """The repository at BEFORE_ORGANIZATIONS, extracted with `git archive`."""
    found = subprocess.run(
        ["git", "-C", str(ROOT), "cat-file", "-e", f"{BEFORE_ORGANIZATIONS}^{{commit}}"],
        capture_output=True,
        check=False,
    )
    if found.returncode != 0:
        pytest.fail(
            f"commit {BEFORE_ORGANIZATIONS} (main before organizations) is not in the "
            f"repository at {ROOT}: the upgrade test needs the history; clone without "
            f"--depth, or fetch it (git fetch --unshallow). {found.stderr.decode().strip()}"
        )
    into.mkdir()
    with subprocess.Popen(
        ["git", "-C", str(ROOT), "archive", "--format=tar", BEFORE_ORGANIZATIONS],
        stdout=subprocess.PIPE,
    ) as archive:
        assert archive.stdout is not None
        with tarfile.open(fileobj=archive.stdout, mode="r|") as tar:
            tar.extractall(into, filter="data")
    assert archive.returncode == 0
    return into


def _made_by_old_code(tree: Path, instance: Path, database_url: str) -> dict[str, object]:
    env = {
        **os.environ,
        "PYTHONPATH": str(tree),
        "ADAL_INSTANCE": str(instance),
        "ADAL_DATABASE_URL": database_url,
    }
    done = subprocess.run(
        [sys.executable, str(SCRIPT)],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    made: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return made


def test_an_installation_from_before_organizations_upgrades(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    instance = tmp_path / "instance"
    made = _made_by_old_code(_old_tree(tmp_path / "old"), instance, database_url)
    cases: dict[str, str] = made["cases"]  # type: ignore[assignment]
    monkeypatch.setenv("ADAL_INSTANCE", str(instance))
    monkeypatch.setenv("ADAL_DATABASE_URL", database_url)

    code, output = run_cli("db", "upgrade")
    assert code == 0, output
    code, output = run_cli("audit", "verify")
    assert code == 0, output
    code, output = run_cli("audit", "verify", "--org", "main")
    assert code == 0 and "organization main" in output, output

    demo = open_demo(instance, database_url, str(made["init_output"]))
    try:
        with demo.sessions() as s:
            main = organizations.by_slug(s, "main")
            assert s.scalar(select(func.count()).select_from(Submission)) == 3
            # Organization "main" holds everything the old installation had.
            for table in ORG_TABLES:
                stray = s.scalar(
                    text(f"SELECT count(*) FROM {table} WHERE org_id IS NULL OR org_id != :o"),
                    {"o": main.id},
                )
                assert stray == 0, table
            assert s.scalar(select(func.count()).select_from(AuditEntry)) > 7
            recovery = s.scalars(
                select(RecipientKey).where(RecipientKey.purpose == "recovery")
            ).one()
            assert recovery.org_id == main.id
            assert {u.org_id for u in s.scalars(select(User))} == {main.id}

        creds = demo.credentials()
        with handler_app({"TESTING": True}) as app:

            def signed_in(role: str) -> Browser:
                c = creds[role]
                return sign_in(Browser(app), demo, c["username"], c["password"], c["totp secret"])

            head, handler = signed_in("head"), signed_in("handler")
            # The same people open the same cases, with the keys they had.
            page = head.get(f"/cases/{cases['protected']}")
            assert page.status_code == 200
            assert "Бастық пара сұрады" in page.get_data(as_text=True)
            protection = head.get(f"/cases/{cases['protected']}/protection")
            assert "Серікбаев Е." in protection.get_data(as_text=True)
            page = handler.get(f"/cases/{cases['handled']}")
            assert page.status_code == 200
            assert "handled case" in page.get_data(as_text=True)
            # The report nobody opened before the upgrade opens now, for either of them.
            page = handler.get(f"/cases/{cases['unopened']}")
            assert page.status_code == 200
            assert "не открыто" in page.get_data(as_text=True)
            # The auditor's check reads organization main's chain: the old one, still intact.
            auditor = signed_in("auditor")
            assert "Intact" in auditor.get("/audit/verify").get_data(as_text=True)
    finally:
        demo.engine.dispose()

    # The chain keeps verifying with what the back office appended since.
    code, output = run_cli("audit", "verify")
    assert code == 0, output
    # The old recovery key is organization main's, and recovers its cases.
    code, output = run_cli(
        "recover",
        "--org",
        "main",
        "--user",
        creds["handler"]["username"],
        input=demo.recovery_key() + "\n",
    )
    assert code == 0 and "Granted 3 cases" in output, output
