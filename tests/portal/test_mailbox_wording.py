"""The mailbox reads naturally in each language: dates, who wrote what, follow-ups."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from babel.dates import format_date
from flask.testing import FlaskClient
from sqlalchemy import select

from rules.clock import local_date, utcnow
from store import payloads
from store.models import Mailbox, Message, Submission
from store.recipients import holders
from store.sealing import seal
from tests.support.instance import DemoInstance
from tests.support.portal import csrf_token, login, post_report, receipt_code, report_fields

# The long date is a label's value, never inside a sentence: Kazakh needs no case ending for
# it, and the Russian date's own "г." is not followed by a sentence's full stop.
RECEIVED = {
    "kk": "Хабарлама қабылданған күн: {}",
    "ru": "Дата получения сообщения: {}",
    "en": "Date your report was received: {}",
}
FILES = {
    "kk": "Хабарламаңызбен бірге 1 файл қабылданды.",
    "ru": "С вашим сообщением получен 1 файл.",
    "en": "1 file was received with your report.",
}
# What the reporter sends from the mailbox is a follow-up, never a bare "message": in Russian and
# Kazakh "сообщение"/"хабарлама" is the report itself.
SENT = {
    "kk": "Толықтыруыңыз жіберілді.",
    "ru": "Ваше дополнение отправлено.",
    "en": "Your follow-up was sent.",
}
THREAD = {
    "kk": ("Уәкілетті адамның хаты · {}", "Сіздің толықтыруыңыз · {}"),
    "ru": ("От уполномоченного лица · {}", "Ваше дополнение · {}"),
    "en": ("From the authorised person · {}", "Your follow-up · {}"),
}


def _handler_writes(demo: DemoInstance, text: str) -> None:
    with demo.sessions() as s:
        submission = s.execute(select(Submission)).scalar_one()
        mailbox = s.get(Mailbox, submission.mailbox_id)
        keys = [*holders(s, submission.report_envelope_id), mailbox.public_key]
        body = payloads.encode(
            payloads.MESSAGE_FORMAT,
            {"sent_at": payloads.utc_timestamp(datetime.now(UTC)), "text": text},
        )
        env = seal(s, "message", body, keys, local_date(utcnow()))
        s.add(
            Message(
                submission_id=submission.id,
                direction="to_reporter",
                envelope_id=env.id,
                created_on=local_date(utcnow()),
            )
        )
        s.commit()


@pytest.mark.parametrize("lang", list(RECEIVED))
def test_mailbox_dates_and_authors(client: FlaskClient, demo: DemoInstance, lang: str) -> None:
    client.get(f"/lang/{lang}")
    response = post_report(
        client, report_fields(client), [(b"x" * 71, "qosymsha.txt", "text/plain")]
    )
    assert login(client, receipt_code(response.get_data(as_text=True))).status_code == 303
    _handler_writes(demo, "Когда это было?")
    page = client.get("/mailbox").get_data(as_text=True)
    reply = client.post(
        "/mailbox/reply",
        data={"csrf_token": csrf_token(page), "text": "12 марта."},
        content_type="multipart/form-data",
    )
    assert reply.status_code == 303
    page = client.get("/mailbox").get_data(as_text=True)
    today = format_date(local_date(utcnow()), "long", locale=lang)
    assert RECEIVED[lang].format(today) in page and FILES[lang] in page
    theirs, mine = THREAD[lang]
    assert theirs.format(today) in page and mine.format(today) in page
    assert "г.." not in page
    assert SENT[lang] in page
