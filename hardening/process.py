"""Keep the key material a process holds out of core files and away from same-user debuggers.

A process that holds receipt codes, mailbox keys or staff private keys should never leave a
core file behind (systemd-coredump and apport keep them on disk), and another process running
as the same user (a second portal instance, a compromised helper) should not be able to ptrace
it or read /proc/<pid>/mem. Both are process settings, not cryptography: an rlimit, and Linux's
"dumpable" flag, which also makes /proc/<pid>/ files owned by root.
"""

from __future__ import annotations

import contextlib
import ctypes
import resource
import sys

_PR_SET_DUMPABLE = 4  # <linux/prctl.h>
_PR_GET_DUMPABLE = 3


def protect_process() -> None:
    """Best effort: where a setting is unavailable (not Linux), the rest still applies."""
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if sys.platform.startswith("linux"):
        libc = _libc()
        if libc is not None:
            libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)


def is_protected() -> bool:
    """True when this process can leave no core file and is not dumpable."""
    if resource.getrlimit(resource.RLIMIT_CORE)[1] != 0:
        return False
    libc = _libc() if sys.platform.startswith("linux") else None
    return libc is None or libc.prctl(_PR_GET_DUMPABLE, 0, 0, 0, 0) == 0


def _libc() -> ctypes.CDLL | None:
    # The interpreter's own symbols include libc's prctl; find_library would run ldconfig.
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl.restype = ctypes.c_int
    except (OSError, AttributeError):
        return None
    return libc
