"""Two organizations side by side on the demo instance, for the isolation tests (issue 13).

Each is created the way the operator creates one (cases.organizations.create, its own recovery
key), with one user of every staff role; its first head is approved with its own recovery key.
The "victim" organization also gets material of every kind: cases (one with a reporter's
identity, a file, a note, a protection record with a matter, a signed Appendix 2 scan), a
pending head key, a setting and audit entries, all carrying a marker string that must never
reach anyone of the other organization.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from cases import custody, disclosure, notes, organizations, protection
from cases.attachments import Upload
from cases.intake import Registration, ReportInput, submit_report
from cases.staff import create_user
from cases.workflow import find_case
from crypto.keys import PrivateKey, parse_recovery_key, unwrap_private_key
from handler import settings
from rules.clock import local_date
from store import audit
from store.models import (
    Attachment,
    DisclosureBasis,
    ProtectionMatter,
    RecipientKey,
    Submission,
    User,
)
from tests.support.backoffice import Browser, sign_in
from tests.support.instance import DemoInstance

STAFF_ROLES = ("handler", "head", "admin", "auditor")
MARK = "betamark"  # lower-case: bodies are searched case-insensitively

# The operator's "new organization" form, filled in: tests change the fields they are about.
NEW_ORGANIZATION_FORM = {
    "slug": "akimat-astana",
    "name_kk": "Астана қаласының әкімдігі",
    "name_ru": "Акимат города Астаны",
    "name_en": "Akimat of Astana",
    "short_names": "",
    "parent": "",
}


@dataclass
class Account:
    username: str
    password: str
    totp_secret: str
    user_id: int


@dataclass
class Org:
    slug: str
    id: int
    recovery_text: str
    accounts: dict[str, Account] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)  # route parameter -> an id of this org


def add_account(
    s: Session, demo: DemoInstance, username: str, role: str, org_id: int | None
) -> Account:
    new = create_user(
        s,
        username=username,
        full_name=f"{username.title()} Person",
        role=role,
        org_id=org_id,
        instance_secret=demo.instance.secret_key,
        kdf=demo.instance.kdf,
        must_change_password=False,
    )
    new.user.totp_enrolled = True
    s.flush()
    return Account(username, new.password, new.totp_secret, new.user.id)


def make_org(demo: DemoInstance, slug: str, prefix: str, parent_slug: str | None = None) -> Org:
    """An organization with a user of every staff role; its head approved by its recovery key."""
    with demo.sessions() as s, s.begin():
        made = organizations.create(
            s,
            slug=slug,
            names=organizations.Names(
                kk=f"{prefix} ұйым", ru=f"{prefix} организация", en=f"{prefix} body"
            ),
            today=local_date(datetime.now(UTC)),
            parent_slug=parent_slug,
        )
        org = Org(slug, made.organization.id, made.recovery_text)
        for role in STAFF_ROLES:
            org.accounts[role] = add_account(s, demo, f"{prefix}-{role}", role, org.id)
        head = s.get(User, org.accounts["head"].user_id)
        assert head is not None
        custody.approve(
            s,
            head.keys[-1],
            parse_recovery_key(made.recovery_text),
            actor="test",
            now=datetime.now(UTC),
        )
    return org


def operator_account(demo: DemoInstance, username: str = "platform-operator") -> Account:
    with demo.sessions() as s, s.begin():
        return add_account(s, demo, username, "operator", None)


def private_key_of(demo: DemoInstance, account: Account) -> PrivateKey:
    with demo.sessions() as s:
        user = s.get(User, account.user_id)
        assert user is not None and user.wrapped_key is not None
        return unwrap_private_key(user.wrapped_key, account.password)


def register_report(
    demo: DemoInstance,
    org: Org,
    facts: str,
    *,
    identity: bool = False,
    file: bytes = b"",
    mark: str = MARK,
) -> str:
    """A report typed in by the organization's handler (another channel): its case at once.
    Its persons and reporter carry `mark` (the victim's marker unless told otherwise)."""
    now = datetime.now(UTC) - timedelta(hours=2)
    with demo.sessions() as s, s.begin():
        handler = s.get(User, org.accounts["handler"].user_id)
        assert handler is not None
        submission = submit_report(
            s,
            org_id=org.id,
            channel="in_person",
            report=ReportInput(
                fields={"facts": facts, "persons": f"{mark} persons", "subject": "x"},
                identity=(
                    {"full_name": f"{mark} Reporter", "position": "p", "unit": "u"}
                    if identity
                    else None
                ),
                consent=identity,
                nda_intended=False,
            ),
            received_at=now,
            today=local_date(now),
            registration=Registration(handler, now),
            uploads=[Upload("evidence.txt", "text/plain", io.BytesIO(file))] if file else [],
        )
        return submission.id


def fill_victim(demo: DemoInstance, org: Org) -> None:
    """Material of every kind in `org`, each piece carrying MARK; its ids in `org.ids`."""
    first = register_report(
        demo, org, f"{MARK} facts of the first case", identity=True, file=f"{MARK} file".encode()
    )
    second = register_report(demo, org, f"{MARK} facts of the second case")
    head_key = private_key_of(demo, org.accounts["head"])
    now = datetime.now(UTC)
    today = local_date(now)
    with demo.sessions() as s, s.begin():
        head = s.get(User, org.accounts["head"].user_id)
        assert head is not None
        notes.add_note(s, first, head_key, head, f"{MARK} internal note", now)
        submission_case = find_case(s, s.get_one(Submission, first))
        assert submission_case is not None
        record = protection.create_protection(
            s, submission_case, protection.ProtectedPerson(f"{MARK} Protected"), head, today
        )
        protection.add_matter(
            s,
            record,
            kind="disciplinary",
            body="conciliation",
            proposed_on=today,
            actor=head,
            today=today,
            description=f"{MARK} matter",
        )
        disclosure.record_appendix2(
            s,
            submission_case,
            today,
            head,
            today,
            scan=Upload("scan.txt", "text/plain", io.BytesIO(f"{MARK} scan".encode())),
        )
        settings.change(s, org.id, {"organization_name": f"{MARK} Organization"})
        audit.append(s, "test.marker", actor=f"{MARK}-actor", org_id=org.id, target=MARK)
        pending = add_account(s, demo, f"{MARK}-pending-head", "head", org.id)
        org.ids = {
            "submission_id": first,
            "other_id": second,
            "attachment_id": s.scalars(
                select(Attachment.id).where(Attachment.submission_id == first)
            ).one(),
            "user_id": str(org.accounts["handler"].user_id),
            "matter_id": str(
                s.scalars(
                    select(ProtectionMatter.id).where(ProtectionMatter.protection_id == record.id)
                ).one()
            ),
            "record_id": str(
                s.scalars(
                    select(DisclosureBasis.id).where(DisclosureBasis.case_id == submission_case.id)
                ).one()
            ),
            "row_id": str(
                s.scalars(
                    select(RecipientKey.id).where(RecipientKey.user_id == pending.user_id)
                ).one()
            ),
        }


def signed_in(app: Flask, demo: DemoInstance, account: Account) -> Browser:
    return sign_in(Browser(app), demo, account.username, account.password, account.totp_secret)
