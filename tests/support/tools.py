"""The npm-delivered checkers: axe-core and the Nu HTML checker (vnu.jar, run on Java).

Both come from tests/quality/package.json and its lock, installed into the git-ignored
node_modules beside them with `npm ci --ignore-scripts` (scripts/test.sh does it in CI; this
module does it on first use elsewhere). --ignore-scripts: vnu-jar's postinstall would try to
download a Java runtime; Debian's default-jre-headless runs the jar instead.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support import needs

# package.json, its lock and node_modules stay beside the tests that use them.
HERE = Path(__file__).resolve().parents[1] / "quality"
MODULES = HERE / "node_modules"
AXE = MODULES / "axe-core" / "axe.min.js"
VNU = MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
_STAMP = MODULES / ".package-lock.json"  # npm writes it on every install


def ensure_installed() -> None:
    """`npm ci` when node_modules is missing or older than the lock file."""
    lock = HERE / "package-lock.json"
    if _STAMP.exists() and _STAMP.stat().st_mtime >= lock.stat().st_mtime:
        return
    npm = needs.program("npm", "install Node.js and npm (scripts/system-deps.sh)")
    subprocess.run(
        [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
        cwd=HERE,
        check=True,
        capture_output=True,
    )


def axe_script() -> Path:
    ensure_installed()
    return needs.file(AXE, "axe-core", "npm ci --ignore-scripts in tests/quality")


def vnu_command() -> list[str]:
    ensure_installed()
    java = needs.program("java", "apt-get install default-jre-headless (scripts/system-deps.sh)")
    jar = needs.file(VNU, "vnu.jar", "npm ci --ignore-scripts in tests/quality")
    return [java, "-jar", str(jar)]
