"""Where a report goes (issue 13; DESIGN.md, "Organizations"): an installation of one
organization asks nothing; with several, the form is for one organization and offers its
superior body (p4), the choice is checked on the server, and the files, the report and the
identity block are sealed to the chosen organization's keys alone. The mailbox opens with the
receipt alone wherever the report went."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from cases import messages
from cases.reading import open_report
from cases.staff import create_user
from crypto.keys import unwrap_private_key
from portal import report as report_view
from store import sealing
from store.models import Attachment, Envelope, Grant, Organization, RecipientKey, Submission, User
from tests.support import portal as site
from tests.support.instance import DemoInstance
from tests.support.org_tree import INACTIVE, VACANT, make_tree
from tests.support.portal import audit

FACTS = "Председатель комитета потребовал деньги за лицензию."


@pytest.fixture
def tree(demo: DemoInstance) -> dict[str, int]:
    return make_tree(demo.sessions)


def _form_fields(client: FlaskClient, path: str) -> dict[str, str]:
    page = client.get(path).get_data(as_text=True)
    nonce = re.search(r'name="nonce" type="hidden" value="([^"]+)"', page)
    assert nonce, f"no report form at {path}"
    return {"csrf_token": site.csrf_token(page), "nonce": nonce.group(1)}


def _multipart(parts: list[tuple[str, str | tuple[str, bytes]]]) -> tuple[bytes, str]:
    """A multipart body with its parts in exactly this order (a browser sends a form's fields
    in document order; werkzeug's encoder would group repeated names)."""
    boundary = "adal" + secrets.token_hex(8)
    chunks: list[bytes] = []
    for name, value in parts:
        if isinstance(value, tuple):
            filename, data = value
            head = (
                f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                "Content-Type: text/plain\r\n\r\n"
            )
            chunks.append(f"--{boundary}\r\n{head}".encode() + data + b"\r\n")
        else:
            head = f'Content-Disposition: form-data; name="{name}"\r\n\r\n'
            chunks.append(f"--{boundary}\r\n{head}{value}\r\n".encode())
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def _send(client: FlaskClient, parts: list[tuple[str, str | tuple[str, bytes]]]) -> TestResponse:
    body, content_type = _multipart(parts)
    return client.post("/report", data=body, content_type=content_type)


def _report(
    client: FlaskClient, org: str, to: str, *, identity: bool = False, file: bool = True
) -> TestResponse:
    fields = _form_fields(client, f"/o/{org}/report")
    parts: list[tuple[str, str | tuple[str, bytes]]] = [
        ("csrf_token", fields["csrf_token"]),
        ("nonce", fields["nonce"]),
        ("org", org),
        ("to", to),
        ("facts", FACTS),
    ]
    if identity:
        parts += [("full_name", "Сериков Арман"), ("consent", "y")]
    if file:
        parts.append(("files", ("лицензия.txt", "Лицензия №17".encode())))
    parts.append(("acknowledge", "y"))
    return _send(client, parts)


def _key_orgs(demo: DemoInstance, envelope_ids: list[str]) -> set[int | None]:
    """The organizations whose keys hold a grant on these envelopes."""
    with demo.sessions() as db:
        return set(
            db.execute(
                select(RecipientKey.org_id)
                .join(Grant, Grant.key_id == RecipientKey.key_id)
                .where(Grant.envelope_id.in_(envelope_ids))
            ).scalars()
        )


def _envelopes(demo: DemoInstance, submission_id: str) -> list[str]:
    with demo.sessions() as db:
        submission = db.get(Submission, submission_id)
        assert submission is not None
        ids = [submission.report_envelope_id]
        if submission.identity_envelope_id:
            ids.append(submission.identity_envelope_id)
        ids += db.execute(
            select(Attachment.envelope_id).where(Attachment.submission_id == submission_id)
        ).scalars()
        return ids


def _portal_submissions(demo: DemoInstance) -> dict[str, int | None]:
    with demo.sessions() as db:
        return dict(
            db.execute(
                select(Submission.id, Submission.org_id).where(Submission.channel == "portal")
            ).all()
        )


def test_an_installation_of_one_organization_asks_nothing(
    client: FlaskClient, demo: DemoInstance
) -> None:
    page = client.get("/report").get_data(as_text=True)
    assert 'id="facts"' in page
    assert 'name="to"' not in page and 'name="org"' not in page
    before = _portal_submissions(demo)
    response = site.post_report(client, site.report_fields(client))
    assert response.status_code == 200
    new = {k: v for k, v in _portal_submissions(demo).items() if k not in before}
    with demo.sessions() as db:
        only = db.execute(select(Organization.id)).scalar_one()
    assert list(new.values()) == [only]


def test_an_installation_of_one_ignores_an_organization_field_it_never_sent(
    client: FlaskClient, demo: DemoInstance
) -> None:
    """The fuzzer's case: `org` naming no organization (the form of an installation of one has
    no such field) was a 500; the report goes to the only organization, naming no other."""
    fields = site.report_fields(client)
    before = _portal_submissions(demo)
    for org in ("0", "no-such-body"):
        response = _send(
            client,
            [
                ("csrf_token", fields["csrf_token"]),
                ("nonce", f"{fields['nonce']}"),
                ("org", org),
                ("facts", FACTS),
                ("acknowledge", "y"),
            ],
        )
        assert response.status_code in (200, 409), response.status_code
    new = [k for k in _portal_submissions(demo) if k not in before]
    assert len(new) == 1


def test_with_several_organizations_the_form_first_asks_which(
    client: FlaskClient, tree: dict[str, int]
) -> None:
    client.get("/lang/ru")
    response = client.get("/report")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="facts"' not in page and 'id="q"' in page
    assert "Сначала найдите организацию" in page
    audit(response, "ru")


def test_the_form_names_the_organization_and_offers_its_superior_body(
    client: FlaskClient, tree: dict[str, int]
) -> None:
    client.get("/lang/ru")
    page = client.get("/o/health-control/report").get_data(as_text=True)
    assert 'name="org" type="hidden" value="health-control"' in page
    assert re.search(r'checked[^>]*value="health-control"|value="health-control"[^>]*checked', page)
    assert 'value="health"' in page
    assert "В вышестоящий орган (его руководителю): Министерство здравоохранения" in page
    # Names are not unique: the superior body's permanent slug tells same-named ones apart.
    assert "Министерство здравоохранения Республики Казахстан (health)" in page
    # p4: one's own head normally; the superior head or 1424 if the head is involved.
    assert "руководителю вышестоящего органа или сообщите в СПК КНБ по номеру 1424" in page
    assert "Adal не даёт этой организации ни доступа к сообщению" in page
    root = client.get("/o/health/report").get_data(as_text=True)
    assert 'type="radio"' not in root
    assert "Ваше сообщение будет направлено: Министерство здравоохранения" in root
    # A top-level body has no superior one: if its head is involved, 1424 (p4).
    assert "сообщите напрямую в СПК КНБ по номеру 1424" in root
    assert "сообщите напрямую в СПК КНБ" not in page


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("ru", "руководителя государственного органа (организации), которому я направляю"),
        ("kk", "Хабарламаны жіберетін мемлекеттік органның (ұйымның) басшысының"),
    ],
)
def test_the_consent_names_the_head_of_the_body_the_report_goes_to(
    client: FlaskClient,
    demo: DemoInstance,
    tree: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
    lang: str,
    text: str,
) -> None:
    """Seed p14, Appendix 2: the consent is to the head of the body the report is sent to, and
    the wording kept with the identity names that body (law review of issue 13, finding 4)."""
    client.get(f"/lang/{lang}")
    page = client.get("/o/health-control/report").get_data(as_text=True)
    assert text in page
    sent: list[str] = []
    real = report_view.submit_report

    def keep(*args: Any, **kwargs: Any) -> Any:
        sent.append(kwargs["portal"].consent_text)
        return real(*args, **kwargs)

    monkeypatch.setattr(report_view, "submit_report", keep)
    assert _report(client, "health-control", "health", identity=True).status_code == 200
    name = {"ru": "Министерство здравоохранения", "kk": "Денсаулық сақтау министрлігі"}[lang]
    assert len(sent) == 1 and text in sent[0] and name in sent[0]


