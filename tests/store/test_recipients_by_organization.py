"""Who a report of an organization is sealed to (store.recipients, issue 13): that
organization's handler and head keys and its recovery key, never another organization's; its
identity block only to its own approved heads, whose approval chain must start at its own
recovery key."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from cases import custody
from crypto import keys as ckeys
from crypto import signing
from crypto.keys import parse_recovery_key
from rules.errors import AdalError
from store import recipients, sealing
from store.models import RecipientKey, User
from tests.support.instance import DemoInstance
from tests.support.orgs import Org, add_account, make_org, private_key_of

TODAY = datetime.now(UTC).date()


def _keys(demo: DemoInstance, org: Org, *purposes: str) -> list[bytes]:
    with demo.sessions() as s:
        return list(
            s.scalars(
                select(RecipientKey.public_key)
                .where(
                    RecipientKey.org_id == org.id,
                    RecipientKey.purpose.in_(purposes),
                    RecipientKey.active.is_(True),
                )
                .order_by(RecipientKey.id)
            )
        )


def _head_key(demo: DemoInstance, org: Org) -> RecipientKey:
    with demo.sessions() as s:
        user = s.get_one(User, org.accounts["head"].user_id)
        key = user.keys[-1]
        s.expunge(key)
        return key


def test_a_report_goes_to_its_organization_only(demo: DemoInstance) -> None:
    alpha, beta = make_org(demo, "alpha", "alpha"), make_org(demo, "beta", "beta")
    with demo.sessions() as s:
        to_alpha = recipients.report_recipients(s, alpha.id)
        to_beta = recipients.report_recipients(s, beta.id)
    assert to_alpha == _keys(demo, alpha, "handler", "head", "recovery")
    assert len(to_alpha) == 3  # its handler, its head, its recovery key
    assert not set(to_alpha) & set(_keys(demo, beta, "handler", "head", "recovery"))
    assert not set(to_beta) & set(to_alpha)


def test_an_organization_without_keys_gets_no_report(demo: DemoInstance) -> None:
    with demo.sessions() as s, pytest.raises(recipients.NoRecipients):
        recipients.report_recipients(s, 999_999)


def test_identities_go_to_approved_heads_of_the_organization(demo: DemoInstance) -> None:
    alpha, beta = make_org(demo, "alpha", "alpha"), make_org(demo, "beta", "beta")
    with demo.sessions() as s:
        identity = recipients.identity_recipients(s, alpha.id)
        approved = recipients.approved_head_keys(s, alpha.id)
    assert identity == _keys(demo, alpha, "head", "recovery")
    assert approved == {_head_key(demo, alpha).key_id}
    assert _head_key(demo, beta).key_id not in approved


def test_another_organizations_recovery_key_approves_nothing(demo: DemoInstance) -> None:
    """A head key of beta signed by alpha's recovery key is not approved in beta (nor in
    alpha): each chain starts at its own organization's recovery key."""
    alpha = make_org(demo, "alpha", "alpha")
    beta = make_org(demo, "beta", "beta")
    with demo.sessions() as s, s.begin():
        newcomer = add_account(s, demo, "beta-newhead", "head", beta.id)
        key = s.scalars(select(RecipientKey).where(RecipientKey.user_id == newcomer.user_id)).one()
        alpha_recovery = parse_recovery_key(alpha.recovery_text)
        assert key.verify_key is not None
        key.approval = signing.approve_head_key(alpha_recovery, key.public_key, key.verify_key)
        key.approved_by = ckeys.key_id(alpha_recovery.public_key)
        key.approved_at = datetime.now(UTC)
        forged = key.key_id
    with demo.sessions() as s:
        assert forged not in recipients.approved_head_keys(s, beta.id)
        assert forged not in recipients.approved_head_keys(s, alpha.id)
        assert key.public_key not in recipients.identity_recipients(s, beta.id)


def test_a_carried_over_mark_makes_no_root_outside_the_migrated_organization(
    demo: DemoInstance,
) -> None:
    """Migration 0005's mark (approved, no signature, no approver) stands only in the
    organization an old installation became: written into a new organization's head key (by
    anyone who can write the database), it makes no key receive identities there."""
    beta = make_org(demo, "beta", "beta")
    with demo.sessions() as s, s.begin():
        newcomer = add_account(s, demo, "beta-marked", "head", beta.id)
        key = s.scalars(select(RecipientKey).where(RecipientKey.user_id == newcomer.user_id)).one()
        key.approved_at = datetime.now(UTC)
        marked, public = key.key_id, key.public_key
    with demo.sessions() as s:
        assert marked not in recipients.approved_head_keys(s, beta.id)
        assert public not in recipients.identity_recipients(s, beta.id)
        states = {k.key.key_id: k.state for k in custody.head_keys(s, beta.id)}
        assert states[marked] == "pending"


def test_another_organizations_head_cannot_approve(demo: DemoInstance) -> None:
    """custody.approve refuses a signer of another organization, and a written-in approval by
    alpha's (approved) head does not count in beta."""
    alpha = make_org(demo, "alpha", "alpha")
    beta = make_org(demo, "beta", "beta")
    alpha_head = private_key_of(demo, alpha.accounts["head"])
    with demo.sessions() as s, s.begin():
        newcomer = add_account(s, demo, "beta-second-head", "head", beta.id)
        key = s.scalars(select(RecipientKey).where(RecipientKey.user_id == newcomer.user_id)).one()
        with pytest.raises(AdalError):
            custody.approve(s, key, alpha_head, actor="alpha-head", now=datetime.now(UTC))
        assert key.verify_key is not None
        key.approval = signing.approve_head_key(alpha_head, key.public_key, key.verify_key)
        key.approved_by = ckeys.key_id(alpha_head.public_key)
        forged = key.key_id
    with demo.sessions() as s:
        assert forged not in recipients.approved_head_keys(s, beta.id)
    # Beta's own recovery key does approve it.
    with demo.sessions() as s, s.begin():
        key = s.scalars(select(RecipientKey).where(RecipientKey.key_id == forged)).one()
        key.approval = key.approved_by = None
        custody.approve(
            s, key, parse_recovery_key(beta.recovery_text), actor="cli", now=datetime.now(UTC)
        )
    with demo.sessions() as s:
        assert forged in recipients.approved_head_keys(s, beta.id)


def test_holders_add_the_recovery_key_of_the_envelopes_organization(demo: DemoInstance) -> None:
    alpha, beta = make_org(demo, "alpha", "alpha"), make_org(demo, "beta", "beta")
    with demo.sessions() as s, s.begin():
        envelope = sealing.seal(
            s, "report", b"alpha only", recipients.report_recipients(s, alpha.id), TODAY
        )
        held = recipients.holders(s, envelope)
    assert set(held) == set(_keys(demo, alpha, "handler", "head", "recovery"))
    assert not set(held) & set(_keys(demo, beta, "handler", "head", "recovery"))
