"""Kazakhstan working-day calendar.

Public holidays come from the ``holidays`` package (``holidays.KZ``, observed days included).
Each year a government decree also moves days around (a Saturday becomes a working day so that a
Monday can join a holiday, and so on). The package has no such transfers from 2026 on, so an
admin enters them as :class:`CalendarOverrides`.

Counting rule used throughout (the general civil-law rule for periods: a period begins on the day
after the event that starts it): "within N working days of X" ends on the N-th working day after
X, X itself not counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays

__all__ = ["CalendarOverrides", "WorkCalendar", "public_holidays"]

_ONE_DAY = timedelta(days=1)
_SATURDAY = 5


@lru_cache(maxsize=64)
def public_holidays(year: int) -> frozenset[date]:
    """Non-working public holidays of ``year`` per ``holidays.KZ``, incl. observed days.

    Cached per year: building the holiday table is far slower than a set lookup, and deadline
    lists call ``is_working_day`` many times per page. The cache is process-wide because the data
    only changes with the package version.
    """
    return frozenset(holidays.KZ(years=year, observed=True).keys())


@dataclass(frozen=True)
class CalendarOverrides:
    """Days moved by government decree, as entered by an admin.

    ``extra_days_off``: dates that are not worked although the package says they are (e.g. a
    Monday bridged to a holiday). ``extra_working_days``: dates that are worked although they are
    a weekend (e.g. the transferred Saturday). A date cannot be both.
    """

    extra_days_off: frozenset[date] = frozenset()
    extra_working_days: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        clash = self.extra_days_off & self.extra_working_days
        if clash:
            listed = ", ".join(sorted(d.isoformat() for d in clash))
            raise ValueError(f"dates both off and working: {listed}")

    @classmethod
    def empty(cls) -> CalendarOverrides:
        return cls()


class WorkCalendar:
    """Working days = Mon–Fri, minus public holidays, minus extra days off, plus extra working
    days (an explicit admin entry wins over both the weekend and the package)."""

    def __init__(self, overrides: CalendarOverrides | None = None) -> None:
        self.overrides = overrides if overrides is not None else CalendarOverrides.empty()

    def __repr__(self) -> str:
        return f"WorkCalendar({self.overrides!r})"

    def is_working_day(self, d: date) -> bool:
        if d in self.overrides.extra_working_days:
            return True
        if d in self.overrides.extra_days_off:
            return False
        return d.weekday() < _SATURDAY and d not in public_holidays(d.year)

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        d += _ONE_DAY
        while not self.is_working_day(d):
            d += _ONE_DAY
        return d

    def previous_working_day(self, d: date) -> date:
        """The last working day strictly before ``d``."""
        d -= _ONE_DAY
        while not self.is_working_day(d):
            d -= _ONE_DAY
        return d

    def add_working_days(self, start: date, n: int) -> date:
        """The N-th working day after ``start`` (``start`` itself never counts).

        Example: a report on Friday 2026-03-20 with n=3 gives 2026-03-30, because 21–22 March are
        a weekend and 23–25 March are Nauryz and its carried-over days; 26, 27 and 30 March are
        the three working days. ``start`` need not be a working day: a report on a Sunday still
        counts from Monday.
        """
        _require_positive(n)
        day = start
        for _ in range(n):
            day = self.next_working_day(day)
        return day

    def working_days_before(self, d: date, n: int) -> date:
        """The latest date that is at least ``n`` working days before ``d`` (p18).

        p18: materials go to the agency "не менее чем за три рабочих дня до дня заседания". We
        read "за N рабочих дней до дня X" the way "за один день до X" is read in ordinary Russian
        and in the civil-law counting rule mirrored backwards: counting starts on the day before
        X (X itself never counts) and the N-th working day going back is the last permissible
        day; "не менее чем" makes any earlier day fine too. So for a meeting on Thursday
        2026-04-16, three working days before is Monday 2026-04-13 (Wed = 1, Tue = 2, Mon = 3),
        and materials sent on Monday leave the agency Monday, Tuesday and Wednesday to prepare.

        The stricter reading ("three whole working days must lie strictly between sending and the
        meeting", giving the previous Friday) would make "за один день до" mean two days before,
        so we do not adopt it. A head who wants a margin can simply send earlier.

        The result is always a working day: materials are dispatched by an office that works.
        """
        _require_positive(n)
        day = d
        for _ in range(n):
            day = self.previous_working_day(day)
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in the half-open range ``[start, end)``."""
        count = 0
        day = start
        while day < end:
            count += self.is_working_day(day)
            day += _ONE_DAY
        return count


def _require_positive(n: int) -> None:
    # n=0 has no sensible meaning in the regulations ("within zero working days"), and accepting
    # it would break the "strictly after start" guarantee callers rely on.
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
