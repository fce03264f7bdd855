"""Security review of issue 12 item 1: `adal recover` does not approve a head key by itself.

After an admin's reset the organization is asked to run `adal recover` for the head: that is
the documented way back to their cases. The reset account may be the admin's (it was shown the
one-time password and can reset two-factor), so recovering must not make its key a custodian
without anybody comparing the fingerprint: otherwise the recovery key hands it every identity
block and protection record of the installation. The cases come back; the identities wait for
`adal head approve`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from sqlalchemy import select

from store.models import RecipientKey, User
from tests.support.backoffice import Browser, first_sign_in, store_portal_report
from tests.support.instance import DemoInstance, run_cli

NAME = "Ерлан Сапаров"


def _one_time_password(html: str) -> str:
    match = re.search(r'<p class="secret"><code>([^<]+)</code>', html)
    assert match, html[:2000]
    return match.group(1)


def test_recovering_a_reset_head_grants_no_identity_until_approved(
    demo: DemoInstance, app: Flask, as_role: Callable[[str], Browser]
) -> None:
    earlier = store_portal_report(
        demo, identity={"full_name": NAME, "position": "p", "unit": "u"}
    ).submission_id
    admin = as_role("admin")
    with demo.sessions() as s:
        head_id = s.scalars(select(User.id).where(User.username == "demo-head")).one()
    reset = admin.post(f"/admin/users/{head_id}/reset-password")
    assert admin.post(f"/admin/users/{head_id}/reset-two-factor").status_code == 303
    taken = first_sign_in(
        Browser(app),
        "demo-head",
        _one_time_password(reset.get_data(as_text=True)),
        "the admin's own passphrase",
    )
    # "The head lost their password": the organization runs the documented recovery.
    code, output = run_cli("recover", "--user", "demo-head", input=demo.recovery_key() + "\n")
    assert code == 0, output
    assert "awaits approval" in output and "adal head approve demo-head" in output
    assert taken.get(f"/cases/{earlier}").status_code == 200  # the case is back
    page = taken.get(f"/cases/{earlier}/identity").get_data(as_text=True)
    assert NAME not in page  # but not who reported it
    with demo.sessions() as s:
        key = s.scalars(
            select(RecipientKey).where(
                RecipientKey.user_id == head_id, RecipientKey.active.is_(True)
            )
        ).one()
        assert key.approved_at is None and key.approval is None
    # Once approved (after the fingerprint check), the identity follows.
    assert run_cli("head", "approve", "demo-head", input=demo.recovery_key() + "\n")[0] == 0
    assert NAME in taken.get(f"/cases/{earlier}/identity").get_data(as_text=True)
