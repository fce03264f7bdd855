"""Every word a person reads is translated into Kazakh and Russian.

Two checks per app (portal, back office):
  * the catalogues: every message the code and templates use (extracted now, with the app's
    own babel.cfg) is in kk and ru, translated in every plural form, not fuzzy, and passes
    Babel's own checks (a placeholder missing or invented in a translation fails at render);
  * the templates: no human text outside Babel. Text nodes and human-read attributes (title,
    alt, placeholder, aria-label) in templates/portal and templates/handler may hold letters
    only inside {% trans %}, _() or {{ }}; a small whitelist names the exceptions.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from jinja2 import Environment

from tests.support import needs

pytestmark = needs.run_once
ROOT = Path(__file__).resolve().parents[2]
APPS = ("portal", "handler")
CHECKED = ("kk", "ru")  # English is the source language
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}
# Text that is the same in every language: the product name in Latin letters, the language
# names (each written in its own language by design) and file format names.
WHITELIST = frozenset({"Adal", "Қазақша", "Русский", "English", "DOCX", "PDF"})
HUMAN_ATTRIBUTES = frozenset(
    {"title", "alt", "placeholder", "aria-label", "aria-description", "summary"}
)
PLACEHOLDER = "\ue000"  # stands for a Jinja expression; not a letter


def _extracted(app: str) -> dict[str, tuple[str, int]]:
    """msgid -> (file, line) of every message the app's sources use."""
    config = ROOT / app / "babel.cfg"
    assert config.is_file(), f"{app} has no babel.cfg: its messages cannot be extracted"
    with config.open() as f:
        method_map, options_map = parse_mapping_cfg(f, str(config))
    found: dict[str, tuple[str, int]] = {}
    for filename, line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, (filename, line))
    return found


def _catalog(app: str, lang: str) -> Catalog:
    po = ROOT / app / "translations" / lang / "LC_MESSAGES" / "messages.po"
    assert po.is_file(), f"{app}: no {lang} catalogue at {po.relative_to(ROOT)}"
    with po.open("rb") as f:
        return read_po(f, locale=lang)


def _untranslated(message: Message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return not all(s and s.strip() for s in strings)


@pytest.mark.parametrize("lang", CHECKED)
@pytest.mark.parametrize("app", APPS)
def test_catalogue_is_complete(app: str, lang: str) -> None:
    used = _extracted(app)
    catalog = _catalog(app, lang)
    problems: list[str] = []
    if catalog.fuzzy:
        problems.append("the catalogue header is marked fuzzy (Babel then ignores the file)")
    for msgid, (filename, line) in sorted(used.items(), key=lambda kv: kv[1]):
        message = catalog.get(msgid)
        where = f"{filename}:{line}"
        if message is None:
            problems.append(f"{where}: not in the catalogue: {msgid[:90]!r}")
        elif message.fuzzy:
            problems.append(f"{where}: fuzzy: {msgid[:90]!r}")
        elif _untranslated(message):
            problems.append(f"{where}: untranslated: {msgid[:90]!r}")
    for message, errors in catalog.check():
        for error in errors:
            problems.append(f"{message.id!r}: {error}")
    assert not problems, (
        f"{app} [{lang}]: {len(problems)} problems in "
        f"{app}/translations/{lang}:\n" + "\n".join(problems)
    )


class _TextCollector(HTMLParser):
    """Text nodes and human-read attribute values, with their line numbers."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script"):
            self._skip += 1
        for name, value in attrs:
            if name in HUMAN_ATTRIBUTES and value:
                self.found.append((self.getpos()[0], value))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.found.append((self.getpos()[0], data))


def _outside_babel(source: str) -> str:
    """The template with every Jinja construct, and all {% trans %} content, replaced by a
    placeholder, keeping line breaks so line numbers still match."""
    env = Environment(autoescape=True, extensions=["jinja2.ext.i18n"])
    out: list[str] = []
    in_trans = False
    block: list[str] = []
    for _line, kind, value in env.lex(source):
        if kind == "block_begin":
            block = []
        elif kind == "name" and not block:
            block.append(value)
        if kind == "data" and not in_trans:
            out.append(value)
        else:
            out.append(PLACEHOLDER + "\n" * value.count("\n"))
        if kind == "block_end" and block:
            if block[0] == "trans":
                in_trans = True
            elif block[0] == "endtrans":
                in_trans = False
    return "".join(out)


def _words(text: str) -> list[str]:
    return [
        w for w in re.findall(r"[^\W\d_]+", text.replace(PLACEHOLDER, " ")) if w not in WHITELIST
    ]


@pytest.mark.parametrize("app", APPS)
def test_no_template_text_outside_babel(app: str) -> None:
    problems: list[str] = []
    folder = ROOT / "templates" / app
    templates = sorted(folder.rglob("*.html"))
    assert templates, f"no templates in {folder}"
    for template in templates:
        collector = _TextCollector()
        collector.feed(_outside_babel(template.read_text()))
        collector.close()
        for line, text in collector.found:
            words = _words(text)
            if words:
                problems.append(
                    f"{template.relative_to(ROOT)}:{line}: "
                    f"{' '.join(text.replace(PLACEHOLDER, '…').split())[:100]!r}"
                )
    assert not problems, (
        "template text that Babel never sees (wrap it in _() or "
        "{% trans %}):\n" + "\n".join(problems)
    )
