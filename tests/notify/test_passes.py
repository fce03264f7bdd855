"""What a pass sends, through a real SMTP server: one mail per holder for a new report (made by
the portal's own form, with an identity and files) and for a follow-up, nothing in a second
pass, a deadline due tomorrow, an unopened report to the heads after its day; nobody who turned
a kind off or has no confirmed address. Every mail is checked for the reports' markers by
`mail_guard` (conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from portal import create_app as create_portal
from rules.clock import KZ_TZ, utcnow
from store.models import Submission, User
from tests.support.backoffice import reporter_follows_up
from tests.support.instance import DemoInstance
from tests.support.mailcatcher import (
    Markers,
    SmtpServer,
    addresses,
    by_address,
    ledger,
    run_pass,
)
from tests.support.portal import make_config, post_report, receipt_code, report_fields

NEW = "New reports: 1"
FOLLOW_UP = "New messages from reporters: 1"
UNOPENED = "Reports still unopened after their day of receipt: 1"
TODAY = "Deadlines due today: 1"
TOMORROW = "Deadlines due tomorrow: 1"
MISSED = "Deadlines missed: 1"
# A Monday; the written confirmation (p9) of a report received on it is due Thursday the 10th.
MONDAY = date(2026, 12, 7)


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=KZ_TZ)


def lines(body: str) -> list[str]:
    return [line[2:] for line in body.splitlines() if line.startswith("- ")]


def received_on(demo: DemoInstance, submission_id: str, day: date) -> None:
    with demo.sessions() as s, s.begin():
        submission = s.get(Submission, submission_id)
        assert submission is not None
        submission.received_on = day


@pytest.fixture
def reporter(demo: DemoInstance) -> Iterator[FlaskClient]:
    portal = create_portal(demo.instance, make_config())
    portal.config["TESTING"] = True
    yield portal.test_client()
    portal.extensions["adal.engine"].dispose()


def test_a_report_from_the_form_makes_one_mail_per_holder_and_a_second_pass_none(
    demo: DemoInstance, smtp: SmtpServer, mail_guard: Markers, reporter: FlaskClient
) -> None:
    to = addresses(demo)  # every demo user, admin and auditor too, has a confirmed address
    fields = {
        "facts": "Начальник склада Сапаров берёт откаты с поставщиков угля.",
        "persons": "Сапаров Ерлан",
        "subject": "откат 5 процентов",
        "position": "начальник склада",
        "unit": "склад № 3",
        "when": "ноябрь 2026",
        "where": "Караганда",
        "full_name": "Гульнара Сейтказиева",
        "own_position": "кладовщица",
        "own_unit": "складской участок",
        "consent": "y",
    }
    files = [(b"%PDF-1.4 invoice", "nakladnaya-ugol-17.pdf", "application/pdf")]
    before = datetime.now().astimezone()
    response = post_report(reporter, report_fields(reporter, **fields), files)
    after = datetime.now().astimezone()
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    code = receipt_code(response.get_data(as_text=True))
    with demo.sessions() as s:
        (sid,) = s.scalars(select(Submission.id))
    mail_guard.submitted(sid, before, after)
    mail_guard.always |= {v for k, v in fields.items() if k != "consent"}
    mail_guard.always |= {"nakladnaya-ugol-17.pdf", "nakladnaya", code, code.replace(" ", "")}
    mail_guard.always |= {"portal", "портал"}

    result = run_pass(demo, smtp.port, utcnow())
    assert result is not None and result.failed == 0 and result.sent == 2
    mails = by_address(smtp.recorder.taken())
    assert sorted(mails) == sorted([to["handler"], to["head"]])
    for address in mails:
        (mail,) = mails[address]
        assert mail.rcpt_tos == [address]
        assert NEW in lines(mail.body)
        assert "https://backoffice.example.kz" in mail.body
    assert all(row.sent_on is not None and row.claim is None for row in ledger(demo))

    assert run_pass(demo, smtp.port, utcnow()) is not None
    assert len(smtp.recorder.taken()) == 2


def test_a_follow_up_makes_one_mail_per_holder(
    demo: DemoInstance, smtp: SmtpServer, mail_guard: Markers
) -> None:
    to = addresses(demo, language="ru")  # the markers are Russian: so is this mail
    report = mail_guard.report(
        demo,
        identity={"full_name": "Жанар Әбенова", "position": "бухгалтер", "unit": "бухгалтерия"},
        files=[("akt-sverki.xlsx", "application/octet-stream", b"PK\x03\x04")],
    )
    run_pass(demo, smtp.port, utcnow())
    first = smtp.recorder.taken()
    assert len(first) == 2

    text = "Он снова потребовал деньги, вчера в 18:40 у проходной."
    mail_guard.always |= {text, "проходной", "dopolnenie-foto.jpg"}
    reporter_follows_up(
        demo, report, text, files=[("dopolnenie-foto.jpg", "image/jpeg", b"\xff\xd8jpeg")]
    )
    result = run_pass(demo, smtp.port, utcnow())
    assert result is not None and result.sent == 2
    new = by_address(smtp.recorder.taken()[2:])
    assert sorted(new) == sorted([to["handler"], to["head"]])
    for (mail,) in new.values():
        (line,) = lines(mail.body)
        assert line.endswith(": 1") and line != lines(first[0].body)[0]

    run_pass(demo, smtp.port, utcnow())
    assert len(smtp.recorder.taken()) == 4


def test_a_deadline_due_tomorrow_makes_one_mail_per_holder(
    demo: DemoInstance, smtp: SmtpServer, mail_guard: Markers
) -> None:
    to = addresses(demo)
    report = mail_guard.report(demo)
    received_on(demo, report.submission_id, MONDAY)
    run_pass(demo, smtp.port, at(MONDAY))  # the new report and p8, due today
    run_pass(demo, smtp.port, at(MONDAY + timedelta(days=1)))  # p8 missed, unopened
    seen = len(smtp.recorder.taken())

    # Wednesday: p9 (the written confirmation, 3 working days) is due on Thursday.
    result = run_pass(demo, smtp.port, at(MONDAY + timedelta(days=2)))
    assert result is not None and result.sent == 2 and result.notices == 2
    mails = by_address(smtp.recorder.taken()[seen:])
    assert sorted(mails) == sorted([to["handler"], to["head"]])
    for (mail,) in mails.values():
        assert lines(mail.body) == [TOMORROW]
    run_pass(demo, smtp.port, at(MONDAY + timedelta(days=2), hour=16))
    assert len(smtp.recorder.taken()) == seen + 2


def test_an_unopened_report_makes_one_mail_per_head_after_its_day(
    demo: DemoInstance, smtp: SmtpServer, mail_guard: Markers
) -> None:
    to = addresses(demo)
    report = mail_guard.report(demo)
    received_on(demo, report.submission_id, MONDAY)
    run_pass(demo, smtp.port, at(MONDAY, hour=9))
    run_pass(demo, smtp.port, at(MONDAY, hour=23))  # still its day: nothing more
    first = by_address(smtp.recorder.taken())
    assert {a: [lines(m.body) for m in ms] for a, ms in first.items()} == {
        to["handler"]: [[NEW, TODAY]],
        to["head"]: [[NEW, TODAY]],
    }

    run_pass(demo, smtp.port, at(MONDAY + timedelta(days=1), hour=8))
    second = by_address(smtp.recorder.taken()[2:])
    assert {a: [lines(m.body) for m in ms] for a, ms in second.items()} == {
        to["head"]: [[UNOPENED, MISSED]],  # heads learn of it, and of the missed p8
        to["handler"]: [[MISSED]],
    }
    run_pass(demo, smtp.port, at(MONDAY + timedelta(days=1), hour=12))
    assert len(smtp.recorder.taken()) == 4


def _user(demo: DemoInstance, role: str) -> str:
    return demo.credentials()[role]["username"]


def test_nobody_gets_a_kind_they_turned_off(
    demo: DemoInstance, smtp: SmtpServer, mail_guard: Markers
) -> None:
    to = addresses(demo)
    with demo.sessions() as s, s.begin():
        for role, off in (("handler", "new_report deadlines"), ("head", "deadlines")):
            user = s.scalars(select(User).where(User.username == _user(demo, role))).one()
            user.notices_off = off
    mail_guard.report(demo)
    run_pass(demo, smtp.port, utcnow())
    mails = by_address(smtp.recorder.taken())
    assert {a: [lines(m.body) for m in ms] for a, ms in mails.items()} == {to["head"]: [[NEW]]}
    assert {row.kind for row in ledger(demo)} == {"new_report"}


def test_nobody_without_a_confirmed_address_gets_mail(
    demo: DemoInstance, smtp: SmtpServer, mail_guard: Markers
) -> None:
    addresses(demo)
    with demo.sessions() as s, s.begin():
        handler = s.scalars(select(User).where(User.username == _user(demo, "handler"))).one()
        handler.email_confirmed = False  # an address typed in, its code never typed back
        handler.email_pending = handler.email
        head = s.scalars(select(User).where(User.username == _user(demo, "head"))).one()
        head.email = None
    mail_guard.report(demo)
    result = run_pass(demo, smtp.port, utcnow())
    assert result is not None and (result.sent, result.failed) == (0, 0)
    assert smtp.recorder.taken() == []
    assert ledger(demo) == []  # nothing recorded as sent for them
