"""Finding the organization on the portal (issue 13, "Portal"): the search, the tree, each
organization's page and its poster, with JavaScript nowhere and the portal's exact headers."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from store.models import RecipientKey
from tests.support import portal as site
from tests.support import qr
from tests.support.instance import DemoInstance
from tests.support.org_tree import VACANT, make_tree
from tests.support.portal import audit

LINK = re.compile(r'<a href="/o/([a-z0-9-]+)">')
ONION = "http://" + "a" * 56 + ".onion"


@pytest.fixture
def tree(demo: DemoInstance) -> dict[str, int]:
    return make_tree(demo.sessions)


@pytest.fixture
def public_app(demo: DemoInstance, tree: dict[str, int]) -> Iterator[Flask]:
    config = site.make_config(public_url="https://adal.example.kz/", onion_location=ONION)
    with site.portal_app(demo.instance, config) as application:
        yield application


def _found(client: FlaskClient, query: str) -> list[str]:
    response = client.get("/organizations", query_string={"q": query})
    assert response.status_code == 200, (query, response.status_code)
    page = response.get_data(as_text=True)
    results = page.split('id="results"', 1)[1].split('id="all"', 1)[0]
    return LINK.findall(results)


@pytest.mark.parametrize(
    "query",
    [
        "Минздрав",
        "минздрав",
        "здравоохранения",
        "Денсаулық",
        "денсаулык",  # typed on a Russian keyboard
        "ДЕНСАУЛЫҚ САҚТАУ",
        "Densaulyq",  # the Kazakh Latin alphabet
        "Minzdrav",  # the usual transliteration
        "ministry of health",
        "МЗ РК",
        "«Минздрав»,",
        "здравоохранения министерство",  # words in any order
    ],
)
def test_search_finds_the_ministry_by_any_name_in_any_spelling(
    client: FlaskClient, tree: dict[str, int], query: str
) -> None:
    assert _found(client, query) == ["health"]


def test_search_finds_every_level_and_names_the_superior_body(
    client: FlaskClient, tree: dict[str, int]
) -> None:
    client.get("/lang/ru")
    assert _found(client, "контрол") == ["health-control-almaty", "health-control"]
    page = client.get("/organizations?q=Алматы").get_data(as_text=True)
    assert "Комитет медицинского и фармацевтического контроля" in page  # its parent, beside it
    assert _found(client, "министерство") == ["health", "finance"]


def test_search_offers_no_deactivated_organization(
    client: FlaskClient, tree: dict[str, int]
) -> None:
    assert _found(client, "Архивное") == []
    assert _found(client, "Archive") == []
    assert "health-archive" not in client.get("/o/health").get_data(as_text=True)
    assert client.get("/o/health-archive").status_code == 404
    assert client.get("/o/health-archive/poster").status_code == 404
    assert client.get("/o/health-archive/report").status_code == 404


def test_search_wildcards_are_plain_characters(client: FlaskClient, tree: dict[str, int]) -> None:
    # Unescaped, "%" and "_" would match any text between "ми" and "ра".
    assert _found(client, "ми%ра") == []
    assert _found(client, "ми_истерство") == []
    assert _found(client, "здр\\ав") == []  # the escape character itself


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("", {"kk": "екі әрпін", "ru": "две буквы", "en": "two letters"}),
        ("   ", {"kk": "екі әрпін", "ru": "две буквы", "en": "two letters"}),
        ("%%%", {"kk": "екі әрпін", "ru": "две буквы", "en": "two letters"}),
        ("a", {"kk": "екі әрпін", "ru": "две буквы", "en": "two letters"}),
        ("ы" * 101, {"kk": "100", "ru": "100", "en": "100"}),
    ],
)
def test_unusable_searches_get_a_clear_translated_message(
    client: FlaskClient, tree: dict[str, int], lang: str, query: str, words: dict[str, str]
) -> None:
    client.get(f"/lang/{lang}")
    response = client.get("/organizations", query_string={"q": query})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert words[lang] in page
    assert 'aria-invalid="true"' in page and 'id="q-error"' in page
    audit(response, lang)


def test_a_huge_or_binary_query_is_refused_not_crashed(
    client: FlaskClient, tree: dict[str, int]
) -> None:
    assert client.get("/organizations?q=" + "x" * 5000).status_code == 422
    assert client.get("/organizations?q=%00%01%02").status_code == 422
    assert _found(client, "\x00Минздрав\x00") == ["health"]  # a NUL is no part of a name
    assert client.get("/o/" + "x" * 500).status_code == 404
    assert client.get("/o/%00").status_code == 404


def test_the_tree_lists_roots_and_each_page_its_children(
    client: FlaskClient, tree: dict[str, int]
) -> None:
    client.get("/lang/en")
    top = client.get("/organizations")
    assert top.status_code == 200
    roots = LINK.findall(top.get_data(as_text=True).split('id="all"', 1)[1])
    # By English name; "demo" is the demo's own organization.
    assert roots == ["demo", "finance", "health"]
    ministry = client.get("/o/health").get_data(as_text=True)
    assert "Ministry of Health of the Republic of Kazakhstan" in ministry
    assert LINK.findall(ministry.split('id="below"', 1)[1]) == ["health-control"]
    assert 'href="/o/health/report"' in ministry and 'href="/o/health/poster"' in ministry
    committee = client.get("/o/health-control").get_data(as_text=True)
    assert '<a href="/o/health">Ministry of Health' in committee  # its superior body
    assert LINK.findall(committee.split('id="below"', 1)[1]) == ["health-control-almaty"]
    leaf = client.get("/o/health-control-almaty").get_data(as_text=True)
    assert 'id="below"' not in leaf


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_directory_pages_are_script_free_in_every_language(
    client: FlaskClient, tree: dict[str, int], lang: str
) -> None:
    client.get(f"/lang/{lang}")
    for path in (
        "/organizations",
        "/organizations?q=денсаулык",
        "/organizations?q=nothing+like+this",
        "/o/health",
        "/o/health-control",
        "/o/health/poster",
        "/o/health-control/report",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        audit(response, lang)
    missing = client.get("/o/no-such-body")
    assert missing.status_code == 404
    audit(missing, lang)


def test_unknown_organization_is_a_translated_404(
    client: FlaskClient, tree: dict[str, int]
) -> None:
    client.get("/lang/ru")
    page = client.get("/o/no-such-body").get_data(as_text=True)
    assert "Такой организации" in page


@pytest.mark.parametrize(
    ("lang", "heading"),
    [
        ("kk", "Сыбайлас жемқорлық туралы қауіпсіз әрі жасырын хабарлаңыз"),
        ("ru", "Сообщите о коррупции безопасно и анонимно"),
    ],
)
def test_poster_has_the_public_and_onion_addresses_and_their_qr_code(
    public_app: Flask, lang: str, heading: str
) -> None:
    client = public_app.test_client()
    client.get(f"/lang/{lang}")
    response = client.get("/o/health-control/poster")
    assert response.status_code == 200
    audit(response, lang)
    page = response.get_data(as_text=True)
    assert heading in page
    address = "https://adal.example.kz/o/health-control"
    assert address in page and ONION + "/o/health-control" in page
    svg = page[page.index("<svg") : page.index("</svg>") + 6]
    assert qr.holds(svg, address)
    assert 'role="img"' in svg and "aria-label=" in svg and "style=" not in svg


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("kk", "әкімші алдымен порталдың жария мекенжайын (ADAL_PUBLIC_URL) орнатуы керек"),
        ("ru", "администратор должен сначала задать публичный адрес портала (ADAL_PUBLIC_URL)"),
        ("en", "the administrator must set the portal's public address (ADAL_PUBLIC_URL)"),
    ],
)
def test_poster_without_a_configured_address_draws_no_code_from_the_host_header(
    client: FlaskClient, tree: dict[str, int], lang: str, text: str
) -> None:
    """The Host header is the client's: a poster printed from a request naming another host
    must not send employees there. Without ADAL_PUBLIC_URL it draws no code and says why."""
    client.get(f"/lang/{lang}", base_url="http://attacker.test")
    response = client.get("/o/finance/poster", base_url="http://attacker.test")
    assert response.status_code == 200
    audit(response, lang)
    page = response.get_data(as_text=True)
    assert "attacker.test" not in page and "<svg" not in page and ".onion" not in page
    assert text in page


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("kk", "Бұл ұйым осы портал арқылы хабарлама қабылдай алмайды"),
        ("ru", "Эта организация не может принимать сообщения через этот портал"),
        ("en", "This organization cannot receive reports on this portal"),
    ],
)
def test_an_organization_nobody_could_read_reports_of_is_not_offered(
    client: FlaskClient, tree: dict[str, int], lang: str, text: str
) -> None:
    """Law review of issue 13, finding 2 (p6, p8): an active organization without a head key
    is in no search result and no tree, its page says it cannot receive and points to its
    superior body and 1424, and it has neither a form nor a poster."""
    client.get(f"/lang/{lang}")
    assert VACANT not in _found(client, "ветеринар") + _found(client, "veterinary")
    ministry = client.get("/o/health").get_data(as_text=True)
    assert LINK.findall(ministry.split('id="below"', 1)[1]) == ["health-control"]
    page = client.get(f"/o/{VACANT}")
    assert page.status_code == 200
    audit(page, lang)
    text_of_page = page.get_data(as_text=True)
    assert text in text_of_page and "1424" in text_of_page
    assert 'href="/o/health/report"' in text_of_page  # the superior body can receive
    assert f'href="/o/{VACANT}/report"' not in text_of_page
    assert f'href="/o/{VACANT}/poster"' not in text_of_page
    form = client.get(f"/o/{VACANT}/report")
    assert form.status_code == 404 and 'id="facts"' not in form.get_data(as_text=True)
    assert text in form.get_data(as_text=True)
    assert client.get(f"/o/{VACANT}/poster").status_code == 404


def test_a_superior_body_nobody_could_read_reports_of_is_not_offered(
    client: FlaskClient, demo: DemoInstance, tree: dict[str, int]
) -> None:
    """The superior body is offered on the form only if it can receive (finding 2)."""
    with demo.sessions() as db, db.begin():
        db.execute(
            update(RecipientKey).where(RecipientKey.org_id == tree["health"]).values(active=False)
        )
    client.get("/lang/ru")
    page = client.get("/o/health-control/report").get_data(as_text=True)
    assert 'id="facts"' in page and 'value="health"' not in page
    assert "сообщите напрямую в СПК КНБ по номеру 1424" in page
    assert "health" not in LINK.findall(client.get("/organizations").get_data(as_text=True))


def test_the_poster_stylesheet_prints_on_a4(client: FlaskClient) -> None:
    css = client.get("/static/poster.css")
    assert css.status_code == 200
    text = css.get_data(as_text=True)
    assert "size: A4" in text and "@media print" in text
    assert "url(" not in text and "@import" not in text
