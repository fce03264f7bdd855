"""Security review of issue 12 item 1: custody of the disclosure records.

* A newly approved head must receive every custodial record the approving head holds,
  the signed Appendix 2's scan included (it is a file envelope, not an "identity" one).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from sqlalchemy import select

from store.models import RecipientKey, User
from tests.support.backoffice import (
    APPENDIX2_SCAN,
    Browser,
    first_sign_in,
    one_time_password,
    recorded_scan,
)
from tests.support.instance import DemoInstance

NEW_PASSWORD = "a long passphrase the person chose"


def test_an_approved_head_also_receives_the_appendix2_scans_of_the_approver(
    demo: DemoInstance, app: Flask, as_role: Callable[[str], Browser]
) -> None:
    head = as_role("head")
    sid, record = recorded_scan(demo, head)
    created = as_role("admin").post(
        "/admin/users/new", {"username": "dana", "full_name": "Дана Ерова", "role": "head"}
    )
    dana = first_sign_in(
        Browser(app), "dana", one_time_password(created.get_data(as_text=True)), NEW_PASSWORD
    )
    with demo.sessions() as s:
        dana_id = s.scalars(select(User.id).where(User.username == "dana")).one()
        key_row = s.scalars(
            select(RecipientKey.id).where(
                RecipientKey.user_id == dana_id, RecipientKey.active.is_(True)
            )
        ).one()
    # Pending: the scan was sealed to approved heads only, and sharing the case passes on none.
    assert head.post(f"/cases/{sid}/grants", {"user_id": str(dana_id)}).status_code == 303
    assert dana.get(f"/cases/{sid}/disclosure/{record}/scan").status_code == 404
    assert head.post(f"/head-keys/{key_row}/approve").status_code == 303
    response = dana.get(f"/cases/{sid}/disclosure/{record}/scan")
    assert response.status_code == 200 and response.data == APPENDIX2_SCAN
