"""`adal notify`: mail staff what waits for them in the back office (cases.notices).

``--once`` makes one pass, for deploy/systemd/adal-notify.timer; ``--loop`` makes a pass at the
start of every batching window until stopped. Notices are batched: a pass sends each user at
most one mail, and a pass whose window already had a successful pass sends nothing, so mails go
out once per window (ADAL_NOTIFY_WINDOW_MINUTES, default 15) and their time does not give away
the time of a report. A failed mail is not marked sent: the next window's pass sends it, and
``--once`` exits non-zero with the server's answer.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

import click
from sqlalchemy import select

from adal_cli.context import Context, load_context
from cases import lists, notices
from handler import notice_mail
from handler.config import HandlerConfig
from mail import smtp
from rules.clock import local_date, utcnow
from rules.errors import AdalError
from store.models import Organization, User

# The timer fires at each window's start give or take this; passes closer than a window less
# this are refused (see _too_soon).
JITTER = timedelta(minutes=1)


@dataclass(frozen=True)
class Recipient:
    user_id: int
    address: str
    language: str
    counts: Counter[str]
    organization: str  # the name of the receiver's organization, in their mail language
    org_id: int | None


def organization_name(org: Organization | None, language: str) -> str:
    """The organization's name in a mail language (kk, ru or en; Kazakh otherwise)."""
    return org.name(language) if org is not None else ""


def window_of(now: datetime, minutes: int) -> int:
    """The batching window a moment falls in (0 minutes: every pass is its own window)."""
    return int(now.timestamp() // (minutes * 60)) if minutes else -1


def _too_soon(ctx: Context, now: datetime, window: int, minutes: int) -> bool:
    """Whether this pass must wait: its window had its pass, or the last pass that mailed was
    less than a window ago (less a minute for the timer's jitter). Without the second rule a
    pass at 10:29 and one at 10:30, each in its own window, would date a report to a minute."""
    if window < 0:
        return False
    with ctx.sessions() as session:
        if notices.window_spent(session, window):
            return True
        last = notices.last_spent(session)
    return last is not None and now - last < timedelta(minutes=minutes) - JITTER


def one_pass(ctx: Context, config: HandlerConfig, now: datetime) -> notices.Pass | None:
    """One pass at `now`: None when this window already had its successful pass."""
    assert config.smtp is not None
    window = window_of(now, config.notify_window_minutes)
    if _too_soon(ctx, now, window, config.notify_window_minutes):
        return None
    started = time.monotonic()
    with ctx.sessions() as session:
        # The portal's new reports get their list rows (and so their p8 and p9 deadlines).
        lists.catch_up_committed(session)
    with ctx.sessions() as session, session.begin():
        token, claimed = notices.claim(
            session, ctx.instance.secret_key, notices.events(session, now), now
        )
        users = session.scalars(select(User).where(User.id.in_(list(claimed)))).all()
        recipients = [
            Recipient(
                u.id,
                u.email or "",
                u.mail_language,
                claimed[u.id],
                organization_name(session.get(Organization, u.org_id), u.mail_language)
                if u.org_id is not None
                else "",
                u.org_id,
            )
            for u in users
        ]
    result = notices.Pass()
    pending = list(recipients)
    if not pending:
        with ctx.sessions() as session, session.begin():
            notices.record_pass(session, result, now)
            notices.spend_window(session, window, now)
        return result
    try:
        with smtp.connect(config.smtp) as connection:
            while pending:
                recipient = pending.pop(0)
                # Still ours? A pass slower than the lease has lost its claims to the next
                # worker, which sends them; sending here as well would be a second mail.
                with ctx.sessions() as session, session.begin():
                    elapsed = timedelta(seconds=time.monotonic() - started)
                    if not notices.renew(session, token, recipient.user_id, now + elapsed):
                        continue
                subject, body = notice_mail.notice(
                    recipient.language,
                    recipient.organization,
                    recipient.counts,
                    config.backoffice_url,
                )
                try:
                    connection.send(smtp.Mail(recipient.address, subject, body))
                except AdalError as exc:
                    _release(ctx, token, recipient, result, exc)
                    continue
                with ctx.sessions() as session, session.begin():
                    notices.mark_sent(session, token, recipient.user_id, local_date(now))
                result.count(recipient.org_id, sent=True)
                result.notices += sum(recipient.counts.values())
    except AdalError as exc:  # the server could not be reached or refused the login
        for recipient in pending:
            _release(ctx, token, recipient, result, exc)
    with ctx.sessions() as session, session.begin():
        notices.record_pass(session, result, now)
        # The window is spent once anyone was mailed (or nobody was owed anything): a person
        # whose mail failed gets it in the next window, not in a rerun minutes later, which
        # would date the report. Only a pass that could send nothing at all may be rerun.
        if result.sent or not result.failed:
            notices.spend_window(session, window, now)
    return result


def _release(
    ctx: Context, token: str, recipient: Recipient, result: notices.Pass, exc: AdalError
) -> None:
    with ctx.sessions() as session, session.begin():
        notices.release(session, token, recipient.user_id)
    result.count(recipient.org_id, sent=False, error=exc.message)


def _config() -> HandlerConfig:
    try:
        config = HandlerConfig.from_env()
    except AdalError as exc:
        raise click.ClickException(exc.message) from None
    if config.smtp is None:
        raise click.ClickException(
            "ADAL_SMTP_HOST is not set: there is no mail server to send notices through "
            "(see deploy/env/handler.env.example)."
        )
    if not config.backoffice_url:
        raise click.ClickException(
            "ADAL_BACKOFFICE_URL is not set: a notice must say where to sign in."
        )
    return config


def _report(result: notices.Pass | None) -> None:
    if result is None:
        click.echo("This window has had its pass already; nothing sent.")
        return
    click.echo(f"Sent {result.sent} mail(s) with {result.notices} notice(s).")
    if result.failed:
        click.echo(
            f"{result.failed} mail(s) not sent, kept for the next pass: {result.error}",
            err=True,
        )


def _sleep_to_next_window(minutes: int) -> None:
    now = utcnow()
    step = max(minutes, 1) * 60
    time.sleep(step - now.timestamp() % step + 1)


@click.command("notify")
@click.option("--once", "mode", flag_value="once", help="One pass, then exit (for a timer).")
@click.option("--loop", "mode", flag_value="loop", help="A pass in every batching window.")
def notify_command(mode: str | None) -> None:
    """Mail staff their notices: new reports, follow-ups, deadlines, unopened reports, ending
    protection periods. Never content, names, times or case ids."""
    if mode is None:
        raise click.UsageError("give --once (one pass, for a systemd timer) or --loop")
    ctx = load_context()
    config = _config()
    if config.notify_window_minutes == 0:
        click.echo(
            "ADAL_NOTIFY_WINDOW_MINUTES is 0: every pass mails at once, so a mail's time can "
            "date a report. Use it for a demo or a test only.",
            err=True,
        )
    if mode == "once":
        result = one_pass(ctx, config, utcnow())
        _report(result)
        if result is not None and result.failed:
            sys.exit(1)
        return
    while True:
        try:
            _report(one_pass(ctx, config, utcnow()))
        except Exception as exc:
            # The loop outlives a database restart or a network fault. It names what failed
            # and goes on; --once, run by the timer, lets the error through instead.
            click.echo(f"The pass failed ({type(exc).__name__}); retrying next window.", err=True)
        _sleep_to_next_window(config.notify_window_minutes)
