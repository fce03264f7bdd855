"""An organization's settings its admin may change, with their types, bounds and defaults.

Each organization has its own (issue 13): rows are keyed by (org_id, key), every read and write
names the organization, and an admin reaches only their own organization's.

Only what is listed here can be stored, so a forged form cannot create arbitrary keys, and each
value is checked against its bounds before it reaches the `settings` table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases import scope
from handler.accounts import LockoutPolicy
from rules.errors import AdalError
from store.models import Setting


@dataclass(frozen=True)
class Definition:
    key: str
    kind: type[int] | type[str]
    default: int | str
    minimum: int = 0
    maximum: int = 200  # the largest value for an int, the longest text for a str


DEFINITIONS: dict[str, Definition] = {
    d.key: d
    for d in (
        # Printed on Appendix 1 and shown in the back office header.
        Definition("organization_name", str, "", maximum=200),
        Definition("lockout_max_failures", int, 5, minimum=3, maximum=20),
        Definition("lockout_minutes", int, 15, minimum=1, maximum=1440),
    )
}

AREA = "settings"  # of the AdalError codes raised here
# A web or mail address, or a domain name, in a text: "://", "www.", "@", or "name.tld".
LINK_LIKE = re.compile(r"://|www\.|@|[A-Za-z0-9-]\.[A-Za-z]{2,}", re.IGNORECASE)


def validate(key: str, value: Any) -> int | str:
    definition = DEFINITIONS.get(key)
    if definition is None:
        raise AdalError(AREA, "unknown", f"unknown setting {key!r}")
    if definition.kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise AdalError(AREA, "not_a_number", "not a whole number")
        if not definition.minimum <= value <= definition.maximum:
            raise AdalError(AREA, "out_of_range", "out of range")
        return value
    if not isinstance(value, str):
        raise AdalError(AREA, "not_text", "not text")
    value = " ".join(value.split())
    if len(value) > definition.maximum:
        raise AdalError(AREA, "too_long", "too long")
    if key == "organization_name" and LINK_LIKE.search(value):
        # The name goes into every notice mail (handler/notice_mail.py): an admin must not be
        # able to put a sign-in address of their own there.
        raise AdalError(AREA, "link", "an organization's name holds no web or mail address")
    return value


def values(db: Session, org_id: int | None) -> dict[str, int | str]:
    """The organization's values, defaults where none is stored (and for no organization: the
    operator, or a sign-in whose account is unknown)."""
    stored: dict[str, Any] = {}
    if org_id is not None:
        stored = {
            row.key: row.value.get("value")
            for row in db.scalars(select(Setting).where(scope.in_org(Setting.org_id, org_id)))
        }
    result: dict[str, int | str] = {}
    for key, definition in DEFINITIONS.items():
        try:
            result[key] = validate(key, stored.get(key, definition.default))
        except AdalError:
            # A row edited by hand into nonsense falls back to the default, never to a crash.
            result[key] = definition.default
    return result


def change(db: Session, org_id: int, new: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Store the organization's changed values; returns {key: (old, new)} for the audit log."""
    clean = {key: validate(key, value) for key, value in new.items()}
    current = values(db, org_id)
    changed: dict[str, tuple[Any, Any]] = {}
    for key, value in clean.items():
        if current[key] == value:
            continue
        row = db.get(Setting, (org_id, key))
        if row is None:
            db.add(Setting(org_id=org_id, key=key, value={"value": value}))
        else:
            row.value = {"value": value}
        changed[key] = (current[key], value)
    return changed


def lockout_policy(db: Session, org_id: int | None) -> LockoutPolicy:
    """The lockout of the organization's accounts (defaults for None)."""
    current = values(db, org_id)
    return LockoutPolicy(
        max_failures=int(current["lockout_max_failures"]),
        lock_for=timedelta(minutes=int(current["lockout_minutes"])),
    )
