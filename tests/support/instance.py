"""The demo instance the tests run against: made once per run by the real `adal init --demo`,
then copied for each test.

Argon2 for four staff keys, the migrations and the audit chain cost about a second per
instance; a copy of the folder (with its SQLite file) or a `CREATE DATABASE ... TEMPLATE` on
PostgreSQL costs milliseconds and gives the same state.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from nacl.public import PrivateKey
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from adal_cli.main import cli
from bench import loopback
from crypto.keys import unwrap_private_key
from installation import instance as inst
from store import audit
from store.db import make_engine, session_factory
from store.models import Organization, User

# Fast Argon2 settings for tests; the production defaults are tested in tests/crypto.
TEST_KDF = list(loopback.FAST_KDF)


def run_cli(*args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)
    return result.exit_code, result.output


@dataclass
class DemoInstance:
    path: Path
    instance: inst.Instance
    engine: Engine
    sessions: sessionmaker[Session]
    init_output: str

    def credentials(self) -> dict[str, dict[str, str]]:
        """Parse demo-credentials.txt: {role: {username, password, totp secret}}."""
        return loopback.demo_credentials(self.path)

    def recovery_key(self) -> str:
        for line in self.init_output.splitlines():
            if line.strip().startswith("ADAL-RECOVERY"):
                return line.strip()
        raise AssertionError("no recovery key in init output")

    def staff_key(self, role: str) -> PrivateKey:
        """The demo user's private key, unwrapped with the printed password as they would."""
        creds = self.credentials()[role]
        with self.sessions() as s:
            user = s.scalars(select(User).where(User.username == creds["username"])).one()
            assert user.wrapped_key is not None
            return unwrap_private_key(user.wrapped_key, creds["password"])


def open_demo(path: Path, database_url: str, init_output: str) -> DemoInstance:
    """A handle on an initialised instance folder and its database, keyed like a back-office
    process (issue 12, item 5), so the audit entries tests append verify."""
    engine = make_engine(database_url)
    sessions = session_factory(engine)
    audit.install(sessions, path)
    return DemoInstance(path, inst.load(path), engine, sessions, init_output)


def init_in_process(path: Path, database_url: str, *args: str) -> str:
    """`adal init --demo` through the CLI in this process; the environment is restored after."""
    patch = pytest.MonkeyPatch()
    patch.setenv("ADAL_INSTANCE", str(path))
    patch.setenv("ADAL_DATABASE_URL", database_url)
    try:
        code, output = run_cli("init", "--demo", *TEST_KDF, *args)
    finally:
        patch.undo()
    assert code == 0, output
    return output


@dataclass(frozen=True)
class Template:
    """An instance made once by the real CLI: its folder, `adal init`'s output, and on
    PostgreSQL the database that copies are made from (never opened by a test)."""

    path: Path
    init_output: str
    database: str = ""


def make_template(folder: Path) -> Template:
    path = folder / "instance"
    if loopback.postgres_admin_url():
        name = loopback.database_name("adal_tmpl")
        output = init_in_process(path, loopback.create_database(name))
        return Template(path, output, name)
    return Template(path, init_in_process(path, f"sqlite:///{path / inst.DB_NAME}"))


def drop_template(template: Template) -> None:
    if template.database:
        loopback.drop_database(template.database)


def copy_template(template: Template, path: Path) -> tuple[str, str]:
    """A copy of the template at `path`: (database URL, PostgreSQL database name or "")."""
    shutil.copytree(template.path, path)  # keeps the 0700/0600 modes init set
    if template.database:
        name = loopback.database_name("adal_test")
        return loopback.create_database(name, template.database), name
    return f"sqlite:///{path / inst.DB_NAME}", ""


def demo_org_id(session: Session) -> int:
    """The demo installation's organization (`adal init --demo` makes one, slug "demo")."""
    return session.scalars(select(Organization.id).where(Organization.slug == "demo")).one()
