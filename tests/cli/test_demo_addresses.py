"""`adal init --demo` gives every demo user a confirmed address, so `adal notify` against a local
SMTP catcher shows mails at once (README, "Notices by mail")."""

from __future__ import annotations

from sqlalchemy import select

from store.models import User
from tests.support.instance import DemoInstance


def test_demo_users_have_confirmed_example_addresses(fresh_demo: DemoInstance) -> None:
    creds = fresh_demo.credentials()
    with fresh_demo.sessions() as s:
        users = list(s.scalars(select(User)))
    assert {u.role for u in users} == {"handler", "head", "admin", "auditor"}
    for user in users:
        assert user.email == f"{user.username}@example.kz"
        assert user.email_confirmed
        assert user.email_pending is None and user.email_code_hash is None
        # demo-credentials.txt says so too.
        assert creds[user.role]["e-mail (confirmed)"] == user.email
