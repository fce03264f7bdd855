"""keyed audit chain: a MAC column on audit_log (issue 12, item 5)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 08:30:00.000000

Every new entry carries an HMAC of its hash under a key kept in the back office's instance folder
(`audit.key`), never in the database, so whoever can write only the database can neither append
an entry that verifies nor rewrite one. Existing entries keep a NULL MAC: they stay covered by
the unkeyed chain, and `audit.key` records the newest of them (id and hash) when the back office
first runs after this upgrade, so they cannot be changed either without breaking that record.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A nullable column without a default: added in place on SQLite and PostgreSQL alike.
    op.add_column("audit_log", sa.Column("entry_mac", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("entry_mac")
