"""`adal recover`: give a user every case (or one) with the organization's recovery key.

Per organization (issue 13): `--org SLUG` names it (optional on an installation of one); the
key must be that organization's, the user one of its staff, and only its cases are touched.

The path when every holder of a case has lost their password: an admin reset gives a user a new
key pair, and this command, run on the server by someone holding the offline recovery key,
grants the cases to it. A head also receives the identity blocks and protection records, as
custodian (p14). With ``--handover`` the user is the incoming head after a change of head: every
case, identity and protection record moves to them in one audited action (cases.handover),
with a count of what moved and what could not.
A head key still awaiting approval is not approved here: recovering is the usual step after an
admin's reset, and the reset account may be the admin's, so its identity blocks and protection
records wait for `adal head approve`, run after the head has read out the key's fingerprint
(cases/custody.py); the cases themselves are granted. The key is read with hidden input (or
from standard input when piped) and never stored.
"""

from __future__ import annotations

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from adal_cli.context import load_context
from adal_cli.org_choice import chosen_organization
from adal_cli.recovery_key import ORG_HELP, read_recovery_key
from cases import custody, scope, sharing
from cases.access import find_submission
from cases.handover import KINDS, Handover, hand_over
from cases.staff import KEY_ROLES
from crypto.keys import PrivateKey
from rules.errors import AdalError
from store import audit
from store.models import Submission, User


def _pending_fingerprint(session: Session, user: User) -> str | None:
    """The fingerprint of the user's head key if it still awaits approval (p14)."""
    own = custody.own_key(session, user) if user.role == "head" else None
    return own.fingerprint if own is not None and own.state == "pending" else None


@click.command("recover")
@click.option("--user", "username", required=True, help="Handler or head to grant the cases.")
@click.option(
    "--case",
    "case_id",
    default=None,
    help="Only this case (the id in the case's address); default: every case.",
)
@click.option(
    "--handover",
    is_flag=True,
    help="USER is the incoming head: hand over every case, identity and protection "
    "record, with a count of what moved.",
)
@click.option("--org", "slug", default=None, help=ORG_HELP)
def recover_command(username: str, case_id: str | None, handover: bool, slug: str | None) -> None:
    """Grant every case, or one, to USER using the offline recovery key."""
    ctx = load_context()
    with ctx.sessions() as session, session.begin():
        org = chosen_organization(session, slug)
        user = session.scalar(
            select(User).where(User.username == username, scope.in_org(User.org_id, org.id))
        )
        if user is None or not user.active or user.role not in KEY_ROLES:
            raise click.ClickException(
                f"{username!r} is not an active handler or head of organization {org.slug}"
            )
        recovery = read_recovery_key(session, org)
        pending = _pending_fingerprint(session, user)
        if case_id is None:
            # The organization's own cases only: no key of one organization receives a
            # grant on another's material (issue 13).
            submissions = list(
                session.scalars(
                    select(Submission)
                    .where(scope.in_org(Submission.org_id, org.id))
                    .order_by(Submission.id)
                )
            )
        else:
            found = find_submission(session, case_id)
            # Another organization's case is refused exactly like one that does not exist.
            if found is None or not scope.same_org(found.org_id, org.id):
                raise click.ClickException(f"no case {case_id!r} in organization {org.slug}")
            submissions = [found]
        if handover:
            try:
                result = hand_over(session, recovery, user, actor="cli", submissions=submissions)
            except AdalError as exc:
                hint = (
                    f" Compare the fingerprint {pending} with the one {username} reads out "
                    f"from their Head keys page, then: adal head approve {username}"
                    if pending
                    else ""
                )
                raise click.ClickException(exc.message + hint) from None
        else:
            granted, skipped = _recover(session, submissions, recovery, user, case_id)
    if pending:
        click.echo(
            f"The head key of {username} awaits approval: identity blocks and protection "
            f"records were not granted. Compare the fingerprint {pending} with the one "
            f"{username} reads out from their Head keys page, then: "
            f"adal head approve {username}",
            err=True,
        )
    if handover:
        _report_handover(result)
        return
    click.echo(f"Granted {len(submissions)} cases to {user.username} ({granted} new grants).")
    if skipped:
        click.echo(
            f"{skipped} envelopes were not sealed to the recovery key and stay closed.", err=True
        )


def _recover(
    session: Session,
    submissions: list[Submission],
    recovery: PrivateKey,
    user: User,
    case_id: str | None,
) -> tuple[int, int]:
    granted = skipped = 0
    try:
        for submission in submissions:
            result = sharing.recover_case(session, submission, recovery, user)
            granted += result.granted
            skipped += result.skipped
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    audit.append(
        session,
        "recovery.grant",
        actor="cli",
        org_id=user.org_id,
        target=user.username,
        details={
            "cases": len(submissions),
            "case": case_id,
            "envelopes": granted,
            "unreadable": skipped,
        },
    )
    return granted, skipped


def _report_handover(result: Handover) -> None:
    for kind in KINDS:
        click.echo(f"{kind}: {result.moved[kind]} moved, {result.not_moved[kind]} could not move")
    if not result.complete:
        click.echo(
            "What could not move was not sealed to the recovery key and stays closed.", err=True
        )
