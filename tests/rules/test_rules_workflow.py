"""Case workflow: order, repetition, anonymity and required details."""

from datetime import datetime, timedelta

import pytest

from rules.errors import AdalError
from rules.workflow import (
    CaseFacts,
    Event,
    Step,
    apply,
    available_steps,
    public_status,
)
from tests.support.workflow import DETAILS, RECEIVED

KNOWN = CaseFacts(received_at=RECEIVED, anonymous=False, nda_intended=True)
ANON = CaseFacts(received_at=RECEIVED, anonymous=True, nda_intended=False)

FULL_KNOWN = [
    Step.REGISTERED,
    Step.RIGHTS_EXPLAINED,
    Step.NDA_SIGNED,
    Step.KNS_NOTIFIED,
    Step.CONFIRMATION_SENT,
    Step.DECISION_RECEIVED,
    Step.REPORTER_INFORMED,
    Step.CLOSED,
]
# An anonymous reporter is neither told their rights nor offered an NDA; the rest is the same.
FULL_ANON = [step for step in FULL_KNOWN if step not in (Step.RIGHTS_EXPLAINED, Step.NDA_SIGNED)]


def run(facts: CaseFacts, steps: list[Step]) -> list[Event]:
    """Apply ``steps`` one a day apart, each with its standard details."""
    events: list[Event] = []
    for i, step in enumerate(steps):
        at = RECEIVED + timedelta(days=i, hours=1)
        events.append(apply(facts, events, step, at, "handler1", DETAILS.get(step, {})))
    return events


def refuse(facts: CaseFacts, events: list[Event], step: Step | str, **kw: str) -> AdalError:
    at = (events[-1].at if events else RECEIVED) + timedelta(days=10)
    standard = DETAILS.get(step, {}) if isinstance(step, Step) else {}
    details = kw or standard
    with pytest.raises(AdalError) as caught:
        apply(facts, events, step, at, "handler1", details)
    return caught.value


def test_full_known_case_in_order() -> None:
    events = run(KNOWN, FULL_KNOWN)
    assert [e.kind for e in events] == [s.value for s in FULL_KNOWN]
    assert available_steps(KNOWN, events) == []


def test_full_anonymous_case_in_order() -> None:
    events = run(ANON, FULL_ANON)
    assert events[-1].kind == "closed"
    assert available_steps(ANON, events) == []


def test_event_records_actor_and_cleaned_details() -> None:
    event = apply(ANON, [], Step.REGISTERED, RECEIVED, "  handler1 ", {"note": "  x ", "e": " "})
    assert event == Event("registered", RECEIVED, "handler1", {"note": "x"})
    with pytest.raises(TypeError):
        event.details["note"] = "changed"  # type: ignore[index]


def test_available_steps_at_start_and_after_registration() -> None:
    assert available_steps(KNOWN, []) == [Step.REGISTERED]
    events = run(KNOWN, [Step.REGISTERED])
    assert available_steps(KNOWN, events) == [
        Step.NDA_SIGNED,
        Step.NDA_DECLINED,
        Step.KNS_NOTIFIED,
        Step.RIGHTS_EXPLAINED,
        Step.CLOSED_WITHOUT_DECISION,  # as a duplicate, from the start (issue 11)
    ]


@pytest.mark.parametrize(
    ("done", "step", "missing"),
    [
        ([], Step.KNS_NOTIFIED, (Step.REGISTERED,)),
        ([], Step.NDA_SIGNED, (Step.REGISTERED,)),
        ([], Step.RIGHTS_EXPLAINED, (Step.REGISTERED,)),
        ([Step.REGISTERED], Step.CONFIRMATION_SENT, (Step.KNS_NOTIFIED,)),
        ([Step.REGISTERED, Step.KNS_NOTIFIED], Step.DECISION_RECEIVED, (Step.CONFIRMATION_SENT,)),
        (
            [Step.REGISTERED, Step.KNS_NOTIFIED, Step.CONFIRMATION_SENT],
            Step.REPORTER_INFORMED,
            (Step.DECISION_RECEIVED,),
        ),
        (
            [Step.REGISTERED, Step.KNS_NOTIFIED, Step.CONFIRMATION_SENT, Step.DECISION_RECEIVED],
            Step.CLOSED,
            (Step.REPORTER_INFORMED, Step.RIGHTS_EXPLAINED, Step.NDA_SIGNED),
        ),
        # Rights explained, but the NDA the reporter asked for is still unsigned.
        (FULL_KNOWN[:2] + FULL_KNOWN[3:7], Step.CLOSED, (Step.NDA_SIGNED,)),
        # NDA signed, but nobody explained the reporter's rights.
        (
            [s for s in FULL_KNOWN[:7] if s is not Step.RIGHTS_EXPLAINED],
            Step.CLOSED,
            (Step.RIGHTS_EXPLAINED,),
        ),
    ],
)
def test_out_of_order_steps_are_refused(
    done: list[Step], step: Step, missing: tuple[Step, ...]
) -> None:
    events = run(KNOWN, done)
    error = refuse(KNOWN, events, step)
    assert error.code == "out_of_order"
    assert error.params["missing"] == missing
    assert step not in available_steps(KNOWN, events)


