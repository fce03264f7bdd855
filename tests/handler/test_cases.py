"""Cases: the loop with the reporter, who can decrypt what, sharing, recovery, downloads,
and reports registered from other channels."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from sqlalchemy import func, select

from crypto import keys as ckeys
from store import audit, payloads, sealing
from store.models import (
    Attachment,
    AuditEntry,
    Case,
    CaseEvent,
    Grant,
    Mailbox,
    Message,
    Submission,
    User,
)
from tests.support.backoffice import (
    Browser,
    code_for,
    reporter_follows_up,
    reporter_reads,
    store_portal_report,
)
from tests.support.instance import DemoInstance, demo_org_id, run_cli


def _actions(demo: DemoInstance) -> list[str]:
    with demo.sessions() as s:
        return list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def _new_user(
    demo: DemoInstance, browser: Callable[[], Browser], role: str, username: str
) -> Browser:
    """A user made with `adal user add`, enrolled and signed in through the pages."""
    import re

    import pyotp

    code, output = run_cli("user", "add", "--role", role, "--full-name", username.title(), username)
    assert code == 0, output
    password = output.split("login): ")[1].strip()
    client = browser()
    page = client.post("/login", {"username": username, "password": password, "code": ""}).get_data(
        as_text=True
    )
    secret = re.search(r'<code class="key">([A-Z2-7 ]+)</code>', page).group(1)
    client.get(
        client.post(
            "/login",
            {
                "username": username,
                "password": password,
                "code": pyotp.TOTP(secret.replace(" ", "")).now(),
            },
        ).headers["Location"]
    )  # a new session: its page carries the new CSRF token
    new = f"{username} has a long password"
    assert (
        client.post(
            "/account/password", {"current": password, "new": new, "confirm": new}
        ).status_code
        == 303
    )
    client.get("/inbox")
    return client


def test_full_loop_with_the_reporter(demo: DemoInstance, as_role: Callable[[str], Browser]) -> None:
    report = store_portal_report(
        demo,
        facts="Взятка в отделе закупок",
        files=[("Отчёт.pdf", "application/pdf", b"%PDF-1.4 data")],
    )
    handler = as_role("handler")
    inbox = handler.get("/inbox").get_data(as_text=True)
    assert report.submission_id in inbox
    assert "Взятка" not in inbox  # the inbox decrypts nothing
    with demo.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 0
    page = handler.get(f"/cases/{report.submission_id}")
    assert page.status_code == 200
    assert "Взятка в отделе закупок" in page.get_data(as_text=True)
    assert "Отчёт.pdf" in page.get_data(as_text=True)
    with demo.sessions() as s:
        case = s.scalars(select(Case)).one()
        assert case.status == "registered" and case.anonymous
        assert s.scalars(select(CaseEvent.kind)).all() == ["registered"]
    assert {"case.step", "case.open"} <= set(_actions(demo))

    # Reply: sealed to the mailbox; nothing plain changes but the message row.
    with demo.sessions() as s:
        mailbox_before = s.scalars(select(Mailbox.status)).one()
        case_before = s.scalars(select(Case.status)).one()
    response = handler.post(
        f"/cases/{report.submission_id}/reply", {"text": "Спасибо. Уточните, пожалуйста, дату."}
    )
    assert response.status_code == 303
    assert reporter_reads(demo, report) == ["Спасибо. Уточните, пожалуйста, дату."]
    with demo.sessions() as s:
        assert s.scalars(select(Mailbox.status)).one() == mailbox_before
        assert s.scalars(select(Case.status)).one() == case_before
        message = s.scalars(select(Message)).one()
        assert message.direction == "to_reporter"
        # The reply is also sealed to the holders, so the handlers can read their own thread.
        assert len(message.envelope.grants) >= 4  # mailbox, handler, head, recovery
    assert "message.reply" in _actions(demo)

    reporter_follows_up(
        demo, report, "Это было 12 марта.", files=[("photo.jpg", "image/jpeg", b"\xff\xd8 jpeg")]
    )
    page = handler.get(f"/cases/{report.submission_id}").get_data(as_text=True)
    assert "Спасибо. Уточните, пожалуйста, дату." in page
    assert "Это было 12 марта." in page
    assert "photo.jpg" in page


def test_download_streams_with_safe_headers(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    data = bytes(range(256)) * 1000  # several chunks
    report = store_portal_report(demo, files=[('"x";\r\nSet-Cookie: a=b.html', "text/html", data)])
    handler = as_role("handler")
    handler.get(f"/cases/{report.submission_id}")
    with demo.sessions() as s:
        attachment = s.scalars(select(Attachment)).one()
    response = handler.get(f"/cases/{report.submission_id}/files/{attachment.id}")
    assert response.status_code == 200
    assert response.data == data
    assert response.headers["Content-Type"] == "application/octet-stream"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    assert "\r" not in disposition and "\n" not in disposition
    assert "filename*=UTF-8''" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "file.download" in _actions(demo)
    # An attachment id of another case is not found through this case.
    other = store_portal_report(demo)
    handler.get(f"/cases/{other.submission_id}")
    assert handler.get(f"/cases/{other.submission_id}/files/{attachment.id}").status_code == 404


def test_identity_only_for_the_head(demo: DemoInstance, as_role: Callable[[str], Browser]) -> None:
    report = store_portal_report(
        demo, identity={"full_name": "Серик Ахметов", "position": "бухгалтер", "unit": "финансы"}
    )
    handler = as_role("handler")
    page = handler.get(f"/cases/{report.submission_id}").get_data(as_text=True)
    assert "Серик" not in page
    assert "The reporter gave their identity." in page
    assert handler.get(f"/cases/{report.submission_id}/identity").status_code == 403
    head = as_role("head")
    page = head.get(f"/cases/{report.submission_id}").get_data(as_text=True)
    assert "Серик" not in page  # not even the head sees it without asking
    identity = head.get(f"/cases/{report.submission_id}/identity").get_data(as_text=True)
    assert "Серик Ахметов" in identity
    assert "identity.open" in _actions(demo)
    # The handler's key holds no grant on the identity block at all.
    creds = demo.credentials()["handler"]
    with demo.sessions() as s:
        handler_user = s.scalars(select(User).where(User.username == creds["username"])).one()
        private = ckeys.unwrap_private_key(handler_user.wrapped_key, creds["password"])
        submission = s.get(Submission, report.submission_id)
        assert not sealing.holds(submission.identity_envelope, ckeys.key_id(private.public_key))


def test_an_envelope_opens_only_as_what_it_is_referenced_as(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    """A hijacked portal points rows of a case it controls at another case's envelopes, each in
    a column other than the one that owns it (so the unique indexes allow it): neither the
    victim's report shown as a message, nor the victim's message shown as a report."""
    victim = store_portal_report(demo, facts="Victim's facts 91c2")
    reporter_follows_up(demo, victim, "Victim's follow-up 5e7a")
    forged = store_portal_report(demo)
    with demo.sessions() as s, s.begin():
        victim_row = s.get(Submission, victim.submission_id)
        victim_message = s.scalars(
            select(Message.envelope_id).where(Message.submission_id == victim.submission_id)
        ).one()
        s.add(
            Message(
                submission_id=forged.submission_id,
                direction="from_reporter",
                envelope_id=victim_row.report_envelope_id,
                created_on=victim_row.received_on,
            )
        )
        mailbox = Mailbox(
            lookup_tag=b"f" * 32, public_key=b"k" * 32, created_on=victim_row.received_on
        )
        posing = Submission(
            channel="portal",
            org_id=demo_org_id(s),
            received_on=victim_row.received_on,
            report_envelope_id=victim_message,
            mailbox=mailbox,
        )
        s.add(posing)
        s.flush()
        posing_id = posing.id
    handler = as_role("handler")
    page = handler.get(f"/cases/{forged.submission_id}").get_data(as_text=True)
    assert "The head of procurement" in page  # the forged case's own report opens
    assert "91c2" not in page
    assert handler.get(f"/cases/{posing_id}").status_code == 404
    page = handler.get(f"/cases/{victim.submission_id}").get_data(as_text=True)
    assert "91c2" in page and "5e7a" in page


def test_never_granted_handler_cannot_decrypt_then_grant_then_revoke(
    demo: DemoInstance, as_role: Callable[[str], Browser], browser: Callable[[], Browser]
) -> None:
    report = store_portal_report(demo, files=[("a.txt", "text/plain", b"file for the case")])
    reporter_follows_up(demo, report, "follow-up before sharing")
    late = _new_user(demo, browser, "handler", "late-handler")  # created AFTER the report
    assert report.submission_id not in late.get("/inbox").get_data(as_text=True)
    assert late.get(f"/cases/{report.submission_id}").status_code == 404
    with demo.sessions() as s:
        attachment = s.scalars(select(Attachment.id)).one()
    assert late.get(f"/cases/{report.submission_id}/files/{attachment}").status_code == 404
    assert "case.denied" in _actions(demo)

    handler = as_role("handler")
    page = handler.get(f"/cases/{report.submission_id}").get_data(as_text=True)
    assert "late-handler" in page
    with demo.sessions() as s:
        late_id = s.scalars(select(User.id).where(User.username == "late-handler")).one()
    response = handler.post(f"/cases/{report.submission_id}/grants", {"user_id": str(late_id)})
    assert response.status_code == 303
    page = late.get(f"/cases/{report.submission_id}")
    assert page.status_code == 200
    assert "follow-up before sharing" in page.get_data(as_text=True)
    assert (
        late.get(f"/cases/{report.submission_id}/files/{attachment}").data == b"file for the case"
    )

    response = handler.post(f"/cases/{report.submission_id}/grants/{late_id}/revoke")
    assert response.status_code == 303
    assert late.get(f"/cases/{report.submission_id}").status_code == 404
    assert {"case.grant", "case.revoke"} <= set(_actions(demo))
    # A holder cannot revoke themselves (the case would vanish from under them).
    with demo.sessions() as s:
        me = s.scalars(select(User.id).where(User.username == "demo-handler")).one()
    assert handler.post(f"/cases/{report.submission_id}/grants/{me}/revoke").status_code == 400
    # Nor can a handler take a case away from the head (p6, p14).
    with demo.sessions() as s:
        head_id = s.scalars(select(User.id).where(User.username == "demo-head")).one()
    assert handler.post(f"/cases/{report.submission_id}/grants/{head_id}/revoke").status_code == 403
    head = as_role("head")
    assert head.get(f"/cases/{report.submission_id}").status_code == 200


def test_recover_grants_every_case_to_a_new_user(
    demo: DemoInstance, browser: Callable[[], Browser]
) -> None:
    first = store_portal_report(demo, identity={"full_name": "Айгүл", "position": "p", "unit": "u"})
    second = store_portal_report(demo, files=[("b.txt", "text/plain", b"second")])
    reporter_follows_up(demo, second, "second follow-up")
    head = _new_user(demo, browser, "head", "new-head")
    for report in (first, second):
        assert head.get(f"/cases/{report.submission_id}").status_code == 404

    # A wrong key is refused and changes nothing.
    code, output = run_cli("recover", "--user", "new-head", input="ADAL-RECOVERY-1-AAAA\n")
    assert code != 0
    # Identities follow only an approval (issue 12 item 1), never a plain recovery.
    assert run_cli("head", "approve", "new-head", input=demo.recovery_key() + "\n")[0] == 0
    code, output = run_cli("recover", "--user", "new-head", input=demo.recovery_key() + "\n")
    assert code == 0, output
    assert "2 cases" in output
    assert demo.recovery_key() not in output
    for report in (first, second):
        assert head.get(f"/cases/{report.submission_id}").status_code == 200
    assert "second follow-up" in head.get(f"/cases/{second.submission_id}").get_data(as_text=True)
    # A head recovered as custodian also gets the identity block.
    assert "Айгүл" in head.get(f"/cases/{first.submission_id}/identity").get_data(as_text=True)
    with demo.sessions() as s:
        assert s.scalar(select(func.count()).where(AuditEntry.action == "recovery.grant")) == 1
        assert audit.verify(s).ok


def test_recover_one_case_and_errors(demo: DemoInstance, browser: Callable[[], Browser]) -> None:
    first, second = store_portal_report(demo), store_portal_report(demo)
    late = _new_user(demo, browser, "handler", "one-case")
    code, output = run_cli(
        "recover",
        "--user",
        "one-case",
        "--case",
        first.submission_id,
        input=demo.recovery_key() + "\n",
    )
    assert code == 0, output
    assert late.get(f"/cases/{first.submission_id}").status_code == 200
    assert late.get(f"/cases/{second.submission_id}").status_code == 404
    key = demo.recovery_key() + "\n"
    assert run_cli("recover", "--user", "nobody", input=key)[0] != 0
    assert run_cli("recover", "--user", "demo-admin", input=key)[0] != 0  # holds no key
    assert run_cli("recover", "--user", "one-case", "--case", "f" * 32, input=key)[0] != 0


def test_admin_reset_loses_access_until_regranted(
    demo: DemoInstance,
    app: Flask,
    as_role: Callable[[str], Browser],
    browser: Callable[[], Browser],
) -> None:
    report = store_portal_report(demo)
    creds = demo.credentials()["handler"]
    handler = as_role("handler")
    assert handler.get(f"/cases/{report.submission_id}").status_code == 200
    admin = as_role("admin")
    with demo.sessions() as s:
        user = s.scalars(select(User).where(User.username == creds["username"])).one()
    page = admin.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "adal recover" in page
    response = admin.post(f"/admin/users/{user.id}/reset-password")
    assert response.status_code == 200
    import re

    one_time = re.search(
        r'<p class="secret"><code>([^<]+)</code>', response.get_data(as_text=True)
    ).group(1)
    assert handler.get("/inbox").status_code == 303  # the old session ended
    again = browser()
    again.post(
        "/login",
        {
            "username": creds["username"],
            "password": one_time,
            "code": code_for(demo, creds["username"], creds["totp secret"]),
        },
    )
    new = "a brand new long password"
    again.get("/account/password")
    assert (
        again.post(
            "/account/password", {"current": one_time, "new": new, "confirm": new}
        ).status_code
        == 303
    )
    assert again.get(f"/cases/{report.submission_id}").status_code == 404
    head = as_role("head")
    page = head.get(f"/cases/{report.submission_id}").get_data(as_text=True)
    assert creds["username"] in page  # offered again: the old key no longer counts
    assert (
        head.post(f"/cases/{report.submission_id}/grants", {"user_id": str(user.id)}).status_code
        == 303
    )
    assert again.get(f"/cases/{report.submission_id}").status_code == 200


def test_register_a_hotline_report(demo: DemoInstance, as_role: Callable[[str], Browser]) -> None:
    import io

    handler = as_role("handler")
    assert handler.get("/register").status_code == 200
    recording = b"ID3" + bytes(300_000)
    response = handler.post(
        "/register",
        {
            "channel": "hotline",
            "received_at": "2026-03-02T10:15",
            "received_by": "Айгерім",
            "channel_details": "звонок на горячую линию",
            "facts": "Вымогательство взятки",
            "persons": "",
            "subject": "",
            "position": "начальник",
            "unit": "ЦОН",
            "when": "",
            "where": "",
            "full_name": "Марат Беков",
            "reporter_position": "специалист",
            "reporter_unit": "ЦОН",
            "consent": "y",
            "nda_intended": "y",
            "files": [(io.BytesIO(recording), "call-2026-03-02.mp3", "audio/mpeg")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    submission_id = response.headers["Location"].rsplit("/", 1)[1]
    with demo.sessions() as s:
        submission = s.get(Submission, submission_id)
        assert submission.channel == "hotline"
        assert str(submission.received_on) == "2026-03-02"
        assert submission.mailbox_id is None and submission.identity_envelope_id
        case = s.scalars(select(Case)).one()
        assert not case.anonymous and case.nda_intended
        # Sealed exactly like a portal report: the same recipients.
        report_keys = {g.key_id for g in submission.report_envelope.grants}
        identity_keys = {g.key_id for g in submission.identity_envelope.grants}
        assert len(report_keys) == 3 and len(identity_keys) == 2
        assert identity_keys < report_keys
        attachment = s.scalars(select(Attachment)).one()
        file_keys = {g.key_id for g in attachment.envelope.grants}
        assert file_keys == report_keys
        # No plaintext anywhere in the database row of the report.
        assert b"\xd0\x92\xd1\x8b\xd0\xbc" not in submission.report_envelope.body
    page = handler.get(f"/cases/{submission_id}").get_data(as_text=True)
    assert "Вымогательство взятки" in page and "call-2026-03-02.mp3" in page
    assert "Марат" not in page
    assert handler.get(f"/cases/{submission_id}/files/{attachment.id}").data == recording
    head = as_role("head")
    identity = head.get(f"/cases/{submission_id}/identity").get_data(as_text=True)
    assert "Марат Беков" in identity
    # The received time is stored sealed and exact (Kazakhstan 10:15 is 05:15 UTC).
    from crypto import keys as ckeys

    private = ckeys.parse_recovery_key(demo.recovery_key())
    with demo.sessions() as s:
        body = sealing.open_body(
            s.get(Submission, submission_id).report_envelope, private, expect="report"
        )
        stored = payloads.decode(body, payloads.REPORT_FORMAT)
    assert stored["received_at"].startswith("2026-03-02T05:15:00")
    assert stored["channel"] == "hotline" and stored["received_by"] == "Айгерім"


def test_grants_are_per_key(demo: DemoInstance) -> None:
    """Every grant row names a key that exists; no grant is left for unknown keys."""
    store_portal_report(demo)
    with demo.sessions() as s:
        from store.models import RecipientKey

        known = set(s.scalars(select(RecipientKey.key_id)))
        assert set(s.scalars(select(Grant.key_id))) <= known
