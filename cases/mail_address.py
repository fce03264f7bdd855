"""A staff member's own e-mail address for notices, and their notice choices (issue 14).

An address is used only once it is confirmed: `request_code` keeps the new address aside
(`email_pending`) with the hash of a 6-digit code that the caller mails to it, and
`confirm_code` makes it the address when the code comes back in time. The code is hashed like
a password (crypto.passwords) and checked through the same constant-time verification; five
wrong tries spend it, and so does half an hour.

The audit log records that an address was confirmed or removed, never the address itself: an
admin or auditor learns whether a person receives mail, not where it goes. Plain functions on a
Session, no Flask; the caller commits. `confirm_code` counts a wrong try on the user row
before refusing, so the caller commits after a refusal too, or the count is lost.
"""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from cases.facts import utc
from cases.notices import CHOICES
from crypto import passwords
from rules.clock import local_date, require_aware
from rules.errors import AdalError
from store import audit
from store.models import User

AREA = "mail_address"  # of the AdalError codes raised here
MAX_LENGTH = 254  # RFC 5321's limit on a forward path, and the column's size
CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=30)
MAX_ATTEMPTS = 5
# A new code no sooner than this after the last one (unless that one is spent): a signed-in
# account cannot make the organization's mail server flood an address.
RESEND_AFTER = timedelta(minutes=1)
# And no more than this many code mails a day, however the codes were spent or the address
# removed in between.
CODES_PER_DAY = 5
# The languages a mail can be written in: the apps' (web.i18n.LANGUAGES, which this layer may
# not import; tests/handler/test_notification_settings.py keeps the two equal).
LANGUAGES = ("kk", "ru", "en")
AUDIT_ACTION = "user.email"


def validate_address(address: str) -> str:
    """The address, stripped of surrounding blanks, if it is plainly an address: one "@",
    something before it, a domain with a dot after it, no blank or control character inside,
    at most 254 characters. Anything cleverer (quoted local parts, IP literals) is refused: a
    work address never needs it."""
    address = address.strip()
    if not address:
        raise AdalError(AREA, "empty", "an e-mail address is needed")
    if len(address) > MAX_LENGTH:
        raise AdalError(AREA, "too_long", f"an e-mail address is at most {MAX_LENGTH} characters")
    if any(c.isspace() or unicodedata.category(c)[0] in "CZ" for c in address):
        raise AdalError(
            AREA, "bad_address", "an e-mail address has no blanks or control characters"
        )
    if "=?" in address:
        # An RFC 2047 encoded word: the mail library would decode it into another recipient.
        raise AdalError(AREA, "bad_address", "not an e-mail address")
    local, at, domain = address.partition("@")
    if (
        not at
        or not local
        or "@" in domain
        or "." not in domain
        or domain.startswith(".")
        or domain.endswith(".")
        or ".." in domain
        or any(c in domain for c in '[]()<>,;:\\"')
        or any(c in local for c in '()<>,;:\\"[]')
    ):
        raise AdalError(AREA, "bad_address", "not an e-mail address")
    return address


def _clear_code(user: User) -> None:
    user.email_pending = None
    user.email_code_hash = None
    user.email_code_expires = None
    user.email_code_attempts = 0


def request_code(session: Session, user: User, address: str, now: datetime) -> str:
    """Keep `address` aside for confirmation and return the code to mail to it. A code asked
    for earlier stops working. Nothing is flushed here, so the caller can send the mail before
    it commits (and drop everything if the mail does not go)."""
    require_aware(now, "now")
    address = validate_address(address)
    if user.email_confirmed and user.email == address:
        raise AdalError(AREA, "unchanged", "this address is already confirmed")
    if (
        user.email_code_hash
        and user.email_code_expires is not None
        and user.email_code_attempts < MAX_ATTEMPTS
        and now < utc(user.email_code_expires) - CODE_LIFETIME + RESEND_AFTER
    ):
        raise AdalError(AREA, "too_soon", "a code was sent less than a minute ago")
    today = local_date(now)
    sent_today = user.email_codes_sent if user.email_codes_day == today else 0
    if sent_today >= CODES_PER_DAY:
        raise AdalError(AREA, "daily_limit", "no more codes today")
    user.email_codes_day = today
    user.email_codes_sent = sent_today + 1
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    user.email_pending = address
    user.email_code_hash = passwords.hash_password(code)
    user.email_code_expires = now + CODE_LIFETIME
    user.email_code_attempts = 0
    return code


