"""Sheets as print-ready HTML pages (Jinja templates in templates/documents/), no script.

The same FormSheet / RightsSheet the DOCX is built from, so the two never disagree. The print
styles live in documents/print.css. Inside the back office the page must link it
(``stylesheet_href``), because the apps' Content-Security-Policy allows styles from their own
origin only; a page saved or rendered outside the app embeds it instead.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from documents.forms import FormSheet, RightsSheet
from documents.letters import Letter

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
FORM_TEMPLATE = "documents/form.html"
RIGHTS_TEMPLATE = "documents/rights.html"
LETTER_TEMPLATE = "documents/letter.html"


def print_css() -> str:
    """The print stylesheet's text (for a route that serves it, or to embed)."""
    return resources.files("documents").joinpath("print.css").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _environment() -> Environment:
    # Autoescaping is what keeps a report's text from becoming markup on the head's screen.
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _render(
    template: str, sheet: FormSheet | RightsSheet | Letter, stylesheet_href: str | None
) -> str:
    context = {
        "sheet": sheet,
        "stylesheet_href": stylesheet_href,
        "inline_css": None if stylesheet_href else print_css(),
    }
    return _environment().get_template(template).render(**context)


def form_html(sheet: FormSheet, *, stylesheet_href: str | None = None) -> str:
    """Appendix 1 or 2 as a standalone page."""
    return _render(FORM_TEMPLATE, sheet, stylesheet_href)


def rights_html(sheet: RightsSheet, *, stylesheet_href: str | None = None) -> str:
    """Appendix 3 as a standalone page."""
    return _render(RIGHTS_TEMPLATE, sheet, stylesheet_href)


def letter_html(letter: Letter, *, stylesheet_href: str | None = None) -> str:
    """An official letter as a standalone page to print."""
    return _render(LETTER_TEMPLATE, letter, stylesheet_href)
