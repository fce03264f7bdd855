"""Rules a pass keeps so that mail cannot date a report, and so that a slow worker does not
double a notice (found by a review of issue 14): passes at least a window apart, a claim renewed
before each mail, and old sent notices forgotten."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from cases import notices
from rules.clock import utcnow
from store.models import Notice, User
from tests.support.instance import DemoInstance
from tests.support.mailcatcher import Markers, SmtpServer, addresses, by_address, run_pass

WINDOW = {"ADAL_NOTIFY_WINDOW_MINUTES": "15"}


def test_passes_in_neighbouring_windows_stay_a_window_apart(
    demo: DemoInstance, smtp: SmtpServer, mail_guard: Markers
) -> None:
    """A pass late in one window (a boot, a manual run) and the timer's pass at the next
    window's start would be a minute apart: a report named in the second arrived in that
    minute. The second waits for the window after."""
    to = addresses(demo, ("handler",))
    step = timedelta(minutes=15)
    start = utcnow() - timedelta(seconds=utcnow().timestamp() % step.total_seconds())
    late = start + timedelta(minutes=14)
    assert run_pass(demo, smtp.port, late, **WINDOW) is not None
    mail_guard.report(demo, facts="Заведующий складом вывез товар без накладной.")
    assert run_pass(demo, smtp.port, start + step + timedelta(seconds=30), **WINDOW) is None
    assert to["handler"] not in by_address(smtp.recorder.taken())
    # Fourteen minutes on (a window less the timer's jitter), in the next window: it goes.
    result = run_pass(demo, smtp.port, start + 2 * step, **WINDOW)
    assert result is not None and result.sent >= 1
    assert len(by_address(smtp.recorder.taken())[to["handler"]]) == 1


def test_a_pass_that_outlived_its_lease_does_not_mail_what_another_took_over(
    demo: DemoInstance, mail_guard: Markers
) -> None:
    """Worker A claims and stalls past the lease; worker B takes the notices over and mails
    them. A, before its own mail, finds them no longer its own and sends nothing."""
    addresses(demo, ("handler", "head"))
    mail_guard.report(demo, facts="Инспектор требовал деньги за положительное заключение.")
    now = utcnow()
    secret = demo.instance.secret_key
    with demo.sessions() as s, s.begin():
        token_a, claimed_a = notices.claim(s, secret, notices.events(s, now), now)
    assert claimed_a
    later = now + notices.LEASE + timedelta(minutes=1)
    with demo.sessions() as s, s.begin():
        token_b, claimed_b = notices.claim(s, secret, notices.events(s, later), later)
    assert set(claimed_b) == set(claimed_a)
    with demo.sessions() as s, s.begin():
        for user_id in claimed_a:
            assert not notices.renew(s, token_a, user_id, later)
            assert notices.renew(s, token_b, user_id, later)


def test_sent_notices_are_forgotten_after_sixty_days(demo: DemoInstance) -> None:
    today = date(2026, 12, 7)
    with demo.sessions() as s, s.begin():
        user = s.scalars(select(User).where(User.role == "handler")).first()
        assert user is not None
        for days, tag in ((61, b"o" * 32), (60, b"k" * 32), (1, b"n" * 32)):
            s.add(
                Notice(user_id=user.id, tag=tag, kind="new_report", sent_on=today - timedelta(days))
            )
        s.add(Notice(user_id=user.id, tag=b"w" * 32, kind="new_report"))  # still owed
    with demo.sessions() as s, s.begin():
        assert notices.prune(s, today) == 1
    with demo.sessions() as s:
        assert sorted(n.tag[:1] for n in s.scalars(select(Notice))) == [b"k", b"n", b"w"]
