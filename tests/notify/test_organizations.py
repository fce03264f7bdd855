"""Notices stay inside the event's organization (issue 13): a report of one organization is
news to its holders and heads only, and the mail names the receiver's organization in the
receiver's mail language."""

from __future__ import annotations

from datetime import timedelta

from cases import notices
from rules.clock import utcnow
from store.models import User
from tests.support.instance import DemoInstance
from tests.support.mailcatcher import SmtpServer, by_address, run_pass
from tests.support.orgs import make_org, register_report


def test_a_report_is_news_to_its_own_organization_only(demo: DemoInstance) -> None:
    alpha, beta = make_org(demo, "alpha", "alpha"), make_org(demo, "beta", "beta")
    register_report(demo, beta, "Beta's report")
    now = utcnow()
    with demo.sessions() as s:
        owed = notices.events(s, now)
    told = {user_id for event in owed for user_id in event.user_ids}
    beta_staff = {beta.accounts[r].user_id for r in ("handler", "head")}
    assert beta_staff <= told
    assert not told & {a.user_id for a in alpha.accounts.values()}
    # Days on, the overdue deadlines go to beta's holders and heads alone.
    with demo.sessions() as s:
        later = notices.events(s, now + timedelta(days=5))
    overdue = [e.user_ids for e in later if e.kind == "deadline_overdue"]
    assert overdue
    for users in overdue:
        assert beta.accounts["head"].user_id in users and users <= beta_staff


def test_the_mail_names_the_receivers_organization(demo: DemoInstance, smtp: SmtpServer) -> None:
    beta = make_org(demo, "beta", "beta")
    with demo.sessions() as s, s.begin():
        user = s.get_one(User, beta.accounts["handler"].user_id)
        user.email, user.email_confirmed, user.mail_language = "beta-h@example.kz", True, "ru"
    register_report(demo, beta, "Beta's report")
    result = run_pass(demo, smtp.port, utcnow(), ADAL_NOTIFY_WINDOW_MINUTES="0")
    assert result is not None and result.sent >= 1
    mails = by_address(smtp.recorder.taken())["beta-h@example.kz"]
    assert len(mails) == 1
    assert "beta организация" in mails[0].body
