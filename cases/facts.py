"""A stored case as the rules see it: rules.workflow.CaseFacts and the list of Events.

The exact time of receipt
-------------------------
The exact moment a report arrived lives only inside its sealed report payload ("received_at").
The plain columns hold the Kazakhstan date (`Submission.received_on`). We keep it that way in
the back office too: an insider with database access (an IT administrator, a backup operator)
who could read "14:03:27" next to a case could line it up with proxy, VPN or badge logs and
name the reporter, which is the one thing this system exists to prevent.

So there are two kinds of facts:

* **exact**: the caller decrypted the report and passes its ``received_at`` (the case page);
* **dated** (no ``received_at``): the receipt instant is taken as the start of the receipt day
  in Kazakhstan, the earliest moment consistent with the stored date. Every day deadline
  (p8 call, p9 confirmation, p12 rights, protection period) depends only on the date and is
  exact anyway. The one hour deadline, the NDA's 24 hours (p7), then comes out *early*, never
  late: a list may warn too soon, but never tells a head there is more time than there is.

`registered_at` and each event's `at` are plain exact times, but they are the staff's actions,
not the reporter's.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from rules.clock import local_date, start_of_local_day
from rules.deadlines import case_protection_end
from rules.workflow import CaseFacts, Event, Step, detail_datetime
from store.models import Case, Submission

# Detail key on nda_signed / nda_declined: "met" | "late" (cases.workflow stores it,
# cases.deadlines reads it).
NDA_VERDICT = "nda_deadline"


def utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes for timezone-aware columns; they were stored as UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def parse_received_at(value: object) -> datetime | None:
    """The payload's ISO 8601 UTC stamp ("...Z") as an aware datetime, or None."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def facts_from_report(report: Mapping[str, Any], submission: Submission) -> CaseFacts:
    """CaseFacts from a decrypted report payload (store.payloads "adal/report/v1").

    A payload without a usable time (never written by our apps) still registers (p6: a report
    may not be refused), dated from the start of its receipt day, the conservative choice.
    """
    received = parse_received_at(report.get("received_at"))
    return CaseFacts(
        received_at=received or start_of_local_day(submission.received_on),
        anonymous=not bool(report.get("identity_provided")),
        nda_intended=bool(report.get("nda_intended")),
    )


def case_facts(case: Case, received_at: datetime | None = None) -> CaseFacts:
    """Exact facts with the decrypted ``received_at``, dated facts without (see above)."""
    return CaseFacts(
        received_at=received_at
        if received_at is not None
        else start_of_local_day(case.submission.received_on),
        anonymous=case.anonymous,
        nda_intended=case.nda_intended,
    )


def case_events(case: Case, names: Mapping[int, str] | None = None) -> list[Event]:
    """The case's history as rules Events, oldest first. ``names`` maps user ids to usernames
    for display; without it the actor is the user id (deadlines never look at it)."""
    events = []
    for row in case.events:
        if row.actor_id is None:
            actor = "(removed user)"
        elif names is not None:
            actor = names.get(row.actor_id, str(row.actor_id))
        else:
            actor = str(row.actor_id)
        details = {str(k): str(v) for k, v in (row.details or {}).items()}
        events.append(Event(kind=row.kind, at=utc(row.at), actor=actor, details=details))
    return events


def protection_start(case: Case) -> date:
    """Day the 3-year protection counts from: the 1424 call (acceptance by the Anti-Corruption
    Service, Appendix 3 (1)) or, while none is recorded, the receipt date."""
    for event in case_events(case):
        if event.kind == Step.KNS_NOTIFIED and "call_time" in event.details:
            return local_date(detail_datetime(event.details, "call_time"))
    return case.submission.received_on


def protection_end(case: Case) -> date:
    """Last day of the reporter's protection; dates only, so no decryption is needed."""
    return case_protection_end(case_facts(case), case_events(case))
