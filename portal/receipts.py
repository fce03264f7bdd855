"""Receipt-code work: new codes for reports, and codes typed at the mailbox login.

Every Argon2 run goes through the process's KdfQueue. A login that finds the queue full is
refused (KdfBusy → 503). A new report waits for a slot instead, and after KDF_WAIT_FOR_REPORT
runs regardless: p6 forbids refusing a report, its files are already stored, and the overshoot
is bounded by the worker's thread count (one run per thread at most).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import current_app
from nacl.public import PrivateKey

from crypto import receipt
from crypto.kdf import ReceiptSecrets, derive_receipt_secrets, mailbox_private_key
from portal.kdf_queue import KdfBusy, KdfQueue
from portal.logs import LOGGER_NAME
from store.instance import Instance

KDF_WAIT_FOR_REPORT = 30.0


def queue() -> KdfQueue:
    q: KdfQueue = current_app.extensions["adal.kdf_queue"]
    return q


def _instance() -> Instance:
    inst: Instance = current_app.extensions["adal.instance"]
    return inst


@dataclass(frozen=True, repr=False)
class Opened:
    """What a code unlocks: the lookup tag and the mailbox key pair. repr hides both."""

    secrets: ReceiptSecrets
    private_key: PrivateKey

    @property
    def public_key(self) -> bytes:
        return bytes(self.private_key.public_key)


def _derive(code: str) -> Opened:
    inst = _instance()
    secrets = derive_receipt_secrets(code, inst.salt, inst.kdf)
    return Opened(secrets, mailbox_private_key(secrets.mailbox_seed))


def new_code() -> tuple[str, Opened]:
    code = receipt.generate()
    try:
        with queue().slot(wait=KDF_WAIT_FOR_REPORT):
            return code, _derive(code)
    except KdfBusy:
        logging.getLogger(LOGGER_NAME).warning("KDF queue full; a report's code derived anyway")
        return code, _derive(code)


def open_code(code: str) -> Opened:
    """For a normalised code; raises KdfBusy when every slot is taken."""
    with queue().slot():
        return _derive(code)
