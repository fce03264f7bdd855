"""Every organization filter of the back office goes through cases.scope (issue 13, "Isolation").

The isolation crawl (tests/handler/test_org_isolation.py) replaces `cases.scope` with a no-op
on PostgreSQL to show that row-level security alone keeps organizations apart. A filter written
directly (`Submission.org_id == org_id`, `user.org_id == submission.org_id`) stays in force
during that crawl, so the crawl never shows whether the database covers that path. This test
reads the source with `ast` and refuses any comparison of an `org_id` attribute (`==`, `!=`,
`in`, `.in_(...)`, `.not_in(...)`, `.is_distinct_from(...)`) outside cases/scope.py, but for
the few below that are no organization's isolation.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from bench.loopback import ROOT
from tests.support import needs

pytestmark = needs.run_once

PACKAGES = ("cases", "handler", "installation", "adal_cli")
SCOPE = Path("cases/scope.py")
# `is None` / `.is_(None)` ask whether a row has an organization at all: not a filter by one.
COMPARISONS = (ast.Eq, ast.NotEq, ast.In, ast.NotIn)
METHODS = {"in_", "not_in", "is_distinct_from", "is_not_distinct_from"}
# (file, the comparison as ast.unparse writes it) -> why it is not an organization filter.
ALLOWED: dict[tuple[str, str], str] = {
    ("cases/directory.py", "RecipientKey.org_id == org.id"): (
        "correlates each organization of the directory with its own head keys (a join, not the "
        "organization a request runs for); read by the portal and the operator, across the tree"
    ),
    ("cases/organizations.py", "User.org_id == org.id"): (
        "the operator's tree code: whether the organization the operator works on has an "
        "admin; the operator belongs to no organization and acts on any of them"
    ),
    ("adal_cli/audit.py", "r.org_id == audit.LEGACY_ORG"): (
        "picks the legacy audit chain out of the verification results; no row is filtered"
    ),
}


def _org_id(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "org_id"


def org_comparisons(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, source) of every comparison of an `org_id` attribute in `tree`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(isinstance(op, COMPARISONS) for op in node.ops) and any(
                _org_id(o) for o in operands
            ):
                yield node.lineno, ast.unparse(node)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in METHODS
            and _org_id(node.func.value)
        ):
            yield node.lineno, ast.unparse(node)


def found() -> Iterator[tuple[str, int, str]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if relative == SCOPE:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(relative))
            for line, source in org_comparisons(tree):
                yield relative.as_posix(), line, source


def test_organization_filters_go_through_scope() -> None:
    direct = [
        f"{path}:{line}: {source}"
        for path, line, source in found()
        if (path, source) not in ALLOWED
    ]
    assert not direct, "use scope.in_org / in_orgs / same_org (cases/scope.py):\n" + "\n".join(
        direct
    )


def test_every_exception_still_exists() -> None:
    """An exception whose line is gone is removed from ALLOWED, so the list stays short."""
    present = {(path, source) for path, _line, source in found()}
    assert set(ALLOWED) <= present, set(ALLOWED) - present


def test_the_scan_sees_the_forms_a_filter_takes() -> None:
    """The scan itself: a column, a loaded row, a negation and a set are all found; scope's
    own calls and an organization's own id are not."""
    source = """
select(Submission).where(Submission.org_id == org_id)
ok = user.org_id != submission.org_id
q = Setting.org_id.in_(ids)
fine = scope.in_org(Submission.org_id, org_id) and Organization.id == parent.id
alone = user.org_id is None or Setting.org_id.is_(None)
"""
    lines = [line for line, _ in org_comparisons(ast.parse(source))]
    assert sorted(lines) == [2, 3, 4]