def test_registered_cannot_be_skipped_for_anonymous_close() -> None:
    assert refuse(ANON, [], Step.CLOSED).code == "out_of_order"


@pytest.mark.parametrize("upto", range(1, len(FULL_KNOWN)))
def test_repeated_step_is_refused(upto: int) -> None:
    events = run(KNOWN, FULL_KNOWN[:upto])
    last = FULL_KNOWN[upto - 1]
    assert refuse(KNOWN, events, last).code == "repeated"
    assert last not in available_steps(KNOWN, events)


def test_nothing_after_closing() -> None:
    events = run(ANON, FULL_ANON)
    assert refuse(ANON, events, Step.CLOSED).code == "repeated"
    assert refuse(ANON, events, Step.KNS_NOTIFIED).code == "case_closed"
    assert refuse(ANON, events, Step.NDA_INTENTION).code == "case_closed"


@pytest.mark.parametrize("nda_ticked", [False, True])
@pytest.mark.parametrize("step", [Step.NDA_INTENTION, Step.NDA_SIGNED, Step.RIGHTS_EXPLAINED])
def test_anonymous_case_never_offers_or_accepts_identity_steps(
    step: Step, nda_ticked: bool
) -> None:
    facts = CaseFacts(received_at=RECEIVED, anonymous=True, nda_intended=nda_ticked)
    events: list[Event] = []
    for next_step in FULL_ANON:
        assert step not in available_steps(facts, events)
        if events:
            assert refuse(facts, events, step).code == "not_applicable_anonymous"
        events.append(
            apply(
                facts,
                events,
                next_step,
                RECEIVED + timedelta(days=len(events)),
                "h",
                DETAILS.get(next_step, {}),
            )
        )


def test_nda_needs_an_intention() -> None:
    facts = CaseFacts(received_at=RECEIVED, anonymous=False, nda_intended=False)
    events = run(facts, [Step.REGISTERED])
    assert Step.NDA_SIGNED not in available_steps(facts, events)
    assert refuse(facts, events, Step.NDA_SIGNED).code == "not_applicable_no_intention"
    # The reporter states the intention later, in the mailbox; now the NDA is owed.
    events.append(apply(facts, events, Step.NDA_INTENTION, RECEIVED + timedelta(hours=2), "h"))
    assert Step.NDA_SIGNED in available_steps(facts, events)
    assert Step.NDA_INTENTION not in available_steps(facts, events)
    # ... and closing now requires it.
    assert refuse(facts, events, Step.CLOSED).params["missing"][-1] == Step.NDA_SIGNED


def test_intention_on_the_report_is_not_recorded_twice() -> None:
    events = run(KNOWN, [Step.REGISTERED])
    assert Step.NDA_INTENTION not in available_steps(KNOWN, events)
    assert refuse(KNOWN, events, Step.NDA_INTENTION).code == "repeated"


def test_known_reporter_without_nda_can_close_without_it() -> None:
    facts = CaseFacts(received_at=RECEIVED, anonymous=False, nda_intended=False)
    events = run(facts, [s for s in FULL_KNOWN if s is not Step.NDA_SIGNED])
    assert events[-1].kind == "closed"


@pytest.mark.parametrize(
    ("step", "details", "code"),
    [
        (Step.KNS_NOTIFIED, {"operator": "X"}, "missing_detail:call_time"),
        (
            Step.KNS_NOTIFIED,
            {"call_time": "2026-03-20T10:20"},
            "missing_detail:operator|call_reference",
        ),
        (Step.KNS_NOTIFIED, {"call_time": "soon", "operator": "X"}, "invalid_detail:call_time"),
        # 09:00 in Kazakhstan is before the report arrived at 10:00.
        (
            Step.KNS_NOTIFIED,
            {"call_time": "2026-03-20T09:00", "operator": "X"},
            "invalid_detail:call_time",
        ),
    ],
)
def test_kns_notification_details(step: Step, details: dict[str, str], code: str) -> None:
    events = run(KNOWN, [Step.REGISTERED])
    assert refuse(KNOWN, events, step, **details).code == code


