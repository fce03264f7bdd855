"""When the SMTP server refuses (a wrong password, MAIL or DATA answered 5xx) or is down,
`adal notify --once` exits non-zero with the reason on stderr, marks nothing sent, and the next
pass, with the server fixed, sends it. Also: the batching window, and the SMTP password, which
appears in no output, no log, no file of the instance and no row of the database."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bench import loopback
from cases.notices import STATUS_KEY
from rules.clock import utcnow
from store.models import Base, NotifyState, User
from tests.support.instance import DemoInstance
from tests.support.mailcatcher import (
    SMTP_USER,
    Markers,
    SmtpServer,
    addresses,
    by_address,
    finish,
    ledger,
    run_pass,
    start_smtp,
    start_worker,
)

RIGHT = "Tv9-korrekt-parol-smtp-71c2"
WRONG = "Wq4-nevernyi-parol-smtp-55e8"


ZERO_WINDOW_WARNING = "ADAL_NOTIFY_WINDOW_MINUTES is 0: every pass mails at once"


def once(port: int, **extra: str) -> tuple[int, str, str]:
    """`adal notify --once`; stderr without the warning that a window of 0 (these tests')
    always gives."""
    code, out, err = finish(start_worker(port, **extra))
    if extra.get("ADAL_NOTIFY_WINDOW_MINUTES", "0") == "0":
        assert ZERO_WINDOW_WARNING in err
    err = "".join(line for line in err.splitlines(True) if ZERO_WINDOW_WARNING not in line)
    return code, out, err


def nothing_sent(demo: DemoInstance) -> None:
    """The failed mails' claims were released: nothing is marked sent, nothing held."""
    assert all(row.sent_on is None for row in ledger(demo))
    assert all(row.claim is None for row in ledger(demo))


def one_each(demo: DemoInstance, to: dict[str, str], server: SmtpServer) -> None:
    mails = by_address(server.recorder.taken())
    assert sorted(mails) == sorted([to["handler"], to["head"]])
    assert all(len(m) == 1 for m in mails.values())
    assert ledger(demo) and all(row.sent_on is not None for row in ledger(demo))


def last_error(demo: DemoInstance) -> str:
    with demo.sessions() as s:
        row = s.get(NotifyState, STATUS_KEY)
        assert row is not None
        return str(row.value["last_error"])


def secret_file(tmp_path: Path, password: str) -> Path:
    path = tmp_path / "smtp-password"
    path.write_text(password + "\n")
    path.chmod(0o600)
    return path


def test_a_wrong_password_fails_the_pass_and_the_next_pass_sends(
    demo: DemoInstance, mail_guard: Markers, tmp_path: Path
) -> None:
    to = addresses(demo)
    mail_guard.report(demo)
    server = start_smtp(mail_guard, password=RIGHT)
    try:
        login = {"ADAL_SMTP_USER": SMTP_USER}
        password = secret_file(tmp_path, WRONG)
        code, out, err = once(server.port, ADAL_SMTP_PASSWORD_FILE=str(password), **login)
        assert code != 0
        assert "2 mail(s) not sent, kept for the next pass" in err
        assert "the server refused the login" in err and "535" in err, err
        assert WRONG not in out + err and WRONG not in last_error(demo)
        assert server.recorder.taken() == []
        nothing_sent(demo)

        password.write_text(RIGHT + "\n")  # the admin fixes the password
        code, out, err = once(server.port, ADAL_SMTP_PASSWORD_FILE=str(password), **login)
        assert (code, err) == (0, ""), err
        assert out.startswith("Sent 2 mail(s)")
        one_each(demo, to, server)
        assert last_error(demo) == ""
    finally:
        server.stop()


@pytest.mark.parametrize("refused", ["MAIL", "DATA"])
def test_a_mail_the_server_refuses_is_kept_for_the_next_pass(
    demo: DemoInstance, smtp: SmtpServer, mail_guard: Markers, refused: str
) -> None:
    to = addresses(demo)
    mail_guard.report(demo)
    answer = "550 5.7.1 relaying denied for this sender"
    if refused == "MAIL":
        smtp.recorder.mail_answer = answer
    else:
        smtp.recorder.before_data = lambda: answer
    code, out, err = once(smtp.port)
    assert code != 0
    assert out.startswith("Sent 0 mail(s)")
    assert "2 mail(s) not sent, kept for the next pass" in err
    assert "the server did not take the mail" in err and "relaying denied" in err, err
    assert smtp.recorder.taken() == []
    nothing_sent(demo)

    smtp.recorder.mail_answer = smtp.recorder.before_data = None
    code, out, err = once(smtp.port)
    assert (code, err) == (0, ""), err
    one_each(demo, to, smtp)


def test_a_server_that_is_down_fails_the_pass_and_the_next_pass_sends(
    demo: DemoInstance, mail_guard: Markers
) -> None:
    to = addresses(demo)
    mail_guard.report(demo)
    port = loopback.free_port()  # nobody listens there
    code, out, err = once(port)
    assert code != 0
    assert f"cannot reach 127.0.0.1:{port}" in err and "refused" in err, err
    nothing_sent(demo)

    server = start_smtp(mail_guard, port=port)  # the server is back
    try:
        code, out, err = once(port)
        assert (code, err) == (0, ""), err
        assert out.startswith("Sent 2 mail(s)")
        one_each(demo, to, server)
    finally:
        server.stop()


def test_a_second_pass_in_the_same_window_sends_nothing(
    demo: DemoInstance, smtp: SmtpServer, mail_guard: Markers
) -> None:
    to = addresses(demo)
    mail_guard.report(demo)
    minutes = 15
    step = minutes * 60
    if step - time.time() % step < 10:  # so close to the window's end that both may not fit
        time.sleep(step - time.time() % step + 0.5)
    window = {"ADAL_NOTIFY_WINDOW_MINUTES": str(minutes)}
    code, out, _ = once(smtp.port, **window)
    assert code == 0 and out.startswith("Sent 2 mail(s)")
    mail_guard.report(demo, facts="Ещё одна жалоба, пришла в том же окне.")
    code, out, err = once(smtp.port, **window)
    assert (code, err) == (0, "")
    assert out == "This window has had its pass already; nothing sent.\n"
    assert len(smtp.recorder.taken()) == 2

    # The next window's pass sends the second report (here in-process, 15 minutes on).
    result = run_pass(demo, smtp.port, utcnow() + timedelta(minutes=minutes), **window)
    assert result is not None and result.sent == 2
    assert sorted(by_address(smtp.recorder.taken()[2:])) == sorted([to["handler"], to["head"]])


def _database_dump(demo: DemoInstance) -> str:
    """Every value of every row of every table, as text."""
    parts = []
    with demo.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(select(table)):
                for value in row:
                    if isinstance(value, bytes | bytearray | memoryview):
                        parts.append(bytes(value).decode("latin-1"))
                    else:
                        parts.append(str(value))
    return "\n".join(parts)


def test_the_smtp_password_is_in_no_output_log_or_database(
    demo: DemoInstance, mail_guard: Markers, tmp_path: Path
) -> None:
    addresses(demo)
    mail_guard.report(demo)
    mail_guard.always |= {RIGHT, WRONG}
    secrets_dir = tmp_path / "secrets"
    secrets_dir.mkdir()
    password = secret_file(secrets_dir, WRONG)
    login = {"ADAL_SMTP_USER": SMTP_USER, "ADAL_SMTP_PASSWORD_FILE": str(password)}
    server = start_smtp(mail_guard, password=RIGHT)
    outputs = []
    try:
        outputs.append(once(server.port, **login))  # refused: the error path
        password.write_text(RIGHT)
        outputs.append(once(server.port, **login))  # accepted
        mail_guard.report(demo)
        password.write_text(WRONG)
        outputs.append(once(server.port, **login))
    finally:
        server.stop()
    outputs.append(once(server.port, **login))  # the server is gone
    assert [code for code, _, _ in outputs] == [1, 0, 1, 1], outputs
    assert len(server.recorder.taken()) == 2
    text = repr(outputs)
    for secret in (RIGHT, WRONG):
        assert secret not in text
        assert secret not in _database_dump(demo)
        for path in tmp_path.rglob("*"):  # the instance folder, its logs and SQLite files
            if path.is_file() and path != password:
                assert secret.encode() not in path.read_bytes(), path


def test_one_refused_address_holds_back_nobody_else_and_keeps_the_window(
    demo: DemoInstance, smtp: SmtpServer, mail_guard: Markers
) -> None:
    """A mailbox the server keeps refusing: the others are mailed, the window is spent all the
    same (a rerun minutes later would date the report), the refused notices stay owed and go
    out in the next window, and no error text names the address."""
    to = addresses(demo, ("handler", "head"))
    mail_guard.report(demo, facts="Бухгалтер просил откат за подписание акта.")
    smtp.recorder.refused = {to["head"]}
    window = timedelta(minutes=15)
    start = utcnow() - timedelta(seconds=utcnow().timestamp() % window.total_seconds())
    first = run_pass(demo, smtp.port, start + timedelta(minutes=1), ADAL_NOTIFY_WINDOW_MINUTES="15")
    assert first is not None and (first.sent, first.failed) == (1, 1)
    assert first.error == "the server refused the recipient"
    assert sorted(by_address(smtp.recorder.taken())) == [to["handler"]]
    # A rerun in the same window sends nothing, even to the refused head.
    smtp.recorder.refused = set()
    assert (
        run_pass(demo, smtp.port, start + timedelta(minutes=9), ADAL_NOTIFY_WINDOW_MINUTES="15")
        is None
    )
    owed = [n for n in ledger(demo) if n.sent_on is None]
    assert owed and all(n.claim is None for n in owed)
    with demo.sessions() as s:
        status = s.get(NotifyState, STATUS_KEY)
        assert status is not None and to["head"] not in str(status.value)
    # The next window: the head's mail goes out, once.
    later = run_pass(
        demo, smtp.port, start + window + timedelta(minutes=1), ADAL_NOTIFY_WINDOW_MINUTES="15"
    )
    assert later is not None and (later.sent, later.failed) == (1, 0)
    got = by_address(smtp.recorder.taken())
    assert sorted(got) == sorted(to.values()) and all(len(m) == 1 for m in got.values())
    assert all(n.sent_on is not None for n in ledger(demo))


def test_an_owed_notice_is_dropped_once_its_person_turns_that_kind_off(
    demo: DemoInstance, smtp: SmtpServer, mail_guard: Markers
) -> None:
    to = addresses(demo, ("handler", "head"))
    mail_guard.report(demo, facts="Завхоз продал списанные компьютеры.")
    smtp.recorder.refused = {to["handler"]}
    first = run_pass(demo, smtp.port, utcnow())
    assert first is not None and first.failed == 1
    assert to["handler"] not in by_address(smtp.recorder.taken())
    assert ledger(demo)
    with demo.sessions() as s, s.begin():
        handler = s.scalars(
            select(User).where(User.username == demo.credentials()["handler"]["username"])
        ).one()
        handler.notices_off = "new_report deadlines"
    smtp.recorder.refused = set()
    assert run_pass(demo, smtp.port, utcnow()) is not None
    assert to["handler"] not in by_address(smtp.recorder.taken())
    assert [n for n in ledger(demo) if n.sent_on is None] == []
