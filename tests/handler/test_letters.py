"""The official letters (issue 15): prefilled from the case, edited, exported as DOCX and as a
print page in Russian and Kazakh, audited without content; the notice of the decision only for
a known reporter and named only for a head; refused to users who do not hold the case."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from documents.letters import date_words
from rules.clock import KZ_TZ
from store.models import AuditEntry, Organization, ProtectionMatter
from tests.support.backoffice import Browser, store_portal_report
from tests.support.documents import docx_all_text
from tests.support.instance import DemoInstance, demo_org_id

IDENTITY = {"full_name": "Серікбаев Ерлан", "position": "бухгалтер", "unit": "қаржы бөлімі"}
DOCX = "wordprocessingml.document"
# (lang, the p9 paragraph as cited, the addressee's first line, the outgoing line for 01-15/42
# of 23 March 2026, a Monday after the Nauryz holidays)
COVER = {
    "ru": ("пунктом 9", "Службе по противодействию коррупции", "№ 01-15/42 от 23 марта 2026 года"),
    "kk": ("9-тармағына", "Сыбайлас жемқорлыққа қарсы", "2026 жылғы 23 наурыздағы № 01-15/42"),
}


def _now() -> datetime:
    return datetime.now(UTC).astimezone(KZ_TZ)


def _confirmation_sent(demo: DemoInstance, head: Browser) -> tuple[str, datetime]:
    """A portal report the head has taken through p8 (the 1424 call) and p9 (the written
    confirmation, outgoing number 01-15/42 of today): what the cover letter is filled from."""
    sid = store_portal_report(demo).submission_id
    assert head.get(f"/cases/{sid}").status_code == 200
    now = _now()
    call = {"call_time": now.strftime("%Y-%m-%dT%H:%M"), "operator": "Operator A"}
    assert _step(head, sid, "kns_notified", call) == 303
    sent = {"outgoing_number": "01-15/42", "outgoing_date": now.date().isoformat()}
    assert _step(head, sid, "confirmation_sent", sent) == 303
    return sid, now


def _step(client: Browser, sid: str, step: str, data: dict[str, str]) -> int:
    response = client.post(
        f"/cases/{sid}/steps/{step}", {f"{step}-{k}": v for k, v in data.items()}
    )
    return response.status_code


def _form(page: str) -> dict[str, str]:
    """The edit page's fields as the browser would send them back, unedited."""
    from html.parser import HTMLParser

    found: dict[str, str] = {}

    class Parser(HTMLParser):
        textarea: str | None = None

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            a = dict(attrs)
            name = a.get("name")
            if tag == "input" and name and name != "csrf_token":
                found[name] = a.get("value") or ""
            if tag == "textarea" and name:
                self.textarea = name
                found[name] = ""
            if tag == "option" and "selected" in a:
                found["fmt"] = a.get("value") or ""

        def handle_data(self, data: str) -> None:
            if self.textarea:
                found[self.textarea] += data

        def handle_endtag(self, tag: str) -> None:
            if tag == "textarea" and self.textarea:
                found[self.textarea] = found[self.textarea].lstrip("\n")
                self.textarea = None

    Parser().feed(page)
    return found


def _audits(demo: DemoInstance) -> list[AuditEntry]:
    with demo.sessions() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == "export.letter")).all())


