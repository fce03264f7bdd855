"""Deadlines of Section 2 (the report) and Section 3 (protection), and their states.

Two granularities:

* hour deadlines carry ``due`` (an aware instant): the NDA's 24 hours (p7). They are calendar
  hours: weekends and holidays do not stop the clock.
* day deadlines carry ``due_date`` (a Kazakhstan date) and are met by anything done on or before
  that date, Kazakhstan time; they expire at the following local midnight.

``kind`` says how the period was counted ("calendar" or "working" days/hours); it is for display
and statistics, the arithmetic is already done when a :class:`Deadline` exists.

"Due soon" (amber in the back office): an hour deadline within its last 24 hours; a day deadline
from the last working day before it (``warn_from``), i.e. when it is due today or on the next
working day. Without a calendar ``warn_from`` falls back to the day before.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from rules.calendar import WorkCalendar
from rules.clock import local_date, require_aware, start_of_local_day, utcnow
from rules.workflow import (
    CaseFacts,
    Event,
    Step,
    detail_date,
    detail_datetime,
    nda_intended,
)

__all__ = [
    "Deadline",
    "DeadlineKind",
    "DeadlineState",
    "DeadlineStats",
    "Duty",
    "agency_notice_deadline",
    "case_deadlines",
    "case_duties",
    "case_protection_end",
    "commission_deadlines",
    "deadline_stats",
    "protection_end",
]

DeadlineKind = Literal["calendar", "working"]
DeadlineState = Literal["met", "due", "due_soon", "overdue", "met_late"]

NDA_HOURS = timedelta(hours=24)  # p7, order No 153 p4: "не позднее двадцати четырех часов"
CONFIRMATION_WORKING_DAYS = 3  # p9
COMMISSION_WORKING_DAYS = 3  # p18 and p19
AGENCY_NOTICE_DAYS = 30  # p20
PROTECTION_YEARS = 3  # Appendix 3 (1) and (7)
_SOON = timedelta(hours=24)


@dataclass(frozen=True)
class Deadline:
    key: str
    label: str
    kind: DeadlineKind
    due: datetime | None = None
    due_date: date | None = None
    met_at: datetime | None = None
    basis: str = ""
    warn_from: date | None = None
    # p20: the 30th calendar day, shown as the date to aim for when the term's legal last day
    # (``due_date``) moved past a day off; None when there is nothing to aim for but the due.
    aim_date: date | None = None

    @property
    def moved_by_day_off(self) -> bool:
        return self.aim_date is not None and self.aim_date != self.due_date

    def __post_init__(self) -> None:
        if (self.due is None) == (self.due_date is None):
            raise ValueError("a deadline has exactly one of due (instant) or due_date (day)")
        if self.due is not None:
            require_aware(self.due, "due")
        if self.met_at is not None:
            require_aware(self.met_at, "met_at")

    def is_late(self, moment: datetime) -> bool:
        """Whether something done at ``moment`` is past this deadline."""
        if self.due is not None:
            return moment > self.due
        assert self.due_date is not None  # guaranteed by __post_init__
        return local_date(moment) > self.due_date

    def state(self, now: datetime) -> DeadlineState:
        require_aware(now, "now")
        if self.met_at is not None:
            return "met_late" if self.is_late(self.met_at) else "met"
        if self.is_late(now):
            return "overdue"
        if self.due is not None:
            return "due_soon" if self.due - now <= _SOON else "due"
        assert self.due_date is not None
        warn_from = self.warn_from or self.due_date - timedelta(days=1)
        return "due_soon" if local_date(now) >= warn_from else "due"


def _day_deadline(
    key: str,
    label: str,
    kind: DeadlineKind,
    due_date: date,
    calendar: WorkCalendar,
    basis: str,
    met_at: datetime | None,
) -> Deadline:
    return Deadline(
        key=key,
        label=label,
        kind=kind,
        due_date=due_date,
        met_at=met_at,
        basis=basis,
        warn_from=calendar.previous_working_day(due_date),
    )


def _event(events: Sequence[Event], step: Step) -> Event | None:
    return next((e for e in events if e.kind == step), None)


def _met_at(
    events: Sequence[Event], step: Step, moment_detail: str | None = None
) -> datetime | None:
    """When ``step`` really happened: its outside-moment detail if recorded, else its entry."""
    event = _event(events, step)
    if event is None:
        return None
    if moment_detail and moment_detail in event.details:
        return detail_datetime(event.details, moment_detail)
    return event.at


def _nda_settled_at(events: Sequence[Event]) -> datetime | None:
    moments = [
        moment
        for moment in (
            _met_at(events, Step.NDA_SIGNED, "signed_at"),
            _met_at(events, Step.NDA_DECLINED, "declined_at"),
        )
        if moment is not None
    ]
    return min(moments, default=None)


def case_deadlines(
    facts: CaseFacts, events: Sequence[Event], calendar: WorkCalendar
) -> list[Deadline]:
    """The report's deadlines (Section 2), sorted by when they fall due.

    * ``kns_notification`` (p8, "незамедлительно"): due by the end of the day of receipt,
      Kazakhstan time, calendar day, never shifted. "Immediately" leaves no slack, and the 1424
      call centre takes calls around the clock, so a Saturday report is due on Saturday. We
      chose the end of the day rather than a fixed hour so that a same-day call is never shown
      as late, while a call left to the next morning always is.
    * ``nda`` (p7): 24 calendar hours from the report if the intention was on the report, or
      from when a later intention was recorded (the duty arises "при наличии его намерения").
      Not for anonymous reports (no counterpart to sign with). Settled by the signing or by the
      reporter declining (``nda_declined``), whichever came first: a decline after the 24
      hours leaves the deadline missed, because the duty stood unfulfilled until then.
    * p12 (explaining rights and obligations) is not here: the text sets no term for it, so it is
      a duty at receipt (:func:`case_duties`) with no missed/met verdict.
    * ``written_confirmation`` (p9, "не позднее трех рабочих дней"): the receipt date in
      Kazakhstan plus 3 working days, counting from the next day; met by the outgoing letter's
      date.
    """
    received = facts.received_at
    received_day = local_date(received)
    deadlines = [
        _day_deadline(
            "kns_notification",
            "Notify the Anti-Corruption Service via 1424",
            "calendar",
            received_day,
            calendar,
            "p8",
            _met_at(events, Step.KNS_NOTIFIED, "call_time"),
        )
    ]
    if nda_intended(facts, events):
        intention = _event(events, Step.NDA_INTENTION)
        start = intention.at if intention is not None and not facts.nda_intended else received
        deadlines.append(
            Deadline(
                key="nda",
                label="Sign the non-disclosure agreement",
                kind="calendar",
                due=start + NDA_HOURS,
                met_at=_nda_settled_at(events),
                basis="p7",
            )
        )
    confirmation = _event(events, Step.CONFIRMATION_SENT)
    letter_met: datetime | None = None
    if confirmation is not None:
        # The letter's date is what the recipient sees and what p9 is judged on.
        letter_met = (
            start_of_local_day(detail_date(confirmation.details, "outgoing_date"))
            if "outgoing_date" in confirmation.details
            else confirmation.at
        )
    deadlines.append(
        _day_deadline(
            "written_confirmation",
            "Send written confirmation to the Anti-Corruption Service",
            "working",
            calendar.add_working_days(received_day, CONFIRMATION_WORKING_DAYS),
            calendar,
            "p9",
            letter_met,
        )
    )
    return sorted(deadlines, key=_sort_key)


@dataclass(frozen=True)
class Duty:
    """A duty the recommendations set without a term: shown as to do or done, never judged."""

    key: str
    label: str
    basis: str
    done_at: datetime | None = None


def case_duties(facts: CaseFacts, events: Sequence[Event]) -> list[Duty]:
    """The report's duties without a deadline in the text.

    * ``rights_explained`` (p12): the head or the person who received the report explains the
      reporter's rights and obligations (Appendix 3); not for anonymous reports. p12 gives no
      term, and we do not invent one: it belongs to the receipt of the report, so it is shown
      as a duty at receipt, done or not yet, and never counted as missed.
    """
    if facts.anonymous:
        return []
    return [
        Duty(
            "rights_explained",
            "Explain rights and obligations to the reporter",
            "p12",
            _met_at(events, Step.RIGHTS_EXPLAINED),
        )
    ]


def _sort_key(deadline: Deadline) -> datetime:
    if deadline.due is not None:
        return deadline.due
    assert deadline.due_date is not None
    # A day deadline is "at" the end of its day for ordering against hour deadlines.
    return start_of_local_day(deadline.due_date + timedelta(days=1))


def protection_end(report_date: date) -> date:
    """Last day of the 3-year protection (Appendix 3 (1) and (7)).

    "В течение трех лет с даты приема ... сообщения": the same calendar date three years later,
    or the last day of February when that date does not exist (a report on 2028-02-29 is
    protected until 2031-02-28, not 1 March, so we never claim a day the text does not give).
    The period is inclusive of the returned date.

    Appendix 3 counts from acceptance by the authorised body; see :func:`case_protection_end`.
    """
    year = report_date.year + PROTECTION_YEARS
    try:
        return report_date.replace(year=year)
    except ValueError:
        # Only 29 February can fail, and its "same date" falls back to 28 February.
        return date(year, 2, 28)


def case_protection_end(facts: CaseFacts, events: Sequence[Event]) -> date:
    """Protection end for a case: from the day the Anti-Corruption Service accepted the report
    (the 1424 call, Kazakhstan date), or from the receipt day while no call is recorded."""
    called = _met_at(events, Step.KNS_NOTIFIED, "call_time")
    return protection_end(local_date(called or facts.received_at))


def commission_deadlines(
    meeting_date: date,
    decided_on: date | None,
    calendar: WorkCalendar,
    *,
    materials_sent_at: datetime | None = None,
    copy_sent_at: datetime | None = None,
) -> list[Deadline]:
    """p18 and p19 for a conciliation commission or collegial body meeting.

    * ``commission_materials`` (p18): to the civil service agency not less than 3 working days
      before the meeting: :meth:`WorkCalendar.working_days_before` (meeting on Thursday →
      Monday).
    * ``commission_decision_copy`` (p19): "в течение трех рабочих дней со дня принятия решения"
      → decision day + 3 working days, counting from the next day. While ``decided_on`` is
      unknown we count from the meeting day, because the commission normally decides at the
      meeting; pass the real date once known.
    """
    decided = decided_on if decided_on is not None else meeting_date
    if decided < meeting_date:
        raise ValueError("a commission cannot decide before it meets")
    return [
        _day_deadline(
            "commission_materials",
            "Send materials to the authorised body for civil service affairs",
            "working",
            calendar.working_days_before(meeting_date, COMMISSION_WORKING_DAYS),
            calendar,
            "p18",
            materials_sent_at,
        ),
        _day_deadline(
            "commission_decision_copy",
            "Send a copy of the decision or minutes to the authorised body for civil service "
            "affairs",
            "working",
            calendar.add_working_days(decided, COMMISSION_WORKING_DAYS),
            calendar,
            "p19",
            copy_sent_at,
        ),
    ]


def agency_notice_deadline(
    appeal_date: date,
    *,
    calendar: WorkCalendar | None = None,
    met_at: datetime | None = None,
) -> Deadline:
    """p20: after the agency's notice, NDA, commission meeting and decision within 30 calendar
    days from the day the employee's appeal reached the authorised body for civil service
    affairs.

    Counted from the next day (appeal on 10 April → 10 May). That 30th calendar day is the date
    to aim for (``aim_date``). When it is a day off, the term legally ends on the next working
    day (``due_date``): the general rule of Kazakh law for periods moves a last day that falls
    on a non-working day to the next working day, and "не превышающий тридцати календарных
    дней" sets the length of the term, not an exception to that rule. So the deadline is
    overdue only after the legal last day, and the page shows both dates. Example: appeal on
    Friday 10 April 2026 → 30th day Sunday 10 May, Monday 11 May is the day off for Victory
    Day → the term ends on Tuesday 12 May 2026. The 30 days bind the meeting and the decision;
    the NDA has to come before the commission handles the case, so it shares the dates.
    """
    work = calendar if calendar is not None else WorkCalendar()
    aim = appeal_date + timedelta(days=AGENCY_NOTICE_DAYS)
    legal_end = aim if work.is_working_day(aim) else work.next_working_day(aim)
    return Deadline(
        key="agency_notice",
        label="Sign the NDA and hold the commission after the agency's notice",
        kind="calendar",
        due_date=legal_end,
        met_at=met_at,
        basis="p20",
        # Warn ahead of the date to aim for, not of the legal end: the head should aim for it.
        warn_from=work.previous_working_day(aim),
        aim_date=aim,
    )


@dataclass(frozen=True)
class DeadlineStats:
    met: int = 0
    met_late: int = 0
    overdue: int = 0
    open: int = 0

    @property
    def missed(self) -> int:
        """Late either way: done late, or not done and past due."""
        return self.met_late + self.overdue

    @property
    def total(self) -> int:
        return self.met + self.met_late + self.overdue + self.open


def deadline_stats(deadlines: Iterable[Deadline], now: datetime | None = None) -> DeadlineStats:
    """Counts for the statistics page. ``open`` = not done and not yet late."""
    moment = now if now is not None else utcnow()
    counts = {"met": 0, "met_late": 0, "overdue": 0, "open": 0}
    for deadline in deadlines:
        state = deadline.state(moment)
        counts["open" if state in ("due", "due_soon") else state] += 1
    return DeadlineStats(**counts)
