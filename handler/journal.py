"""The register of reports (журнал учёта / есепке алу журналы) for a period, as DOCX or XLSX in
Kazakh or Russian. (handler/register.py is something else: registering a report received by
another channel.)

Heads and auditors only: the register lists every report of the organization, including those a
handler does not hold, so a handler could learn from it that a report arrived on a day; an
admin opens no casework at all. The head answers for every report (p6), the auditor checks the
books. Nothing is decrypted (cases.register_book); each export is written to the audit log with
its period, format, language and number of rows.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _

from cases.register_book import check_period, register_book
from documents import DOCX_MIMETYPE
from documents.register_book import XLSX_MIMETYPE, register_docx, register_xlsx
from handler.downloads import content_disposition
from handler.gate import allow, current_user, own_org
from handler.messages import describe
from rules.clock import local_date
from rules.errors import AdalError
from store import audit
from web.database import db

bp = Blueprint("journal", __name__)

ROLES = ("head", "auditor")
FORMATS = {"docx": DOCX_MIMETYPE, "xlsx": XLSX_MIMETYPE}
LANGS = ("kk", "ru")


def _period() -> tuple[date, date, str | None]:
    """The period asked for (by default this year to today) and what is wrong with it."""
    today = local_date(datetime.now(UTC))
    values = {}
    for name, default in (("since", date(today.year, 1, 1)), ("until", today)):
        raw = request.args.get(name, "").strip()
        try:
            values[name] = date.fromisoformat(raw) if raw else default
        except ValueError:
            return default, today, _("Enter each date as year-month-day, for example 2026-12-14.")
    since, until = values["since"], values["until"]
    try:
        check_period(since, until)
    except AdalError as refused:
        return since, until, describe(refused)
    return since, until, None


def _page(since: date, until: date, error: str | None) -> tuple[str, int]:
    return render_template(
        "handler/journal.html",
        since=since,
        until=until,
        error=error,
        formats=tuple(FORMATS),
        langs=LANGS,
        register_names={
            "kk": {
                "docx": _("In Kazakh, as a Word document (DOCX)"),
                "xlsx": _("In Kazakh, as an Excel workbook (XLSX)"),
            },
            "ru": {
                "docx": _("In Russian, as a Word document (DOCX)"),
                "xlsx": _("In Russian, as an Excel workbook (XLSX)"),
            },
        },
    ), 400 if error else 200


@bp.get("/journal")
@allow(*ROLES)
def page() -> tuple[str, int]:
    return _page(*_period())


@bp.get("/journal/register-<lang>.<fmt>")
@allow(*ROLES)
def export(lang: str, fmt: str) -> Response | tuple[str, int]:
    if lang not in LANGS or fmt not in FORMATS:
        abort(404)
    since, until, error = _period()
    if error:
        return _page(since, until, error)
    database = db()
    book = register_book(database, since, until, datetime.now(UTC), org_id=own_org())
    body = register_docx(book, lang) if fmt == "docx" else register_xlsx(book, lang)
    audit.append(
        database,
        "export.register",
        actor=current_user().username,
        org_id=current_user().org_id,
        details={
            "since": since.isoformat(),
            "until": until.isoformat(),
            "format": fmt,
            "lang": lang,
            "rows": len(book.rows),
        },
    )
    database.commit()
    response = Response(body, mimetype=FORMATS[fmt])
    response.headers["Content-Disposition"] = content_disposition(
        f"register-{since.isoformat()}-{until.isoformat()}-{lang}.{fmt}"
    )
    return response
