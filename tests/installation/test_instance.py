"""The instance folder's two keys: secret.key stays with the back office, portal.key is all the
portal host gets (store/instance.py)."""

from __future__ import annotations

import re
import shutil
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from crypto.kdf import KdfParams, new_salt
from installation import instance as inst

ROOT = Path(__file__).resolve().parents[2]

FAST = KdfParams(time_cost=1, memory_kib=8192)


def _new(path: Path) -> inst.Instance:
    return inst.create(path, FAST, new_salt(), "recovery-key-id")


def _portal_copy(source: Path, target: Path) -> Path:
    """What the README tells operators to copy to the portal host, and nothing else."""
    target.mkdir(mode=0o700)
    for name in inst.PORTAL_FILES:
        shutil.copy2(source / name, target / name)
    return target


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_create_writes_a_private_portal_key_apart_from_the_secret_key(tmp_path: Path) -> None:
    created = _new(tmp_path / "instance")
    key_file = tmp_path / "instance" / inst.PORTAL_KEY_NAME
    assert _mode(key_file) == 0o600
    assert key_file.read_bytes() == created.portal_key
    assert len(created.portal_key) == 32
    assert created.portal_key != created.secret_key
    # Nothing half-written is left beside it.
    assert sorted(p.name for p in (tmp_path / "instance").iterdir()) == [
        inst.CONFIG_NAME,
        inst.PORTAL_KEY_NAME,
        inst.SECRET_NAME,
    ]
    loaded = inst.load(tmp_path / "instance")
    assert (loaded.portal_key, loaded.secret_key) == (created.portal_key, created.secret_key)


def test_keys_do_not_show_in_repr(tmp_path: Path) -> None:
    created = _new(tmp_path / "instance")
    text = repr(created)
    assert repr(created.portal_key) not in text and repr(created.secret_key) not in text


def test_portal_loads_a_folder_with_only_adal_json_and_portal_key(tmp_path: Path) -> None:
    full = _new(tmp_path / "instance")
    portal = inst.load_portal(_portal_copy(full.path, tmp_path / "portal"))
    assert portal.portal_key == full.portal_key
    assert (portal.salt, portal.kdf, portal.recovery_key_id) == (
        full.salt,
        full.kdf,
        full.recovery_key_id,
    )
    # The portal's view has no back-office secret, even by accident.
    with pytest.raises(inst.InstanceError, match="loaded for the portal"):
        _ = portal.secret_key


def test_portal_refuses_a_folder_without_portal_key_clearly(tmp_path: Path) -> None:
    full = _new(tmp_path / "instance")
    folder = tmp_path / "portal"
    folder.mkdir()
    shutil.copy2(full.path / inst.CONFIG_NAME, folder / inst.CONFIG_NAME)
    shutil.copy2(full.path / inst.SECRET_NAME, folder / inst.SECRET_NAME)  # the old advice
    with pytest.raises(inst.InstanceError) as refused:
        inst.load_portal(folder)
    message = str(refused.value)
    assert f"has no {inst.PORTAL_KEY_NAME}" in message
    assert "adal db upgrade" in message and "copy adal.json and portal.key" in message
    assert f"Never copy {inst.SECRET_NAME}" in message
    # The portal path creates nothing: its folder is read-only in production.
    assert not (folder / inst.PORTAL_KEY_NAME).exists()


def test_portal_refuses_a_folder_without_adal_json_clearly(tmp_path: Path) -> None:
    with pytest.raises(inst.InstanceError, match=re.escape("has no adal.json: run 'adal init'")):
        inst.load_portal(tmp_path / "nothing-here")


def test_portal_refuses_a_damaged_portal_key(tmp_path: Path) -> None:
    full = _new(tmp_path / "instance")
    folder = _portal_copy(full.path, tmp_path / "portal")
    (folder / inst.PORTAL_KEY_NAME).write_bytes(b"short")
    with pytest.raises(inst.InstanceError, match=re.escape("portal.key is damaged")):
        inst.load_portal(folder)


def test_back_office_load_refuses_the_portal_folder_clearly(tmp_path: Path) -> None:
    full = _new(tmp_path / "instance")
    folder = _portal_copy(full.path, tmp_path / "portal")
    refusal = re.escape("has no secret.key: it is a portal-only")
    with pytest.raises(inst.InstanceError, match=refusal):
        inst.load(folder)
    # ... and does not turn it into something else on the way.
    assert sorted(p.name for p in folder.iterdir()) == sorted(inst.PORTAL_FILES)


def test_old_instance_gets_its_portal_key_on_back_office_load(tmp_path: Path) -> None:
    full = _new(tmp_path / "instance")
    key_file = full.path / inst.PORTAL_KEY_NAME
    key_file.unlink()  # as an instance made before portal.key existed
    upgraded = inst.load(full.path)
    assert _mode(key_file) == 0o600
    assert key_file.read_bytes() == upgraded.portal_key and len(upgraded.portal_key) == 32
    assert upgraded.portal_key != upgraded.secret_key
    # Once: later loads, and the portal, use that same key.
    assert inst.load(full.path).portal_key == upgraded.portal_key
    assert inst.load_portal(full.path).portal_key == upgraded.portal_key
    assert sorted(p.name for p in full.path.iterdir()) == [
        inst.CONFIG_NAME,
        inst.PORTAL_KEY_NAME,
        inst.SECRET_NAME,
    ]


def test_back_office_processes_upgrading_at_once_agree_on_one_key(tmp_path: Path) -> None:
    full = _new(tmp_path / "instance")
    (full.path / inst.PORTAL_KEY_NAME).unlink()
    with ThreadPoolExecutor(8) as pool:
        keys = {loaded.portal_key for loaded in pool.map(lambda _: inst.load(full.path), range(32))}
    assert keys == {(full.path / inst.PORTAL_KEY_NAME).read_bytes()}
    assert not list(full.path.glob(".*"))


_LOAD_UNABLE_TO_WRITE = """
import resource, signal, sys
from pathlib import Path
from installation import instance as inst
# No file may grow past 0 bytes (a full disk, a read-only folder: writing fails either way);
# unlike file modes this holds for root too.
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (0, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
try:
    inst.load(Path(sys.argv[1]))
except inst.InstanceError as exc:
    print("InstanceError:", exc)
"""


def test_old_instance_where_portal_key_cannot_be_written_fails_clearly(tmp_path: Path) -> None:
    full = _new(tmp_path / "instance")
    (full.path / inst.PORTAL_KEY_NAME).unlink()
    result = subprocess.run(
        [sys.executable, "-c", _LOAD_UNABLE_TO_WRITE, str(full.path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert "InstanceError:" in result.stdout
    assert "portal.key is missing and cannot be created" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert not (full.path / inst.PORTAL_KEY_NAME).exists()
    assert not list(full.path.glob(".*"))  # no temporary key left behind


def test_a_folder_holding_only_portal_key_counts_as_initialised(tmp_path: Path) -> None:
    # `adal init` and `adal restore` must not write over a portal host's folder.
    full = _new(tmp_path / "instance")
    folder = tmp_path / "other"
    folder.mkdir()
    shutil.copy2(full.path / inst.PORTAL_KEY_NAME, folder / inst.PORTAL_KEY_NAME)
    assert inst.is_initialised(folder)
    with pytest.raises(inst.InstanceError, match="already initialised"):
        _new(folder)
