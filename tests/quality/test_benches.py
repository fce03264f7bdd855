"""The search benchmark still measures what it says: its data must be the texts search reads.

bench/search.py checks nothing about speed, but a figure over texts search skips is worse than
none. After organizations landed, its reports had no organization, so every search opened
nothing and printed fast times over 0 texts; the bench now stops with an error when a search
opens fewer texts than it stored, and this runs it small, on this pass's database.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.loopback import ROOT, scratch_database


def test_search_bench_opens_every_held_text(tmp_path: Path) -> None:
    with scratch_database(tmp_path, "adal_bench_search") as url:
        script = str(ROOT / "bench" / "search.py")
        done = subprocess.run(  # nosec B603 (our own script, fixed arguments)
            [sys.executable, script, "--sizes", "50", "--repeat", "1", "--url", url],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    # 50 reports, a follow-up on every fifth, a note on every tenth; the rare word in one.
    assert done.stdout.count("(65 texts opened") == 3, done.stdout
    assert "(65 texts opened, 1 results)" in done.stdout
    assert "(65 texts opened, 50 results)" in done.stdout
