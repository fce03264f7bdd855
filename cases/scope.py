"""The organization a query runs for: the app-level half of isolation (issue 13, "Isolation").

Every back-office read of an organization's rows goes through these two functions: `in_org` for
a SQL filter, `same_org` for a row already loaded. They are the one place the rule lives, so a
reviewer finds every use by name. On PostgreSQL row-level security enforces the same rule in the
database (store.rls), keyed by the organization the transaction runs for; the test suite
replaces these two functions to show that the database alone still keeps organizations apart.

Call them through the module (`scope.in_org(...)`), never imported by name, so that replacement
reaches every caller.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.orm import QueryableAttribute


def in_org(
    column: QueryableAttribute[Any] | ColumnElement[Any], org_id: int
) -> ColumnElement[bool]:
    """`column` (an org_id column) names this organization."""
    return column == org_id


def in_orgs(
    column: QueryableAttribute[Any] | ColumnElement[Any], org_ids: Collection[int]
) -> ColumnElement[bool]:
    """`column` names one of these organizations (a superior body's subtree, for counts)."""
    return column.in_(sorted(set(org_ids)))


def same_org(value: int | None, org_id: int | None) -> bool:
    """A row's organization is this one; no organization (the operator) matches nothing."""
    return org_id is not None and value == org_id
