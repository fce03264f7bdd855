"""The whole reporter path through the HTTP test client, checked with the staff's own keys."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from io import BytesIO

import pytest
from flask.testing import FlaskClient
from nacl.public import PrivateKey
from sqlalchemy import select

from crypto.errors import DecryptionError
from crypto.keys import parse_recovery_key
from rules.clock import local_date, utcnow
from store import payloads
from store.models import Attachment, Envelope, Mailbox, Message, Submission
from store.recipients import holders
from store.sealing import iter_file, open_body, seal
from tests.support.instance import DemoInstance
from tests.support.portal import (
    csrf_token,
    login,
    post_report,
    receipt_code,
    report_fields,
)

FILE_A = b"%PDF-1.4 first evidence " * 5000
FILE_B = bytes(range(256)) * 300


def _read_file(
    demo: DemoInstance, envelope_id: str, key: PrivateKey
) -> tuple[payloads.FileMeta, bytes]:
    with demo.sessions() as s:
        env = s.get(Envelope, envelope_id)
        meta, body = payloads.split_file(iter_file(s, env, key))
        return meta, b"".join(body)


def test_report_mailbox_followup_and_staff_keys(client: FlaskClient, demo: DemoInstance) -> None:
    data = report_fields(
        client,
        persons="Иванов И.И.",
        subject="взятка",
        position="начальник",
        unit="отдел закупок",
        when="март 2026",
        where="Астана",
        full_name="Айгуль Маркерова",
        own_position="специалист",
        own_unit="бухгалтерия",
        consent="y",
        nda="y",
    )
    response = post_report(
        client,
        data,
        [(FILE_A, "акт.pdf", "application/pdf"), (FILE_B, "/home/me/photo.jpg", "image/jpeg")],
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    page = response.get_data(as_text=True)
    code = receipt_code(page)
    assert len(code.replace(" ", "")) == 20 and code.count(" ") == 4

    # Mailbox: status "received", no messages yet.
    assert login(client, code).status_code == 303
    page = client.get("/mailbox").get_data(as_text=True)
    assert 'class="status"' in page
    with demo.sessions() as s:
        submission = s.execute(select(Submission)).scalar_one()
        assert submission.channel == "portal"
        assert submission.received_on == local_date(utcnow())
        mailbox = s.get(Mailbox, submission.mailbox_id)
        assert mailbox.status == "received"
        # The back office writes a question sealed to the case's holders and the mailbox.
        keys = [*holders(s, submission.report_envelope_id), mailbox.public_key]
        body = payloads.encode(
            payloads.MESSAGE_FORMAT,
            {
                "sent_at": payloads.utc_timestamp(datetime.now(UTC)),
                "text": "Уточните, пожалуйста, дату передачи денег.",
            },
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
    page = client.get("/mailbox").get_data(as_text=True)
    assert "Уточните, пожалуйста, дату передачи денег." in page

    # Follow-up with a file.
    reply = client.post(
        "/mailbox/reply",
        data={
            "csrf_token": csrf_token(page),
            "text": "Деньги передали 12 марта.",
            "files": [(__import__("io").BytesIO(b"follow-up evidence"), "note.txt", "text/plain")],
        },
        content_type="multipart/form-data",
    )
    assert reply.status_code == 303
    page = client.get("/mailbox").get_data(as_text=True)
    assert "Деньги передали 12 марта." in page and "note.txt" in page
    # The file's size in the page's language (Kazakh by default), not Jinja's "18 Bytes".
    assert "note.txt (18 Б)" in page and "Bytes" not in page

    handler, head = demo.staff_key("handler"), demo.staff_key("head")
    with demo.sessions() as s:
        submission = s.execute(select(Submission)).scalar_one()
        report = payloads.decode(
            open_body(submission.report_envelope, handler, expect="report"), payloads.REPORT_FORMAT
        )
        assert report["facts"].startswith("Начальник отдела")
        assert report["persons"] == "Иванов И.И." and report["unit"] == "отдел закупок"
        assert report["identity_provided"] and report["consent"] and report["nda_intended"]
        assert report["received_at"].endswith("Z") and "T" in report["received_at"]
        assert report["attachment_count"] == 2
        assert "Маркерова" not in json.dumps(report, ensure_ascii=False)
        identity = payloads.decode(
            open_body(submission.identity_envelope, head, expect="identity"),
            payloads.IDENTITY_FORMAT,
        )
        assert identity["full_name"] == "Айгуль Маркерова" and identity["consent"] is True
        with pytest.raises(DecryptionError):
            open_body(submission.identity_envelope, handler, expect="identity")
        files = s.execute(select(Attachment).where(Attachment.message_id.is_(None))).scalars()
        report_files = {a.envelope_id for a in files}
        followup = s.execute(
            select(Message).where(Message.direction == "from_reporter")
        ).scalar_one()
        text = payloads.decode(
            open_body(followup.envelope, handler, expect="message"), payloads.MESSAGE_FORMAT
        )
        assert text["text"] == "Деньги передали 12 марта."
        followup_file = s.execute(
            select(Attachment).where(Attachment.message_id == followup.id)
        ).scalar_one()
    contents = {}
    for envelope_id in report_files:
        meta, data = _read_file(demo, envelope_id, handler)
        contents[meta.filename] = (meta.content_type, data)
    assert contents == {"акт.pdf": ("application/pdf", FILE_A), "photo.jpg": ("image/jpeg", FILE_B)}
    meta, data = _read_file(demo, followup_file.envelope_id, handler)
    assert (meta.filename, data) == ("note.txt", b"follow-up evidence")

    # Logout destroys the session: the mailbox needs the code again.
    page = client.get("/mailbox").get_data(as_text=True)
    out = client.post("/mailbox/logout", data={"csrf_token": csrf_token(page)})
    assert out.status_code == 200
    assert 'name="code"' in client.get("/mailbox").get_data(as_text=True)


def test_recovery_key_opens_everything_and_the_head_reads_the_report(
    client: FlaskClient, demo: DemoInstance
) -> None:
    """The recovery key is the case's last holder: it must open every part a reporter sent.
    The head signs Appendix 1, so the report itself is sealed to the head as well."""
    data = report_fields(
        client,
        facts="Завхоз списал исправный генератор.",
        full_name="Ержан Маркеров",
        own_position="водитель",
        own_unit="гараж",
        consent="y",
    )
    response = post_report(
        client, data, [(FILE_A, "акт.pdf", "application/pdf"), (FILE_B, "фото.jpg", "image/jpeg")]
    )
    assert response.status_code == 200
    assert login(client, receipt_code(response.get_data(as_text=True))).status_code == 303
    page = client.get("/mailbox").get_data(as_text=True)
    reply = client.post(
        "/mailbox/reply",
        data={
            "csrf_token": csrf_token(page),
            "text": "Генератор вывезли ночью.",
            "files": [(BytesIO(b"follow-up evidence"), "note.txt", "text/plain")],
        },
        content_type="multipart/form-data",
    )
    assert reply.status_code == 303

    recovery = parse_recovery_key(demo.recovery_key())
    head = demo.staff_key("head")
    with demo.sessions() as s:
        submission = s.execute(select(Submission)).scalar_one()
        for key in (recovery, head):
            report = payloads.decode(
                open_body(submission.report_envelope, key, expect="report"), payloads.REPORT_FORMAT
            )
            assert report["facts"] == "Завхоз списал исправный генератор."
            assert report["attachment_count"] == 2
        identity = payloads.decode(
            open_body(submission.identity_envelope, recovery, expect="identity"),
            payloads.IDENTITY_FORMAT,
        )
        assert identity["full_name"] == "Ержан Маркеров" and identity["consent"] is True
        followup = s.execute(
            select(Message).where(Message.direction == "from_reporter")
        ).scalar_one()
        text = payloads.decode(
            open_body(followup.envelope, recovery, expect="message"), payloads.MESSAGE_FORMAT
        )
        assert text["text"] == "Генератор вывезли ночью."
        attachments = s.execute(select(Attachment)).scalars().all()
        files = [(a.envelope_id, a.message_id) for a in attachments]
    assert len(files) == 3
    contents = {}
    for envelope_id, message_id in files:
        meta, body = _read_file(demo, envelope_id, recovery)
        contents[meta.filename] = (message_id is None, body)
    assert contents == {
        "акт.pdf": (True, FILE_A),
        "фото.jpg": (True, FILE_B),
        "note.txt": (False, b"follow-up evidence"),
    }
