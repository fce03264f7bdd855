"""hardening.process: a protected process can leave no core file and is not dumpable (so no other
process of its user may ptrace it or read its memory)."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import resource, sys
from hardening import process
before = process.is_protected()
process.protect_process()
import ctypes
dumpable = ctypes.CDLL(None).prctl(3, 0, 0, 0, 0)  # PR_GET_DUMPABLE
print(before, process.is_protected(), resource.getrlimit(resource.RLIMIT_CORE), dumpable)
"""


def test_protect_process_in_a_fresh_interpreter() -> None:
    # A separate process: the test runner itself should stay debuggable.
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
    ).stdout.split(maxsplit=2)
    before, after, rest = out
    assert before == "False"
    assert after == "True"
    assert rest.split() == ["(0,", "0)", "0"]