def test_kazakh_and_russian_calendar_dates() -> None:
    assert date_words(date(2026, 3, 22), "kk") == "2026 жылғы 22 наурыз"
    assert date_words(date(2026, 4, 1), "kk", "attr") == "2026 жылғы 1 сәуірдегі"
    assert date_words(date(2026, 9, 7), "kk", "dat") == "2026 жылғы 7 қыркүйекке"
    assert date_words(date(2026, 12, 16), "kk", "loc") == "2026 жылғы 16 желтоқсанда"
    assert date_words(date(2026, 12, 16), "ru") == "16 декабря 2026 года"
    assert date_words(None, "kk") == "20___ жылғы «___» ____________"


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_cover_letter_prefilled_from_the_p9_step_edited_and_exported(
    demo: DemoInstance, as_role: Callable[[str], Browser], lang: str
) -> None:
    head = as_role("head")
    sid, now = _confirmation_sent(demo, head)
    case_page = head.get(f"/cases/{sid}").get_data(as_text=True)
    assert f"/cases/{sid}/letters/confirmation_cover/{lang}" in case_page

    url = f"/cases/{sid}/letters/confirmation_cover/{lang}"
    page = head.get(url)
    assert page.status_code == 200
    fields = _form(page.get_data(as_text=True))
    cited, addressee, outgoing = COVER[lang]
    assert fields["outgoing_number"] == "01-15/42"
    assert fields["outgoing_date"] == now.date().isoformat()
    assert addressee in fields["addressee"] and cited in fields["body"]
    assert date_words(now.date(), lang, "loc" if lang == "kk" else "nom") in fields["body"]
    # No report content in the letter: the facts stay in Appendix 1.
    assert "bribe" not in page.get_data(as_text=True)

    edited = {
        **fields,
        "outgoing_date": "2026-03-23",
        "body": fields["body"] + "\n\nEdited sentence 5c1e.",
        "signatory_name": "Ахметов Б.",
        "fmt": "docx",
    }
    response = head.post(url, edited)
    assert response.status_code == 200, response.get_data(as_text=True)[:1500]
    assert response.mimetype.endswith(DOCX)
    text = docx_all_text(response.data)
    for value in (outgoing, addressee, cited, "Edited sentence 5c1e", "Ахметов Б."):
        assert value in text, (lang, value)
    assert ("Приложение:" in text) == (lang == "ru") and ("Қосымша:" in text) == (lang == "kk")

    html = head.post(url, {**edited, "fmt": "html"})
    assert html.status_code == 200 and html.mimetype == "text/html"
    body = html.get_data(as_text=True)
    assert f'<html lang="{lang}">' in body
    for value in (outgoing, cited, "Edited sentence 5c1e"):
        assert value in body

    entries = _audits(demo)
    assert [(e.details["letter"], e.details["lang"], e.details["format"]) for e in entries] == [
        ("confirmation_cover", lang, "docx"),
        ("confirmation_cover", lang, "html"),
    ]
    assert all(e.target == sid for e in entries)
    assert all("5c1e" not in str(e.details) for e in entries)


def test_hostile_text_is_escaped_and_controls_marked(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    sid = store_portal_report(demo).submission_id
    handler = as_role("handler")
    handler.get(f"/cases/{sid}")
    url = f"/cases/{sid}/letters/confirmation_cover/ru"
    fields = _form(handler.get(url).get_data(as_text=True))
    hostile = "<script>alert(1)</script> оплата 100\u202e001\x0b"
    data = {**fields, "body": hostile, "addressee": "Кому <b>жирно</b>", "fmt": "html"}
    page = handler.post(url, data).get_data(as_text=True)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>" not in page and "\u202e" not in page and "[U+202E]" in page
    docx = handler.post(url, {**data, "fmt": "docx"})
    assert docx.status_code == 200
    text = docx_all_text(docx.data)
    assert "<script>alert(1)</script>" in text and "[U+202E]" in text
    assert "\u202e" not in text and "\x0b" not in text
    # A refused form shows the text back with the control visible, never working.
    again = handler.post(url, {**data, "outgoing_date": "2026-13-45"})
    assert again.status_code == 400
    shown = again.get_data(as_text=True)
    assert "\u202e" not in shown and "<script>alert" not in shown


def test_notice_of_the_decision_only_for_a_known_reporter(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    anonymous = store_portal_report(demo).submission_id
    known = store_portal_report(demo, identity=IDENTITY).submission_id
    head = as_role("head")
    handler = as_role("handler")
    for sid in (anonymous, known):
        assert head.get(f"/cases/{sid}").status_code == 200
    assert "decision_notice" not in head.get(f"/cases/{anonymous}").get_data(as_text=True)
    for lang in ("ru", "kk"):
        url = f"/cases/{anonymous}/letters/decision_notice/{lang}"
        assert head.get(url).status_code == 404
        assert head.post(url, {"addressee": "x", "body": "y", "fmt": "docx"}).status_code == 404
    assert "decision_notice" in head.get(f"/cases/{known}").get_data(as_text=True)

    # The head's draft is addressed to the reporter by name (the identity opening is audited);
    # a handler's draft leaves the addressee for the head (p14).
    for lang, right in (
        ("ru", "подпунктом 4) приложения 3"),
        ("kk", "3-қосымшаның 4) тармақшасына"),
    ):
        url = f"/cases/{known}/letters/decision_notice/{lang}"
        fields = _form(head.get(url).get_data(as_text=True))
        assert "Серікбаев Ерлан" in fields["addressee"] and "бухгалтер" in fields["addressee"]
        assert right in fields["body"]
        response = head.post(url, {**fields, "outgoing_number": "7", "fmt": "docx"})
        assert response.status_code == 200 and response.mimetype.endswith(DOCX)
        text = docx_all_text(response.data)
        assert "Серікбаев Ерлан" in text and right in text
        handler_page = handler.get(url).get_data(as_text=True)
        assert "Серікбаев" not in handler_page
    with demo.sessions() as s:
        opened = s.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "identity.open", AuditEntry.target == known
            )
        ).all()
    assert len(opened) >= 2


