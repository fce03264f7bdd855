"""`adal recover` and `adal head approve` per organization (issue 13): the key must be the
named organization's recovery key, the user one of its staff, and only its cases move."""

from __future__ import annotations

import re

from sqlalchemy import select

from cases.sharing import active_key
from store.models import Grant, Organization, Submission, User
from tests.support.backoffice import store_portal_report
from tests.support.instance import DemoInstance, run_cli


def _second(demo: DemoInstance) -> tuple[int, str]:
    code, output = run_cli(
        "org", "add", "second", "--name-kk", "Екінші", "--name-ru", "Вторая", "--name-en", "Second"
    )
    assert code == 0, output
    key = re.search(r"ADAL-RECOVERY-1-[A-Z0-9-]+", output)
    assert key
    with demo.sessions() as s:
        org_id = s.scalars(select(Organization.id).where(Organization.slug == "second")).one()
    return org_id, key.group(0)


def _held_by(demo: DemoInstance, username: str) -> set[str]:
    """Submissions whose report envelope the user's active key holds a grant on."""
    with demo.sessions() as s:
        user = s.scalars(select(User).where(User.username == username)).one()
        key = active_key(s, user)
        assert key is not None
        return set(
            s.scalars(
                select(Submission.id)
                .join(Grant, Grant.envelope_id == Submission.report_envelope_id)
                .where(Grant.key_id == key.key_id)
            )
        )


def test_recover_in_one_organization(demo: DemoInstance) -> None:
    demo_key = demo.recovery_key() + "\n"
    mine = store_portal_report(demo).submission_id
    org_id, second_key = _second(demo)
    # Stored before the handler exists: only the recovery key can give it to them.
    theirs = store_portal_report(demo, org_id=org_id).submission_id
    code, output = run_cli("user", "add", "--org", "second", "--role", "handler", "second-handler")
    assert code == 0, output
    assert _held_by(demo, "second-handler") == set()
    handler = demo.credentials()["handler"]["username"]

    code, output = run_cli("recover", "--user", "second-handler", input=second_key + "\n")
    assert code != 0 and "--org" in output
    code, output = run_cli("recover", "--org", "second", "--user", "second-handler", input=demo_key)
    assert code != 0 and "not the recovery key of organization second" in output
    code, output = run_cli("recover", "--org", "second", "--user", handler, input=second_key)
    assert code != 0 and "of organization second" in output
    code, output = run_cli(
        "recover",
        "--org",
        "second",
        "--user",
        "second-handler",
        "--case",
        mine,
        input=second_key + "\n",
    )
    assert code != 0 and "no case" in output
    code, output = run_cli("recover", "--org", "nowhere", "--user", handler, input=demo_key)
    assert code != 0 and "nowhere" in output

    code, output = run_cli(
        "recover", "--org", "second", "--user", "second-handler", input=second_key + "\n"
    )
    assert code == 0 and "Granted 1 cases" in output and "(0 new grants)" not in output, output
    assert _held_by(demo, "second-handler") == {theirs}
    # The demo organization's recovery still works for its own, and only its own, cases.
    slug = demo_org_slug(demo)
    code, output = run_cli("recover", "--org", slug, "--user", handler, input=demo_key)
    assert code == 0, output
    assert theirs not in _held_by(demo, handler) and mine in _held_by(demo, handler)
    assert run_cli("audit", "verify")[0] == 0


def demo_org_slug(demo: DemoInstance) -> str:
    with demo.sessions() as s:
        user = s.scalars(
            select(User).where(User.username == demo.credentials()["handler"]["username"])
        ).one()
        org = s.get(Organization, user.org_id)
        assert org is not None
        return org.slug


def test_head_approve_needs_the_heads_organizations_key(demo: DemoInstance) -> None:
    _org_id, second_key = _second(demo)
    code, output = run_cli("user", "add", "--org", "second", "--role", "head", "second-head")
    assert code == 0, output
    code, output = run_cli(
        "head", "approve", "--org", "second", "second-head", input=demo.recovery_key() + "\n"
    )
    assert code != 0 and "not the recovery key of organization second" in output
    head = demo.credentials()["head"]["username"]
    code, output = run_cli("head", "approve", "--org", "second", head, input=second_key + "\n")
    assert code != 0 and "not an active head of organization second" in output
    code, output = run_cli(
        "head", "approve", "--org", "second", "second-head", input=second_key + "\n"
    )
    assert code == 0, output
