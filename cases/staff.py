"""Creating staff users: password hash, key pair wrapped under the password, TOTP seed.

Only roles that open reports (handler, head) get a key pair: an admin or auditor account holds
no key, so it cannot decrypt anything even with full database access.

Every user belongs to one active organization (issue 13) and their key to the same one, so
reports of that organization, and only those, are sealed to it. The operator runs the platform,
belongs to none and holds no key.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

import pyotp
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crypto import keys as ckeys
from crypto import localbox, passwords, signing
from crypto.kdf import KdfParams
from rules.errors import AdalError
from store.models import ROLES, Organization, RecipientKey, User

KEY_ROLES = ("handler", "head")
OPERATOR = "operator"
TOTP_PURPOSE = b"adal-totp"
AREA = "staff"  # of the AdalError codes raised here


@dataclass(frozen=True)
class NewUser:
    user: User
    password: str
    totp_secret: str


def generate_password() -> str:
    # 5 groups of 4 from an unambiguous alphabet: ~100 bits, easy to type once.
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(5))


def seal_totp(instance_secret: bytes, secret: str) -> bytes:
    return localbox.seal(instance_secret, TOTP_PURPOSE, secret.encode())


def open_totp(instance_secret: bytes, sealed: bytes) -> str:
    return localbox.open_(instance_secret, TOTP_PURPOSE, sealed).decode()


def validate_username(username: str) -> str:
    username = username.strip()
    if not (2 <= len(username) <= 64) or not all(c.isalnum() or c in "._-" for c in username):
        raise AdalError(AREA, "bad_username", "a username is 2-64 letters, digits, '.', '_' or '-'")
    return username


def issue_key(session: Session, user: User, password: str, kdf: KdfParams) -> RecipientKey:
    """A fresh key pair for the user; earlier keys are deactivated (their grants stay).

    A head key starts unapproved: it receives reports at once but identities only once another
    head, or the recovery key, approves it (cases/custody.py, p14). Its verify key is recorded
    now, while the private key is at hand, so that approval can sign over it.
    """
    for old in user.keys:
        old.active = False
    private = ckeys.generate_keypair()
    public = bytes(private.public_key)
    user.wrapped_key = ckeys.wrap_private_key(private, password, kdf)
    key = RecipientKey(
        key_id=ckeys.key_id(public),
        public_key=public,
        purpose=user.role,
        org_id=user.org_id,
        user=user,
        active=True,
        verify_key=signing.verify_key(private),
    )
    session.add(key)
    return key


def check_organization(session: Session, role: str, org_id: int | None) -> None:
    """The operator belongs to no organization; everyone else to an existing, active one."""
    if role == OPERATOR:
        if org_id is not None:
            raise AdalError(AREA, "operator_org", "the operator belongs to no organization")
        return
    if org_id is None:
        raise AdalError(AREA, "no_org", "a staff user belongs to an organization")
    org = session.get(Organization, org_id)
    if org is None:
        raise AdalError(AREA, "unknown_org", "no such organization")
    if not org.active:
        raise AdalError(AREA, "inactive_org", "the organization is deactivated")


def create_user(
    session: Session,
    *,
    username: str,
    full_name: str,
    role: str,
    org_id: int | None,
    instance_secret: bytes,
    kdf: KdfParams,
    password: str | None = None,
    must_change_password: bool = True,
) -> NewUser:
    username = validate_username(username)
    if role not in ROLES:
        raise AdalError(AREA, "bad_role", f"role must be one of {', '.join(ROLES)}")
    check_organization(session, role, org_id)
    if session.execute(select(User.id).where(User.username == username)).first():
        raise AdalError(AREA, "exists", f"user {username!r} already exists")
    password = password or generate_password()
    if (problem := passwords.check_policy(password)) is not None:
        raise AdalError(AREA, problem, "password does not meet the policy")
    totp_secret = pyotp.random_base32()
    user = User(
        username=username,
        full_name=full_name.strip() or username,
        role=role,
        org_id=org_id,
        password_hash=passwords.hash_password(password),
        totp_secret=seal_totp(instance_secret, totp_secret),
        totp_enrolled=False,
        must_change_password=must_change_password,
        active=True,
        failed_attempts=0,
        created_at=datetime.now(UTC),
    )
    session.add(user)
    try:
        # Under row-level security (PostgreSQL) another organization's users are invisible to
        # the query above, so a name taken there is found only by the unique index. No
        # savepoint: on SQLite one would start the transaction and its release commit the
        # account alone, before its key and audit entry; the caller rolls back on the refusal.
        session.flush()
    except IntegrityError as exc:
        raise AdalError(AREA, "exists", f"user {username!r} already exists") from exc
    if role in KEY_ROLES:
        issue_key(session, user, password, kdf)
    session.flush()
    return NewUser(user=user, password=password, totp_secret=totp_secret)
