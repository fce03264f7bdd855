"""The portal's PostgreSQL role: exactly what the public portal needs, nothing on staff tables.

DESIGN.md ("Scale"): beyond one machine the portal connects as a role that may only insert
reports and read and write mailboxes. The portal faces the internet; if it is taken over, this
role is all the attacker holds in the database. What it gets, and why:

* reports and follow-ups are INSERTed (envelopes, grants, file_chunks, mailboxes, submissions,
  messages, attachments); the mailbox page SELECTs the thread, its envelopes and grants;
* files stream in before their report exists (cases.housekeeping): the envelope's `chunk_count` is
  set in the final transaction (UPDATE of that one column), and an upload that is refused or
  abandoned is shredded by the portal itself, so it needs DELETE on envelopes, grants and
  file_chunks. Row-level security narrows both to *incomplete file* envelopes: a hijacked portal
  cannot delete or alter a finished report, message or file;
* `recipient_keys` is readable without `user_id`: the portal seals to keys and never learns
  which staff member holds one; `settings` is readable;
* `organizations`: only the columns the search, the tree and the report form's choice read
  (never the creation date or tree path); a report may be inserted only for an active
  organization (row-level check), so a hijacked portal cannot file reports with a deactivated
  body or none;
* `web_sessions`: full rights, but only on the portal's own rows (back-office sessions are
  invisible to it);
* row-level security also hides submissions from other channels (registered in person, by
  hotline ...), and lets the portal insert only reporter-to-handler messages, so it cannot plant
  a fake handler message in a reporter's mailbox;
* nothing at all on users, cases, case_events, audit_log, calendar_days, the protection
  register (protections, protection_matters) or alembic_version.

Row-level security is enabled with one permissive "open" policy for every role plus restrictive
policies for the portal role only, so the owner (migrations, back office, CLI) and any other
role behave exactly as before. Run as the tables' owner; re-run after `adal db upgrade`, since
a migration may add a table or rebuild one without its grants.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text

# Table -> privileges. "UPDATE (col)" and "SELECT (a, b)" are PostgreSQL column privileges.
TABLE_PRIVILEGES: dict[str, tuple[str, ...]] = {
    "envelopes": ("SELECT", "INSERT", "UPDATE (chunk_count)", "DELETE"),
    "grants": ("SELECT", "INSERT", "DELETE"),
    "file_chunks": ("SELECT", "INSERT", "DELETE"),
    "mailboxes": ("SELECT", "INSERT"),
    "submissions": ("SELECT", "INSERT"),
    "messages": ("SELECT", "INSERT"),
    "attachments": ("SELECT", "INSERT"),
    "recipient_keys": (
        (
            "SELECT (id, key_id, public_key, purpose, org_id, active, verify_key, approved_by, "
            "approval, approved_at)"
        ),
    ),
    # The names and the tree are public anyway (the portal's search and /o/<slug> pages show
    # them); the search, the tree and the report form's choice read these columns, no more.
    "organizations": (
        "SELECT (id, slug, name_kk, name_ru, name_en, parent_id, active, search_text)",
    ),
    "settings": ("SELECT",),
    "web_sessions": ("SELECT", "INSERT", "UPDATE", "DELETE"),
}
# Tables whose integer ids come from a sequence the portal draws on when it inserts.
SEQUENCE_TABLES = ("grants", "messages")
# Named so a reviewer sees the intent; the role gets nothing on these (tests prove it).
DENIED_TABLES = (
    "users",
    "cases",
    "case_events",
    "audit_log",
    "calendar_days",
    "protections",
    "protection_matters",
    "disclosure_bases",
    "notices",
    "notify_state",
    "notes",
    "case_links",
    "case_lists",
    "list_deadlines",
    "alembic_version",
)

_INCOMPLETE_FILE = "purpose = 'file' AND chunk_count IS NULL"
_OF_INCOMPLETE_FILE = (
    "envelope_id IN (SELECT id FROM envelopes WHERE purpose = 'file' AND chunk_count IS NULL)"
)


@dataclass(frozen=True)
class Policy:
    """A restrictive row-level policy that applies to the portal role only."""

    table: str
    name: str
    command: str  # SELECT | INSERT | UPDATE | DELETE | ALL
    using: str | None = None
    check: str | None = None


POLICIES = (
    Policy("envelopes", "complete", "UPDATE", using=_INCOMPLETE_FILE, check="purpose = 'file'"),
    Policy("envelopes", "shred", "DELETE", using=_INCOMPLETE_FILE),
    Policy("grants", "shred", "DELETE", using=_OF_INCOMPLETE_FILE),
    Policy("file_chunks", "shred", "DELETE", using=_OF_INCOMPLETE_FILE),
    Policy("submissions", "read", "SELECT", using="mailbox_id IS NOT NULL"),
    Policy(
        "submissions",
        "write",
        "INSERT",
        check=(
            "channel = 'portal' AND mailbox_id IS NOT NULL "
            "AND org_id IN (SELECT id FROM organizations WHERE active) AND listed IS NULL"
        ),
    ),
    Policy("messages", "write", "INSERT", check="direction = 'from_reporter'"),
    Policy("web_sessions", "own", "ALL", using="app = 'portal'", check="app = 'portal'"),
)
RLS_TABLES = tuple(dict.fromkeys(p.table for p in POLICIES))
OPEN_POLICY = "adal_open"

# Lower-case, unquoted-identifier style, short enough that policy names stay under 63 bytes.
_ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,39}")


class RoleError(Exception):
    """The role cannot be set up: wrong database, unknown or over-privileged role."""


@dataclass(frozen=True)
class GrantReport:
    role: str
    tables: int
    sequences: int
    policies: int
    warnings: tuple[str, ...]


def role_name_ok(role: str) -> bool:
    return _ROLE_NAME.fullmatch(role) is not None


def policy_name(policy: Policy, role: str) -> str:
    return f"adal_{policy.name}__{role}"


def check_database(engine: Engine, command: str = "grant-portal") -> None:
    if engine.dialect.name != "postgresql":
        raise RoleError(
            f"'{command}' needs PostgreSQL; this installation uses {engine.dialect.name}. "
            "SQLite has no database roles: on one machine the portal and the back office "
            "share the instance's database file, protected by file permissions. Set "
            "ADAL_DATABASE_URL to a postgresql+psycopg:// URL for a multi-machine setup."
        )


def check_role(
    conn: Connection, role: str, *, schema: str, tables: Sequence[str] | None, user: str
) -> None:
    """Refuse a role that grants or policies could not restrict: a superuser, a role that
    bypasses row-level security, the role running this command (the owner), or one that owns
    (or is a member of the owner of) any of `tables` (every table of the schema when None).
    `user` names who the role is for, in the messages ("the portal")."""
    if not role_name_ok(role):
        raise RoleError(
            "a role name is 1-40 lower-case letters, digits or '_', starting with a letter or '_'"
        )
    row = conn.execute(
        text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :r"), {"r": role}
    ).first()
    if row is None:
        raise RoleError(
            f"role {role!r} does not exist; create it first, e.g. "
            f"CREATE ROLE {role} LOGIN PASSWORD '...'; nothing was changed"
        )
    if row.rolsuper or row.rolbypassrls:
        raise RoleError(
            f"role {role!r} is a superuser or bypasses row-level security: no grant or "
            "policy could restrict it; use a plain login role. Nothing was changed"
        )
    if conn.execute(text("SELECT current_user")).scalar_one() == role:
        raise RoleError(
            f"{role!r} is the role running this command (the tables' owner); {user} needs a "
            "role of its own. Nothing was changed"
        )
    owned = conn.execute(
        text(
            "SELECT count(*) FROM pg_tables WHERE schemaname = :s "
            "AND (CAST(:all AS boolean) OR tablename = ANY(:t)) "
            "AND pg_has_role(:r, tableowner, 'USAGE')"
        ),
        {"s": schema, "all": tables is None, "t": list(tables or ()), "r": role},
    ).scalar_one()
    if owned:
        raise RoleError(
            f"role {role!r} owns (or is a member of the owner of) Adal tables, and an owner "
            "ignores grants and row-level security; use a separate role. Nothing was changed"
        )


def open_policy(schema: str, table: str) -> list[str]:
    """Row-level security on `table` with one permissive policy for every role: a role's
    restrictive policies (this module's, installation/backoffice_role.py's) then narrow only
    that role, and the owner and any other role see the table as before."""
    return [
        f"ALTER TABLE {schema}.{table} ENABLE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS {OPEN_POLICY} ON {schema}.{table}",
        f"CREATE POLICY {OPEN_POLICY} ON {schema}.{table} AS PERMISSIVE "
        "FOR ALL TO PUBLIC USING (true) WITH CHECK (true)",
    ]


def restrictive_policy(
    schema: str,
    table: str,
    name: str,
    role: str,
    command: str,
    *,
    using: str | None = None,
    check: str | None = None,
) -> list[str]:
    """(Re)create one restrictive policy that narrows only `role` (names already quoted).
    Restrictive policies are ANDed: a row must pass every one that applies to the command."""
    sql = f"CREATE POLICY {name} ON {schema}.{table} AS RESTRICTIVE FOR {command} TO {role}"
    sql += f" USING ({using})" if using else ""
    sql += f" WITH CHECK ({check})" if check else ""
    return [f"DROP POLICY IF EXISTS {name} ON {schema}.{table}", sql]


def _missing_tables(conn: Connection, schema: str) -> list[str]:
    present = set(
        conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = :s"), {"s": schema}
        ).scalars()
    )
    return [t for t in (*TABLE_PRIVILEGES, *DENIED_TABLES) if t not in present]


def statements(
    role: str, database: str, schema: str, sequences: list[str], quote: Callable[[str], str]
) -> list[str]:
    """Every statement, in order. `role` is a checked name; `sequences` come from PostgreSQL.

    Starts from nothing (REVOKE ALL), so running it again after a change gives the same result.
    Only this module's constants and quoted identifiers are interpolated.
    """
    r, s = quote(role), quote(schema)
    out = [
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {r}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {s} FROM {r}",
        f"GRANT CONNECT ON DATABASE {quote(database)} TO {r}",
        f"GRANT USAGE ON SCHEMA {s} TO {r}",
    ]
    for table, privileges in TABLE_PRIVILEGES.items():
        out.append(f"GRANT {', '.join(privileges)} ON {s}.{table} TO {r}")
    out.extend(f"GRANT USAGE ON SEQUENCE {seq} TO {r}" for seq in sequences)
    for table in RLS_TABLES:
        out += open_policy(s, table)
    for policy in POLICIES:
        out += restrictive_policy(
            s,
            policy.table,
            quote(policy_name(policy, role)),
            r,
            policy.command,
            using=policy.using,
            check=policy.check,
        )
    return out


def grant_portal(engine: Engine, role: str) -> GrantReport:
    """Set the role's privileges in one transaction: all of them, or none on any error."""
    check_database(engine)
    quote = engine.dialect.identifier_preparer.quote_identifier
    with engine.begin() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        database = conn.execute(text("SELECT current_database()")).scalar_one()
        missing = _missing_tables(conn, schema)
        if missing:
            raise RoleError(
                f"tables missing ({', '.join(missing)}): run 'adal db upgrade' "
                "first; nothing was changed"
            )
        check_role(
            conn,
            role,
            schema=schema,
            tables=[*TABLE_PRIVILEGES, *DENIED_TABLES],
            user="the portal",
        )
        sequences = [
            conn.execute(
                text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": f"{quote(schema)}.{table}"}
            ).scalar_one()
            for table in SEQUENCE_TABLES
        ]
        for sql in statements(role, database, schema, sequences, quote):
            conn.execute(text(sql))
        warnings: list[str] = []
        if conn.execute(
            text("SELECT has_schema_privilege(:r, :s, 'CREATE')"), {"r": role, "s": schema}
        ).scalar_one():
            warnings.append(
                f"{role} may CREATE objects in schema {schema} (PostgreSQL before 15 grants "
                f"this to everyone): run REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC"
            )
    return GrantReport(role, len(TABLE_PRIVILEGES), len(sequences), len(POLICIES), tuple(warnings))
