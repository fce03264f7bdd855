"""deploy/systemd: the units parse, run the real `adal` command, and keep the apps on loopback."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"
ADAL = Path(sys.executable).with_name("adal")


def test_units_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (optional: systemd hosts only)")
    names = {
        "adal-portal@.service": "adal-portal@8080.service",
        "adal-handler.service": "adal-handler.service",
        "adal-housekeeping.service": "adal-housekeeping.service",
        "adal-housekeeping.timer": "adal-housekeeping.timer",
    }
    for source, target in names.items():
        text = (UNITS / source).read_text().replace("/opt/adal/.venv/bin/adal", str(ADAL))
        (tmp_path / target).write_text(text)
    result = subprocess.run(
        [analyze, "verify", *(str(tmp_path / n) for n in names.values())],
        capture_output=True,
        text=True,
        timeout=60,
    )
    problems = [line for line in (result.stdout + result.stderr).splitlines() if "adal" in line]
    assert result.returncode == 0 and not problems, result.stdout + result.stderr


def test_apps_listen_on_loopback_only() -> None:
    for unit in ("adal-portal@.service", "adal-handler.service"):
        exec_start = re.search(r"(?m)^ExecStart=(.*)$", (UNITS / unit).read_text())
        assert exec_start and "--host 127.0.0.1" in exec_start.group(1), unit
    dropin = (UNITS / "caddy.service.d" / "adal.conf").read_text()
    assert "--environ" not in dropin.split("ExecStart=\n", 1)[1]
