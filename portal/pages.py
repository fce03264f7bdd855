"""The pages that only inform: landing page and the reporter's rights (Appendix 3)."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("pages", __name__)


@bp.get("/")
def landing() -> str:
    return render_template("portal/landing.html")


@bp.get("/rights")
def rights() -> str:
    return render_template("portal/rights.html")
