"""p14: on what grounds a reporter's identity may leave the case, and recording them.

"Исключения из принципа конфиденциальности допускаются лишь при наличии судебного решения или
согласия самого работника, полученного в письменной форме." Three grounds are told apart:

* ``statement``: the reporter ticked the consent box on the portal. It is their statement of
  consent, in the report; it is not the signed Appendix 2, and documents say so;
* ``appendix2``: the head received the signed Appendix 2 (p11 (5)); recorded here with the
  day it was received and, if the head has one, the scan, sealed like the identity block;
* ``court``: a court decision allowing the disclosure: the court, the decision's number, date
  and scope are sealed like the identity block (they would lead to the reporter); only the
  date is plain.

Without one of them the identity never leaves the case (documents.forms refuses it), and an
export that uses one is audited with it (handler.exports).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.attachments import Upload
from cases.facts import case_facts
from crypto.errors import CryptoError
from crypto.keys import PrivateKey
from rules.clock import local_date
from rules.errors import AdalError
from store import audit, payloads, sealing
from store.models import Case, DisclosureBasis, Envelope, User
from store.recipients import identity_recipients, org_of
from store.sealing import FileWriter

AREA = "disclosure"  # of the AdalError codes raised here
STATEMENT = "statement"
APPENDIX2 = "appendix2"
COURT = "court"
COURT_FORMAT = "adal/court-decision/v1"  # court, number, decided_on, scope
MAX_TEXT = 4000
READ_SIZE = 256 * 1024


@dataclass(frozen=True)
class Consent:
    """The reporter's consent as the case has it: its form and, for Appendix 2, its record."""

    form: str  # STATEMENT or APPENDIX2
    received_on: date | None = None
    record: DisclosureBasis | None = None


def records(session: Session, case: Case, kind: str) -> list[DisclosureBasis]:
    return list(
        session.scalars(
            select(DisclosureBasis)
            .where(DisclosureBasis.case_id == case.id, DisclosureBasis.kind == kind)
            .order_by(DisclosureBasis.id)
        )
    )


def consent_of(session: Session, case: Case, *, portal_statement: bool) -> Consent | None:
    """The strongest consent the case has: a signed Appendix 2, else the portal statement
    (``portal_statement``: the decrypted report says the reporter ticked the box), else none.
    Needs an identity block: consent about nobody in particular discloses nothing."""
    if case.submission.identity_envelope_id is None:
        return None
    signed = records(session, case, APPENDIX2)
    if signed:
        return Consent(APPENDIX2, signed[-1].dated_on, signed[-1])
    return Consent(STATEMENT) if portal_statement else None


def _seal_scan(session: Session, case: Case, scan: Upload, today: date) -> str:
    writer = FileWriter(session, identity_recipients(session, org_of(case.submission)), today)
    writer.write(payloads.file_meta_header(scan.filename, scan.content_type))
    while chunk := scan.stream.read(READ_SIZE):
        writer.write(chunk)
    return writer.finish().id


def record_appendix2(
    session: Session,
    case: Case,
    received_on: date,
    actor: User,
    today: date,
    scan: Upload | None = None,
) -> DisclosureBasis:
    """Record that the signed Appendix 2 was received (audited; the scan sealed to the heads
    and the recovery key). Refused (area ``disclosure``): ``not_applicable_anonymous`` while
    the reporter is unknown, ``out_of_range:received_on`` before the report or after today."""
    if case.anonymous or case.submission.identity_envelope_id is None:
        raise AdalError(
            AREA,
            "not_applicable_anonymous",
            "the reporter is anonymous; record their identity first",
        )
    received = local_date(case_facts(case).received_at)
    if not received <= received_on <= today:
        raise AdalError(
            AREA, "out_of_range:received_on", "the form is received between the report and today"
        )
    scan_id = _seal_scan(session, case, scan, today) if scan is not None else None
    row = DisclosureBasis(
        case_id=case.id, kind=APPENDIX2, dated_on=received_on, scan_envelope_id=scan_id
    )
    session.add(row)
    session.flush()
    audit.append(
        session,
        "consent.appendix2",
        actor=actor.username,
        org_id=actor.org_id,
        target=case.submission_id,
        details={"received_on": received_on.isoformat(), "scan": scan_id is not None},
    )
    return row