def test_a_report_to_the_superior_body_is_sealed_to_its_keys_alone(
    client: FlaskClient, demo: DemoInstance, tree: dict[str, int]
) -> None:
    before = _portal_submissions(demo)
    response = _report(client, "health-control", "health", identity=True)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    new = [k for k in _portal_submissions(demo) if k not in before]
    assert len(new) == 1
    assert _portal_submissions(demo)[new[0]] == tree["health"]
    envelopes = _envelopes(demo, new[0])
    assert len(envelopes) == 3  # the report, the identity block, the file
    assert _key_orgs(demo, envelopes) == {tree["health"]}


def test_a_report_to_the_organization_itself_goes_to_it(
    client: FlaskClient, demo: DemoInstance, tree: dict[str, int]
) -> None:
    before = _portal_submissions(demo)
    assert _report(client, "health-control", "health-control").status_code == 200
    new = [k for k in _portal_submissions(demo) if k not in before]
    assert [_portal_submissions(demo)[k] for k in new] == [tree["health-control"]]
    assert _key_orgs(demo, _envelopes(demo, new[0])) == {tree["health-control"]}


@pytest.mark.parametrize(
    ("org", "to"),
    [
        ("health-control", "finance"),  # not its superior body
        ("health-control", "health-control-almaty"),  # below it, not above
        ("health-control", INACTIVE),
        (INACTIVE, INACTIVE),
        (VACANT, VACANT),  # no head, no handler: nobody could read it (finding 2)
        (VACANT, "health"),  # its page offers no form at all
        ("no-such-body", "no-such-body"),
        ("", ""),  # several organizations and none named: never a default
    ],
)
def test_a_destination_the_form_cannot_offer_is_refused_and_the_text_kept(
    client: FlaskClient, demo: DemoInstance, tree: dict[str, int], org: str, to: str
) -> None:
    fields = _form_fields(client, "/o/health-control/report")
    before = _portal_submissions(demo)
    with demo.sessions() as db:
        files_before = db.scalar(
            select(func.count()).select_from(Envelope).where(Envelope.purpose == "file")
        )
    response = _send(
        client,
        [
            ("csrf_token", fields["csrf_token"]),
            ("nonce", fields["nonce"]),
            ("org", org),
            ("to", to),
            ("facts", FACTS),
            ("files", ("a.txt", b"evidence")),
            ("acknowledge", "y"),
        ],
    )
    assert response.status_code in (400, 422)
    assert FACTS in response.get_data(as_text=True)  # the typed report comes back
    audit(response)
    assert _portal_submissions(demo) == before
    with demo.sessions() as db:
        files_after = db.scalar(
            select(func.count()).select_from(Envelope).where(Envelope.purpose == "file")
        )
    assert files_after == files_before  # no file left behind


