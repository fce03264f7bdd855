"""Cryptography lives in crypto/: no application package imports PyNaCl or argon2-cffi itself."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (
    "adal_cli",
    "cases",
    "documents",
    "handler",
    "hardening",
    "installation",
    "portal",
    "rules",
    "store",
    "web",
)
LIBRARIES = ("nacl", "argon2")


def _imported(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_only_crypto_imports_the_crypto_libraries() -> None:
    offenders = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for name in _imported(ast.parse(path.read_text(), str(path))):
                if name.split(".")[0] in LIBRARIES:
                    offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert not offenders, offenders
