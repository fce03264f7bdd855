"""The register of reports (журнал учёта, issue 15): reports in every state, exported as DOCX and
XLSX in Kazakh and Russian, hold the right numbers, dates, channels, offence types, statuses,
deadlines and confirmation letters, and nothing of a report's text or its reporter; only heads
and auditors export it, every export is audited, and a bad period is a clear message."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import openpyxl
import pytest
from docx import Document
from flask import Flask
from sqlalchemy import event, select

from cases import register_book as book_module
from cases.lists import catch_up
from cases.protection import ProtectedPerson, add_matter, create_protection, update_matter
from cases.register_book import MAX_PERIOD, RegisterBook, register_book
from cases.workflow import record_step, set_offence_type
from crypto import envelope as crypto_envelope
from documents.register_book import register_docx, register_xlsx
from rules.errors import AdalError
from rules.workflow import HEAD_STEPS, Step
from store import sealing
from store.models import AuditEntry, Submission
from tests.support.backoffice import Browser, store_portal_report
from tests.support.instance import DemoInstance, demo_org_id
from tests.support.reports import case_of, registered_case, store_report, user

KZ = timedelta(hours=5)
# Report text and identity as store_report seals them, plus our own identity marker: none of it
# may reach a register.
MARKERS = ("потребовал взятку", "Иванов", "200 000", "отдел закупок", "Маркер Личности 5k9")
IDENTITY = {"full_name": "Маркер Личности 5k9", "position": "бухгалтер", "unit": "бухгалтерия"}
NOW = datetime(2026, 12, 22, 10, 0, tzinfo=UTC) - KZ  # Tuesday 22 December, 10:00 in Astana
PERIOD = (date(2026, 12, 1), date(2026, 12, 31))


def _kz(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC) - KZ


def _step(
    demo: DemoInstance, sid: str, step: Step, at: datetime, details: dict[str, str] | None = None
) -> None:
    with demo.sessions() as s, s.begin():
        role = "head" if step in HEAD_STEPS else "handler"
        record_step(s, case_of(s, sid), step, user(s, role), at, details or {})


def _called(demo: DemoInstance, sid: str, day: date) -> None:
    moment = _kz(day, 15)
    _step(
        demo,
        sid,
        Step.KNS_NOTIFIED,
        moment,
        {"call_time": f"{day.isoformat()}T15:00", "operator": "оператор"},
    )


def _confirmed(demo: DemoInstance, sid: str, number: str, day: date) -> None:
    _step(
        demo,
        sid,
        Step.CONFIRMATION_SENT,
        _kz(day, 16),
        {"outgoing_number": number, "outgoing_date": day.isoformat()},
    )


def _reports(demo: DemoInstance) -> dict[str, str]:
    """One report in every state, received in December 2026 (16 December is Independence Day),
    and one outside the period; their submission ids by state."""
    ids: dict[str, str] = {}
    with demo.sessions() as s, s.begin():
        # Monday 14 December, nobody has opened it: p8 due that day, p9 on Friday 18 December
        # (15, 17, 18: the 16th is a holiday); both missed by the 22nd.
        ids["unopened"] = store_report(
            s, _kz(date(2026, 12, 14)), identity=IDENTITY, files=0, messages=0
        ).submission_id
        # Outside the period.
        store_report(s, _kz(date(2026, 11, 30)), files=0, messages=0)
    # Monday 21 December, registered and called the same day: p8 met, p9 due Thursday 24th.
    ids["registered"] = registered_case(demo, _kz(date(2026, 12, 21)))
    _called(demo, ids["registered"], date(2026, 12, 21))
    # Friday 11 December, confirmation dated Thursday 17 December: p9 due the 17th, met.
    ids["confirmed"] = registered_case(demo, _kz(date(2026, 12, 11)))
    _called(demo, ids["confirmed"], date(2026, 12, 11))
    _confirmed(demo, ids["confirmed"], "04-12/345", date(2026, 12, 17))
    with demo.sessions() as s, s.begin():
        set_offence_type(s, case_of(s, ids["confirmed"]), "crime", user(s, "head"))
    # Tuesday 1 December, a known reporter under protection; a commission meets on Friday
    # 18 December: p18 due Monday 14th (17, 15, 14), materials sent on the 14th: met; decided on
    # the 18th, p19 due Wednesday 23rd (21, 22, 23), no copy sent yet: open.
    ids["protected"] = registered_case(demo, _kz(date(2026, 12, 1)), identity=IDENTITY)
    _called(demo, ids["protected"], date(2026, 12, 2))
    today = date(2026, 12, 22)
    with demo.sessions() as s, s.begin():
        case = case_of(s, ids["protected"])
        set_offence_type(s, case, "administrative", user(s, "head"))
        head = user(s, "head")
        protection = create_protection(s, case, ProtectedPerson(IDENTITY["full_name"]), head, today)
        matter = add_matter(
            s,
            protection,
            kind="disciplinary",
            body="conciliation",
            proposed_on=date(2026, 12, 3),
            actor=head,
            today=today,
        )
        update_matter(
            s,
            matter,
            actor=head,
            today=today,
            agency_invited=True,
            agency_invited_on=date(2026, 12, 4),
            meeting_on=date(2026, 12, 18),
            materials_sent_on=date(2026, 12, 14),
            decided_on=date(2026, 12, 18),
        )
    # Wednesday 2 December: p9 due Monday 7 December (3, 4, 7), the letter is dated the 8th:
    # met late; decided and closed.
    ids["closed"] = registered_case(demo, _kz(date(2026, 12, 2)))
    _called(demo, ids["closed"], date(2026, 12, 3))
    _confirmed(demo, ids["closed"], "04-12/300", date(2026, 12, 8))
    _step(demo, ids["closed"], Step.DECISION_RECEIVED, _kz(date(2026, 12, 15)))
    _step(demo, ids["closed"], Step.REPORTER_INFORMED, _kz(date(2026, 12, 15), 11))
    _step(demo, ids["closed"], Step.CLOSED, _kz(date(2026, 12, 15), 12))
    return ids


@pytest.fixture
def no_decryption(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("the register must not decrypt anything")

    monkeypatch.setattr(sealing, "open_body", refuse)
    monkeypatch.setattr(sealing, "open_data_key", refuse)
    monkeypatch.setattr(crypto_envelope, "open_data_key", refuse)


def _book(demo: DemoInstance, since: date = PERIOD[0], until: date = PERIOD[1]) -> RegisterBook:
    with demo.sessions() as s:
        return register_book(s, since, until, NOW, org_id=demo_org_id(s))


def test_rows_carry_every_field_from_plain_columns(demo: DemoInstance, no_decryption: None) -> None:
    _reports(demo)
    book = _book(demo)
    assert [row.number for row in book.rows] == [1, 2, 3, 4, 5]
    assert [row.received_on for row in book.rows] == sorted(row.received_on for row in book.rows)
    rows = {row.status: row for row in book.rows}
    assert set(rows) == {"new", "kns_notified", "confirmation_sent", "closed"}
    new = rows["new"]
    assert (new.received_on, new.channel, new.offence_type) == (
        date(2026, 12, 14),
        "portal",
        "undetermined",
    )
    assert [(d.basis, d.due_on, d.outcome) for d in new.deadlines] == [
        ("p8", date(2026, 12, 14), "missed"),
        ("p9", date(2026, 12, 18), "missed"),
    ]
    confirmed = rows["confirmation_sent"]
    assert (confirmed.outgoing_number, confirmed.outgoing_date) == ("04-12/345", date(2026, 12, 17))
    assert confirmed.offence_type == "crime"
    assert [(d.basis, d.due_on, d.outcome, d.done_on) for d in confirmed.deadlines] == [
        ("p8", date(2026, 12, 11), "met", date(2026, 12, 11)),
        ("p9", date(2026, 12, 17), "met", date(2026, 12, 17)),
    ]
    closed = rows["closed"]
    # Called the day after receipt, the letter dated the day after its due date: both late.
    assert [(d.basis, d.outcome) for d in closed.deadlines] == [
        ("p8", "met_late"),
        ("p9", "met_late"),
    ]
    registered = next(r for r in book.rows if r.received_on == date(2026, 12, 21))
    assert [(d.basis, d.due_on, d.outcome) for d in registered.deadlines] == [
        ("p8", date(2026, 12, 21), "met"),
        ("p9", date(2026, 12, 24), "open"),
    ]
    protected = next(r for r in book.rows if r.received_on == date(2026, 12, 1))
    assert protected.offence_type == "administrative"
    matters = [(d.basis, d.due_on, d.outcome) for d in protected.deadlines if d.basis >= "p1"]
    assert ("p18", date(2026, 12, 14), "met") in matters
    assert ("p19", date(2026, 12, 23), "open") in matters
    assert (protected.outgoing_number, protected.outgoing_date) == ("", None)


def test_rows_are_gathered_with_a_fixed_number_of_queries(demo: DemoInstance) -> None:
    _reports(demo)
    counts = []
    for extra in (0, 6):
        for i in range(extra):
            sid = registered_case(demo, _kz(date(2026, 12, 10 + i)))
            _called(demo, sid, date(2026, 12, 10 + i))
        with demo.sessions() as s, s.begin():
            catch_up(s)  # as any list page would have: the portal's reports get their rows
        with demo.sessions() as s:
            org_id = demo_org_id(s)
            statements: list[str] = []
            engine = s.get_bind()

            def count(*args: object, statements: list[str] = statements, **_k: object) -> None:
                statements.append(str(args[2]))

            event.listen(engine, "before_cursor_execute", count)
            try:
                register_book(s, *PERIOD, NOW, org_id=org_id)
            finally:
                event.remove(engine, "before_cursor_execute", count)
            counts.append(len(statements))
    # One query for the rows, one to find that no portal report awaits its list rows.
    assert counts[0] == counts[1] <= 2, counts


def _docx_text(body: bytes) -> tuple[list[list[str]], str]:
    document = Document(io.BytesIO(body))
    table = [[cell.text for cell in row.cells] for row in document.tables[0].rows]
    text = "\n".join(p.text for p in document.paragraphs)
    return table, text + "\n" + "\n".join("\t".join(row) for row in table)


def _xlsx_rows(body: bytes) -> list[tuple[object, ...]]:
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    assert sheet is not None
    return list(sheet.iter_rows(values_only=True))


WORDS = {
    "ru": {
        "title": "Журнал учёта сообщений о коррупционных правонарушениях",
        "number": "№ п/п",
        "portal": "анонимный веб-портал (подпункт 5) пункта 5 Рекомендаций)",
        "new": "поступило, не открыто",
        "confirmation_sent": "письменное подтверждение передано",
        "closed": "закрыто",
        "crime": "коррупционное преступление",
        "administrative": "административное коррупционное правонарушение",
        "p9_missed": "п. 9 — письменное подтверждение в СПК КНБ: срок 18.12.2026 — пропущен",
        "p9_met": (
            "п. 9 — письменное подтверждение в СПК КНБ: срок 17.12.2026 — соблюдён 17.12.2026"
        ),
        "p19_open": "срок 23.12.2026 — не истёк",
        "late": "исполнено с опозданием 08.12.2026",
        "empty": "За период сообщений не поступало.",
    },
    "kk": {
        "title": "Сыбайлас жемқорлық құқық бұзушылықтар туралы хабарламаларды есепке алу журналы",
        "number": "Р/с №",
        "portal": "анонимдік веб-портал (Ұсынымдардың 5-тармағының 5) тармақшасы)",
        "new": "түсті, ашылмаған",
        "confirmation_sent": "жазбаша растау жіберілді",
        "closed": "жабылды",
        "crime": "сыбайлас жемқорлық қылмыс",
        "administrative": "әкімшілік сыбайлас жемқорлық құқық бұзушылық",
        "p9_missed": "9-т. — ҰҚК СЖҚҚ-ға жазбаша растау: мерзімі 18.12.2026 — сақталмады",
        "p9_met": "9-т. — ҰҚК СЖҚҚ-ға жазбаша растау: мерзімі 17.12.2026 — сақталды 17.12.2026",
        "p19_open": "мерзімі 23.12.2026 — мерзімі өтпеген",
        "late": "кешігіп орындалды 08.12.2026",
        "empty": "Көрсетілген кезеңде хабарламалар түспеген.",
    },
}


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_docx_and_xlsx_hold_the_fields_in_the_language(
    demo: DemoInstance, no_decryption: None, lang: str
) -> None:
    _reports(demo)
    book = _book(demo)
    words = WORDS[lang]
    table, text = _docx_text(register_docx(book, lang))
    assert words["title"] in text
    assert table[0][0] == words["number"]
    assert len(table) == 1 + len(book.rows)
    by_date = {row[1]: row for row in table[1:]}
    unopened = by_date["14.12.2026"]
    assert unopened[0].isdigit()
    assert (unopened[2], unopened[4]) == (words["portal"], words["new"])
    assert words["p9_missed"] in unopened[5]
    confirmed = by_date["11.12.2026"]
    assert confirmed[3:5] == [words["crime"], words["confirmation_sent"]]
    assert words["p9_met"] in confirmed[5]
    assert confirmed[6:] == ["04-12/345", "17.12.2026"]
    protected = by_date["01.12.2026"]
    assert protected[3] == words["administrative"]
    assert words["p19_open"] in protected[5]
    closed = by_date["02.12.2026"]
    assert closed[4] == words["closed"]
    assert words["late"] in closed[5]
    assert closed[6:] == ["04-12/300", "08.12.2026"]

    rows = _xlsx_rows(register_xlsx(book, lang))
    assert rows[0][0] == words["title"]
    headings = rows[3]
    assert headings[0] == words["number"]
    data = {row[1]: row for row in rows[4 : 4 + len(book.rows)]}
    confirmed_row = data[datetime(2026, 12, 11)]
    assert confirmed_row[2] == words["portal"]
    assert confirmed_row[3:5] == (words["crime"], words["confirmation_sent"])
    assert confirmed_row[-2:] == ("04-12/345", datetime(2026, 12, 17))
    p9_due = headings.index(next(h for h in headings if str(h).startswith(("п. 9", "9-т."))))
    assert confirmed_row[p9_due] == datetime(2026, 12, 17)
    assert str(confirmed_row[p9_due + 1]).endswith("17.12.2026")
    assert data[datetime(2026, 12, 14)][4] == words["new"]
    everything = json.dumps(rows, default=str, ensure_ascii=False)
    for marker in MARKERS:
        assert marker not in text
        assert marker not in everything


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_an_empty_period_gives_headings_and_no_rows(demo: DemoInstance, lang: str) -> None:
    _reports(demo)
    book = _book(demo, date(2027, 1, 1), date(2027, 1, 31))
    assert book.rows == ()
    table, text = _docx_text(register_docx(book, lang))
    assert len(table) == 1 and table[0][0] == WORDS[lang]["number"]
    assert WORDS[lang]["empty"] in text
    rows = _xlsx_rows(register_xlsx(book, lang))
    assert rows[3][0] == WORDS[lang]["number"]
    assert rows[4][0] == WORDS[lang]["empty"]


def test_a_bad_period_is_refused(demo: DemoInstance) -> None:
    with pytest.raises(AdalError) as reversed_period:
        _book(demo, date(2026, 12, 31), date(2026, 12, 1))
    assert reversed_period.value.code == "period_reversed"
    with pytest.raises(AdalError) as too_long:
        _book(demo, date(2020, 1, 1), date(2020, 1, 1) + MAX_PERIOD + timedelta(days=1))
    assert too_long.value.code == "period_too_long"
    assert reversed_period.value.area == book_module.AREA


# --- the back office -------------------------------------------------------------------------


def _download(client: Browser, lang: str, fmt: str) -> bytes:
    response = client.get(f"/journal/register-{lang}.{fmt}?since=2026-12-01&until=2026-12-31")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert "attachment" in response.headers["Content-Disposition"]
    assert "no-store" in response.headers["Cache-Control"]
    return response.get_data()


@pytest.mark.parametrize("role", ["head", "auditor"])
def test_head_and_auditor_export_and_each_export_is_audited(
    demo: DemoInstance, as_role: Callable[[str], Browser], role: str
) -> None:
    _reports(demo)
    client = as_role(role)
    page = client.get("/journal?since=2026-12-01&until=2026-12-31")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/journal/register-kk.xlsx?since=2026-12-01&amp;until=2026-12-31" in html
    assert 'href="/journal"' in client.get("/").get_data(as_text=True) or "/journal" in html
    for lang in ("kk", "ru"):
        table, text = _docx_text(_download(client, lang, "docx"))
        assert WORDS[lang]["title"] in text
        assert len(table) == 6
        assert "04-12/345" in text
        rows = _xlsx_rows(_download(client, lang, "xlsx"))
        assert rows[0][0] == WORDS[lang]["title"]
        everything = text + json.dumps(rows, default=str, ensure_ascii=False)
        for marker in MARKERS:
            assert marker not in everything
    with demo.sessions() as s:
        entries = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "export.register").order_by(AuditEntry.id)
        ).all()
        username = demo.credentials()[role]["username"]
        assert [(e.actor, e.details["lang"], e.details["format"]) for e in entries] == [
            (username, "kk", "docx"),
            (username, "kk", "xlsx"),
            (username, "ru", "docx"),
            (username, "ru", "xlsx"),
        ]
        assert {(e.details["since"], e.details["until"], e.details["rows"]) for e in entries} == {
            ("2026-12-01", "2026-12-31", 5)
        }


@pytest.mark.parametrize("role", ["handler", "admin"])
def test_handler_and_admin_are_refused(
    demo: DemoInstance, as_role: Callable[[str], Browser], role: str
) -> None:
    _reports(demo)
    client = as_role(role)
    assert client.get("/journal").status_code == 403
    response = client.get("/journal/register-ru.docx?since=2026-12-01&until=2026-12-31")
    assert response.status_code == 403
    assert "04-12/345" not in response.get_data(as_text=True)
    with demo.sessions() as s:
        assert not s.scalars(select(AuditEntry).where(AuditEntry.action == "export.register")).all()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("since=2026-12-31&until=2026-12-01", "The period ends before it starts."),
        ("since=2020-01-01&until=2026-12-01", "at most five years"),
        ("since=14.12.2026&until=2026-12-31", "for example 2026-12-14"),
        ("since=2026-02-30&until=2026-12-31", "for example 2026-12-14"),
    ],
)
def test_a_bad_period_is_a_message_not_a_download(
    demo: DemoInstance, as_role: Callable[[str], Browser], query: str, message: str
) -> None:
    client = as_role("head")
    client.get("/lang/en?next=/")
    for url in (f"/journal?{query}", f"/journal/register-ru.xlsx?{query}"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert message in response.get_data(as_text=True), url
    assert client.get("/journal/register-de.docx").status_code == 404
    assert client.get("/journal/register-ru.pdf").status_code == 404
    with demo.sessions() as s:
        assert not s.scalars(select(AuditEntry).where(AuditEntry.action == "export.register")).all()


def test_the_portal_marker_never_reaches_the_register(
    app: Flask, demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    """A report with its own marker sentence, through the portal's storage, today."""
    marker = "Маркерное предложение 7q2w о взятке"
    store_portal_report(demo, facts=marker, identity=IDENTITY)
    today = datetime.now(UTC) + KZ
    client = as_role("auditor")
    for lang in ("kk", "ru"):
        for fmt in ("docx", "xlsx"):
            response = client.get(
                f"/journal/register-{lang}.{fmt}?since={today.date().isoformat()}"
                f"&until={today.date().isoformat()}"
            )
            assert response.status_code == 200
            body = response.get_data()
            if fmt == "docx":
                _table, text = _docx_text(body)
            else:
                text = json.dumps(_xlsx_rows(body), default=str, ensure_ascii=False)
            assert "7q2w" not in text and IDENTITY["full_name"] not in text
    with demo.sessions() as s:
        assert s.scalars(select(Submission)).first() is not None
