"""`adal org`: the operator's tree from the command line (issue 13)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crypto import keys as ckeys
from store.models import AuditEntry, Organization, RecipientKey
from tests.support.instance import DemoInstance, run_cli

NAMES = ("--name-kk", "Денсаулық сақтау министрлігі", "--name-ru", "Министерство здравоохранения")


def add(slug: str, *extra: str) -> tuple[int, str]:
    return run_cli("org", "add", slug, *NAMES, "--name-en", f"Ministry {slug}", *extra)


def _recovery_text(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip().startswith("ADAL-")]
    assert len(lines) == 1, output
    return lines[0]


def _platform_entries(demo: DemoInstance) -> list[AuditEntry]:
    """The platform chain's entries about organizations (init writes one of its own there)."""
    with demo.sessions() as s:
        return list(
            s.scalars(
                select(AuditEntry)
                .where(AuditEntry.org_id.is_(None), AuditEntry.action.startswith("organization."))
                .order_by(AuditEntry.id)
            )
        )


def test_add_prints_its_own_recovery_key_once(demo: DemoInstance) -> None:
    code, output = add("minzdrav", "--short-name", "Минздрав", "--short-name", "МЗ РК")
    assert code == 0, output
    assert "RECOVERY KEY - shown once. Write it down and keep it offline, in a safe:" in output
    printed = _recovery_text(output)
    with demo.sessions() as s:
        org = s.scalars(select(Organization).where(Organization.slug == "minzdrav")).one()
        assert org.short_names == "Минздрав\nМЗ РК" and org.parent_id is None and org.active
        key = s.scalars(
            select(RecipientKey).where(
                RecipientKey.purpose == "recovery", RecipientKey.org_id == org.id
            )
        ).one()
    assert bytes(ckeys.parse_recovery_key(printed).public_key) == key.public_key
    assert printed != demo.recovery_key()
    # The private part is written nowhere: not in the instance folder, not in the audit log.
    body = printed.split("ADAL-RECOVERY-1-", 1)[1].encode()
    for path in demo.path.rglob("*"):
        if path.is_file():
            assert body not in path.read_bytes(), path
    entries = _platform_entries(demo)
    assert [(e.action, e.target, e.actor) for e in entries] == [
        ("organization.create", "minzdrav", "cli")
    ]


def test_list_is_in_tree_order_slug_first(demo: DemoInstance) -> None:
    assert add("b-ministry")[0] == 0
    assert add("a-committee", "--parent", "b-ministry")[0] == 0
    assert add("c-department", "--parent", "a-committee")[0] == 0
    assert add("a-root")[0] == 0
    code, output = run_cli("org", "list")
    assert code == 0, output
    rows = [line.split("\t") for line in output.splitlines()]
    slugs = [r[0] for r in rows]
    # Every parent before its children; each subtree together.
    assert slugs.index("b-ministry") < slugs.index("a-committee") < slugs.index("c-department")
    assert slugs.index("a-root") < slugs.index("b-ministry")
    by_slug = {r[0]: r for r in rows}
    assert by_slug["a-committee"][1:] == ["b-ministry", "active", "Министерство здравоохранения"]
    assert by_slug["b-ministry"][1] == "-"


