"""Staff sign-in rules, without Flask: password, TOTP, per-account lockout, key unlock.

Every failure looks the same to the caller's caller: an unknown user, a wrong password, a wrong
or reused code and a locked account all return `Outcome(ok=False)` after the same Argon2 work,
so neither the page nor its timing tells whether an account exists or is locked. The reason is
kept only for the audit log. Lockout is per account, never per address: the back office does
not look at client addresses at all.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from cases.facts import utc
from cases.staff import open_totp
from crypto import keys as ckeys
from crypto import passwords
from crypto.kdf import KdfParams
from crypto.keys import PrivateKey
from handler import totp
from store.models import User


@dataclass(frozen=True)
class LockoutPolicy:
    max_failures: int = 5
    lock_for: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    reason: str  # for the audit log only: never shown
    user: User | None = None
    private_key: PrivateKey | None = None
    locked_now: bool = False
    enrolled_now: bool = False

    @property
    def must_enrol(self) -> bool:
        """The password was right but the account has no two-factor yet: show the set-up."""
        return self.reason in ("must_enrol", "bad_enrol_code")


def is_locked(user: User, now: datetime) -> bool:
    return user.locked_until is not None and utc(user.locked_until) > now


def credential_stamp(user: User) -> str:
    """Changes whenever a credential or the account's standing changes.

    Stored in the web session and compared on every request: a password change, an admin reset
    or a deactivation ends every other session of that account at its next click.
    """
    material = b"|".join(
        [
            user.password_hash.encode(),
            user.totp_secret or b"",
            user.wrapped_key or b"",
            user.role.encode(),
            b"1" if user.active else b"0",
        ]
    )
    return hashlib.blake2b(material, digest_size=16, person=b"adal-cred-stamp").hexdigest()


def find_active(db: Session, username: str) -> User | None:
    username = username.strip()
    if not username or len(username) > 64:
        return None
    return db.scalar(select(User).where(User.username == username, User.active.is_(True)))


def org_of_username(db: Session, username: str) -> int | None:
    """The organization of the account a sign-in tries (None: unknown, or the operator), so its
    own lockout applies before anyone is signed in."""
    user = find_active(db, username)
    return user.org_id if user is not None else None


def consume_code(db: Session, user: User, secret: str, code: str | None, now: datetime) -> bool:
    """Check a TOTP code and mark it used, atomically.

    The conditional UPDATE makes two simultaneous sign-ins with the same code race for one row:
    only one of them moves the counter forward, the other is refused.
    """
    counter = totp.match(secret, code, user.totp_last_counter, now)
    if counter is None:
        return False
    result = db.execute(
        update(User)
        .where(
            User.id == user.id,
            or_(User.totp_last_counter.is_(None), User.totp_last_counter < counter),
        )
        .values(totp_last_counter=counter)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    user.totp_last_counter = counter
    return True


def record_failure(db: Session, user: User, now: datetime, policy: LockoutPolicy) -> bool:
    """Count a failure; returns True when this one locks the account."""
    db.execute(
        update(User)
        .where(User.id == user.id)
        .values(failed_attempts=User.failed_attempts + 1)
        .execution_options(synchronize_session=False)
    )
    db.refresh(user, ["failed_attempts"])
    if user.failed_attempts >= policy.max_failures:
        user.locked_until = now + policy.lock_for
        user.failed_attempts = 0
        return True
    return False


def authenticate(
    db: Session,
    *,
    username: str,
    password: str,
    code: str | None,
    instance_secret: bytes,
    now: datetime,
    policy: LockoutPolicy = LockoutPolicy(),
) -> Outcome:
    """Check a sign-in; the caller commits (the failure count and code counter must persist).

    An account that has not enrolled TOTP yet (new, or reset by an admin) never signs in with
    its password alone, since the admin has seen that one-time password: the right password
    without a code answers "must_enrol" (the page then shows the authenticator set-up), and the
    sign-in succeeds only with the password and a code of the newly set-up app, in one request.
    """
    user = find_active(db, username)
    if user is None:
        passwords.dummy_verify(password)
        return Outcome(False, "unknown_user")
    password_ok = passwords.verify_password(user.password_hash, password)
    if is_locked(user, now):
        # Checked after the Argon2 work, so a locked account answers as slowly as any other.
        return Outcome(False, "locked", user)
    if not password_ok:
        return Outcome(
            False, "bad_password", user, locked_now=record_failure(db, user, now, policy)
        )
    secret = open_totp(instance_secret, user.totp_secret or b"")
    enrolled_now = False
    if user.totp_enrolled:
        if not consume_code(db, user, secret, code, now):
            return Outcome(
                False, "bad_code", user, locked_now=record_failure(db, user, now, policy)
            )
    else:
        if totp.normalize(code) is None:
            return Outcome(False, "must_enrol", user)
        if not consume_code(db, user, secret, code, now):
            return Outcome(
                False, "bad_enrol_code", user, locked_now=record_failure(db, user, now, policy)
            )
        user.totp_enrolled = enrolled_now = True
    user.failed_attempts = 0
    user.locked_until = None
    private_key = None
    if user.wrapped_key is not None:
        private_key = ckeys.unwrap_private_key(user.wrapped_key, password)
    return Outcome(True, "ok", user, private_key, enrolled_now=enrolled_now)


def change_password(
    db: Session, user: User, *, current: str, new: str, kdf: KdfParams | None
) -> str | None:
    """Set a new password and re-wrap the private key under it; an error code or None.

    The private key itself does not change, so every grant the user holds keeps working.
    """
    if not passwords.verify_password(user.password_hash, current):
        return "wrong_password"
    if (problem := passwords.check_policy(new)) is not None:
        return problem
    if new == current:
        return "same_password"
    if user.wrapped_key is not None:
        user.wrapped_key = ckeys.rewrap_private_key(user.wrapped_key, current, new, kdf)
    user.password_hash = passwords.hash_password(new)
    user.must_change_password = False
    return None
