"""Issue 12, item 1: an admin cannot make itself a custodian of reporters' identities (p14).

The attack, over HTTP: the admin creates a head account (or resets the real head's password and
two-factor), is shown the one-time password, signs in with it, sets up its own authenticator and
waits for reports with an identity. Now the one-time password alone opens no session, and the
new head key receives no identity until a head whose key is approved countersigns it; on
approval it also gets the identities that arrived before.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal import create_app as create_portal
from store.models import AuditEntry, RecipientKey, Submission, User
from tests.support.backoffice import Browser, first_sign_in, one_time_password, sign_in
from tests.support.instance import DemoInstance, run_cli
from tests.support.portal import make_config, post_report, report_fields

NEW_PASSWORD = "a long passphrase the person chose"


@pytest.fixture
def reporter(demo: DemoInstance) -> Iterator[FlaskClient]:
    portal = create_portal(demo.instance, make_config())
    portal.config["TESTING"] = True
    yield portal.test_client()
    portal.extensions["adal.engine"].dispose()


def _report_with_identity(demo: DemoInstance, reporter: FlaskClient, name: str) -> str:
    """A report sent through the portal's form, with the reporter's name and consent."""
    with demo.sessions() as s:
        before = set(s.scalars(select(Submission.id)))
    data = report_fields(
        reporter, full_name=name, own_position="бухгалтер", own_unit="отдел закупок", consent="y"
    )
    response = post_report(reporter, data)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    with demo.sessions() as s:
        (new,) = set(s.scalars(select(Submission.id))) - before
    return new


def _second_head(app: Flask, admin: Browser) -> Browser:
    """The admin creates a second head, dana, who signs in for the first time (and so makes
    her head key, not approved yet)."""
    created = admin.post(
        "/admin/users/new", {"username": "dana", "full_name": "Дана Ерова", "role": "head"}
    )
    return first_sign_in(
        Browser(app), "dana", one_time_password(created.get_data(as_text=True)), NEW_PASSWORD
    )


def _identity_page(head: Browser, submission_id: str) -> str:
    response = head.get(f"/cases/{submission_id}/identity")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _key_row(demo: DemoInstance, username: str) -> RecipientKey:
    with demo.sessions() as s:
        return s.scalars(
            select(RecipientKey)
            .join(User, User.id == RecipientKey.user_id)
            .where(User.username == username, RecipientKey.active.is_(True))
        ).one()


def _actions(demo: DemoInstance) -> list[str]:
    with demo.sessions() as s:
        return list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_a_head_created_by_the_admin_gets_identities_only_after_a_head_approves(
    demo: DemoInstance, app: Flask, as_role: Callable[[str], Browser], reporter: FlaskClient
) -> None:
    admin = as_role("admin")
    dana = _second_head(app, admin)
    # Her page says what is pending, with the fingerprint to read out.
    own = dana.get("/head-keys").get_data(as_text=True)
    assert "Your key awaits approval" in own
    assert " ".join(re.findall(".{4}", _key_row(demo, "dana").key_id)) in own
    assert "awaiting approval by a head" in admin.get("/admin/users").get_data(as_text=True)

    before = _report_with_identity(demo, reporter, "Ерлан Сапаров")
    # A head for everything else: she reads the report, but not who sent it.
    assert dana.get(f"/cases/{before}").status_code == 200
    page = _identity_page(dana, before)
    assert "Ерлан Сапаров" not in page and "You hold no key for this identity block." in page
    # Nor can she approve her own key.
    row = _key_row(demo, "dana")
    dana.post(f"/head-keys/{row.id}/approve")
    assert _key_row(demo, "dana").approved_at is None

    # Every head sees that a head key was added, on every page.
    head = as_role("head")
    inbox = head.get("/inbox").get_data(as_text=True)
    assert "Head keys awaiting approval: 1." in inbox
    assert "demo-admin created the head account dana with a new key." in inbox
    assert "Ерлан Сапаров" in _identity_page(head, before)

    response = head.post(f"/head-keys/{row.id}/approve")
    assert response.status_code == 303
    done = head.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 identity records were handed over" in done
    # The identity that came before approval was handed over by the approving head ...
    assert "Ерлан Сапаров" in _identity_page(dana, before)
    # ... and new ones are sealed to her key directly.
    after = _report_with_identity(demo, reporter, "Гүлнар Омарова")
    assert "Гүлнар Омарова" in _identity_page(dana, after)
    assert "approved by demo-head" in head.get("/head-keys").get_data(as_text=True)
    assert {"head_key.add", "head_key.approve"} <= set(_actions(demo))


def test_a_reset_head_is_approved_again_before_it_gets_identities(
    demo: DemoInstance, app: Flask, as_role: Callable[[str], Browser], reporter: FlaskClient
) -> None:
    # A second, approved head, so that one remains when the admin resets the first.
    admin = as_role("admin")
    dana = _second_head(app, admin)
    head = as_role("head")
    head.post(f"/head-keys/{_key_row(demo, 'dana').id}/approve")
    earlier = _report_with_identity(demo, reporter, "Ерлан Сапаров")

    # The admin resets the real head's password and two-factor, and signs in as the head.
    with demo.sessions() as s:
        head_id = s.scalars(select(User.id).where(User.username == "demo-head")).one()
    reset = admin.post(f"/admin/users/{head_id}/reset-password")
    assert admin.post(f"/admin/users/{head_id}/reset-two-factor").status_code == 303
    assert head.get("/inbox").status_code == 303  # the real head's session is over
    taken = first_sign_in(
        Browser(app), "demo-head", one_time_password(reset.get_data(as_text=True)), NEW_PASSWORD
    )
    assert "Your key awaits approval" in taken.get("/inbox").get_data(as_text=True)

    # The retired key opened the earlier case; the new one holds nothing of it.
    assert taken.get(f"/cases/{earlier}").status_code == 404
    # A case that arrives now reaches the new key, but its identity does not.
    later = _report_with_identity(demo, reporter, "Гүлнар Омарова")
    assert "Гүлнар Омарова" not in _identity_page(taken, later)
    # Even a head who shares the earlier case cannot pass its identity on (p14).
    with demo.sessions() as s:
        taken_id = s.scalars(select(User.id).where(User.username == "demo-head")).one()
    assert dana.post(f"/cases/{earlier}/grants", {"user_id": str(taken_id)}).status_code == 303
    assert "Ерлан Сапаров" not in _identity_page(taken, earlier)

    # The other head is told of the reset, and approves only after the owner reads the
    # fingerprint out; here the owner is back.
    notice = dana.get("/inbox").get_data(as_text=True)
    assert (
        "demo-admin reset the password of head demo-head; the old key is retired and the "
        "new one must be approved."
    ) in notice
    assert dana.post(f"/head-keys/{_key_row(demo, 'demo-head').id}/approve").status_code == 303
    for submission_id, name in ((earlier, "Ерлан Сапаров"), (later, "Гүлнар Омарова")):
        assert name in _identity_page(taken, submission_id)
    assert {"head_key.reset", "head_key.approve"} <= set(_actions(demo))


def test_with_no_head_left_the_recovery_key_approves(
    demo: DemoInstance, app: Flask, as_role: Callable[[str], Browser], reporter: FlaskClient
) -> None:
    earlier = _report_with_identity(demo, reporter, "Ерлан Сапаров")
    admin = as_role("admin")
    with demo.sessions() as s:
        head_id = s.scalars(select(User.id).where(User.username == "demo-head")).one()
    one_time = one_time_password(
        admin.post(f"/admin/users/{head_id}/reset-password").get_data(as_text=True)
    )
    creds = demo.credentials()["head"]
    head = sign_in(Browser(app), demo, "demo-head", one_time, creds["totp secret"])
    assert (
        head.post(
            "/account/password", {"current": one_time, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}
        ).status_code
        == 303
    )
    later = _report_with_identity(demo, reporter, "Гүлнар Омарова")
    assert "Гүлнар Омарова" not in _identity_page(head, later)

    code, output = run_cli("head", "list")
    assert code == 0 and "demo-head" in output and "awaiting approval" in output
    assert run_cli("head", "approve", "demo-head", input="ADAL-RECOVERY-1-AAAA\n")[0] != 0
    assert run_cli("head", "approve", "demo-handler", input=demo.recovery_key() + "\n")[0] != 0
    assert "Гүлнар Омарова" not in _identity_page(head, later)
    code, output = run_cli("head", "approve", "demo-head", input=demo.recovery_key() + "\n")
    assert code == 0, output
    assert demo.recovery_key() not in output
    assert "Гүлнар Омарова" in _identity_page(head, later)
    # Approving twice is refused and changes nothing.
    assert run_cli("head", "approve", "demo-head", input=demo.recovery_key() + "\n")[0] != 0
    # The case that only the retired key held comes back with `adal recover`, identity and all.
    assert head.get(f"/cases/{earlier}").status_code == 404
    code, output = run_cli(
        "recover", "--user", "demo-head", "--case", earlier, input=demo.recovery_key() + "\n"
    )
    assert code == 0, output
    assert "Ерлан Сапаров" in _identity_page(head, earlier)
    assert "approved with the recovery key" in head.get("/head-keys").get_data(as_text=True)


def test_a_written_in_approval_without_a_valid_signature_is_not_trusted(
    demo: DemoInstance, app: Flask, as_role: Callable[[str], Browser], reporter: FlaskClient
) -> None:
    admin = as_role("admin")
    dana = _second_head(app, admin)
    head_key = _key_row(demo, "demo-head")
    with demo.sessions() as s, s.begin():
        row = s.get(RecipientKey, _key_row(demo, "dana").id)
        # Claims the real head's approval, with the real head's signature over another key.
        row.approved_by, row.approval = head_key.key_id, head_key.approval
        row.approved_at = head_key.approved_at
    submission_id = _report_with_identity(demo, reporter, "Ерлан Сапаров")
    assert "Ерлан Сапаров" not in _identity_page(dana, submission_id)
    assert "Ерлан Сапаров" in _identity_page(as_role("head"), submission_id)


def test_a_head_carried_over_by_the_migration_approves_and_signs_from_then_on(
    demo: DemoInstance, app: Flask, as_role: Callable[[str], Browser], reporter: FlaskClient
) -> None:
    # demo-head as migration 0005 leaves a head key of an older installation: approved, but
    # without a signature or a recorded verify key.
    with demo.sessions() as s, s.begin():
        row = s.get(RecipientKey, _key_row(demo, "demo-head").id)
        row.approval = row.approved_by = row.verify_key = None
    admin = as_role("admin")
    assert "carried over from before approvals; review" in admin.get("/admin/users").get_data(
        as_text=True
    )
    dana = _second_head(app, admin)
    head = as_role("head")
    assert head.post(f"/head-keys/{_key_row(demo, 'dana').id}/approve").status_code == 303
    # Its verify key is recorded from the key that signed, so the chain checks out.
    assert _key_row(demo, "demo-head").verify_key is not None
    submission_id = _report_with_identity(demo, reporter, "Ерлан Сапаров")
    assert "Ерлан Сапаров" in _identity_page(dana, submission_id)


def test_approving_refuses_what_is_not_a_pending_head_key(
    demo: DemoInstance, as_role: Callable[[str], Browser]
) -> None:
    head = as_role("head")
    assert head.post("/head-keys/99999999999999999999/approve").status_code == 404
    assert head.post("/head-keys/123456/approve").status_code == 404
    handler_key = _key_row(demo, "demo-handler")
    response = head.post(f"/head-keys/{handler_key.id}/approve")
    assert response.status_code == 303
    assert "This key is not awaiting approval." in head.get(response.headers["Location"]).get_data(
        as_text=True
    )
    assert _key_row(demo, "demo-handler").approval is None
    assert as_role("handler").post(f"/head-keys/{handler_key.id}/approve").status_code == 403
