"""An anonymous reporter who later identifies themselves (the portal tells them they may).

The head records the details they gave, sealed exactly like a portal identity block (envelope
purpose "identity", to the heads and the recovery key, never to handlers: p14), and the case
stops being anonymous (cases.workflow.mark_identity_known): the NDA of p7, the explanation of
rights of p12 and the protection of Section 3 then apply to it. Irreversible, like that step.

The block says how and when the reporter came forward, so whoever opens it later knows where
the details came from; it carries no consent: a statement of identity is not the written
consent of Appendix 2 (p11 (5), p14).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from cases.workflow import mark_identity_known
from rules.clock import local_date, require_aware
from rules.errors import AdalError
from store import audit, payloads, sealing
from store.models import Case, User
from store.recipients import identity_recipients, org_of

AREA = "reporter_identity"  # of the AdalError codes raised here
MAX_TEXT = 4000


@dataclass(frozen=True)
class CameForward:
    full_name: str
    position: str = ""
    unit: str = ""
    how: str = ""  # in person, in the mailbox, by letter: the evidence of the disclosure

    def payload(self, at: datetime, recorded_by: str) -> dict[str, object]:
        return {
            "full_name": self.full_name.strip(),
            "position": self.position.strip(),
            "unit": self.unit.strip(),
            "consent": False,
            "came_forward_at": payloads.utc_timestamp(at),
            "how": self.how.strip(),
            "recorded_by": recorded_by,
        }


def record_identity(
    session: Session, case: Case, person: CameForward, actor: User, at: datetime
) -> None:
    """Seal the details to the heads and the recovery key, attach them to the submission and
    mark the case's reporter as known, all in the caller's transaction (audited).

    Refused (AdalError, area ``reporter_identity``): ``not_anonymous`` when the case already
    has a known reporter or an identity block, ``missing_name`` / ``missing_how`` for blank
    details, ``too_long``.
    """
    require_aware(at, "at")
    submission = case.submission
    if not case.anonymous or submission.identity_envelope_id is not None:
        raise AdalError(AREA, "not_anonymous", "the reporter of this case is already known")
    if not person.full_name.strip():
        raise AdalError(AREA, "missing_name", "the reporter's full name is needed")
    if not person.how.strip():
        raise AdalError(AREA, "missing_how", "say how the reporter came forward")
    if any(len(v) > MAX_TEXT for v in (person.full_name, person.position, person.unit, person.how)):
        raise AdalError(AREA, "too_long", f"a text is at most {MAX_TEXT} characters")
    body = payloads.encode(payloads.IDENTITY_FORMAT, person.payload(at, actor.username))
    envelope = sealing.seal(
        session, "identity", body, identity_recipients(session, org_of(submission)), local_date(at)
    )
    session.flush()
    submission.identity_envelope = envelope
    session.flush()
    audit.append(
        session, "identity.record", actor=actor.username, org_id=actor.org_id, target=submission.id
    )
    mark_identity_known(session, case, actor, at)