def test_letters_refused_to_those_who_do_not_hold_the_case(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    sid = store_portal_report(demo).submission_id
    head = as_role("head")
    head.get(f"/cases/{sid}")
    fields = _form(head.get(f"/cases/{sid}/letters/confirmation_cover/ru").get_data(as_text=True))
    for role in ("admin", "auditor"):
        client = as_role(role)
        assert client.get(f"/cases/{sid}/letters/confirmation_cover/ru").status_code == 403
    # A case id nobody holds answers 404, like every case page, and is audited as denied.
    other = "f" * 32
    assert head.get(f"/cases/{other}/letters/confirmation_cover/ru").status_code == 404
    assert head.post(f"/cases/{other}/letters/confirmation_cover/ru", fields).status_code == 404
    assert head.get(f"/cases/{sid}/letters/confirmation_cover/en").status_code == 404
    assert head.get(f"/cases/{sid}/letters/nonsense/ru").status_code == 404
    assert _audits(demo) == []


def _matter(demo: DemoInstance, head: Browser, sid: str, *, decided: bool) -> int:
    base = f"/cases/{sid}/protection"
    assert head.post(base, {"full_name": "Серікбаев Е."}).status_code == 303
    today = _now().date()
    added = head.post(
        f"{base}/matters",
        {"kind": "transfer", "body": "conciliation", "proposed_on": today.isoformat()},
    )
    assert added.status_code == 303
    with demo.sessions() as s:
        matter_id = s.scalars(select(ProtectionMatter.id)).one()
    dates = {f"m{matter_id}-meeting_on": (today + timedelta(days=20)).isoformat()}
    assert head.post(f"{base}/matters/{matter_id}", dates).status_code == 303
    if decided:
        with demo.sessions() as s:
            matter = s.get(ProtectionMatter, matter_id)
            assert matter is not None
            matter.meeting_on = today
            matter.decided_on = today
            s.commit()
    return matter_id


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_letters_to_the_civil_service_agency(
    demo: DemoInstance, as_role: Callable[[str], Browser], lang: str
) -> None:
    sid = store_portal_report(demo, identity=IDENTITY).submission_id
    head = as_role("head")
    head.get(f"/cases/{sid}")
    matter_id = _matter(demo, head, sid, decided=False)
    base = f"/cases/{sid}/protection/matters/{matter_id}/letters"
    page = head.get(f"/cases/{sid}/protection").get_data(as_text=True)
    assert f"{base}/agency_materials/{lang}" in page
    assert "agency_decision" not in page
    assert head.get(f"{base}/agency_decision/{lang}").status_code == 404

    meeting = _now().date() + timedelta(days=20)
    cited = {"ru": "пунктом 18", "kk": "18-тармағына"}[lang]
    addressee = {"ru": "Агентству Республики Казахстан", "kk": "Мемлекеттік қызмет істері"}[lang]
    fields = _form(head.get(f"{base}/agency_materials/{lang}").get_data(as_text=True))
    assert cited in fields["body"] and addressee in fields["addressee"]
    assert date_words(meeting, lang, "dat" if lang == "kk" else "nom") in fields["body"]
    assert "Серікбаев" not in fields["body"] + fields["addressee"]
    response = head.post(
        f"{base}/agency_materials/{lang}/export",
        {**fields, "outgoing_number": "03-2/9", "outgoing_date": "2026-04-01"},
    )
    assert response.status_code == 200 and response.mimetype.endswith(DOCX)
    text = docx_all_text(response.data)
    out = {"ru": "№ 03-2/9 от 1 апреля 2026 года", "kk": "2026 жылғы 1 сәуірдегі № 03-2/9"}
    for value in (out[lang], cited, addressee):
        assert value in text

    # After the decision: the p19 letter, citing p19 and the decision's date.
    with demo.sessions() as s:
        matter = s.get(ProtectionMatter, matter_id)
        assert matter is not None
        matter.decided_on = meeting
        s.commit()
    assert f"{base}/agency_decision/{lang}" in head.get(f"/cases/{sid}/protection").get_data(
        as_text=True
    )
    fields = _form(head.get(f"{base}/agency_decision/{lang}").get_data(as_text=True))
    cited = {"ru": "пунктом 19", "kk": "19-тармағына"}[lang]
    assert cited in fields["body"]
    assert date_words(meeting, lang, "attr" if lang == "kk" else "nom") in fields["body"]
    html = head.post(f"{base}/agency_decision/{lang}/export", {**fields, "fmt": "html"})
    assert html.status_code == 200 and cited in html.get_data(as_text=True)
    details = [e.details for e in _audits(demo)]
    assert [(d["letter"], d["matter"]) for d in details] == [
        ("agency_materials", matter_id),
        ("agency_decision", matter_id),
    ]

    # A handler without the head's share of the protection record is refused, like its page.
    handler = as_role("handler")
    handler.get(f"/cases/{sid}")
    assert handler.get(f"{base}/agency_materials/{lang}").status_code == 403
    # A matter of another case is not found through this one.
    other = store_portal_report(demo).submission_id
    head.get(f"/cases/{other}")
    other_url = f"/cases/{other}/protection/matters/{matter_id}/letters/agency_materials/{lang}"
    assert head.get(other_url).status_code == 404


def test_sender_falls_back_to_the_directory_name_in_the_letters_language(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    """Law review of issue 13, finding 9: with the organization's name setting empty (as for an
    organization made by `adal org add`), the p9 cover letter's sender is the organization's
    directory name in the letter's language; the setting, once filled, wins."""
    with demo.sessions() as s:
        org = s.get(Organization, demo_org_id(s))
        assert org is not None
        names = {"ru": org.name_ru, "kk": org.name_kk}
    assert names["ru"] != names["kk"]
    head = as_role("head")
    sid, _sent_on = _confirmation_sent(demo, head)
    for lang, name in names.items():
        page = head.get(f"/cases/{sid}/letters/confirmation_cover/{lang}")
        assert _form(page.get_data(as_text=True))["sender"] == name
    admin = as_role("admin")
    settings = {"organization_name": "Агенттік", "lockout_max_failures": "5"}
    assert admin.post("/admin/settings", {**settings, "lockout_minutes": "15"}).status_code == 303
    for lang in names:
        page = head.get(f"/cases/{sid}/letters/confirmation_cover/{lang}")
        assert _form(page.get_data(as_text=True))["sender"] == "Агенттік"
