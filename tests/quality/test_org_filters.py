"""Every organization filter of the back office goes through cases.scope (issue 13, "Isolation").

The isolation crawl (tests/handler/test_org_isolation.py) replaces `cases.scope` with a no-op
on PostgreSQL to show that row-level security alone keeps organizations apart. A filter written
directly (`Submission.org_id == org_id`, `user.org_id == submission.org_id`) stays in force
during that crawl, so the crawl never shows whether the database covers that path. This test
reads the source with `ast` and refuses any comparison of an `org_id` attribute, however
wrapped (`==`, `!=`, `<`..., `in`, `func.coalesce(X.org_id, -1) == x`, `.in_(...)`,
`.between(...)`, `.is_(x)`, `filter_by(org_id=...)`) outside cases/scope.py, but for the few
below that are no organization's isolation, each allowed as many times as it is listed.
It cannot see a filter written in SQL text or through a local variable: review still reads
those (installation/ writes the row-level-security policies themselves in SQL).
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from bench.loopback import ROOT
from tests.support import needs

pytestmark = needs.run_once

PACKAGES = ("cases", "handler", "installation", "adal_cli", "store")
SCOPE = Path("cases/scope.py")
# `is None` / `.is_(None)` ask whether a row has an organization at all: not a filter by one.
COMPARISONS = (ast.Eq, ast.NotEq, ast.In, ast.NotIn, ast.Lt, ast.LtE, ast.Gt, ast.GtE)
METHODS = {
    "in_",
    "not_in",
    "is_distinct_from",
    "is_not_distinct_from",
    "between",
    "__eq__",
    "__ne__",
    "op",
}
NONE_TESTS = {"is_", "is_not", "isnot"}  # allowed with None only
# (file, the comparison as ast.unparse writes it) -> why it is not an organization filter;
# each entry allows one occurrence.
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
    # store/ is below cases/ (tests/quality/test_layers.py) and cannot call cases.scope: these
    # choose the rows of the organization their caller names, and row-level security covers
    # both tables (installation/backoffice_role.py).
    ("store/audit.py", "AuditEntry.org_id == org_id"): (
        "an organization's own audit chain: its tail, to append the next entry to"
    ),
    ("store/recipients.py", "RecipientKey.org_id == org_id"): (
        "the keys a report of this organization is sealed to (also the portal's, which has "
        "no cases.scope)"
    ),
    ("store/recipients.py", "key.org_id == MIGRATED_ORG_ID"): (
        "a carried-over head key is a root only in the migrated organization (migration 0005)"
    ),
}
# Entries allowed more than once (the same words on several lines).
TIMES = {("store/recipients.py", "RecipientKey.org_id == org_id"): 2}


def _org_id(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "org_id"


WRAPPERS = {"cast", "coalesce", "type_coerce", "literal_column"}


def _holds_org_id(node: ast.AST) -> bool:
    """An `org_id` attribute, bare or inside SQL functions and casts around it
    (`func.coalesce(X.org_id, -1)`); an argument of any other call is passed, not compared."""
    if _org_id(node):
        return True
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    wrapper = (isinstance(func, ast.Name) and func.id in WRAPPERS) or (
        isinstance(func, ast.Attribute)
        and (
            func.attr in WRAPPERS or (isinstance(func.value, ast.Name) and func.value.id == "func")
        )
    )
    return wrapper and any(_holds_org_id(a) for a in node.args)


def _none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def org_comparisons(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, source) of every comparison of an `org_id` attribute in `tree`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(isinstance(op, COMPARISONS) for op in node.ops) and any(
                _holds_org_id(o) for o in operands
            ):
                yield node.lineno, ast.unparse(node)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name, target = node.func.attr, node.func.value
            by_keyword = name == "filter_by" and any(k.arg == "org_id" for k in node.keywords)
            by_method = _holds_org_id(target) and (
                name in METHODS or (name in NONE_TESTS and not all(_none(a) for a in node.args))
            )
            if by_keyword or by_method:
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
    allowed = Counter({k: TIMES.get(k, 1) for k in ALLOWED})
    direct = []
    for path, line, source in found():
        if allowed[(path, source)] > 0:
            allowed[(path, source)] -= 1
        else:
            direct.append(f"{path}:{line}: {source}")
    assert not direct, "use scope.in_org / in_orgs / same_org (cases/scope.py):\n" + "\n".join(
        direct
    )


def test_every_exception_still_exists() -> None:
    """An exception whose line is gone is removed from ALLOWED, so the list stays short."""
    present = Counter((path, source) for path, _line, source in found())
    for entry in ALLOWED:
        assert present[entry] == TIMES.get(entry, 1), (entry, present[entry])


def test_the_scan_sees_the_forms_a_filter_takes() -> None:
    """The scan itself: a column, a loaded row, a negation and a set are all found; scope's
    own calls and an organization's own id are not."""
    source = """
select(Submission).where(Submission.org_id == org_id)
ok = user.org_id != submission.org_id
q = Setting.org_id.in_(ids)
fine = scope.in_org(Submission.org_id, org_id) and Organization.id == parent.id
alone = user.org_id is None or Setting.org_id.is_(None)
q = select(User).filter_by(org_id=org_id)
q = func.coalesce(Submission.org_id, -1) == org_id
q = User.org_id.is_(org_id)
q = cast(User.org_id, Integer).between(1, 2)
"""
    lines = [line for line, _ in org_comparisons(ast.parse(source))]
    assert sorted(lines) == [2, 3, 4, 7, 8, 9, 10]
