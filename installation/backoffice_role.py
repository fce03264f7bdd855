"""The back office's PostgreSQL role: row-level security keyed by the organization a request
runs for (issue 13, "Isolation").

Every back-office query is filtered by the signed-in user's organization in the application
(cases.scope). This is the second wall: the back office connects as a role of its own (not the
tables' owner, so policies apply to it; `adal db grant-backoffice ROLE`), and restrictive
policies let that role see and write only the rows of the organization its transaction runs
for. A query that forgot its filter returns nothing of another organization.

The organization a transaction runs for is two transaction-local settings, set by the back
office at the start of every transaction (handler/org_scope.py):

* ``adal.org_id`` = the signed-in user's organization ("org" scope): every request of a staff
  member once the gate has loaded the account;
* ``adal.scope`` = ``platform``: the part of a request before anybody is signed in (the login
  form reads the account being tried, its organization's lockout setting, and audits the
  attempt), and the operator (no organization; holds no key and reads no report);
* ``adal.scope`` = ``subtree`` with ``adal.org_ids`` = a comma list of organization ids: the
  one read of a superior body's counts of the organizations below it (handler/subordinates.py).
  It reads the list rows (`case_lists`, `list_deadlines`) and the `organizations` rows of those
  organizations, nothing of any other table, and writes nothing (SUBTREE_READS);
* neither set: nothing at all is visible (fail closed).

The CLI, `adal notify`, `adal housekeeping` and migrations run as the owner, which these
policies do not restrict: they are the platform's own processes, not requests.

Tables with an `org_id` are filtered on it; the case tables reach it through their submission
(cases, case_events, messages, notes, case_links, protections, protection_matters,
disclosure_bases, attachments) and notices through their user: a policy's subquery is itself
filtered, so "its submission is visible" means "its submission is of this organization".
The tree (`organizations`), the national working-day calendar (`calendar_days`) and the notice
worker's state (`notify_state`) belong to no one organization: every scope reads them, only the
platform scope writes them (PLATFORM_WRITES). Envelopes, grants and file chunks carry no
organization and are shared with the portal's role; they are opened only through a case the
policies already allow, and sealed to that organization's keys.

The audit log needs no exception: each organization's entries form a chain of their own
(store/audit.py), so appending one reads only that organization's newest entry, and an auditor's
check reads only their organization's chain. (The owner's function `adal_audit_newest()`, which
exposed the newest entry of the one chain there was before, is dropped.)

The subtree scope is named by ids, not by the subtree's path prefix: the counts' use case
has computed the ids already (in the user's own scope, from the tree every scope reads), and a
policy on ids is one indexable `org_id IN (...)` on the table's own column, with no join to
`organizations` and nothing that a path changed during the transaction could widen.
Every table of the schema gets one more restrictive policy (SUBTREE_POLICY) so that "nothing
else" includes the tables that carry no organization (envelopes, grants, mailboxes, sessions,
the calendar ...), which every other scope reads as before.

Run as the tables' owner, again after every `adal db upgrade` (which does it by itself for every
role that already has these policies: `regrant_existing`). The portal's role
(installation/roles.py) keeps its own restrictions: these policies name only the back office's
role.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, text

from installation.roles import (
    RoleError,
    check_database,
    check_role,
    open_policy,
    restrictive_policy,
)

SCOPE_SETTING = "adal.scope"
ORG_SETTING = "adal.org_id"
ORG_IDS_SETTING = "adal.org_ids"
PLATFORM = "platform"
SUBTREE = "subtree"
_ORG = f"nullif(current_setting('{ORG_SETTING}', true), '')::integer"
_SCOPE = f"coalesce(current_setting('{SCOPE_SETTING}', true), '')"
_PLATFORM = f"{_SCOPE} = '{PLATFORM}'"
_NOT_SUBTREE = f"{_SCOPE} <> '{SUBTREE}'"
# A set-returning subquery, not `= ANY(array)`: PostgreSQL hashes it once per statement instead
# of scanning a national subtree's thousands of ids for every row (measured on this 2-core
# machine, 5,000 ids over 200,000 list rows: 0.12 s, the platform scope 0.075 s; `= ANY` took
# minutes on 1,000,000).
_SUBTREE_IDS = (
    f"SELECT unnest(string_to_array(current_setting('{ORG_IDS_SETTING}', true), ','))::integer"
)
NEWEST_AUDIT = "adal_audit_newest"


def _own(column: str) -> str:
    return f"({_PLATFORM} OR {column} = {_ORG})"


def _subtree_else(column: str, otherwise: str) -> str:
    """In the subtree scope, exactly the named organizations (whatever else is set); in any
    other, `otherwise`."""
    return (
        f"(CASE WHEN {_SCOPE} = '{SUBTREE}' THEN {column} IN ({_SUBTREE_IDS}) ELSE {otherwise} END)"
    )


def _through(column: str, table: str) -> str:
    # The subquery is filtered by `table`'s own policy: visible there, of this organization.
    return f"({_PLATFORM} OR {column} IN (SELECT id FROM {table}))"  # noqa: S608  # nosec B608 - table names are constants


# Table -> the condition a row of it must meet for the back office's role.
POLICIES: dict[str, str] = {
    "users": _own("org_id"),
    "recipient_keys": _own("org_id"),
    "submissions": _own("org_id"),
    "settings": _own("org_id"),
    "case_lists": _own("org_id"),
    "list_deadlines": _own("org_id"),
    "audit_log": _own("org_id"),
    "cases": _through("submission_id", "submissions"),
    "messages": _through("submission_id", "submissions"),
    "notes": _through("submission_id", "submissions"),
    "attachments": _through("submission_id", "submissions"),
    "case_links": _through("first_id", "submissions"),
    "case_events": _through("case_id", "cases"),
    "protections": _through("case_id", "cases"),
    "disclosure_bases": _through("case_id", "cases"),
    "protection_matters": _through("protection_id", "protections"),
    "notices": _through("user_id", "users"),
}
POLICY = "adal_org"

# What the subtree scope reads (cases/subordinates.py's counts): table -> the column naming the
# organization. Each of these policies widens the table's read (USING) only, never its write
# check; every other table, and every write, is closed to that scope by SUBTREE_POLICY.
SUBTREE_READS: dict[str, str] = {
    "case_lists": "org_id",
    "list_deadlines": "org_id",
    "organizations": "id",
}
SUBTREE_POLICY = "adal_subtree"

# Shared by every organization: each reads them (the tree, the national calendar), only the
# platform scope (the operator) writes them. `notify_state` is the notice worker's (it runs as
# the owner); its status row holds every organization's mail counts and last error in one JSON
# value, which an admin's status page reads and filters in the application (cases.notices.status):
# a row of its own per organization would be needed to filter that read here too.
PLATFORM_WRITES = ("organizations", "calendar_days", "notify_state")
WRITE_POLICY = "adal_platform_writes"
# Command -> (USING, WITH CHECK) of the restrictive policy: a write outside the platform scope
# touches no row (UPDATE, DELETE) or is refused (INSERT).
_WRITES = {
    "INSERT": (None, _PLATFORM),
    "UPDATE": (_PLATFORM, _PLATFORM),
    "DELETE": (_PLATFORM, None),
}


@dataclass(frozen=True)
class GrantReport:
    role: str
    tables: int
    policies: int


def statements(
    role: str, schema: str, quote: Callable[[str], str], tables: Sequence[str]
) -> list[str]:
    """Every statement, in order; running them again gives the same result. `tables` are every
    table of the schema (from PostgreSQL), each closed to the subtree scope but SUBTREE_READS."""
    r, s = quote(role), quote(schema)
    out = [
        f"GRANT USAGE ON SCHEMA {s} TO {r}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {r}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
        # Made by an earlier grant while the audit log was one chain; no longer needed.
        f"DROP FUNCTION IF EXISTS {s}.{NEWEST_AUDIT}()",
    ]
    name = quote(f"{POLICY}__{role}")
    for table, condition in POLICIES.items():
        out += open_policy(s, table)
        read = condition
        if table in SUBTREE_READS:
            read = _subtree_else(SUBTREE_READS[table], condition)
        out += restrictive_policy(s, table, name, r, "ALL", using=read, check=condition)
    for table in PLATFORM_WRITES:
        out += open_policy(s, table)
        for command, (using, check) in _WRITES.items():
            write = quote(f"{WRITE_POLICY}_{command.lower()}__{role}")
            out += restrictive_policy(s, table, write, r, command, using=using, check=check)
    subtree = quote(f"{SUBTREE_POLICY}__{role}")
    subtree_delete = quote(f"{SUBTREE_POLICY}_delete__{role}")
    for table in tables:
        out += open_policy(s, table)
        if table not in SUBTREE_READS:
            read = _NOT_SUBTREE
        elif table in POLICIES:
            # Its POLICY above already narrows the subtree scope's read to the subtree; testing
            # every row against the ids twice made a national tree's counts 40% slower.
            read = "true"
        else:
            read = _subtree_else(SUBTREE_READS[table], "true")
        if table in SUBTREE_READS:
            # DELETE checks USING alone, which lets the subtree see these rows.
            out += restrictive_policy(s, table, subtree_delete, r, "DELETE", using=_NOT_SUBTREE)
        out += restrictive_policy(s, table, subtree, r, "ALL", using=read, check=_NOT_SUBTREE)
    return out


def grant_backoffice(engine: Engine, role: str) -> GrantReport:
    """Privileges and policies for the back office's role, in one transaction."""
    check_database(engine, "grant-backoffice")
    quote = engine.dialect.identifier_preparer.quote_identifier
    with engine.begin() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        present = set(
            conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = :s"), {"s": schema}
            ).scalars()
        )
        missing = [t for t in (*POLICIES, *PLATFORM_WRITES) if t not in present]
        if missing:
            raise RoleError(
                f"tables missing ({', '.join(missing)}): run 'adal db upgrade' first; "
                "nothing was changed"
            )
        check_role(conn, role, schema=schema, tables=None, user="the back office")
        tables = sorted(present)
        for sql in statements(role, schema, quote, tables):
            conn.execute(text(sql))
    return GrantReport(
        role,
        len(present),
        len(POLICIES) + len(PLATFORM_WRITES) * len(_WRITES) + len(tables) + len(SUBTREE_READS),
    )


def regrant_existing(engine: Engine) -> list[GrantReport]:
    """Re-install the policies of every role that already has them (`adal db upgrade`): new
    code may need new policies (the subtree scope did), and a migration may add a table or
    rebuild one without them. Nothing on SQLite, nor where no role was ever granted."""
    if engine.dialect.name != "postgresql":
        return []
    with engine.connect() as conn:
        names = conn.execute(
            text(
                "SELECT DISTINCT policyname FROM pg_policies "
                "WHERE schemaname = current_schema() AND policyname LIKE :p"
            ),
            {"p": f"{POLICY}__".replace("_", "\\_") + "%"},
        ).scalars()
        granted = sorted({n.removeprefix(f"{POLICY}__") for n in names})
        present = set(
            conn.execute(
                text("SELECT rolname FROM pg_roles WHERE rolname = ANY(:r)"), {"r": granted}
            ).scalars()
        )
    return [grant_backoffice(engine, role) for role in granted if role in present]
