"""A typed report is never lost: expired tokens and validation errors give the text back."""

from __future__ import annotations

import html
import re
from io import BytesIO

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from store.models import Attachment, Envelope, FileChunk, Message, Submission
from tests.support.instance import DemoInstance
from tests.support.portal import csrf_token, login, post_report, receipt_code, report_fields

TYPED = "Заместитель акима <b>требовал</b> 500 000 тенге & «откат» за договор."


def count(demo: DemoInstance, model: type) -> int:
    with demo.sessions() as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def test_expired_csrf_returns_the_typed_report(client: FlaskClient, demo: DemoInstance) -> None:
    data = report_fields(
        client, facts=TYPED, persons="Сейтов А.", full_name="Маркер Ф.И.О.", consent="y", nda="y"
    )
    data["csrf_token"] = "expired-or-forged"
    response = post_report(client, data, [(b"evidence" * 1000, "a.pdf", "application/pdf")])
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert html.escape(TYPED, quote=False) in page  # typed text is back, escaped
    assert 'value="Сейтов А."' not in page  # persons is a textarea ...
    assert "Сейтов А." in page and 'value="Маркер Ф.И.О."' in page
    assert 'id="consent" name="consent" type="checkbox" value="y"' in page.replace("checked ", "")
    assert "checked" in page
    assert 'role="alert"' in page
    assert count(demo, Submission) == 0 and count(demo, Envelope) == 0
    # A fresh token is in the returned form: sending it again works.
    data["csrf_token"] = csrf_token(page)
    assert post_report(client, data).status_code == 200
    assert count(demo, Submission) == 1


def test_session_expired_returns_the_typed_report(app: Flask, demo: DemoInstance) -> None:
    client = app.test_client()
    data = report_fields(client, facts=TYPED)
    client.delete_cookie("adal-portal")  # the server-side session is gone after 20 idle minutes
    response = post_report(client, data)
    assert response.status_code == 400
    assert html.escape(TYPED, quote=False) in response.get_data(as_text=True)
    assert count(demo, Submission) == 0


def test_validation_errors_keep_text_and_point_at_fields(
    client: FlaskClient, demo: DemoInstance
) -> None:
    data = report_fields(client, facts="", persons=TYPED, when="весной", full_name="Ф.И.О.")
    del data["acknowledge"]
    response = post_report(client, data, [(b"x" * 300_000, "scan.png", "image/png")])
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert html.escape(TYPED, quote=False) in page and 'value="весной"' in page
    assert 'value="Ф.И.О."' in page
    for field in ("facts", "acknowledge", "consent"):
        assert f'id="{field}-error"' in page
        assert (
            f'aria-describedby="{field}-hint {field}-error"' in page
            or f'aria-describedby="{field}-error"' in page
        )
        assert 'aria-invalid="true"' in page
    assert "files" in page  # the note that files must be attached again
    # The file that streamed in before validation was shredded, not left behind.
    assert count(demo, Envelope) == 0 and count(demo, FileChunk) == 0


def test_resent_form_is_not_a_second_report(client: FlaskClient, demo: DemoInstance) -> None:
    data = report_fields(client)
    assert post_report(client, data).status_code == 200
    again = post_report(client, data)
    assert again.status_code == 409
    assert count(demo, Submission) == 1


def _logged_in(client: FlaskClient) -> str:
    response = post_report(client, report_fields(client))
    assert login(client, receipt_code(response.get_data(as_text=True))).status_code == 303
    return client.get("/mailbox").get_data(as_text=True)