def test_a_destination_changed_after_the_files_is_refused(
    client: FlaskClient, demo: DemoInstance, tree: dict[str, int]
) -> None:
    """The files are sealed as they arrive, to the destination named before them; a body that
    names another one afterwards is refused, its files shredded."""
    fields = _form_fields(client, "/o/health-control/report")
    before = _portal_submissions(demo)
    response = _send(
        client,
        [
            ("csrf_token", fields["csrf_token"]),
            ("nonce", fields["nonce"]),
            ("org", "health-control"),
            ("facts", FACTS),
            ("files", ("a.txt", b"evidence")),
            ("to", "health"),
            ("acknowledge", "y"),
        ],
    )
    assert response.status_code == 422
    assert _portal_submissions(demo) == before
    with demo.sessions() as db:
        assert not db.scalar(
            select(func.count()).select_from(Envelope).where(Envelope.purpose == "file")
        )


def test_the_mailbox_opens_wherever_the_report_went_and_shows_the_superior_bodys_reply(
    client: FlaskClient, demo: DemoInstance, tree: dict[str, int]
) -> None:
    # A handler of the ministry, there before the report arrives.
    with demo.sessions() as db, db.begin():
        made = create_user(
            db,
            username="health-handler",
            full_name="Әлия Серікова",
            role="handler",
            org_id=tree["health"],
            instance_secret=demo.instance.secret_key,
            kdf=demo.instance.kdf,
        )
        password = made.password
    response = _report(client, "health-control", "health")
    assert response.status_code == 200
    code = site.receipt_code(response.get_data(as_text=True))
    with demo.sessions() as db, db.begin():
        submission = db.execute(
            select(Submission).where(Submission.org_id == tree["health"])
        ).scalar_one()
        handler = db.execute(select(User).where(User.username == "health-handler")).scalar_one()
        assert handler.wrapped_key is not None
        key = unwrap_private_key(handler.wrapped_key, password)
        assert FACTS.encode() in sealing.open_body(submission.report_envelope, key, expect="report")
        messages.reply(db, submission, "Когда и где были переданы деньги?", datetime.now(UTC))

    fresh = client.application.test_client()
    assert site.login(fresh, code).status_code == 303
    mailbox = fresh.get("/mailbox")
    assert mailbox.status_code == 200
    assert "Когда и где были переданы деньги?" in mailbox.get_data(as_text=True)


