"""Time handling: everything is stored in UTC and shown in Kazakhstan time.

Kazakhstan has had one time zone, UTC+5, since 1 March 2024. Before that Almaty was UTC+6, so a
system zone database older than early 2024 silently shifts every "end of the day" deadline by an
hour. That is why the zone is loaded from the ``tzdata`` package (a declared, pinned dependency)
rather than from whatever ``/usr/share/zoneinfo`` the server happens to carry.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from zoneinfo import ZoneInfo

__all__ = [
    "KZ_TZ",
    "end_of_local_day",
    "local_date",
    "require_aware",
    "start_of_local_day",
    "to_local",
    "utcnow",
]


def _load_kz_tz() -> ZoneInfo:
    # ZoneInfo("Asia/Almaty") would prefer the OS database; read the packaged file instead so the
    # deployed tzdata version is the one the deadlines were tested against. Caveat: zones built
    # with from_file cannot be pickled, which is fine because we only ever persist UTC values.
    source = resources.files("tzdata.zoneinfo").joinpath("Asia", "Almaty")
    with source.open("rb") as handle:
        return ZoneInfo.from_file(handle, key="Asia/Almaty")


KZ_TZ: ZoneInfo = _load_kz_tz()


def require_aware(dt: datetime, what: str = "datetime") -> datetime:
    """Return ``dt`` unchanged, refusing naive values.

    A naive datetime is ambiguous (server-local? UTC? Kazakhstan?) and is exactly how deadlines
    drift by hours, so every public function refuses one instead of guessing.
    """
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {dt.isoformat()}")
    return dt


def utcnow() -> datetime:
    """The current instant as an aware UTC datetime."""
    return datetime.now(UTC)


def to_local(dt: datetime) -> datetime:
    """``dt`` converted to Kazakhstan time (for display and for day boundaries)."""
    return require_aware(dt).astimezone(KZ_TZ)


def local_date(dt: datetime) -> date:
    """The calendar date in Kazakhstan on which the instant ``dt`` falls.

    Day-based deadlines count from this date: a report at 23:30 UTC on the 19th arrived on the
    20th in Kazakhstan, and that is the day the head's office experienced.
    """
    return to_local(dt).date()


def start_of_local_day(d: date) -> datetime:
    """The UTC instant at which Kazakhstan date ``d`` begins."""
    return datetime.combine(d, time.min, tzinfo=KZ_TZ).astimezone(UTC)


def end_of_local_day(d: date) -> datetime:
    """The UTC instant at which Kazakhstan date ``d`` ends (exclusive: the next local midnight).

    Exclusive ends avoid the 23:59:59.999999 trick and its off-by-a-microsecond comparisons.
    """
    return start_of_local_day(d + timedelta(days=1))
