"""Who may open a case: the holders of its report, proven by the key, not by a role.

A case exists for a key only if that key holds a grant on the report envelope; for everybody
else it does not exist at all (`NotHolder`, which the apps answer exactly like an unknown id).
Roles decide which pages a user may see; the cryptography decides which cases, and only among
those sent to the user's own organization (issue 13).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from cases import scope
from crypto import keys as ckeys
from crypto.keys import PrivateKey
from store import sealing
from store.models import Attachment, Submission

ID_LENGTH = 32


class NotHolder(Exception):
    """No such case, or this key holds no grant on it: the caller answers 404 either way."""


def is_id(value: str) -> bool:
    """Our row ids are 32 lowercase hex characters; anything else never reaches a query."""
    return len(value) == ID_LENGTH and all(c in "0123456789abcdef" for c in value)


def find_submission(session: Session, submission_id: str) -> Submission | None:
    return session.get(Submission, submission_id) if is_id(submission_id) else None


def key_id_of(private_key: PrivateKey) -> str:
    return ckeys.key_id(private_key.public_key)


def holder_submission(
    session: Session, submission_id: str, private_key: PrivateKey, org_id: int | None
) -> Submission:
    """The case, if it was sent to `org_id` (the signed-in user's organization) and the key
    holds its report; NotHolder otherwise. A case of another organization is as unknown as a
    missing one, even to a key that somehow held it."""
    submission = find_submission(session, submission_id)
    # A "report" that is another case's message or file (a forged row) is no case either.
    if (
        submission is None
        or not scope.same_org(submission.org_id, org_id)
        or submission.report_envelope.purpose != "report"
        or not sealing.holds(submission.report_envelope, key_id_of(private_key))
    ):
        raise NotHolder(submission_id)
    return submission


def attachment_of(
    session: Session, submission: Submission, attachment_id: str
) -> Attachment | None:
    """One of this case's files, or None: another case's file id opens nothing here."""
    attachment = session.get(Attachment, attachment_id) if is_id(attachment_id) else None
    if attachment is None or attachment.submission_id != submission.id:
        return None
    return attachment
