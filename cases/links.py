"""Related reports: a holder links two cases they hold, and each case shows the other.

A link is an unordered pair of submissions (store.models.CaseLink, the smaller id first). Making
or removing one needs a key that holds both reports: a link says that two matters are one, and
only someone who has read both can say so. Every holder of either case sees the link; one who
does not hold the other case sees its reference but cannot open it (cases.access still decides).
Each change is audited with both references.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from cases import scope
from cases.access import NotHolder, holder_submission, key_id_of
from crypto.keys import PrivateKey
from rules.clock import local_date
from rules.errors import AdalError
from store import audit
from store.models import CaseLink, Grant, Submission, User

AREA = "links"  # of the AdalError codes raised here
MIN_REFERENCE = 8  # the case page shows the first 8 characters of the id as its reference


@dataclass(frozen=True)
class LinkedCase:
    submission_id: str
    received_on: date
    held: bool  # whether the reading key holds the other case too


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def _held(
    session: Session, submission_id: str, private_key: PrivateKey, org_id: int | None
) -> Submission:
    try:
        return holder_submission(session, submission_id, private_key, org_id)
    except NotHolder as exc:
        raise AdalError(AREA, "not_holder", "this key does not hold both cases") from exc


def resolve_reference(
    session: Session, reference: str, private_key: PrivateKey, org_id: int
) -> str:
    """The id of the held case a typed reference names: the full id or its first characters.

    Only cases this key holds are looked at, so a reference says nothing about cases held by
    others. Refused: ``bad_reference`` (not 8-32 hex characters), ``no_such_case`` (no held case
    starts with it), ``ambiguous`` (more than one does: type more of it).
    """
    ref = reference.strip().lower()
    if ref.startswith("#"):
        ref = ref[1:]
    if not (MIN_REFERENCE <= len(ref) <= 32) or any(c not in "0123456789abcdef" for c in ref):
        raise AdalError(AREA, "bad_reference", "a case reference is 8-32 hexadecimal characters")
    held = select(Grant.envelope_id).where(Grant.key_id == key_id_of(private_key))
    # A prefix of hexadecimal characters only: no LIKE wildcard can reach the pattern.
    found = list(
        session.scalars(
            select(Submission.id)
            .where(
                Submission.id.startswith(ref),
                Submission.report_envelope_id.in_(held),
                scope.in_org(Submission.org_id, org_id),
            )
            .limit(2)
        )
    )
    if not found:
        raise AdalError(AREA, "no_such_case", "no case you hold has this reference")
    if len(found) > 1:
        raise AdalError(AREA, "ambiguous", "several cases you hold start with this reference")
    return found[0]


def link_cases(
    session: Session,
    submission_id: str,
    other_id: str,
    private_key: PrivateKey,
    actor: User,
    now: datetime,
) -> CaseLink:
    """Link two held cases; refused ``not_holder``, ``same_case`` or ``exists``."""
    first = _held(session, submission_id, private_key, actor.org_id)
    second = _held(session, other_id, private_key, actor.org_id)
    if first.id == second.id:
        raise AdalError(AREA, "same_case", "a case cannot be linked to itself")
    a, b = _pair(first.id, second.id)
    if session.scalar(select(CaseLink.id).where(CaseLink.first_id == a, CaseLink.second_id == b)):
        raise AdalError(AREA, "exists", "these cases are already linked")
    link = CaseLink(first_id=a, second_id=b, created_by=actor.id, created_on=local_date(now))
    session.add(link)
    session.flush()
    audit.append(
        session,
        "case.link",
        actor=actor.username,
        org_id=actor.org_id,
        target=first.id,
        details={"other": second.id},
    )
    return link


def unlink_cases(
    session: Session, submission_id: str, other_id: str, private_key: PrivateKey, actor: User
) -> None:
    """Remove the link between two held cases; refused ``not_holder`` or ``not_linked``."""
    first = _held(session, submission_id, private_key, actor.org_id)
    second = _held(session, other_id, private_key, actor.org_id)
    a, b = _pair(first.id, second.id)
    removed = session.execute(
        delete(CaseLink)
        .where(CaseLink.first_id == a, CaseLink.second_id == b)
        .execution_options(synchronize_session=False)
    )
    if removed.rowcount != 1:  # type: ignore[attr-defined]
        raise AdalError(AREA, "not_linked", "these cases are not linked")
    audit.append(
        session,
        "case.unlink",
        actor=actor.username,
        org_id=actor.org_id,
        target=first.id,
        details={"other": second.id},
    )


def linked_cases(
    session: Session, submission: Submission, private_key: PrivateKey, org_id: int
) -> list[LinkedCase]:
    """The cases linked to this one, each marked with whether this key holds it."""
    rows = session.execute(
        select(CaseLink.first_id, CaseLink.second_id).where(
            or_(CaseLink.first_id == submission.id, CaseLink.second_id == submission.id)
        )
    ).all()
    others = [b if a == submission.id else a for a, b in rows]
    if not others:
        return []
    held = select(Grant.envelope_id).where(Grant.key_id == key_id_of(private_key))
    found = session.execute(
        select(Submission.id, Submission.received_on, Submission.report_envelope_id.in_(held))
        .where(Submission.id.in_(others), scope.in_org(Submission.org_id, org_id))
        .order_by(Submission.received_on, Submission.id)
    ).all()
    return [LinkedCase(sid, received_on, bool(is_held)) for sid, received_on, is_held in found]


def held_choices(
    session: Session, private_key: PrivateKey, exclude: str, org_id: int, limit: int = 50
) -> list[tuple[str, date]]:
    """The latest cases the key holds (id, day received), to choose a related case from."""
    held = select(Grant.envelope_id).where(Grant.key_id == key_id_of(private_key))
    return [
        (sid, received_on)
        for sid, received_on in session.execute(
            select(Submission.id, Submission.received_on)
            .where(
                Submission.report_envelope_id.in_(held),
                Submission.id != exclude,
                scope.in_org(Submission.org_id, org_id),
            )
            .order_by(Submission.received_on.desc(), Submission.id)
            .limit(limit)
        )
    ]
