"""The operator's pages: the tree of organizations (issue 13; DESIGN.md, "Organizations").

The operator is the platform's own administrator, outside every organization: it creates,
renames, moves and deactivates organizations and creates each one's first admin, and nothing
else. These pages show an organization's names and place in the tree and whether it has an
active admin; never its staff list, cases, statistics or audit trail. The operator role reaches
no other page of the back office (handler/gate.py: every other view names its roles, and none
names this one) except the national calendar (handler/calendar_admin.py).

Every change is audited in the platform's chain (org_id None) and in the changed organization's
own chain (a move: also the old and the new parent's, whose reports to the superior body it
redirects; a creation only the platform's), with the organization's slug as the target. A new
organization's recovery key is shown once, on the response to the form that created it, and
is stored and logged nowhere.

A national installation has thousands of organizations, so no page lists them all: the tree
opens one level a page at a time and has a search (the portal's, over every organization and
its slug), a parent is typed by its slug, and an organization's page names only the first few
below it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from cases import directory, organizations
from cases.organizations import Names
from cases.staff import create_user
from handler.forms import (
    ConfirmForm,
    FirstAdminForm,
    MoveOrganizationForm,
    NewOrganizationForm,
    OrganizationNamesForm,
)
from handler.gate import OPERATOR, allow, current_user
from handler.messages import describe
from handler.org_names import name_of
from rules.clock import local_date
from rules.errors import AdalError
from store import audit
from store.models import Organization
from web.database import db
from web.extensions import instance

bp = Blueprint("operator", __name__, url_prefix="/operator")
# An organization's page names the first few below it; the tree page has them all, paged.
CHILDREN_SHOWN = 20
CUT_OFF_SHOWN = 20


def _audit(
    database: Session,
    action: str,
    org: Organization,
    also: tuple[int | None, ...] = (),
    own: bool = True,
    **details: Any,
) -> None:
    organizations.audit_change(
        database, action, org, actor=current_user().username, also=also, own=own, **details
    )


def _org_or_404(slug: str) -> Organization:
    try:
        return organizations.by_slug(db(), organizations.validate_slug(slug))
    except AdalError:
        abort(404)


# Which field a refusal of cases.organizations is about (its code's field part, or the code).
_FIELD_OF = {
    "kk": "name_kk",
    "ru": "name_ru",
    "en": "name_en",
    "short": "short_names",
    "parent_inactive": "parent",
    "unknown_parent": "parent",
    "too_deep": "parent",
}


def _show_refusal(form: NewOrganizationForm, error: AdalError) -> None:
    base, _sep, field = error.code.partition(":")
    name = _FIELD_OF.get(field or base, "slug")
    getattr(form, name).errors = [describe(error)]


def _names(form: OrganizationNamesForm) -> Names:
    return Names(
        kk=form.name_kk.data or "",
        ru=form.name_ru.data or "",
        en=form.name_en.data or "",
        short=form.short_names.data or "",
    )


@bp.get("")
@allow(OPERATOR)
def tree() -> tuple[str, int]:
    """One level of the tree a page at a time (the roots, or the organizations directly under
    `under`), or the organizations whose names or slug match `q`: never the whole tree, which
    has thousands in a national installation."""
    database = db()
    query = request.args.get("q", "", type=str)
    if query.strip():
        return _found(query)
    under_slug = request.args.get("under", "", type=str)
    under = _org_or_404(under_slug) if under_slug else None
    page = organizations.branch(database, under, request.args.get("page", 1, type=int))
    above = organizations.ancestors(database, under) if under is not None else []
    return render_template(
        "handler/operator_tree.html",
        query="",
        under=under,
        under_name=name_of(under) if under is not None else "",
        above=[(o, name_of(o)) for o in above],
        rows=[(org, count, name_of(org)) for org, count in page.rows],
        branch=page,
    ), 200


def _found(query: str) -> tuple[str, int]:
    """The tree page's search: the portal's search of names (cases.directory), over every
    organization and its slug too."""
    database = db()
    try:
        found = directory.search(database, query, str(get_locale() or "kk"), everyone=True)
    except AdalError as exc:
        return render_template(
            "handler/operator_tree.html", query=query, error=describe(exc), hits=[], more=False
        ), 400
    ids = [hit.entry.id for hit in found.hits]
    # The hits name no state: the operator sees deactivated ones too, and says which.
    orgs = {o.id: o for o in database.scalars(select(Organization).where(Organization.id.in_(ids)))}
    hits = [
        (orgs[hit.entry.id], name_of(orgs[hit.entry.id]), hit.parent, _entry_name(hit.parent))
        for hit in found.hits
        if hit.entry.id in orgs
    ]
    return render_template(
        "handler/operator_tree.html", query=query, error=None, hits=hits, more=found.more
    ), 200


def _entry_name(entry: directory.Entry | None) -> str:
    return entry.name(str(get_locale() or "kk")) if entry is not None else ""


@bp.route("/new", methods=["GET", "POST"])
@allow(OPERATOR)
def new() -> tuple[str, int]:
    form = NewOrganizationForm()
    if not form.is_submitted():
        # "Add an organization under it" on an organization's page names the parent.
        form.parent.data = request.args.get("parent", "", type=str)[:63]
    if form.validate_on_submit():
        database = db()
        try:
            created = organizations.create(
                database,
                slug=form.slug.data or "",
                names=_names(form),
                today=local_date(datetime.now(UTC)),
                parent_slug=(form.parent.data or "").strip() or None,
            )
        except AdalError as exc:
            database.rollback()
            _show_refusal(form, exc)
        else:
            _audit(
                database,
                "organization.create",
                created.organization,
                own=False,
                parent=(form.parent.data or "").strip(),
            )
            database.commit()
            # Shown on this response only: no redirect, so the key never travels in a URL or
            # a flashed message kept in the session.
            return render_template(
                "handler/operator_created.html",
                org=created.organization,
                name=name_of(created.organization),
                recovery=created.recovery_text,
            ), 200
    status = 400 if form.is_submitted() else 200
    return render_template("handler/operator_new.html", form=form), status


def _page(
    org: Organization,
    *,
    names: OrganizationNamesForm | None = None,
    move: MoveOrganizationForm | None = None,
    admin: FirstAdminForm | None = None,
    error: str | None = None,
    status: int = 200,
) -> tuple[str, int]:
    database = db()
    if names is None:
        names = OrganizationNamesForm(
            formdata=None,
            data={
                "name_kk": org.name_kk,
                "name_ru": org.name_ru,
                "name_en": org.name_en,
                "short_names": org.short_names,
            },
        )
    parent = database.get(Organization, org.parent_id) if org.parent_id is not None else None
    if move is None:
        move = MoveOrganizationForm(formdata=None, data={"parent": parent.slug if parent else ""})
    # Deactivating cuts these off: they leave the portal's tree, and the direct ones lose
    # their superior body (law review of issue 13, finding 8). Counted, and the first few named.
    cut_off = organizations.active_below(database, org, CUT_OFF_SHOWN)
    children = organizations.branch(database, org, 1, CHILDREN_SHOWN)
    return render_template(
        "handler/operator_org.html",
        org=org,
        name=name_of(org),
        parent=parent,
        parent_name=name_of(parent) if parent else "",
        children=[(c, name_of(c)) for c, _count in children.rows],
        children_total=children.total,
        cut_off=[(o, name_of(o)) for o in cut_off.first],
        cut_off_total=cut_off.count,
        names=names,
        move=move,
        admin=admin or FirstAdminForm(formdata=None),
        confirm=ConfirmForm(formdata=None),
        needs_admin=org.active and not organizations.has_active_admin(database, org),
        no_readers=org.active and not directory.can_receive(database, org.id),
        error=error,
    ), status


@bp.get("/<slug>")
@allow(OPERATOR)
def organization(slug: str) -> tuple[str, int]:
    return _page(_org_or_404(slug))


@bp.post("/<slug>/rename")
@allow(OPERATOR)
def rename(slug: str) -> Response | tuple[str, int]:
    org = _org_or_404(slug)
    form = OrganizationNamesForm()
    if not form.validate():
        return _page(org, names=form, status=400)
    database = db()
    try:
        changed = organizations.rename(database, org, _names(form))
    except AdalError as exc:
        database.rollback()
        return _page(org, names=form, error=describe(exc), status=400)
    if changed:
        _audit(database, "organization.rename", org, fields=sorted(changed))
    database.commit()
    flash(_("The names are saved.") if changed else _("Nothing was changed."))
    return redirect(url_for("operator.organization", slug=org.slug), code=303)


@bp.post("/<slug>/move")
@allow(OPERATOR)
def move(slug: str) -> Response | tuple[str, int]:
    org = _org_or_404(slug)
    form = MoveOrganizationForm()
    if not form.validate():
        return _page(org, move=form, status=400)
    parent = (form.parent.data or "").strip() or None
    database = db()
    old_parent = org.parent_id
    try:
        organizations.move(database, org, parent)
    except AdalError as exc:
        database.rollback()
        # Every refusal of a move is about the superior body typed.
        form.parent.errors = [describe(exc)]
        return _page(org, move=form, status=400)
    _audit(database, "organization.move", org, (old_parent, org.parent_id), parent=parent)
    database.commit()
    flash(_("The organization is moved, with everything under it."))
    return redirect(url_for("operator.organization", slug=org.slug), code=303)


@bp.post("/<slug>/deactivate")
@allow(OPERATOR)
def deactivate(slug: str) -> Response | tuple[str, int]:
    org = _org_or_404(slug)
    if not ConfirmForm().validate():
        return _page(org, status=400)
    database = db()
    if org.active:
        organizations.deactivate(database, org)
        _audit(database, "organization.deactivate", org)
        database.commit()
    flash(_("The organization is deactivated: the portal no longer offers it."))
    return redirect(url_for("operator.organization", slug=org.slug), code=303)


@bp.post("/<slug>/admin")
@allow(OPERATOR)
def first_admin(slug: str) -> tuple[str, int]:
    """The organization's first admin (or a new one when none is active): the same account
    creation as the admin's own page, shown once on the same page."""
    org = _org_or_404(slug)
    form = FirstAdminForm()
    if not form.validate():
        return _page(org, admin=form, status=400)
    database = db()
    if not org.active or organizations.has_active_admin(database, org):
        refusal = (
            _("This organization already has an active administrator.")
            if org.active
            else _("The organization is deactivated.")
        )
        return _page(org, admin=form, error=refusal, status=409)
    try:
        created = create_user(
            database,
            username=form.username.data or "",
            full_name=form.full_name.data or "",
            role="admin",
            org_id=org.id,
            instance_secret=instance().secret_key,
            kdf=instance().kdf,
        )
    except AdalError as exc:
        database.rollback()
        form.username.errors = [describe(exc)]
        return _page(org, admin=form, status=400)
    # The organization's own trail names the account; the platform's names the organization.
    audit.append(
        database,
        "user.create",
        actor=current_user().username,
        org_id=org.id,
        target=created.user.username,
        details={"role": created.user.role},
    )
    _audit(database, "organization.first_admin", org)
    database.commit()
    return render_template(
        "handler/one_time_password.html",
        target=created.user,
        password=created.password,
        new=True,
        back=url_for("operator.organization", slug=org.slug),
    ), 200
