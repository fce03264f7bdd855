"""Issue 13: every form that names a colleague refuses one of another organization.

A head or handler of organization "alpha" POSTs, in the form body, the user id of
organization "beta"'s head and handler to sharing a case, assigning it, the head handover and
sharing the protection record: each is refused (4xx, never a 500), and afterwards no key of
beta holds a grant on any envelope of alpha's material. The forms' own choices are one wall
(handler.gate.colleague, cases.sharing.grant_candidates, handler.handover._candidates); the
library underneath is the second (cases.sharing._same_organization, the organization filter in
cases.handover.hand_over), tested here by calling it with beta's people directly, as a form
whose choices lost their filter would.
"""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from cases import sharing
from cases.handover import hand_over
from crypto.keys import parse_recovery_key
from store.models import Grant, RecipientKey, Submission, User
from tests.support.instance import DemoInstance
from tests.support.orgs import Org, make_org, private_key_of, register_report, signed_in


def _beta_grants_on_alpha(demo: DemoInstance, alpha: Org, beta: Org) -> int:
    """Grants held by a key of beta on an envelope of alpha's material (one sealed to a key of
    alpha: every envelope is sealed to its organization's recovery key at least)."""
    with demo.sessions() as s:
        alpha_envelopes = (
            select(Grant.envelope_id)
            .join(RecipientKey, RecipientKey.key_id == Grant.key_id)
            .where(RecipientKey.org_id == alpha.id)
        )
        return (
            s.scalar(
                select(func.count())
                .select_from(Grant)
                .join(RecipientKey, RecipientKey.key_id == Grant.key_id)
                .where(Grant.envelope_id.in_(alpha_envelopes), RecipientKey.org_id == beta.id)
            )
            or 0
        )


@pytest.fixture
def two(demo: DemoInstance) -> tuple[Org, Org, str]:
    alpha = make_org(demo, "alpha", "alpha")
    beta = make_org(demo, "beta", "beta")
    sid = register_report(demo, alpha, "Alpha's own facts", identity=True, file=b"alpha file")
    return alpha, beta, sid


def test_no_colleague_form_takes_another_organizations_person(
    app: Flask, demo: DemoInstance, two: tuple[Org, Org, str]
) -> None:
    alpha, beta, sid = two
    head = signed_in(app, demo, alpha.accounts["head"])
    # A protection record on alpha's case, so that its sharing form has something to share.
    assert head.post(f"/cases/{sid}/protection", {"full_name": "Alpha Person"}).status_code == 303
    forms = {
        "share the case": (f"/cases/{sid}/grants", {}),
        "assign the case": (f"/cases/{sid}/assign", {}),
        "hand over as head": ("/handover", {"confirm": "y"}),
        "share the protection record": (f"/cases/{sid}/protection/share", {}),
    }
    for role in ("head", "handler"):
        client = head if role == "head" else signed_in(app, demo, alpha.accounts[role])
        for target in ("head", "handler"):
            foreign = beta.accounts[target].user_id
            for name, (url, extra) in forms.items():
                response = client.post(url, {"user_id": str(foreign), **extra})
                assert 400 <= response.status_code < 500, (role, name, target, response.status_code)
    assert _beta_grants_on_alpha(demo, alpha, beta) == 0
    # The control: the same forms take alpha's own people (the refusals above are the wall
    # between organizations, not a broken form).
    own = str(alpha.accounts["handler"].user_id)
    assert head.post(f"/cases/{sid}/assign", {"user_id": own}).status_code == 303
    assert head.post(f"/cases/{sid}/protection/share", {"user_id": own}).status_code == 303


def test_the_library_refuses_another_organizations_person(
    demo: DemoInstance, two: tuple[Org, Org, str]
) -> None:
    alpha, beta, sid = two
    head_key = private_key_of(demo, alpha.accounts["head"])
    recovery = parse_recovery_key(alpha.recovery_text)
    for target in ("head", "handler"):
        with demo.sessions() as s, s.begin():
            submission = s.get_one(Submission, sid)
            grantee = s.get_one(User, beta.accounts[target].user_id)
            with pytest.raises(ValueError, match="organization"):
                sharing.grant_case(s, submission, head_key, grantee)
            with pytest.raises(ValueError, match="organization"):
                sharing.recover_case(s, submission, recovery, grantee)
    # The handover to beta's (approved) head: alpha's cases stay alpha's, nothing moves.
    with demo.sessions() as s, s.begin():
        incoming = s.get_one(User, beta.accounts["head"].user_id)
        result = hand_over(
            s, head_key, incoming, actor="test", submissions=[s.get_one(Submission, sid)]
        )
        assert not any(result.moved.values())
    with demo.sessions() as s, s.begin():
        incoming = s.get_one(User, beta.accounts["head"].user_id)
        assert not any(hand_over(s, head_key, incoming, actor="test").moved.values())
    assert _beta_grants_on_alpha(demo, alpha, beta) == 0
