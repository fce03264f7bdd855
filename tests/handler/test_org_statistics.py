"""Issue 13: an organization's counts are its own. Organization "beta" (and "alpha"'s
subordinate) have reports that "alpha" has not; alpha's /statistics page, its register export
and its page of subordinates' counts show alpha's numbers and the organizations below it,
nothing of beta's."""

from __future__ import annotations

import io
import re

import openpyxl
from flask import Flask

from tests.support.instance import DemoInstance
from tests.support.orgs import make_org, register_report, signed_in

HEADER_ROWS = 4  # title, period, date of the judgement, column headings (documents/register_book)


def test_counts_are_the_organizations_own(app: Flask, demo: DemoInstance) -> None:
    alpha = make_org(demo, "alpha", "alpha")
    child = make_org(demo, "alpha-child", "childorg", parent_slug="alpha")
    beta = make_org(demo, "beta", "betaorg")
    register_report(demo, alpha, "Alpha's one report")
    for n in range(2):
        register_report(demo, child, f"The subordinate's report {n}")
    for n in range(3):
        register_report(demo, beta, f"Beta's report {n}")
    head = signed_in(app, demo, alpha.accounts["head"])

    response = head.get("/statistics")
    assert response.status_code == 200
    total = re.search(r"Reports received: (\d+)", response.get_data(as_text=True))
    assert total is not None
    assert int(total.group(1)) == 1

    for role in ("head", "auditor"):
        client = head if role == "head" else signed_in(app, demo, alpha.accounts[role])
        export = client.get("/journal/register-ru.xlsx")
        assert export.status_code == 200, role
        sheet = openpyxl.load_workbook(io.BytesIO(export.get_data())).active
        assert sheet is not None
        rows = list(sheet.iter_rows(values_only=True))[HEADER_ROWS:]
        assert [r[0] for r in rows] == [1], (role, rows)  # alpha's one report, numbered 1

        below = client.get("/statistics/subordinates")
        assert below.status_code == 200, role
        page = below.get_data(as_text=True)
        assert "childorg body" in page  # the control: the organization below is listed
        assert "betaorg" not in page and "alpha body" not in page, role

    # Beta's head, likewise, counts beta's three and nobody else's.
    beta_page = signed_in(app, demo, beta.accounts["head"]).get("/statistics")
    assert "Reports received: 3" in beta_page.get_data(as_text=True)
