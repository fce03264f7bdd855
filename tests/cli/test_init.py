from __future__ import annotations

import hashlib
import stat
from pathlib import Path

from sqlalchemy import func, select

from crypto import keys as ckeys
from crypto.keys import unwrap_private_key
from store import audit
from store.models import RecipientKey, User
from tests.support.instance import TEST_KDF, DemoInstance, run_cli

# The tests of what `adal init` creates and refuses take `fresh_demo` (the command run for that
# test); the others take the shared template's copy, `demo`.


def _snapshot(path: Path) -> dict[str, str]:
    return {
        str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }


def test_init_demo_creates_private_instance(fresh_demo: DemoInstance) -> None:
    assert stat.S_IMODE(fresh_demo.path.stat().st_mode) == 0o700
    for name in ("adal.json", "secret.key", "portal.key", "demo-credentials.txt"):
        assert stat.S_IMODE((fresh_demo.path / name).stat().st_mode) == 0o600, name
    creds = fresh_demo.credentials()
    assert set(creds) == {"handler", "head", "admin", "auditor"}
    with fresh_demo.sessions() as s:
        users = {u.username: u for u in s.scalars(select(User))}
        assert {u.role for u in users.values()} == {"handler", "head", "admin", "auditor"}
        for role, c in creds.items():
            user = users[c["username"]]
            assert user.role == role
            assert len(c["totp secret"]) >= 16
            if role in ("handler", "head"):
                # The printed password really unwraps the user's private key ...
                private = unwrap_private_key(user.wrapped_key, c["password"])
                key = s.scalars(select(RecipientKey).where(RecipientKey.user_id == user.id)).one()
                assert bytes(private.public_key) == key.public_key
            else:
                # ... and admin and auditor hold no key at all.
                assert user.wrapped_key is None
        assert audit.verify(s).ok


def test_recovery_key_printed_once_and_matches(fresh_demo: DemoInstance) -> None:
    printed = fresh_demo.recovery_key()
    private = ckeys.parse_recovery_key(printed)
    with fresh_demo.sessions() as s:
        recovery = s.scalars(select(RecipientKey).where(RecipientKey.purpose == "recovery")).one()
    assert bytes(private.public_key) == recovery.public_key
    # The private part is never written to the instance folder.
    body = printed.split("ADAL-RECOVERY-1-", 1)[1]
    for p in fresh_demo.path.rglob("*"):
        if p.is_file():
            assert body.encode() not in p.read_bytes(), p


def test_second_init_refuses_and_changes_nothing(fresh_demo: DemoInstance) -> None:
    fresh_demo.engine.dispose()
    before = _snapshot(fresh_demo.path)
    code, output = run_cli("init", "--demo", *TEST_KDF)
    assert code != 0
    assert "already initialised" in output and "nothing was changed" in output
    assert _snapshot(fresh_demo.path) == before


def test_init_refuses_database_of_another_installation(
    fresh_demo: DemoInstance, tmp_path: Path, monkeypatch
) -> None:
    # A new instance folder pointed at a database that already has a recovery key.
    monkeypatch.setenv("ADAL_INSTANCE", str(tmp_path / "other"))
    monkeypatch.setenv("ADAL_DATABASE_URL", fresh_demo.instance.database_url)
    code, output = run_cli("init", *TEST_KDF)
    assert code != 0 and "nothing was changed" in output
    assert not (tmp_path / "other" / "adal.json").exists()


def test_user_add_prints_one_time_password(demo: DemoInstance) -> None:
    code, output = run_cli(
        "user", "add", "--role", "handler", "--full-name", "Асель Нурова", "asel"
    )
    assert code == 0, output
    password = output.rsplit(": ", 1)[1].strip()
    with demo.sessions() as s:
        user = s.scalars(select(User).where(User.username == "asel")).one()
        assert user.must_change_password and user.full_name == "Асель Нурова"
        assert unwrap_private_key(user.wrapped_key, password)
        assert password not in user.password_hash
    code, output = run_cli("user", "add", "--role", "handler", "asel")
    assert code != 0 and "already exists" in output
    code, output = run_cli("user", "add", "--role", "handler", "bad name!")
    assert code != 0
    with demo.sessions() as s:
        assert s.scalar(select(func.count()).select_from(User)) == 5


def test_commands_without_instance_fail_clearly(env: Path) -> None:
    code, output = run_cli("user", "add", "--role", "head", "someone")
    assert code != 0 and "adal init" in output
