"""one owner per envelope: unique indexes on the envelope references of the portal's tables

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 10:00:00.000000

The associated data of an envelope names its purpose and id, not the row that owns it, so a
second row pointing at the same envelope would show one case's report, identity block, message
or file under another (for instance a mailbox a hijacked portal controls).

Unique *indexes*, not constraints: SQLite cannot add a constraint in place, and the batch mode's
table rebuild drops the old table, which with foreign keys on cascades into every row that
references it (a rebuilt `submissions` would take all messages, attachments and cases with it).
An index is added in place on SQLite and on PostgreSQL alike, and enforces the same rule.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column) pairs that may each name an envelope once.
OWNERS = (
    ("submissions", "report_envelope_id"),
    ("submissions", "identity_envelope_id"),
    ("messages", "envelope_id"),
    ("attachments", "envelope_id"),
)


def _refuse_shared_envelopes() -> None:
    """Stop, changing nothing, if an envelope already has two owners: never pick one for them."""
    conn = op.get_bind()
    found = []
    for table, column in OWNERS:
        col = sa.column(column)
        shared = conn.execute(
            sa.select(col, sa.func.count().label("n"))
            .select_from(sa.table(table, col))
            .where(col.is_not(None))
            .group_by(col)
            .having(sa.func.count() > 1)
            .order_by(col)
        ).all()
        found += [f"{table}.{column} = {envelope_id} ({n} rows)" for envelope_id, n in shared]
    if found:
        raise RuntimeError(
            "migration 0003 refused: these envelopes are referenced by more than one row, "
            "and an envelope must belong to one row only. Adal never writes such rows; they may "
            "have been inserted by someone else (e.g. through the portal's database role). "
            "Nothing was changed and nothing was deleted: find out how they got there and "
            "which row is the envelope's real owner, remove the other rows, and run the "
            "upgrade again.\n  " + "\n  ".join(found)
        )


def upgrade() -> None:
    _refuse_shared_envelopes()
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_submissions_identity_envelope_id"),
            ["identity_envelope_id"],
            unique=True,
        )
        batch_op.create_index(
            batch_op.f("ix_submissions_report_envelope_id"), ["report_envelope_id"], unique=True
        )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_messages_envelope_id"), ["envelope_id"], unique=True)
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_attachments_envelope_id"), ["envelope_id"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachments_envelope_id"))
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messages_envelope_id"))
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_submissions_report_envelope_id"))
        batch_op.drop_index(batch_op.f("ix_submissions_identity_envelope_id"))