def test_move_rename_deactivate(demo: DemoInstance) -> None:
    for args in (("top",), ("middle", "--parent", "top"), ("leaf", "--parent", "middle")):
        assert add(*args)[0] == 0
    assert run_cli("org", "move", "leaf", "--parent", "top")[0] == 0
    assert run_cli("org", "move", "middle", "--root")[0] == 0
    code, output = run_cli("org", "rename", "leaf", "--name-ru", "Департамент по области")
    assert code == 0 and "renamed" in output, output
    assert run_cli("org", "rename", "leaf", "--name-ru", "Департамент по области")[1].startswith(
        "Nothing was changed"
    )
    assert run_cli("org", "deactivate", "leaf")[0] == 0
    with demo.sessions() as s:
        orgs = {o.slug: o for o in s.scalars(select(Organization))}
    leaf, top = orgs["leaf"], orgs["top"]
    assert leaf.parent_id == top.id and leaf.path == f"{top.path}{leaf.id}/"
    assert orgs["middle"].parent_id is None
    assert leaf.name_ru == "Департамент по области"
    assert leaf.name_kk == "Денсаулық сақтау министрлігі"  # names not given stay
    assert not leaf.active
    assert "leaf\ttop\tinactive\tДепартамент по области" in run_cli("org", "list")[1]
    actions = [(e.action, e.target) for e in _platform_entries(demo)][3:]
    assert len(_platform_entries(demo)) == 7
    assert actions == [
        ("organization.move", "leaf"),
        ("organization.move", "middle"),
        ("organization.rename", "leaf"),
        ("organization.deactivate", "leaf"),
    ]
    # The platform's entries name organizations only: their slugs.
    assert {e.target for e in _platform_entries(demo)} <= set(orgs)
    assert run_cli("audit", "verify")[0] == 0


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("org", "add", "Bad_Slug", *NAMES, "--name-en", "x"), "slug"),
        (("org", "add", *NAMES, "--name-en", "x", "--", "-dash"), "slug"),
        (("org", "add", "orphan", *NAMES, "--name-en", "x", "--parent", "nowhere"), "nowhere"),
        (("org", "add", "x1", "--name-kk", "a", "--name-ru", " ", "--name-en", "c"), "ru name"),
        (("org", "add", "x2", *NAMES, "--name-en", "see www.example.kz"), "address"),
        (("org", "move", "nowhere", "--root"), "nowhere"),
        (("org", "move", "parent", "--parent", "parent"), "under itself"),
        (("org", "move", "parent", "--parent", "child"), "under itself"),
        (("org", "move", "child"), "--parent"),
        (("org", "move", "child", "--root", "--parent", "parent"), "--parent"),
        (("org", "rename", "nowhere", "--name-ru", "x"), "nowhere"),
        (("org", "deactivate", "nowhere"), "nowhere"),
        (("org", "add", "parent", *NAMES, "--name-en", "again"), "already exists"),
    ],
)
def test_refusals_are_clear_and_change_nothing(
    demo: DemoInstance, args: tuple[str, ...], words: str
) -> None:
    assert add("parent")[0] == 0
    assert add("child", "--parent", "parent")[0] == 0
    before = run_cli("org", "list")[1]
    entries = len(_platform_entries(demo))
    code, output = run_cli(*args)
    assert code != 0
    assert words in output, output
    assert "Traceback" not in output
    assert run_cli("org", "list")[1] == before
    assert len(_platform_entries(demo)) == entries


def test_a_deactivated_parent_takes_no_new_children(demo: DemoInstance) -> None:
    assert add("closed")[0] == 0
    assert run_cli("org", "deactivate", "closed")[0] == 0
    code, output = add("newcomer", "--parent", "closed")
    assert code != 0 and "deactivated" in output


def test_move_rename_deactivate_reach_the_organizations_own_trails(demo: DemoInstance) -> None:
    """A move is in the moved organization's chain and its old and new parents'; a rename or a
    deactivation in the organization's own; only slugs; every chain still verifies."""
    for args in (("top",), ("other",), ("leaf", "--parent", "top")):
        assert add(*args)[0] == 0
    assert run_cli("org", "move", "leaf", "--parent", "other")[0] == 0
    assert run_cli("org", "rename", "leaf", "--name-ru", "Департамент")[0] == 0
    assert run_cli("org", "deactivate", "leaf")[0] == 0
    with demo.sessions() as s:
        ids = {o.slug: o.id for o in s.scalars(select(Organization))}
        chains = {
            slug: [
                (e.action, e.target)
                for e in s.scalars(
                    select(AuditEntry).where(AuditEntry.org_id == org_id).order_by(AuditEntry.id)
                )
                if e.action.startswith("organization.")
            ]
            for slug, org_id in ids.items()
        }
    assert chains["leaf"] == [
        ("organization.move", "leaf"),
        ("organization.rename", "leaf"),
        ("organization.deactivate", "leaf"),
    ]
    assert chains["top"] == chains["other"] == [("organization.move", "leaf")]
    assert chains["demo"] == []
    for slug in ("leaf", "top", "other"):
        assert run_cli("audit", "verify", "--org", slug)[0] == 0
    assert run_cli("audit", "verify")[0] == 0
