"""Clock: UTC storage, Kazakhstan (UTC+5 since 1 March 2024) display and day boundaries."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from rules.clock import (
    KZ_TZ,
    end_of_local_day,
    local_date,
    start_of_local_day,
    to_local,
    utcnow,
)


def test_utcnow_is_aware_utc() -> None:
    now = utcnow()
    assert now.utcoffset() == timedelta(0)


def test_zone_data_knows_the_2024_change() -> None:
    # An outdated zone database still says UTC+6; deadlines would then shift by an hour.
    assert datetime(2024, 2, 28, 12, tzinfo=KZ_TZ).utcoffset() == timedelta(hours=6)
    assert datetime(2024, 3, 1, 12, tzinfo=KZ_TZ).utcoffset() == timedelta(hours=5)
    assert datetime(2026, 3, 20, 12, tzinfo=KZ_TZ).utcoffset() == timedelta(hours=5)


def test_to_local_and_local_date_cross_midnight() -> None:
    late_utc = datetime(2026, 3, 19, 19, 30, tzinfo=UTC)  # 00:30 on the 20th in Kazakhstan
    assert to_local(late_utc).hour == 0
    assert local_date(late_utc) == date(2026, 3, 20)
    assert local_date(datetime(2026, 3, 19, 18, 59, tzinfo=UTC)) == date(2026, 3, 19)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        to_local(datetime(2026, 3, 20, 12))  # naive on purpose


def test_other_offsets_are_converted() -> None:
    moscow = timezone(timedelta(hours=3))
    assert local_date(datetime(2026, 3, 20, 22, 0, tzinfo=moscow)) == date(2026, 3, 21)


def test_local_day_bounds() -> None:
    assert start_of_local_day(date(2026, 3, 20)) == datetime(2026, 3, 19, 19, tzinfo=UTC)
    assert end_of_local_day(date(2026, 3, 20)) == datetime(2026, 3, 20, 19, tzinfo=UTC)
