"""Case access for the back office's views: the signed-in key must hold the case.

Every case view starts with `require_holder`. A case the key does not hold answers 404, exactly
like one that does not exist, and the attempt is written to the audit log: trying case ids one
does not hold is worth an auditor's look.
"""

from __future__ import annotations

from flask import abort

from cases.access import NotHolder, holder_submission
from crypto.keys import PrivateKey
from handler import keyring
from handler.gate import current_user
from store import audit
from store.models import Submission
from web.database import db


def require_key() -> PrivateKey:
    """The signed-in user's private key; an account without one holds nothing (404)."""
    key = keyring.private_key()
    if key is None:
        abort(404)
    return key


def require_holder(submission_id: str) -> tuple[Submission, PrivateKey]:
    """The case and the key that holds it, or a 404 (audited as `case.denied`)."""
    key = require_key()
    try:
        return holder_submission(db(), submission_id, key, current_user().org_id), key
    except NotHolder:
        # Only printable characters: PostgreSQL refuses a NUL byte in text, and an id typed
        # into the URL is attacker-chosen.
        target = "".join(c if c.isprintable() else "?" for c in submission_id[:64])
        audit.append(
            db(),
            "case.denied",
            actor=current_user().username,
            org_id=current_user().org_id,
            target=target,
        )
        db().commit()
        abort(404)
