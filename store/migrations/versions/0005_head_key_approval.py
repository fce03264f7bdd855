"""head keys approved by a head or the recovery key before they receive identities (issue 12)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 08:00:00.000000

New columns on `recipient_keys`: the key's Ed25519 verify key, and who approved it (key id,
signature, time). From now on a head key receives identity blocks and protection records only
once approved (p14, cases/custody.py).

Every head key that is active today is marked approved, without a signature. That is the only
workable choice: a signature needs the private key of an approving head or the recovery key,
and a migration holds neither; leaving them unapproved would stop sealing new identities to any
head at all (only the recovery key would get them) until someone found the CLI. Those keys were
issued under the old rules and could, in principle, have been taken over by an admin before
this upgrade; so the back office's staff page and the heads' key page list them as "carried
over" for review, and a head who is in doubt asks the admin for a reset, after which the new key
needs a real approval. Inactive keys receive nothing anyway and stay unapproved, and so do the
keys of accounts whose one-time password is still unchanged (not yet signed in and given a
password of their own, or never set up with two-factor): the admin who created or reset them
was shown that password.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN, in place on SQLite too: a batch rebuild of this table would cascade
    # into the rows that reference it (see 0003).
    op.add_column("recipient_keys", sa.Column("verify_key", sa.LargeBinary(), nullable=True))
    op.add_column("recipient_keys", sa.Column("approved_by", sa.String(length=32), nullable=True))
    op.add_column("recipient_keys", sa.Column("approval", sa.LargeBinary(), nullable=True))
    op.add_column(
        "recipient_keys", sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True)
    )
    keys = sa.table(
        "recipient_keys",
        sa.column("purpose", sa.String()),
        sa.column("active", sa.Boolean()),
        sa.column("user_id", sa.Integer()),
        sa.column("approved_at", sa.DateTime(timezone=True)),
    )
    users = sa.table(
        "users",
        sa.column("id", sa.Integer()),
        sa.column("must_change_password", sa.Boolean()),
        sa.column("totp_enrolled", sa.Boolean()),
    )
    # Only keys of accounts in use: a head whose one-time password is still unchanged (a new
    # account, or a reset) may be the admin who was shown it; that key waits for a real approval.
    in_use = sa.select(users.c.id).where(
        users.c.must_change_password.is_(False), users.c.totp_enrolled.is_(True)
    )
    op.get_bind().execute(
        keys.update()
        .where(keys.c.purpose == "head", keys.c.active.is_(True), keys.c.user_id.in_(in_use))
        .values(approved_at=sa.func.current_timestamp())
    )


def downgrade() -> None:
    for column in ("approved_at", "approval", "approved_by", "verify_key"):
        op.drop_column("recipient_keys", column)