def test_kns_notification_by_call_reference() -> None:
    events = run(KNOWN, [Step.REGISTERED])
    details = {"call_time": "2026-03-20T10:20", "call_reference": "1424-000123"}
    event = apply(KNOWN, events, Step.KNS_NOTIFIED, RECEIVED + timedelta(hours=1), "h", details)
    assert event.details["call_reference"] == "1424-000123"


def test_call_time_in_the_same_minute_as_the_report_is_accepted() -> None:
    facts = CaseFacts(
        received_at=RECEIVED + timedelta(seconds=40), anonymous=True, nda_intended=False
    )
    events = run(facts, [Step.REGISTERED])
    details = {"call_time": "2026-03-20T10:00", "operator": "X"}
    apply(facts, events, Step.KNS_NOTIFIED, RECEIVED + timedelta(hours=2), "h", details)


@pytest.mark.parametrize(
    ("details", "code"),
    [
        ({"outgoing_date": "2026-03-26"}, "missing_detail:outgoing_number"),
        (
            {"outgoing_number": "  ", "outgoing_date": "2026-03-26"},
            "missing_detail:outgoing_number",
        ),
        ({"outgoing_number": "1"}, "missing_detail:outgoing_date"),
        ({"outgoing_number": "1", "outgoing_date": "26.03.2026"}, "invalid_detail:outgoing_date"),
        ({"outgoing_number": "1", "outgoing_date": "2026-03-19"}, "invalid_detail:outgoing_date"),
        ({"outgoing_number": "1", "outgoing_date": "2027-01-01"}, "invalid_detail:outgoing_date"),
    ],
)
def test_confirmation_details(details: dict[str, str], code: str) -> None:
    events = run(KNOWN, [Step.REGISTERED, Step.KNS_NOTIFIED])
    assert refuse(KNOWN, events, Step.CONFIRMATION_SENT, **details).code == code


def test_nda_signed_needs_signing_time() -> None:
    events = run(KNOWN, [Step.REGISTERED])
    assert refuse(KNOWN, events, Step.NDA_SIGNED, note="x").code == "missing_detail:signed_at"


def test_other_refusals() -> None:
    assert refuse(KNOWN, [], "reject").code == "unknown_step"
    with pytest.raises(AdalError) as caught:
        apply(KNOWN, [], Step.REGISTERED, RECEIVED, "  ")
    assert caught.value.code == "missing_actor"
    with pytest.raises(AdalError) as caught:
        apply(KNOWN, [], Step.REGISTERED, RECEIVED - timedelta(minutes=1), "h")
    assert caught.value.code == "not_chronological"
    events = run(KNOWN, [Step.REGISTERED, Step.KNS_NOTIFIED])
    with pytest.raises(AdalError) as caught:
        apply(KNOWN, events, Step.RIGHTS_EXPLAINED, events[-1].at - timedelta(seconds=1), "h")
    assert caught.value.code == "not_chronological"
    with pytest.raises(ValueError, match="naive"):
        apply(KNOWN, [], Step.REGISTERED, datetime(2026, 3, 20, 12), "h")


def test_step_accepts_plain_strings() -> None:
    assert apply(ANON, [], "registered", RECEIVED, "h").kind == Step.REGISTERED


def test_there_is_no_reject_step() -> None:
    # p6: "Непринятие сообщения не допускается."
    assert not any("reject" in s or "refus" in s for s in Step)


@pytest.mark.parametrize(
    ("upto", "status"),
    [
        (0, "received"),
        (1, "in_review"),
        (2, "forwarded"),
        (3, "forwarded"),
        (4, "decided"),
        (5, "decided"),
        (6, "closed"),
    ],
)
def test_public_status(upto: int, status: str) -> None:
    assert public_status(ANON, run(ANON, FULL_ANON[:upto])) == status


def test_public_status_ignores_internal_steps() -> None:
    events = run(KNOWN, [Step.REGISTERED, Step.RIGHTS_EXPLAINED, Step.NDA_SIGNED])
    assert public_status(KNOWN, events) == "in_review"


def test_case_facts_need_an_aware_receipt_time() -> None:
    with pytest.raises(ValueError):
        CaseFacts(received_at=datetime(2026, 3, 20, 10), anonymous=True, nda_intended=False)
