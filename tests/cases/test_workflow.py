"""The Section 2 workflow through the store: events, derived statuses and the audit log."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from cases.calendar import work_calendar
from cases.deadlines import case_deadline_rows
from cases.facts import case_events, case_facts, facts_from_report
from cases.workflow import history, mark_identity_known, record_step, register_case
from rules.errors import AdalError
from rules.workflow import HEAD_STEPS, Step, available_steps
from store import audit
from store.models import AuditEntry, Case, CaseEvent, Mailbox, Submission
from tests.support.instance import DemoInstance
from tests.support.reports import store_report, user

RECEIVED = datetime(2026, 3, 20, 9, 3, 27, tzinfo=UTC)  # Friday 14:03:27 in Kazakhstan
IDENTITY = {"full_name": "Асель Нурланова", "position": "бухгалтер", "unit": "бухгалтерия"}

# Each step with its details and the moment it is recorded (Kazakhstan wall clock in details).
KNOWN_PATH = [
    (Step.RIGHTS_EXPLAINED, {}, timedelta(minutes=30)),
    (Step.NDA_SIGNED, {"signed_at": "2026-03-20T17:00"}, timedelta(hours=3)),
    (
        Step.KNS_NOTIFIED,
        {"call_time": "2026-03-20T17:50", "operator": "оператор 12"},
        timedelta(hours=4),
    ),
    (
        Step.CONFIRMATION_SENT,
        {"outgoing_number": "01-15/42", "outgoing_date": "2026-03-24"},
        timedelta(days=4),
    ),
    (Step.DECISION_RECEIVED, {"note": "начато досудебное расследование"}, timedelta(days=20)),
    (Step.REPORTER_INFORMED, {}, timedelta(days=21)),
    (Step.CLOSED, {}, timedelta(days=22)),
]
MAILBOX_AFTER = ["in_review", "in_review", "forwarded", "forwarded", "decided", "decided", "closed"]
STATUS_AFTER = [
    "registered",
    "registered",
    "kns_notified",
    "confirmation_sent",
    "decision_received",
    "reporter_informed",
    "closed",
]


def _register(demo: DemoInstance, **kw: object) -> str:
    with demo.sessions() as s, s.begin():
        stored = store_report(s, RECEIVED, **kw)  # type: ignore[arg-type]
        submission = s.get(Submission, stored.submission_id)
        facts = facts_from_report(stored.report, submission)
        _case_row, created = register_case(
            s, submission, facts, user(s, "handler"), at=RECEIVED + timedelta(minutes=20)
        )
        assert created
        return stored.submission_id


def _case(s, submission_id: str) -> Case:  # type: ignore[no-untyped-def]
    return s.scalars(select(Case).where(Case.submission_id == submission_id)).one()


def _audit_count(s) -> int:  # type: ignore[no-untyped-def]
    return s.scalar(select(func.count()).select_from(AuditEntry))


def test_each_step_is_recorded_with_who_when_and_details(demo: DemoInstance) -> None:
    sid = _register(demo, identity=IDENTITY, nda_intended=True)
    with demo.sessions() as s:
        case = _case(s, sid)
        assert case.status == "registered" and not case.anonymous and case.nda_intended
        assert case.submission.mailbox.status == "in_review"
        # The plain registration time is the handler's action, not the reporter's moment.
        assert case.registered_at.replace(tzinfo=UTC) == RECEIVED + timedelta(minutes=20)
        entries = _audit_count(s)
    for i, (step, details, after) in enumerate(KNOWN_PATH):
        actor_role = "head" if step in HEAD_STEPS else "handler"
        with demo.sessions() as s, s.begin():
            case = _case(s, sid)
            actor = user(s, actor_role)
            row = record_step(s, case, step, actor, RECEIVED + after, details, received_at=RECEIVED)
            assert row.actor_id == actor.id
        with demo.sessions() as s:
            case = _case(s, sid)
            assert case.status == STATUS_AFTER[i]
            assert s.get(Mailbox, case.submission.mailbox_id).status == MAILBOX_AFTER[i]
            last = case.events[-1]
            assert last.kind == step.value
            assert last.at.replace(tzinfo=UTC) == RECEIVED + after
            for key, value in details.items():
                assert last.details[key] == value
            assert _audit_count(s) == entries + i + 1
    with demo.sessions() as s:
        case = _case(s, sid)
        events = history(s, case)
        assert [e.kind for e in events] == ["registered", *(p[0].value for p in KNOWN_PATH)]
        assert events[0].actor == user(s, "handler").username
        assert events[2].actor == user(s, "head").username
        assert case.closed_at.replace(tzinfo=UTC) == RECEIVED + timedelta(days=22)
        # The NDA was signed within 24 hours of the exact receipt: recorded as met.
        assert events[2].details["nda_deadline"] == "met"
        steps = [
            e.details.get("step")
            for e in s.scalars(
                select(AuditEntry).where(AuditEntry.target == sid).order_by(AuditEntry.id)
            )
        ]
        assert steps == ["registered", *(p[0].value for p in KNOWN_PATH)]
        assert audit.verify(s).ok


def test_audit_entries_name_fields_not_values(demo: DemoInstance) -> None:
    sid = _register(demo)
    with demo.sessions() as s, s.begin():
        record_step(
            s,
            _case(s, sid),
            Step.KNS_NOTIFIED,
            user(s, "handler"),
            RECEIVED + timedelta(hours=1),
            {"call_time": "2026-03-20T14:30", "operator": "оператор 12"},
        )
    with demo.sessions() as s:
        entry = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry.details == {"step": "kns_notified", "fields": ["call_time", "operator"]}
        assert "оператор" not in str(entry.details)


def test_out_of_order_step_is_refused_and_nothing_is_saved(demo: DemoInstance) -> None:
    sid = _register(demo)
    with demo.sessions() as s:
        before = (s.scalar(select(func.count()).select_from(CaseEvent)), _audit_count(s))
    for step, details, code in [
        (
            Step.CONFIRMATION_SENT,
            {"outgoing_number": "1", "outgoing_date": "2026-03-20"},
            "out_of_order",
        ),
        (Step.CLOSED, {}, "out_of_order"),
        (Step.REGISTERED, {}, "repeated"),
        (Step.KNS_NOTIFIED, {"operator": "x"}, "missing_detail:call_time"),
        ("reject", {}, "unknown_step"),
    ]:
        with demo.sessions() as s:
            case = _case(s, sid)
            with pytest.raises(AdalError) as caught:
                record_step(
                    s, case, step, user(s, "handler"), RECEIVED + timedelta(hours=2), details
                )
            assert caught.value.code == code
            # Even a caller that commits after the refusal stores nothing.
            s.commit()
    with demo.sessions() as s:
        after = (s.scalar(select(func.count()).select_from(CaseEvent)), _audit_count(s))
        case = _case(s, sid)
        assert after == before
        assert case.status == "registered"
        assert case.submission.mailbox.status == "in_review"


def test_anonymous_case_never_asks_for_nda_or_rights(demo: DemoInstance) -> None:
    # The reporter ticked "I intend to sign an NDA" but stayed anonymous.
    sid = _register(demo, nda_intended=True)
    path = [
        (Step.KNS_NOTIFIED, {"call_time": "2026-03-20T14:30", "call_reference": "1424-7"}),
        (Step.CONFIRMATION_SENT, {"outgoing_number": "2", "outgoing_date": "2026-03-21"}),
        (Step.DECISION_RECEIVED, {}),
        (Step.REPORTER_INFORMED, {}),
        (Step.CLOSED, {}),
    ]
    identity_steps = {Step.NDA_INTENTION, Step.NDA_SIGNED, Step.NDA_DECLINED, Step.RIGHTS_EXPLAINED}
    for i, (step, details) in enumerate(path):
        with demo.sessions() as s, s.begin():
            case = _case(s, sid)
            assert case.anonymous
            offered = set(available_steps(case_facts(case), case_events(case)))
            assert not offered & identity_steps
            assert step in offered
            for refused in identity_steps:
                with pytest.raises(AdalError) as caught:
                    record_step(
                        s,
                        case,
                        refused,
                        user(s, "head"),
                        RECEIVED + timedelta(days=i),
                        {"signed_at": "2026-03-20T15:00", "basis": "x"},
                    )
                assert caught.value.code == "not_applicable_anonymous"
            record_step(
                s,
                case,
                step,
                user(s, "head" if step in HEAD_STEPS else "handler"),
                RECEIVED + timedelta(days=i, hours=1),
                details,
            )
    with demo.sessions() as s:
        case = _case(s, sid)
        assert case.status == "closed" and case.submission.mailbox.status == "closed"
        assert not {e.kind for e in case.events} & {s.value for s in identity_steps}


def test_identity_disclosed_later_makes_the_duties_available(demo: DemoInstance) -> None:
    sid = _register(demo)
    with demo.sessions() as s, s.begin():
        case = _case(s, sid)
        mark_identity_known(s, case, user(s, "head"))
        assert Step.RIGHTS_EXPLAINED in available_steps(case_facts(case), case_events(case))
        record_step(s, case, Step.NDA_INTENTION, user(s, "head"), RECEIVED + timedelta(hours=1))
    with demo.sessions() as s:
        case = _case(s, sid)
        assert not case.anonymous
        assert Step.NDA_SIGNED in available_steps(case_facts(case), case_events(case))
        actions = s.scalars(select(AuditEntry.action).where(AuditEntry.target == sid)).all()
        assert "case.identity_known" in actions


def test_registering_twice_returns_the_first_case(demo: DemoInstance) -> None:
    sid = _register(demo)
    with demo.sessions() as s, s.begin():
        submission = s.get(Submission, sid)
        facts = facts_from_report({"received_at": "2026-03-20T09:03:27.000000Z"}, submission)
        case, created = register_case(s, submission, facts, user(s, "head"))
        assert not created and len(case.events) == 1


def test_a_report_without_a_time_still_registers_from_the_start_of_its_day(
    demo: DemoInstance,
) -> None:
    with demo.sessions() as s, s.begin():
        stored = store_report(s, RECEIVED)
        submission = s.get(Submission, stored.submission_id)
        facts = facts_from_report({"identity_provided": False}, submission)
        assert facts.received_at == datetime(2026, 3, 19, 19, 0, tzinfo=UTC)  # 00:00 +05
        case, created = register_case(
            s, submission, facts, user(s, "handler"), at=RECEIVED + timedelta(hours=1)
        )
        assert created and case.anonymous


def test_the_same_step_twice_at_once_is_stored_once(demo: DemoInstance) -> None:
    sid = _register(demo)
    details = {"call_time": "2026-03-20T14:30", "operator": "x"}
    first_locked = threading.Event()
    outcomes: list[str] = []

    def first() -> None:
        with demo.sessions() as s, s.begin():
            record_step(
                s,
                _case(s, sid),
                Step.KNS_NOTIFIED,
                user(s, "handler"),
                RECEIVED + timedelta(hours=1),
                details,
            )
            first_locked.set()
            threading.Event().wait(0.5)  # hold the lock while the second one tries
        outcomes.append("stored")

    def second() -> None:
        first_locked.wait(5)
        try:
            with demo.sessions() as s, s.begin():
                record_step(
                    s,
                    _case(s, sid),
                    Step.KNS_NOTIFIED,
                    user(s, "head"),
                    RECEIVED + timedelta(hours=1),
                    details,
                )
            outcomes.append("stored")
        except AdalError as exc:
            outcomes.append(exc.code)
        except OperationalError:
            # SQLite refuses a write from a stale snapshot outright: also no duplicate.
            outcomes.append("busy")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) in (["repeated", "stored"], ["busy", "stored"])
    with demo.sessions() as s:
        kinds = [e.kind for e in _case(s, sid).events]
        assert kinds.count("kns_notified") == 1


def test_an_anonymous_nda_intention_runs_from_the_disclosure(demo: DemoInstance) -> None:
    sid = _register(demo, nda_intended=True)
    disclosed = RECEIVED + timedelta(days=3)
    with demo.sessions() as s, s.begin():
        mark_identity_known(s, _case(s, sid), user(s, "head"), at=disclosed)
    with demo.sessions() as s:
        case = _case(s, sid)
        assert not case.anonymous and not case.nda_intended
        last = case.events[-1]
        assert (last.kind, last.at.replace(tzinfo=UTC)) == ("nda_intention", disclosed)
        rows = case_deadline_rows(case, work_calendar(s), disclosed + timedelta(hours=1))
        (nda,) = [r for r in rows if r.key == "nda"]
        assert nda.exact and nda.deadline.due == disclosed + timedelta(hours=24)
        assert nda.state == "due_soon"
