"""organizations: one installation for a tree of state bodies (issue 13)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 14:30:00.000000

Creates `organizations` and turns the existing installation into its first organization (id 1,
slug "main", named after the `organization_name` setting), without re-encrypting anything:
every user, recipient key (the recovery key included), submission, audit entry and list row
gets `org_id` 1, so every case stays openable by the same people and the audit chain, which is
now organization 1's, verifies as before. An empty database (a new installation being set up)
gets no organization here: `adal init` creates the first one, with its own recovery key.

The new `org_id` columns are added in place (plain ADD COLUMN, NULL by default, then filled):
SQLite refuses a referencing column with a default, and a batch rebuild of `users` or
`submissions` would cascade into the rows that reference them (see 0003). `settings` is
referenced by nothing and is rebuilt with the organization in its key.
"""

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

from rules.folding import fold

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("users", "recipient_keys", "submissions", "audit_log", "case_lists", "list_deadlines")
FIRST_SLUG = "main"


def _name(bind: sa.Connection) -> str:
    settings = sa.table("settings", sa.column("key", sa.String), sa.column("value", sa.JSON))
    row = bind.execute(
        sa.select(settings.c.value).where(settings.c.key == "organization_name")
    ).first()
    value = row[0].get("value") if row is not None and isinstance(row[0], dict) else None
    return " ".join(value.split()) if isinstance(value, str) and value.strip() else "Organization"


def _in_use(bind: sa.Connection) -> bool:
    return any(
        bind.execute(sa.text(f"SELECT 1 FROM {table} LIMIT 1")).first() is not None  # noqa: S608  # nosec B608
        for table in ("recipient_keys", "users", "submissions", "audit_log")
    )


def _first_organization(bind: sa.Connection, organizations: sa.Table) -> None:
    name = _name(bind)
    op.bulk_insert(
        organizations,
        [
            {
                "id": 1,
                "slug": FIRST_SLUG,
                "name_kk": name,
                "name_ru": name,
                "name_en": name,
                "short_names": "",
                "parent_id": None,
                "path": "/1/",
                "active": True,
                "search_text": fold(name),
                "created_on": date.today(),
            }
        ],
    )
    if bind.dialect.name == "postgresql":
        # The explicit id 1 above did not advance the sequence.
        op.execute(
            "SELECT setval(pg_get_serial_sequence('organizations', 'id'), "
            "(SELECT max(id) FROM organizations))"
        )


def upgrade() -> None:
    bind = op.get_bind()
    organizations = op.create_table(
        "organizations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=63), nullable=False),
        sa.Column("name_kk", sa.String(length=300), nullable=False),
        sa.Column("name_ru", sa.String(length=300), nullable=False),
        sa.Column("name_en", sa.String(length=300), nullable=False),
        sa.Column("short_names", sa.String(length=1000), server_default="", nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("path", sa.String(length=1000), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("search_text", sa.Text(), server_default="", nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["organizations.id"],
            name=op.f("fk_organizations_parent_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
        sa.UniqueConstraint("slug", name=op.f("uq_organizations_slug")),
    )
    op.create_index(op.f("ix_organizations_parent_id"), "organizations", ["parent_id"])
    op.create_index(op.f("ix_organizations_path"), "organizations", ["path"])
    # A database with nothing in it yet (a new installation, before `adal init`) has no
    # installation to convert: init creates the first organization with its own recovery key.
    in_use = _in_use(bind)
    if in_use:
        _first_organization(bind, organizations)
    for table in TABLES:
        fk = op.f(f"fk_{table}_org_id_organizations")
        if bind.dialect.name == "sqlite":
            # Alembic would ALTER the constraint separately, which SQLite cannot; inline it.
            op.execute(
                f"ALTER TABLE {table} ADD COLUMN org_id INTEGER "
                f"CONSTRAINT {fk} REFERENCES organizations (id)"
            )
        else:
            op.add_column(
                table,
                sa.Column("org_id", sa.Integer(), sa.ForeignKey("organizations.id", name=fk)),
            )
        if in_use:
            op.execute(sa.table(table, sa.column("org_id", sa.Integer)).update().values(org_id=1))
        op.create_index(op.f(f"ix_{table}_org_id"), table, ["org_id"])

    # A handful of rows: read, recreate the table with the organization in its key, write back.
    old = sa.table("settings", sa.column("key", sa.String), sa.column("value", sa.JSON))
    rows = [{"org_id": 1, "key": r.key, "value": r.value} for r in bind.execute(sa.select(old))]
    # Settings without an installation (none in practice) would have no organization to join.
    rows = rows if in_use else []
    op.drop_table("settings")
    settings = op.create_table(
        "settings",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=op.f("fk_settings_org_id_organizations")
        ),
        sa.PrimaryKeyConstraint("org_id", "key", name=op.f("pk_settings")),
    )
    if rows:
        op.bulk_insert(settings, rows)


def downgrade() -> None:
    raise NotImplementedError("organizations cannot be merged back into one installation")