def test_switching_language_keeps_the_chosen_destination(
    client: FlaskClient, tree: dict[str, int]
) -> None:
    fields = _form_fields(client, "/o/health-control/report")
    response = client.post(
        "/report/language/kk",
        data={**fields, "org": "health-control", "to": "health", "facts": FACTS},
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert FACTS in page
    assert re.search(r'checked[^>]*value="health"|value="health"[^>]*checked', page)
    assert "Жоғары тұрған органға (оның басшысына)" in page
    audit(response, "kk")


def _handler_of(demo: DemoInstance, org_id: int, username: str) -> str:
    with demo.sessions() as db, db.begin():
        return create_user(
            db,
            username=username,
            full_name="Әлия Серікова",
            role="handler",
            org_id=org_id,
            instance_secret=demo.instance.secret_key,
            kdf=demo.instance.kdf,
        ).password


def _opened_as(demo: DemoInstance, username: str, password: str, org_id: int) -> dict[str, Any]:
    with demo.sessions() as db:
        submission = db.execute(select(Submission).where(Submission.org_id == org_id)).scalar_one()
        handler = db.execute(select(User).where(User.username == username)).scalar_one()
        assert handler.wrapped_key is not None
        return open_report(submission, unwrap_private_key(handler.wrapped_key, password))


def test_a_report_to_the_superior_body_says_inside_it_which_page_it_came_from(
    client: FlaskClient, demo: DemoInstance, tree: dict[str, int]
) -> None:
    """Law review of issue 13, finding 1 (p11 4), p6): the superior body learns which
    subordinate organization the report is about, from the sealed body alone; a report to the
    organization itself carries no such key."""
    password = _handler_of(demo, tree["health"], "health-handler")
    assert _report(client, "health-control", "health").status_code == 200
    body = _opened_as(demo, "health-handler", password, tree["health"])
    assert body["facts"] == FACTS
    assert body["sent_from_org"] == {
        "slug": "health-control",
        "name_kk": "Медициналық және фармацевтикалық бақылау комитеті",
        "name_ru": "Комитет медицинского и фармацевтического контроля",
        "name_en": "Committee for Medical and Pharmaceutical Control",
    }
    own = _handler_of(demo, tree["health-control"], "control-handler")
    assert _report(client, "health-control", "health-control").status_code == 200
    body = _opened_as(demo, "control-handler", own, tree["health-control"])
    assert body["facts"] == FACTS and "sent_from_org" not in body
