"""law records (issue 11): the offence type of p3 on each case

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 08:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing cases were never classified: "undetermined" is the truth about them.
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("offence_type", sa.String(length=16), nullable=False,
                                   server_default="undetermined"))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("offence_type")