def test_followup_with_expired_token_keeps_text(client: FlaskClient) -> None:
    _logged_in(client)
    response = client.post(
        "/mailbox/reply",
        data={"csrf_token": "stale", "text": TYPED},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert html.escape(TYPED, quote=False) in response.get_data(as_text=True)


def test_followup_after_session_end_survives_login(client: FlaskClient) -> None:
    page = _logged_in(client)
    token = csrf_token(page)
    code_page = post_report(client, report_fields(client)).get_data(as_text=True)
    code = receipt_code(code_page)
    client.delete_cookie("adal-portal")
    response = client.post(
        "/mailbox/reply",
        data={
            "csrf_token": token,
            "text": TYPED,
            "files": [(BytesIO(b"x"), "dropped.txt", "text/plain")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert html.escape(TYPED, quote=False) in page and 'name="code"' in page
    relogin = client.post(
        "/mailbox/login", data={"csrf_token": csrf_token(page), "code": code, "draft": TYPED}
    )
    assert relogin.status_code == 303
    assert html.escape(TYPED, quote=False) in client.get("/mailbox").get_data(as_text=True)


def test_empty_followup_is_refused_with_message(client: FlaskClient) -> None:
    page = _logged_in(client)
    response = client.post(
        "/mailbox/reply",
        data={"csrf_token": csrf_token(page), "text": " "},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert 'role="alert"' in response.get_data(as_text=True)


def test_login_form_expired_token(client: FlaskClient) -> None:
    client.get("/mailbox")
    response = client.post("/mailbox/login", data={"csrf_token": "x", "code": "1" * 20})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'name="code"' in page and "1" * 20 not in page  # the code is never echoed


FILES_NOT_KEPT = {  # the note, as the catalogs word it in each page language
    "kk": "Форма сізге қайтарылғанда файлдар сақталмайды: оларды қайта тіркеңіз.",
    "ru": "Когда форма возвращается вам, файлы не сохраняются: приложите их снова.",
    "en": "Files are not kept when a form is returned to you: please attach them again.",
}
EVIDENCE = [(b"evidence" * 1000, "a.pdf", "application/pdf")]
# What a browser sends for a file input left empty: a part with an empty filename.
NO_FILE_CHOSEN = [(b"", "", "application/octet-stream")]


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_returned_report_says_files_were_not_kept(client: FlaskClient, lang: str) -> None:
    client.get(f"/lang/{lang}")
    note = FILES_NOT_KEPT[lang]
    for files, sent in ((EVIDENCE, True), (NO_FILE_CHOSEN, False), ([], False)):
        invalid = post_report(client, report_fields(client, facts=""), files)
        assert invalid.status_code == 422
        assert (note in invalid.get_data(as_text=True)) is sent, (files, "422")
        data = report_fields(client, facts=TYPED)
        data["csrf_token"] = "expired-or-forged"
        expired = post_report(client, data, files)
        assert expired.status_code == 400
        assert (note in expired.get_data(as_text=True)) is sent, (files, "expired")


def test_returned_followup_says_files_were_not_kept(client: FlaskClient) -> None:
    page = _logged_in(client)
    note = FILES_NOT_KEPT["kk"]
    for files, sent in ((EVIDENCE, True), (NO_FILE_CHOSEN, False), ([], False)):
        parts = [(BytesIO(content), name, ctype) for content, name, ctype in files]
        expired = client.post(
            "/mailbox/reply",
            data={"csrf_token": "stale", "text": TYPED, "files": parts},
            content_type="multipart/form-data",
        )
        assert expired.status_code == 400
        assert (note in expired.get_data(as_text=True)) is sent, (files, "expired")
        parts = [(BytesIO(content), name, ctype) for content, name, ctype in files]
        too_long = client.post(
            "/mailbox/reply",
            data={"csrf_token": csrf_token(page), "text": "ә" * 100_001, "files": parts},
            content_type="multipart/form-data",
        )
        assert too_long.status_code == 422
        assert (note in too_long.get_data(as_text=True)) is sent, (files, "422")


def test_switching_language_keeps_the_typed_report(client: FlaskClient) -> None:
    page = client.get("/report").get_data(as_text=True)
    # The language controls send the form itself (without its files) instead of leaving it.
    assert 'id="report-form"' in page and 'form="report-form"' in page
    assert 'formaction="/report/language/ru"' in page
    assert 'formenctype="application/x-www-form-urlencoded"' in page
    typed = {
        "csrf_token": csrf_token(page),
        "facts": "Бастық ақша талап етті",
        "position": "бөлім бастығы",
        "full_name": "Асель Нурланова",
        "nda": "y",
        "files": "scan.pdf",
    }
    response = client.post("/report/language/ru", data=typed)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and '<html lang="ru">' in html
    assert "Бастық ақша талап етті</textarea>" in html and 'value="бөлім бастығы"' in html
    assert 'value="Асель Нурланова"' in html
    assert re.search(r'<input[^>]*\bchecked\b[^>]*name="nda"', html)
    assert "<h1>Сообщить о коррупции</h1>" in html  # the page itself is in Russian now
    assert "lang=ru" in response.headers["Set-Cookie"]
    assert 'role="alert"' in html  # the file's name came, not the file: say it is not kept
    # The next page stays in the chosen language, and nothing was stored.
    assert '<html lang="ru">' in client.get("/").get_data(as_text=True)
    assert client.post("/report/language/xx", data=typed).status_code == 404
    # Posted from elsewhere (no valid token): the text comes back, but no box stays ticked
    # for the reporter, and the page says the form had expired.
    forged = client.post(
        "/report/language/kk", data={**typed, "csrf_token": "x", "consent": "y", "acknowledge": "y"}
    )
    html = forged.get_data(as_text=True)
    assert forged.status_code == 200 and "Бастық ақша талап етті</textarea>" in html
    assert not re.search(r"<input[^>]*\bchecked\b", html) and 'role="alert"' in html


def test_switching_language_keeps_the_typed_follow_up(client: FlaskClient) -> None:
    code = receipt_code(post_report(client, report_fields(client)).get_data(as_text=True))
    assert login(client, code).status_code == 303
    page = client.get("/mailbox").get_data(as_text=True)
    assert 'id="reply-form"' in page and 'formaction="/mailbox/language/en"' in page
    text = "Ақша 12 наурызда берілді"
    response = client.post(
        "/mailbox/language/en", data={"csrf_token": csrf_token(page), "text": text}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and '<html lang="en">' in html
    assert f"{text}</textarea>" in html and 'id="reply-form"' in html
    # Without a valid token the thread is not shown; the text waits at the login.
    forged = client.post("/mailbox/language/en", data={"text": text})
    page = forged.get_data(as_text=True)
    assert forged.status_code == 400
    assert 'id="reply-form"' not in page and f"{text}</textarea>" in page
    # ... and the page gives the real reason: the mailbox is still open, only the page expired.
    assert "This page had expired, so your mailbox was not opened again." in page
    assert "20 minutes" not in page
    assert 'id="reply-form"' in client.get("/mailbox").get_data(as_text=True)
    # Once the mailbox has closed (its session is gone), that is what the page says.
    client.delete_cookie("adal-portal")
    closed = client.post("/mailbox/language/en", data={"text": text}).get_data(as_text=True)
    assert f"{text}</textarea>" in closed and "closed after 20 minutes" in closed
    assert "This page had expired" not in closed


TOO_MANY_FILES = {  # the refusal, as the catalogs word its start in each page language
    "kk": "Бір рет жібергенде ең көбі 20 файл қабылданады",
    "ru": "За одну отправку принимается не более 20 файлов",
    "en": "One sending takes at most 20 files",
}


def _files(n: int) -> list[tuple[bytes, str, str]]:
    return [(f"evidence {i}".encode() * 100, f"scan-{i}.pdf", "application/pdf") for i in range(n)]


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_a_21st_file_refuses_the_report_and_gives_it_back(
    client: FlaskClient, demo: DemoInstance, lang: str
) -> None:
    """No file is left out without a word: more files than one sending takes refuse the whole
    report, with the text back and nothing stored (the 20 files read before are shredded)."""
    client.get(f"/lang/{lang}")
    page = client.get("/report").get_data(as_text=True)
    assert "20" in page.split('id="files-hint"', 1)[1].split("</p>", 1)[0]  # the form says so
    response = post_report(client, report_fields(client, facts=TYPED), _files(21))
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert TOO_MANY_FILES[lang] in page and FILES_NOT_KEPT[lang] in page
    assert html.escape(TYPED, quote=False) in page
    assert count(demo, Submission) == 0
    assert count(demo, Envelope) == 0 and count(demo, FileChunk) == 0
    twenty = post_report(client, report_fields(client, facts=TYPED), _files(20))
    assert twenty.status_code == 200
    assert count(demo, Attachment) == 20


def test_a_21st_file_refuses_the_followup_and_gives_it_back(
    client: FlaskClient, demo: DemoInstance
) -> None:
    page = _logged_in(client)
    assert "20" in page.split('id="files-hint"', 1)[1].split("</p>", 1)[0]
    before = count(demo, Envelope)
    parts = [(BytesIO(content), name, ctype) for content, name, ctype in _files(21)]
    response = client.post(
        "/mailbox/reply",
        data={"csrf_token": csrf_token(page), "text": TYPED, "files": parts},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    answer = response.get_data(as_text=True)
    assert TOO_MANY_FILES["kk"] in answer and html.escape(TYPED, quote=False) in answer
    assert count(demo, Message) == 0 and count(demo, Envelope) == before
