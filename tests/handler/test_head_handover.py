"""Issue 11, item 2: a change of head keeps every protection record openable.

The outgoing head (in the back office) or the recovery key (`adal recover --handover`) hands
every case, identity block and protection record to the incoming head in one audited action;
plain recovery and sharing a case with a head carry the protection envelopes too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import select

from rules.clock import local_date
from store.models import AuditEntry, RecipientKey, User
from tests.support.backoffice import Browser, first_sign_in, store_portal_report
from tests.support.instance import DemoInstance, run_cli

PERSON = "Серікбаев Ерлан"
MATTER = "Приказ о переводе в другой отдел"


def _new_head(demo: DemoInstance, browser: Callable[[], Browser], username: str) -> Browser:
    """A head added with `adal user add` after the reports came in, enrolled through the pages."""
    code, output = run_cli("user", "add", "--role", "head", "--full-name", "Жаңа Басшы", username)
    assert code == 0, output
    password = output.split("login): ")[1].strip()
    return first_sign_in(browser(), username, password, f"{username} has a long password")


def _approve(demo: DemoInstance, head: Browser, username: str) -> None:
    """An existing head countersigns the new head's key (issue 12): only then may custodial
    records reach it."""
    with demo.sessions() as s:
        key_id = s.scalars(
            select(RecipientKey.id)
            .join(User, User.id == RecipientKey.user_id)
            .where(User.username == username, RecipientKey.active)
        ).one()
    assert head.post(f"/head-keys/{key_id}/approve").status_code == 303


def _protected_case(demo: DemoInstance, head: Browser) -> str:
    sid = store_portal_report(
        demo, identity={"full_name": PERSON, "position": "бухгалтер", "unit": "қаржы бөлімі"}
    ).submission_id
    head.get(f"/cases/{sid}")
    base = f"/cases/{sid}/protection"
    assert head.post(base, {"full_name": PERSON, "position": "бухгалтер"}).status_code == 303
    today = local_date(datetime.now(UTC)).isoformat()
    assert (
        head.post(
            f"{base}/matters",
            {"kind": "transfer", "body": "collegial", "proposed_on": today, "description": MATTER},
        ).status_code
        == 303
    )
    return sid


def _user_id(demo: DemoInstance, username: str) -> int:
    with demo.sessions() as s:
        return s.scalars(select(User.id).where(User.username == username)).one()


def _opens_everything(client: Browser, sid: str) -> None:
    protection = client.get(f"/cases/{sid}/protection")
    assert protection.status_code == 200
    page = protection.get_data(as_text=True)
    assert PERSON in page and MATTER in page
    assert "You hold no key for this record." not in page
    assert PERSON in client.get(f"/cases/{sid}/identity").get_data(as_text=True)


def test_outgoing_head_hands_everything_to_the_new_head(
    demo: DemoInstance, as_role: Callable[[str], Browser], browser: Callable[[], Browser]
) -> None:
    old = as_role("head")
    sids = [_protected_case(demo, old), _protected_case(demo, old)]
    new = _new_head(demo, browser, "new-head")
    for sid in sids:
        assert new.get(f"/cases/{sid}/protection").status_code == 404

    form = old.get("/handover").get_data(as_text=True)
    assert "Жаңа Басшы (new-head)" in form
    # Without the confirmation nothing moves.
    assert old.post("/handover", {"user_id": str(_user_id(demo, "new-head"))}).status_code == 400
    assert new.get(f"/cases/{sids[0]}").status_code == 404
    # A handler is no head to hand over to.
    assert (
        old.post(
            "/handover", {"user_id": str(_user_id(demo, "demo-handler")), "confirm": "y"}
        ).status_code
        == 400
    )
    # A head key still awaiting approval gets no identity, not even by a handover (p14).
    refused = old.post("/handover", {"user_id": str(_user_id(demo, "new-head")), "confirm": "y"})
    assert "is not approved yet" in refused.get_data(as_text=True)
    assert new.get(f"/cases/{sids[0]}").status_code == 404
    _approve(demo, old, "new-head")
    response = old.post("/handover", {"user_id": str(_user_id(demo, "new-head")), "confirm": "y"})
    assert response.status_code == 200
    result = response.get_data(as_text=True)
    counts = {
        label: re.search(rf"{re.escape(label)}</th><td>(\d+)</td><td>(\d+)</td>", result)
        for label in (
            "Cases",
            "Identities of reporters (Appendix 2)",
            "Protection records (Section 3)",
        )
    }
    assert {k: m.groups() if m else None for k, m in counts.items()} == {
        "Cases": ("2", "0"),
        "Identities of reporters (Appendix 2)": ("2", "0"),
        "Protection records (Section 3)": ("2", "0"),
    }
    for sid in sids:
        _opens_everything(new, sid)
    with demo.sessions() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "head.handover")).one()
    assert entry.target == "new-head" and entry.details["moved"]["protection"] == 2
    for role in ("handler", "admin", "auditor"):
        assert as_role(role).get("/handover").status_code == 403


def test_recovery_key_hands_over_protection_records(
    demo: DemoInstance, as_role: Callable[[str], Browser], browser: Callable[[], Browser]
) -> None:
    sid = _protected_case(demo, as_role("head"))
    new = _new_head(demo, browser, "successor")
    # A key awaiting approval gets nothing custodial from the recovery key (issue 12 item 1):
    # the organization approves it first, having compared its fingerprint.
    code, output = run_cli(
        "recover", "--user", "successor", "--handover", input=demo.recovery_key() + "\n"
    )
    assert code != 0 and "adal head approve successor" in output
    assert run_cli("head", "approve", "successor", input=demo.recovery_key() + "\n")[0] == 0
    code, output = run_cli(
        "recover", "--user", "successor", "--handover", input=demo.recovery_key() + "\n"
    )
    assert code == 0, output
    assert "protection: 1 moved, 0 could not move" in output
    assert "case: 1 moved" in output and "identity: 1 moved" in output
    _opens_everything(new, sid)
    with demo.sessions() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "head.handover")).one()
    assert entry.actor == "cli" and entry.target == "successor"


def test_plain_recovery_and_sharing_carry_the_protection_record(
    demo: DemoInstance, as_role: Callable[[str], Browser], browser: Callable[[], Browser]
) -> None:
    head = as_role("head")
    recovered = _protected_case(demo, head)
    shared = _protected_case(demo, head)
    new = _new_head(demo, browser, "deputy")
    _approve(demo, head, "deputy")
    code, output = run_cli(
        "recover", "--user", "deputy", "--case", recovered, input=demo.recovery_key() + "\n"
    )
    assert code == 0, output
    _opens_everything(new, recovered)
    head.get(f"/cases/{shared}")
    assert (
        head.post(f"/cases/{shared}/grants", {"user_id": str(_user_id(demo, "deputy"))}).status_code
        == 303
    )
    _opens_everything(new, shared)
    # Revoking takes the protection record away again.
    assert head.post(f"/cases/{shared}/grants/{_user_id(demo, 'deputy')}/revoke").status_code == 303
    assert new.get(f"/cases/{shared}/protection").status_code == 404
