"""The import graph keeps the architecture (README's layout, issue 16): no import circle, the
crypto core and the rules free of web and database code, the two apps apart, every layer
importing only the layers below it, and no import hidden inside a function to dodge a circle.

The graph is read from the source with `ast`, not by importing: an import inside a function
counts as much as one at the top, because that is how a circle stays alive unseen.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.loopback import ROOT
from tests.support import needs

pytestmark = needs.run_once

# Lower number, lower layer. A package imports only packages of a strictly lower layer, so
# packages of one layer never import each other. Read from the code as it stands: `web`
# (sessions, database handle, headers shared by both apps) opens the instance and the store,
# so it sits above them and below the apps.
LAYERS: dict[str, int] = {
    "crypto": 0,
    "rules": 0,
    "store": 1,
    "mail": 1,
    "cases": 2,
    "installation": 2,
    "documents": 2,
    "web": 3,
    "portal": 4,
    "handler": 4,
    "adal_cli": 5,
}
# The crypto core and the rules must run and be reviewed without a web or database stack.
PURE = ("crypto", "rules")
WEB_AND_DATABASE = ("flask", "flask_wtf", "flask_babel", "werkzeug", "sqlalchemy", "alembic")
# (module, imported module) -> why it must be imported inside a function. Only for imports
# that are lazy on purpose; an import that avoids a circle does not belong here.
LAZY_ALLOWED: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Import:
    source: str  # the importing module, dotted
    target: str  # the imported module, dotted (a name from a package resolves to its module)
    line: int
    in_function: bool

    def __str__(self) -> str:
        where = " (inside a function)" if self.in_function else ""
        return f"{self.source}:{self.line} imports {self.target}{where}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(dotted: str) -> bool:
    base = ROOT.joinpath(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _targets(node: ast.Import | ast.ImportFrom, source: str, is_package: bool) -> Iterator[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    if node.level:
        # Relative: drop one trailing part per dot beyond the first (the package of a module).
        package = source.split(".") if is_package else source.split(".")[:-1]
        base = ".".join([*package[: len(package) - node.level + 1], node.module or ""]).strip(".")
    else:
        base = node.module or ""
    # Several names from one module are one edge.
    yield from dict.fromkeys(
        f"{base}.{alias.name}" if is_module(f"{base}.{alias.name}") else base
        for alias in node.names
    )


def imports_of(path: Path) -> list[Import]:
    source = module_name(path)
    found: list[Import] = []

    def walk(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                found.extend(
                    Import(source, target, child.lineno, in_function)
                    for target in _targets(child, source, path.name == "__init__.py")
                )
            walk(child, in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef))

    walk(ast.parse(path.read_text(encoding="utf-8"), str(path)), False)
    return found


def python_files(*folders: str) -> list[Path]:
    return sorted(
        p
        for folder in folders
        for p in (ROOT / folder).rglob("*.py")
        if "node_modules" not in p.parts
    )


def top(dotted: str) -> str:
    return dotted.split(".")[0]


FIRST_PARTY = [imp for path in python_files(*LAYERS) for imp in imports_of(path)]
INTERNAL = [imp for imp in FIRST_PARTY if top(imp.target) in LAYERS]


def cycles(edges: list[Import]) -> list[list[str]]:
    """Strongly connected components of more than one module (or a module importing itself),
    by Tarjan's algorithm."""
    graph: dict[str, set[str]] = {}
    for imp in edges:
        graph.setdefault(imp.source, set()).add(imp.target)
        graph.setdefault(imp.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph[node]:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_is_read() -> None:
    # Guards the other tests against passing on an empty graph (a moved folder, a bad path).
    assert {top(imp.source) for imp in INTERNAL} >= set(LAYERS) - set(PURE)
    assert len(INTERNAL) > 100


def test_no_import_cycle() -> None:
    circles = cycles(INTERNAL)
    detail = [
        "  "
        + " <-> ".join(c)
        + ":\n"
        + "\n".join(f"    {imp}" for imp in INTERNAL if imp.source in c and imp.target in c)
        for c in circles
    ]
    assert not circles, "import circles:\n" + "\n".join(detail)


def test_crypto_and_rules_import_no_web_or_database_code() -> None:
    offending = [
        str(imp)
        for imp in FIRST_PARTY
        if top(imp.source) in PURE and top(imp.target) in WEB_AND_DATABASE
    ]
    assert offending == []


def test_portal_and_handler_never_import_each_other() -> None:
    apps = {"portal", "handler"}
    offending = [str(imp) for imp in INTERNAL if {top(imp.source), top(imp.target)} == apps]
    assert offending == []


def test_layers_only_import_downward() -> None:
    offending = [
        f"{imp} (layer {LAYERS[top(imp.source)]} -> {LAYERS[top(imp.target)]})"
        for imp in INTERNAL
        if top(imp.source) != top(imp.target) and LAYERS[top(imp.target)] >= LAYERS[top(imp.source)]
    ]
    assert offending == [], "imports that do not go down a layer:\n" + "\n".join(offending)


def test_no_function_level_import_of_first_party_code() -> None:
    offending = [
        str(imp)
        for imp in INTERNAL
        if imp.in_function and (imp.source, imp.target) not in LAZY_ALLOWED
    ]
    assert offending == [], (
        "import at the top of the file (a circle it avoided is the thing "
        "to fix):\n" + "\n".join(offending)
    )


def test_lazy_allow_list_is_current() -> None:
    lazy = {(imp.source, imp.target) for imp in INTERNAL if imp.in_function}
    assert set(LAZY_ALLOWED) <= lazy, "stale entries: " + str(set(LAZY_ALLOWED) - lazy)


def test_bench_imports_no_test_module() -> None:
    # A benchmark must run from a checkout without the test suite's fixtures and must not
    # change when a test is refactored; what both need lives in bench/loopback.py.
    offending = [
        str(imp)
        for path in python_files("bench")
        for imp in imports_of(path)
        if top(imp.target) == "tests"
    ]
    assert offending == []


def test_tests_import_support_modules_only() -> None:
    # Test modules and conftests are collected by pytest; importing one from another runs
    # its fixtures and tests twice, under two names. Shared code lives in tests/support.
    def collected(dotted: str) -> bool:
        name = dotted.rsplit(".", 1)[-1]
        return name.startswith("test_") or name == "conftest"

    offending = [
        str(imp)
        for path in python_files("tests")
        for imp in imports_of(path)
        if top(imp.target) == "tests" and collected(imp.target)
    ]
    assert offending == []