@dataclass(frozen=True)
class CourtDecision:
    court: str
    number: str
    decided_on: date
    scope: str

    def payload(self) -> dict[str, str]:
        return {
            "court": self.court.strip(),
            "number": self.number.strip(),
            "decided_on": self.decided_on.isoformat(),
            "scope": self.scope.strip(),
        }


def record_court_decision(
    session: Session, case: Case, decision: CourtDecision, actor: User, today: date
) -> DisclosureBasis:
    """Record a court decision as the ground for disclosing the reporter's identity (p14),
    sealed to the heads and the recovery key (audited without its content). Refused (area
    ``disclosure``): ``not_applicable_anonymous``, ``missing:<field>``, ``too_long``,
    ``out_of_range:decided_on`` (before the report or after today)."""
    if case.anonymous or case.submission.identity_envelope_id is None:
        raise AdalError(
            AREA,
            "not_applicable_anonymous",
            "the reporter is anonymous; there is no identity to disclose",
        )
    fields = decision.payload()
    for name in ("court", "number", "scope"):
        if not fields[name]:
            raise AdalError(AREA, f"missing:{name}", f"the decision's {name} is needed")
        if len(fields[name]) > MAX_TEXT:
            raise AdalError(AREA, "too_long", f"a text is at most {MAX_TEXT} characters")
    received = local_date(case_facts(case).received_at)
    if not received <= decision.decided_on <= today:
        raise AdalError(
            AREA, "out_of_range:decided_on", "the decision is dated between the report and today"
        )
    envelope = sealing.seal(
        session,
        "identity",
        payloads.encode(COURT_FORMAT, fields),
        identity_recipients(session, org_of(case.submission)),
        today,
    )
    session.flush()
    row = DisclosureBasis(
        case_id=case.id, kind=COURT, dated_on=decision.decided_on, envelope_id=envelope.id
    )
    session.add(row)
    session.flush()
    audit.append(
        session,
        "disclosure.court_decision",
        actor=actor.username,
        org_id=actor.org_id,
        target=case.submission_id,
        details={"record": row.id, "decided_on": decision.decided_on.isoformat()},
    )
    return row


def open_court_decision(
    session: Session, row: DisclosureBasis, private_key: PrivateKey
) -> CourtDecision | None:
    """The sealed details of a court decision record, or None if this key cannot open them."""
    envelope = session.get(Envelope, row.envelope_id) if row.envelope_id else None
    if envelope is None:
        return None
    try:
        data = payloads.decode(
            sealing.open_body(envelope, private_key, expect="identity"), COURT_FORMAT
        )
    except (CryptoError, payloads.PayloadError):
        return None
    return CourtDecision(
        str(data.get("court", "")),
        str(data.get("number", "")),
        row.dated_on,
        str(data.get("scope", "")),
    )


def envelope_ids(session: Session, case: Case) -> list[str]:
    """Every sealed envelope of the case's disclosure records (for handover and purging)."""
    ids: list[str] = []
    for row in session.scalars(
        select(DisclosureBasis)
        .where(DisclosureBasis.case_id == case.id)
        .order_by(DisclosureBasis.id)
    ):
        ids += [i for i in (row.envelope_id, row.scan_envelope_id) if i is not None]
    return ids


def scan_envelope(session: Session, case: Case, record_id: int) -> Envelope | None:
    row = session.get(DisclosureBasis, record_id)
    if row is None or row.case_id != case.id or row.scan_envelope_id is None:
        return None
    return session.get(Envelope, row.scan_envelope_id)
