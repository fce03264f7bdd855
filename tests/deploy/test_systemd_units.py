"""deploy/systemd: the units parse, run the real `adal` command, keep the apps on loopback, and
run the notify job like housekeeping, at the start of every batching window."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from handler.config import DEFAULT_WINDOW_MINUTES

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
        "adal-notify.service": "adal-notify.service",
        "adal-notify.timer": "adal-notify.timer",
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


def _service_settings(unit: str) -> list[str]:
    """The [Service] lines of a unit, without comments."""
    section = (UNITS / unit).read_text().split("[Service]\n", 1)[1].split("\n[", 1)[0]
    return [line for line in section.splitlines() if line and not line.startswith("#")]


def test_notify_runs_like_housekeeping() -> None:
    # The same user, environment file and hardening as the other back-office timer job;
    # only the command differs.
    housekeeping = _service_settings("adal-housekeeping.service")
    notify = _service_settings("adal-notify.service")
    assert "ExecStart=/opt/adal/.venv/bin/adal notify --once" in notify
    assert [s for s in notify if not s.startswith("ExecStart=")] == [
        s for s in housekeeping if not s.startswith("ExecStart=")
    ]


def test_notify_timer_fires_at_the_default_window() -> None:
    timer = (UNITS / "adal-notify.timer").read_text()
    on_calendar = re.search(r"(?m)^OnCalendar=\*:0/(\d+)$", timer)
    # ADAL_NOTIFY_WINDOW_MINUTES' default: a pass at the start of every window.
    assert on_calendar and int(on_calendar.group(1)) == DEFAULT_WINDOW_MINUTES
    assert re.search(r"(?m)^Persistent=true$", timer)
