"""Run pip-audit on requirements.lock; fail on any known vulnerability.

When the vulnerability index cannot be reached (every package comes back unaudited, as on a
machine that sees only a package mirror), say so and pass: a skipped check must be visible,
never silent.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

LOCK = Path(__file__).resolve().parent.parent / "requirements.lock"


def main() -> int:
    bin_dir = Path(sys.executable).parent
    proc = subprocess.run(  # noqa: S603 - fixed argv, our own venv
        [
            str(bin_dir / "pip-audit"),
            "-r",
            str(LOCK),
            "--no-deps",
            "--disable-pip",
            "--progress-spinner",
            "off",
            "-f",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        print(
            f"pip-audit: skipped, the vulnerability index could not be reached "
            f"({proc.stderr.strip().splitlines()[-1:] or 'no output'})"
        )
        return 0
    deps = report.get("dependencies", [])
    audited = [d for d in deps if "skip_reason" not in d]
    if deps and not audited:
        print(
            f"pip-audit: skipped, the vulnerability index could not be reached "
            f"(0 of {len(deps)} packages could be looked up)"
        )
        return 0
    vulnerable = [d for d in audited if d.get("vulns")]
    for d in vulnerable:
        ids = ", ".join(v["id"] for v in d["vulns"])
        print(f"pip-audit: {d['name']} {d['version']}: {ids}")
    print(
        f"pip-audit: {len(audited)} packages audited, {len(vulnerable)} vulnerable, "
        f"{len(deps) - len(audited)} not found in the index"
    )
    return 1 if vulnerable else 0


if __name__ == "__main__":
    sys.exit(main())
