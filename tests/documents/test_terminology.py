"""One term for one thing in Kazakh and Russian (issue 11, Terminology): no catalogue of the
portal or the back office, and no document text, uses a wording from the "never" side.

* the ethics officer is «уполномоченный по этике» / «әдеп жөніндегі уәкіл»; p5.2's other case
  is «лицо, уполномоченное на приём обращений» / «өтініштерді қабылдауға уәкілетті адам»;
* the anti-corruption body deciding on the report is «уполномоченный государственный орган»
  / «уәкілетті мемлекеттік орган», never a bare «уполномоченный орган», which is the authorised
  body for civil service affairs, always named in full;
* «келісу комиссиясы» (Labour Code), never «татуластыру комиссиясы»;
* the person concerned is «лицо, в отношении которого поступило сообщение» / «хабарлама өзіне
  қатысты түскен тұлға»;
* one Kazakh name for the Anti-Corruption Service of the NSC: «ҰҚК Сыбайлас жемқорлыққа қарсы
  қызметі» (the NSC named in front, «ҰҚК СЖҚҚ» as its abbreviation);
* a deadline's column header and its state are different messages;
* the author of the recommendations is the Agency of the Republic of Kazakhstan for Civil
  Service Affairs, in full.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from documents import text

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = [
    ROOT / app / "translations" / lang / "LC_MESSAGES" / "messages.po"
    for app in ("portal", "handler")
    for lang in ("kk", "ru")
]

NEVER: dict[str, list[tuple[str, re.Pattern[str]]]] = {
    "kk": [
        ("татуластыру комиссиясы", re.compile(r"татуластыру", re.I)),
        ("әдеп жөніндегі маман", re.compile(r"әдеп жөніндегі маман", re.I)),
        (
            "хабарламаларды қабылдауға уәкілетті",
            re.compile(r"хабарламаларды қабылдауға уәкілетті", re.I),
        ),
        ("bare «уәкілетті орган»", re.compile(r"(?<!жөніндегі )уәкілетті орган", re.I)),
        (
            "the Service without the NSC",
            re.compile(r"(?<!ҰҚК )(?<!комитетінің )Сыбайлас жемқорлыққа қарсы қызмет"),
        ),
        ("СЖҚҚ without ҰҚК", re.compile(r"(?<!ҰҚК )СЖҚҚ")),
        ("the Anti-Corruption Agency", re.compile(r"жемқорлыққа қарсы іс-қимыл агенттіг", re.I)),
        (
            "the civil service Agency not in full",
            re.compile(r"(?<!Қазақстан Республикасы )мемлекеттік қызмет істері агенттіг", re.I),
        ),
    ],
    "ru": [
        ("специалист по этике", re.compile(r"специалист\w* по этике", re.I)),
        ("уполномоченный по приёму", re.compile(r"уполномоченн\w* по при[её]му", re.I)),
        (
            "bare «уполномоченный орган»",
            re.compile(r"уполномоченн\w* орган\w*+(?! по делам государственной службы)", re.I),
        ),
        (
            "the civil service Agency not in full",
            re.compile(r"Агентств\w* по делам государственной службы", re.I),
        ),
    ],
}
PERSON_CONCERNED = {
    "kk": "хабарлама өзіне қатысты түскен тұлға",
    "ru": "лица, в отношении которого поступило сообщение",
}


def _messages(path: Path) -> list[tuple[str, str]]:
    with path.open("rb") as f:
        catalog = read_po(f)
    return [(str(m.id), str(m.string)) for m in catalog if m.id and isinstance(m.id, str)]


def _document_texts(lang: str) -> list[str]:
    found: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, Mapping):
            for item in value.values():
                walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)
        elif hasattr(value, "__dataclass_fields__"):
            for name in value.__dataclass_fields__:  # type: ignore[attr-defined]
                walk(getattr(value, name))

    walk(text.FORMS[lang])
    walk(text.RIGHTS[lang])
    # p5.2's channel is quoted word for word from the recommendations, «специалист по этике»
    # included (tests/documents/test_appendix2_3.py holds the Russian to the source).
    verbatim = {text.FORMS["ru"].channels["ethics_officer"]}
    return [t for t in found if t not in verbatim]


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: "/".join(p.parts[-5:-2]))
def test_no_catalogue_uses_a_never_term(path: Path) -> None:
    lang = path.parts[-3]
    bad = [
        (label, msgid)
        for msgid, msgstr in _messages(path)
        for label, pattern in NEVER[lang]
        if pattern.search(msgstr)
    ]
    assert bad == []


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_documents_use_no_never_term(lang: str) -> None:
    texts = _document_texts(lang)
    assert texts, "documents.text names no texts for this language"
    bad = [(label, t) for t in texts for label, pattern in NEVER[lang] if pattern.search(t)]
    assert bad == []


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: "/".join(p.parts[-5:-2]))
def test_person_concerned_has_one_name(path: Path) -> None:
    lang = path.parts[-3]
    labels = [(msgid, msgstr) for msgid, msgstr in _messages(path) if "person concerned" in msgid]
    assert labels
    for msgid, msgstr in labels:
        assert PERSON_CONCERNED[lang] in msgstr.lower(), msgid


@pytest.mark.parametrize(
    ("lang", "header", "state"),
    [("ru", "Срок", "Срок не истёк"), ("kk", "Мерзімі", "Мерзімі өтпеген")],
)
def test_deadline_header_and_state_are_different_messages(
    lang: str, header: str, state: str
) -> None:
    path = ROOT / "handler" / "translations" / lang / "LC_MESSAGES" / "messages.po"
    messages = dict(_messages(path))
    assert messages["Due date"] == header
    assert messages["Within the term"] == state
