"""portal.key from the command line: existing installs get one without a manual step, and the
back-office commands refuse the portal host's folder clearly."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest

from installation import instance as inst
from tests.support.instance import DemoInstance, run_cli


def test_an_old_instance_gets_portal_key_from_its_next_command(demo: DemoInstance) -> None:
    key_file = demo.path / inst.PORTAL_KEY_NAME
    key_file.unlink()  # as an instance made before portal.key existed
    secret_before = (demo.path / inst.SECRET_NAME).read_bytes()
    code, output = run_cli("audit", "verify")
    assert code == 0, output
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_bytes()
    assert len(key) == 32 and key != secret_before
    # The back office's own key is untouched: staff TOTP seeds still open.
    assert (demo.path / inst.SECRET_NAME).read_bytes() == secret_before
    code, output = run_cli("user", "add", "--role", "handler", "new.handler")
    assert code == 0, output
    assert key_file.read_bytes() == key  # once, not on every command
    assert inst.load_portal(demo.path).portal_key == key


def test_back_office_commands_refuse_the_portal_host_folder(
    demo: DemoInstance, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "portal-host"
    folder.mkdir(mode=0o700)
    for name in inst.PORTAL_FILES:
        shutil.copy2(demo.path / name, folder / name)
    monkeypatch.setenv("ADAL_INSTANCE", str(folder))
    code, output = run_cli("user", "add", "--role", "handler", "someone")
    assert code != 0
    assert "has no secret.key" in output and "back-office host" in output
    assert "Traceback" not in output
