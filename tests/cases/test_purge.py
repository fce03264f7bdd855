"""Retention and `adal purge`: an expired case leaves no key and no ciphertext behind, other
cases stay whole, and the audit log still verifies (chain and anchor)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cases import links, notes
from cases.facts import facts_from_report
from cases.protection import ProtectedPerson, add_matter, create_protection
from cases.retention import (
    purge_after,
    retention_years,
    set_retention_years,
)
from cases.workflow import record_step, register_case
from rules.errors import AdalError
from rules.workflow import HEAD_STEPS, Step
from store import audit
from store.models import (
    Attachment,
    AuditEntry,
    Case,
    CaseEvent,
    CaseLink,
    Envelope,
    FileChunk,
    Grant,
    Mailbox,
    Message,
    Note,
    Protection,
    ProtectionMatter,
    Submission,
)
from tests.support.instance import DemoInstance, demo_org_id, run_cli
from tests.support.reports import store_report, user

IDENTITY = {"full_name": "Асель Нурланова", "position": "бухгалтер", "unit": "бухгалтерия"}
OLD = datetime(2021, 3, 1, 5, 0, tzinfo=UTC)  # closed in 2021: past 3 years + protection
RECENT = datetime(2026, 9, 1, 5, 0, tzinfo=UTC)


def _close(s: Session, case: Case, start: datetime, *, known: bool) -> None:
    day = start.date().isoformat()
    steps: list[tuple[Step, dict[str, str]]] = [
        (Step.KNS_NOTIFIED, {"call_time": f"{day}T11:00", "operator": "x"}),
        (Step.CONFIRMATION_SENT, {"outgoing_number": "1", "outgoing_date": day}),
        (Step.DECISION_RECEIVED, {}),
        (Step.REPORTER_INFORMED, {}),
        (Step.CLOSED, {}),
    ]
    if known:
        steps.insert(0, (Step.RIGHTS_EXPLAINED, {}))
    for i, (step, details) in enumerate(steps):
        record_step(
            s,
            case,
            step,
            user(s, "head" if step in HEAD_STEPS else "handler"),
            start + timedelta(hours=8, minutes=i),
            details,
        )


def _case(
    demo: DemoInstance, received: datetime, *, close: bool, identity: dict[str, str] | None = None
) -> str:
    with demo.sessions() as s, s.begin():
        stored = store_report(s, received, identity=identity, files=2, messages=2)
        submission = s.get(Submission, stored.submission_id)
        case, _ = register_case(
            s,
            submission,
            facts_from_report(stored.report, submission),
            user(s, "handler"),
            at=received + timedelta(minutes=5),
        )
        if identity is not None:
            record = create_protection(
                s, case, ProtectedPerson(identity["full_name"]), user(s, "head"), received.date()
            )
            add_matter(
                s,
                record,
                kind="transfer",
                body="collegial",
                proposed_on=received.date(),
                actor=user(s, "head"),
                today=received.date(),
                description="перевод",
            )
        if close:
            _close(s, case, received, known=identity is not None)
        return stored.submission_id


def _footprint(s: Session, sid: str) -> dict[str, int]:
    """Every row that belongs to one case, by table."""
    submission = s.get(Submission, sid)
    if submission is None:
        envelope_ids: list[str] = []
    else:
        envelope_ids = [submission.report_envelope_id]
        if submission.identity_envelope_id:
            envelope_ids.append(submission.identity_envelope_id)
        envelope_ids += s.scalars(
            select(Message.envelope_id).where(Message.submission_id == sid)
        ).all()
        envelope_ids += s.scalars(
            select(Attachment.envelope_id).where(Attachment.submission_id == sid)
        ).all()
        case = s.scalar(select(Case).where(Case.submission_id == sid))
        record = s.scalar(select(Protection).where(Protection.case_id == case.id))
        if record is not None:
            envelope_ids += [
                record.envelope_id,
                *[m.envelope_id for m in record.matters if m.envelope_id],
            ]

    def count(model, *where) -> int:  # type: ignore[no-untyped-def]
        return s.scalar(select(func.count()).select_from(model).where(*where))

    case_ids = select(Case.id).where(Case.submission_id == sid)
    return {
        "submissions": count(Submission, Submission.id == sid),
        "cases": count(Case, Case.submission_id == sid),
        "case_events": count(CaseEvent, CaseEvent.case_id.in_(case_ids)),
        "messages": count(Message, Message.submission_id == sid),
        "attachments": count(Attachment, Attachment.submission_id == sid),
        "protections": count(Protection, Protection.case_id.in_(case_ids)),
        "envelopes": count(Envelope, Envelope.id.in_(envelope_ids)),
        "grants": count(Grant, Grant.envelope_id.in_(envelope_ids)),
        "file_chunks": count(FileChunk, FileChunk.envelope_id.in_(envelope_ids)),
    }


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (2, "too_short"),
        (0, "too_short"),
        (-3, "too_short"),
        (101, "too_long"),
        ("5", "not_a_number"),
        (True, "not_a_number"),
        (3.5, "not_a_number"),
    ],
)
def test_retention_shorter_than_protection_is_refused(
    demo: DemoInstance, value: object, code: str
) -> None:
    with demo.sessions() as s:
        with pytest.raises(AdalError) as caught:
            set_retention_years(s, demo_org_id(s), value, user(s, "admin"))  # type: ignore[arg-type]
        assert caught.value.code == code
        assert retention_years(s, demo_org_id(s)) is None


def test_purge_date_is_the_later_of_retention_and_protection() -> None:
    assert purge_after(date(2026, 4, 10), date(2029, 3, 20), 3) == date(2029, 4, 10)
    assert purge_after(date(2026, 4, 10), date(2030, 1, 1), 3) == date(2030, 1, 1)
    assert purge_after(date(2028, 2, 29), date(2031, 2, 28), 5) == date(2033, 2, 28)
    with pytest.raises(AdalError):
        purge_after(date(2026, 4, 10), date(2029, 3, 20), 2)


def test_setting_retention_dates_every_closed_case(demo: DemoInstance) -> None:
    old = _case(demo, OLD, close=True)
    open_ = _case(demo, RECENT, close=False)
    with demo.sessions() as s:
        assert s.scalar(select(Case.purge_after).where(Case.submission_id == old)) is None
    with demo.sessions() as s, s.begin():
        assert set_retention_years(s, demo_org_id(s), 5, user(s, "admin")) == 1
    with demo.sessions() as s:
        # Closed on 1 March 2021 (Kazakhstan date) + 5 years; protection ends 1 March 2024.
        assert s.scalar(select(Case.purge_after).where(Case.submission_id == old)) == date(
            2026, 3, 1
        )
        assert s.scalar(select(Case.purge_after).where(Case.submission_id == open_)) is None
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "settings.retention")).one()
        assert entry.details == {"years": 5, "was": None, "cases_redated": 1}


def test_closing_dates_the_case_when_retention_is_set(demo: DemoInstance) -> None:
    with demo.sessions() as s, s.begin():
        set_retention_years(s, demo_org_id(s), 3, user(s, "admin"))
    sid = _case(demo, RECENT, close=True)
    with demo.sessions() as s:
        assert s.scalar(select(Case.purge_after).where(Case.submission_id == sid)) == date(
            2029, 9, 1
        )


def test_adal_purge_shreds_expired_cases_only(demo: DemoInstance) -> None:
    expired = _case(demo, OLD, close=True)
    expired_known = _case(demo, OLD + timedelta(days=3), close=True, identity=IDENTITY)
    held = _case(demo, OLD + timedelta(days=5), close=True, identity=IDENTITY)
    recent = _case(demo, RECENT, close=True)
    still_open = _case(demo, OLD, close=False)
    with demo.sessions() as s, s.begin():
        # The known reporter's transfer was decided and reported: that matter is finished.
        matter = s.scalars(
            select(ProtectionMatter)
            .join(Protection)
            .join(Case)
            .where(Case.submission_id == expired_known)
        ).one()
        matter.meeting_on = matter.decided_on = matter.copy_sent_on = OLD.date()
    keep = {sid: None for sid in (held, recent, still_open)}
    with demo.sessions() as s:
        for sid in keep:
            keep[sid] = _footprint(s, sid)
        before = _footprint(s, expired_known)
        assert all(n > 0 for n in before.values()), before

    code, output = run_cli("purge")
    assert code == 0, output
    assert "No retention period is set" in output
    with demo.sessions() as s, s.begin():
        set_retention_years(s, demo_org_id(s), 3, user(s, "admin"))

    code, output = run_cli("purge", "--dry-run")
    assert code == 0, output
    assert "Would shred 2 case(s)" in output and expired in output
    assert f"Kept {held}: a protection matter is still open" in output
    with demo.sessions() as s:
        assert _footprint(s, expired)["envelopes"] > 0

    code, output = run_cli("purge")
    assert code == 0, output
    assert "Shredded 2 case(s)" in output and expired_known in output
    with demo.sessions() as s:
        for sid in (expired, expired_known):
            assert set(_footprint(s, sid).values()) == {0}
            assert s.get(Submission, sid) is None
        for sid, before in keep.items():
            assert _footprint(s, sid) == before
        # No mailbox, protection or file without its owner is left anywhere.
        assert s.scalar(select(func.count()).select_from(Mailbox)) == 3
        assert s.scalar(select(func.count()).select_from(Protection)) == 1
        assert s.scalar(select(func.count()).select_from(ProtectionMatter)) == 1
        live = set(s.scalars(select(Envelope.id)))
        assert not set(s.scalars(select(Grant.envelope_id))) - live
        assert not set(s.scalars(select(FileChunk.envelope_id))) - live
        purges = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "case.purge").order_by(AuditEntry.id)
        ).all()
        assert [(p.target, p.actor) for p in purges] == [
            (expired, "adal purge"),
            (expired_known, "adal purge"),
        ]
        # Report, identity, 2 messages, 4 files (2 with the report, 1 per message), 2 protection.
        assert purges[1].details["envelopes"] == 10
        assert audit.verify(s).ok
    code, output = run_cli("audit", "verify")
    assert code == 0, output

    # Nothing left to do: a second run changes nothing.
    code, output = run_cli("purge")
    assert code == 0 and "Shredded 0 case(s)" in output


# Issue 15: a note is one of the case's envelopes and is shredded like a message; a link to a
# purged case disappears, the other case stays.
def test_purge_shreds_the_notes_and_links_of_a_case(demo: DemoInstance) -> None:
    expired = _case(demo, OLD, close=True)
    recent = _case(demo, RECENT, close=True)
    key = demo.staff_key("handler")
    now = datetime.now(UTC)
    with demo.sessions() as s, s.begin():
        handler = user(s, "handler")
        gone = notes.add_note(s, expired, key, handler, "заметка к удалению", now).envelope_id
        kept = notes.add_note(s, recent, key, handler, "заметка остаётся", now).envelope_id
        links.link_cases(s, expired, recent, key, handler, now)
        set_retention_years(s, demo_org_id(s), 3, user(s, "admin"))
    code, output = run_cli("purge")
    assert code == 0, output
    assert expired in output
    with demo.sessions() as s:
        assert s.get(Submission, expired) is None
        assert s.get(Envelope, gone) is None
        assert not s.scalar(
            select(func.count()).select_from(Grant).where(Grant.envelope_id == gone)
        )
        assert s.scalars(select(Note.envelope_id)).all() == [kept]
        assert s.scalar(select(func.count()).select_from(CaseLink)) == 0
        assert s.get(Envelope, kept) is not None
