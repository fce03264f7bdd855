"""Receipt-code work: new codes for reports, and codes typed at the mailbox login.

Every Argon2 run happens in a child process. A login takes a slot of the app's KdfQueue, or
waits a moment in its short line, or is refused with 503. A new report takes a free slot when
there is one and otherwise runs at once in a child of its own: p6 forbids refusing a report,
its files are already stored, and the overshoot is bounded by the worker's thread count (one
run per thread at most). Reports never stand in the line, so a burst of them cannot lock
reporters out of their mailboxes.
"""

from __future__ import annotations

from dataclasses import dataclass

from crypto import receipt
from crypto.kdf import ReceiptSecrets, derive_receipt_secrets, mailbox_private_key
from crypto.kdf_process import KdfProcess, KdfProcessError
from crypto.keys import PrivateKey
from installation.instance import Instance
from portal.extensions import kdf_queue
from portal.kdf_queue import KdfBusy
from web.extensions import instance

# Some twenty receipt derivations at production cost, more when the machine is busy (the KDF
# children run niced): long enough to get past a burst of new reports, short enough that a
# waiting login does not look like a hung page. The line's length, not this wait, is what keeps
# threads free for the other pages.
KDF_WAIT_FOR_LOGIN = 5.0


@dataclass(frozen=True, repr=False)
class Opened:
    """What a code unlocks: the lookup tag and the mailbox key pair. repr hides both."""

    secrets: ReceiptSecrets
    private_key: PrivateKey

    @property
    def public_key(self) -> bytes:
        return bytes(self.private_key.public_key)


def _opened(secrets: ReceiptSecrets) -> Opened:
    return Opened(secrets, mailbox_private_key(secrets.mailbox_seed))


def _outside_queue(code: str, inst: Instance) -> ReceiptSecrets:
    child = None
    try:
        child = KdfProcess()
        return child.derive(code, inst.salt, inst.kdf)
    except (OSError, KdfProcessError):
        # No child can be started at all: derive here rather than lose the report.
        return derive_receipt_secrets(code, inst.salt, inst.kdf)
    finally:
        if child is not None:
            child.close()


def new_code() -> tuple[str, Opened]:
    code = receipt.generate()
    inst = instance()
    try:
        return code, _opened(kdf_queue().derive(code, inst.salt, inst.kdf, wait=0))
    except KdfBusy:
        # No log line: its time stamp would be the time of a report.
        return code, _opened(_outside_queue(code, inst))


def open_code(code: str) -> Opened:
    """For a normalised code; raises KdfBusy when no slot frees up in time."""
    inst = instance()
    return _opened(kdf_queue().derive(code, inst.salt, inst.kdf, wait=KDF_WAIT_FOR_LOGIN))
