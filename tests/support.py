"""Helpers the tests share (fixtures live in conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from adal_cli.main import cli
from installation import instance as inst

# Fast Argon2 settings for tests; the production defaults are tested in tests/crypto.
TEST_KDF = ["--kdf-time-cost", "1", "--kdf-memory-kib", "8192"]


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
        users: dict[str, dict[str, str]] = {}
        role = ""
        for line in (self.path / "demo-credentials.txt").read_text().splitlines():
            if not line or line.startswith("#"):
                continue
            if not line.startswith(" "):
                role = line.strip()
                users[role] = {}
            else:
                key, _, value = line.strip().partition(": ")
                users[role][key] = value
        return users

    def recovery_key(self) -> str:
        for line in self.init_output.splitlines():
            if line.strip().startswith("ADAL-RECOVERY"):
                return line.strip()
        raise AssertionError("no recovery key in init output")
