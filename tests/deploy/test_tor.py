"""deploy/torrc.example: valid for the installed tor, and it publishes only the portal."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

from tests.support.needs import require

ROOT = Path(__file__).resolve().parents[2]
TORRC = ROOT / "deploy" / "torrc.example"


def _private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700)
    return path


def test_torrc_example_verifies(tmp_path: Path) -> None:
    tor = require("tor")
    # The example's DataDirectory is the system one (/var/lib/tor, owned by debian-tor); a
    # private temporary one lets the check run as any user, root included.
    result = subprocess.run(
        [
            tor,
            "--verify-config",
            "-f",
            str(TORRC),
            "--DataDirectory",
            str(_private_dir(tmp_path / "data")),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Configuration was valid" in result.stdout


def test_torrc_publishes_the_portal_onion_site_only() -> None:
    text = TORRC.read_text()
    settings = [
        line.split(None, 1)
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    values = {key: value for key, value in settings}
    assert values["SafeLogging"] == "1"
    assert values["SocksPort"] == "0"
    assert values["HiddenServiceVersion"] == "3"
    ports = [value for key, value in settings if key == "HiddenServicePort"]
    # Exactly one target: Caddy's loopback onion site (the Caddyfile's ADAL_ONION_PORT).
    onion_port = re.search(r"http://:\{\$ADAL_ONION_PORT:(\d+)\}", (ROOT / "Caddyfile").read_text())
    assert onion_port
    assert ports == [f"80 127.0.0.1:{onion_port.group(1)}"]


def test_tor_creates_the_onion_service_offline(tmp_path: Path) -> None:
    """Starting tor with the example (paths moved, network disabled) makes a v3 address."""
    tor = require("tor")
    service = tmp_path / "hs"
    config = TORRC.read_text()
    config = config.replace("/var/lib/tor/adal-portal/", f"{service}/")
    config = re.sub(r"(?m)^DataDirectory .*$", f"DataDirectory {tmp_path / 'data'}", config)
    config = re.sub(r"(?m)^Log .*$", "Log notice stdout", config)
    # Never reaches out: the test only needs the service keys tor makes at start.
    config += "\nDisableNetwork 1\n"
    torrc = tmp_path / "torrc"
    torrc.write_text(config)
    _private_dir(tmp_path / "data")
    proc = subprocess.Popen(
        [tor, "-f", str(torrc)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + 30
        while not (service / "hostname").exists() and time.monotonic() < deadline:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            time.sleep(0.1)
        hostname = (service / "hostname").read_text().strip()
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=30)
    assert re.fullmatch(r"[a-z2-7]{56}\.onion", hostname), output
    assert (service / "hs_ed25519_secret_key").stat().st_mode & 0o077 == 0
    assert "[err]" not in output
