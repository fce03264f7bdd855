"""Finding the organization to report to (DESIGN.md, "Organizations"): the search and the tree,
each organization's permanent page (/o/<slug>) and its printable poster. GET only, no script:
the search is a plain form, the tree is links."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from cases import directory
from portal import messages, poster_code
from portal.errors import error_page
from portal.public_address import onion_url, organization_url
from rules.errors import AdalError
from web.extensions import sessions
from web.i18n import current_language

bp = Blueprint("directory", __name__)


def _page(template: str, status: int = 200, **context: object) -> Response:
    return Response(render_template(template, **context), status=status, mimetype="text/html")


def organizations_page(notice: object | None = None) -> Response:
    """The search form, its results when a query was sent, and the top of the tree."""
    lang = current_language()
    query = request.args.get("q")
    found = None
    problem = None
    with sessions()() as db:
        if query is not None:
            try:
                found = directory.search(db, query, lang)
            except AdalError as refused:
                problem = messages.text(refused)
        roots = directory.roots(db, lang)
    return _page(
        "portal/organizations.html",
        422 if problem else 200,
        query=(query or "")[: directory.QUERY_MAX * 2],
        query_max=directory.QUERY_MAX,
        found=found,
        problem=problem,
        roots=roots,
        notice=notice,
        lang=lang,
    )


@bp.get("/organizations")
def organizations() -> Response:
    return organizations_page()


def _place(slug: str) -> directory.Place | Response:
    with sessions()() as db:
        try:
            return directory.place(db, slug, current_language())
        except AdalError as refused:
            return error_page(404, text=messages.text(refused))


def organization_page(where: directory.Place, status: int = 200) -> Response:
    """The organization's page; for one that cannot receive a report (no head, no handler) it
    says so and sends the reporter to its superior body or to 1424, with no form (finding 2)."""
    return _page("portal/organization.html", status, where=where, lang=current_language())


@bp.get("/o/<slug>")
def organization(slug: str) -> Response:
    where = _place(slug)
    if isinstance(where, Response):
        return where
    return organization_page(where)


@bp.get("/o/<slug>/poster")
def poster(slug: str) -> Response:
    where = _place(slug)
    if isinstance(where, Response):
        return where
    if not where.receives:  # a poster would invite reports nobody can read
        return organization_page(where, 404)
    address = organization_url(where.entry.slug)
    qr_svg = None
    if address is not None:
        qr_svg = poster_code.svg(address, _("QR code: the address of this organization's page"))
    return _page(
        "portal/poster.html",
        where=where,
        lang=current_language(),
        address=address,
        onion=onion_url(where.entry.slug),
        qr_svg=qr_svg,
    )