def confirm_code(session: Session, user: User, code: str, now: datetime) -> None:
    """Make the pending address the user's, if `code` is the one mailed to it, in time, and
    within the tries allowed. A wrong code is counted (commit after the refusal)."""
    require_aware(now, "now")
    if not user.email_pending or not user.email_code_hash or user.email_code_expires is None:
        raise AdalError(AREA, "no_code", "no address is waiting for a code")
    if user.email_code_attempts >= MAX_ATTEMPTS:
        raise AdalError(AREA, "locked", "too many wrong codes: ask for a new one")
    if now > utc(user.email_code_expires):
        raise AdalError(AREA, "expired", "the code has expired: ask for a new one")
    # Counted in the database before the code is checked, and only while tries are left: two
    # requests at once cannot both use the last try (a count kept in Python would lose updates).
    counted = session.execute(
        update(User)
        .where(User.id == user.id, User.email_code_attempts < MAX_ATTEMPTS)
        .values(email_code_attempts=User.email_code_attempts + 1)
        .execution_options(synchronize_session=False)
    )
    session.refresh(user)
    if not getattr(counted, "rowcount", 0):
        raise AdalError(AREA, "locked", "too many wrong codes: ask for a new one")
    typed = "".join(code.split())
    if not passwords.verify_password(user.email_code_hash, typed):
        if user.email_code_attempts >= MAX_ATTEMPTS:
            raise AdalError(AREA, "locked", "too many wrong codes: ask for a new one")
        raise AdalError(AREA, "wrong_code", "the code is not the one sent")
    user.email = user.email_pending
    user.email_confirmed = True
    _clear_code(user)
    audit.append(
        session,
        AUDIT_ACTION,
        actor=user.username,
        org_id=user.org_id,
        target=user.username,
        details={"confirmed": True},
        at=now,
    )


def remove_address(session: Session, user: User) -> None:
    """No address, confirmed or waiting: the user receives no mail from now on."""
    had = bool(user.email or user.email_pending)
    user.email = None
    user.email_confirmed = False
    _clear_code(user)
    if had:
        audit.append(
            session,
            AUDIT_ACTION,
            actor=user.username,
            org_id=user.org_id,
            target=user.username,
            details={"removed": True},
        )


def forget_address(user: User) -> None:
    """For an admin's reset: the account may change hands, so notices must not follow the
    previous person's address, and the new holder must not see it. Audited with the reset."""
    user.email = None
    user.email_confirmed = False
    _clear_code(user)


def set_choices(session: Session, user: User, off: Iterable[str], language: str) -> None:
    """The notice kinds (cases.notices.CHOICES keys) the user turns off, and their mail's
    language."""
    off = set(off)
    if not off <= set(CHOICES):
        raise AdalError(AREA, "bad_choice", f"choices are {', '.join(CHOICES)}")
    if language not in LANGUAGES:
        raise AdalError(AREA, "bad_language", f"languages are {', '.join(LANGUAGES)}")
    new_off = " ".join(choice for choice in CHOICES if choice in off)
    if new_off == user.notices_off and language == user.mail_language:
        return
    user.notices_off = new_off
    user.mail_language = language
    audit.append(
        session,
        "user.notices",
        actor=user.username,
        org_id=user.org_id,
        target=user.username,
        details={"off": new_off.split(), "language": language},
    )


def turned_off(user: User) -> set[str]:
    return set(user.notices_off.split()) & set(CHOICES)
