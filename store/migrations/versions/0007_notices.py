"""notices: staff e-mail addresses and choices, and the notification worker's ledger (issue 14)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 12:00:00.000000

Columns on `users` for the address a user confirmed (and one awaiting its code), the language
of their mail and the kinds of notice they turned off; and the `notices` table that records
which notice is owed to or was sent to whom, and `notify_state`, the worker's own state
(store/models/notices.py). Existing users start
with no address, so nobody is mailed until they set and confirm one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

USER_COLUMNS = (
    sa.Column("email", sa.String(length=254), nullable=True),
    sa.Column("email_confirmed", sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column("email_pending", sa.String(length=254), nullable=True),
    sa.Column("email_code_hash", sa.String(length=255), nullable=True),
    sa.Column("email_code_expires", sa.DateTime(timezone=True), nullable=True),
    sa.Column("email_code_attempts", sa.Integer(), server_default="0", nullable=False),
    sa.Column("email_codes_day", sa.Date(), nullable=True),
    sa.Column("email_codes_sent", sa.Integer(), server_default="0", nullable=False),
    sa.Column("mail_language", sa.String(length=2), server_default="kk", nullable=False),
    sa.Column("notices_off", sa.String(length=200), server_default="", nullable=False),
)


def upgrade() -> None:
    # Plain ADD COLUMN, in place on SQLite too: a batch rebuild of `users` would cascade into
    # the rows that reference it (see 0003).
    for column in USER_COLUMNS:
        op.add_column("users", column)
    op.create_table(
        "notices",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.LargeBinary(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("claim", sa.String(length=32), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notices_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
        sa.UniqueConstraint("user_id", "tag", name="uq_notices_user_tag"),
    )
    op.create_index(op.f("ix_notices_user_id"), "notices", ["user_id"], unique=False)
    op.create_index(op.f("ix_notices_claim"), "notices", ["claim"], unique=False)
    op.create_index(op.f("ix_notices_sent_on"), "notices", ["sent_on"], unique=False)
    op.create_table(
        "notify_state",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_notify_state")),
    )


def downgrade() -> None:
    op.drop_table("notify_state")
    op.drop_index(op.f("ix_notices_sent_on"), table_name="notices")
    op.drop_index(op.f("ix_notices_claim"), table_name="notices")
    op.drop_index(op.f("ix_notices_user_id"), table_name="notices")
    op.drop_table("notices")
    with op.batch_alter_table("users") as batch:
        for column in reversed(USER_COLUMNS):
            batch.drop_column(column.name)
