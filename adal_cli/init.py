"""`adal init [--demo]`: a new installation, or a clear refusal that changes nothing.

An installation hosts a tree of organizations (issue 13); init creates the first one (slug
"main", or "demo" with --demo, which puts the demo users in it) with its recovery key, printed
once. The instance file's recovery key id names that first organization's key.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

import click
from sqlalchemy import Engine, inspect, select

from cases import custody, organizations
from cases.staff import create_user
from crypto import keys as ckeys
from crypto.kdf import KdfParams, new_salt
from installation import instance as inst
from rules.clock import local_date, utcnow
from rules.errors import AdalError
from store import audit
from store.db import make_engine, session_factory, transaction
from store.migrate import upgrade
from store.models import RecipientKey

DEMO_USERS = (
    ("handler", "demo-handler", "Айгерім Сейтқалиқызы"),
    ("head", "demo-head", "Ерлан Жұмабекұлы"),
    ("admin", "demo-admin", "Demo Admin"),
    ("auditor", "demo-auditor", "Demo Auditor"),
)
CREDENTIALS_NAME = "demo-credentials.txt"
# Demo users' notice addresses, confirmed at once, so a local SMTP catcher shows `adal notify`'s
# mails without the confirmation step (README). Point a demo only at such a catcher: unlike
# example.com (RFC 2606), example.kz is not a reserved name.
DEMO_MAIL_DOMAIN = "example.kz"
MAIN = organizations.Names(kk="Негізгі ұйым", ru="Основная организация", en="Main organization")
DEMO = organizations.Names(kk="Демо ұйым", ru="Демо-организация", en="Demo organization")


def _database_in_use(engine: Engine) -> bool:
    if "recipient_keys" not in inspect(engine).get_table_names():
        return False
    with engine.connect() as conn:
        return conn.execute(select(RecipientKey.id).limit(1)).first() is not None


@click.command("init")
@click.option("--demo", is_flag=True, help="Also create one demo user per role.")
@click.option(
    "--kdf-time-cost",
    type=click.IntRange(1, 100),
    default=KdfParams().time_cost,
    show_default=True,
    help="Argon2id passes for receipt codes and key wrapping.",
)
@click.option(
    "--kdf-memory-kib",
    type=click.IntRange(8192, 4 * 1024 * 1024),
    default=KdfParams().memory_kib,
    show_default=True,
    help="Argon2id memory in KiB (lower it only for tests or a tiny machine).",
)
@click.option(
    "--org-slug",
    default=None,
    help="The first organization's permanent slug (default: main; with --demo: demo).",
)
@click.option("--org-name-kk", default=None, help="Its name in Kazakh.")
@click.option("--org-name-ru", default=None, help="Its name in Russian.")
@click.option("--org-name-en", default=None, help="Its name in English.")
def init_command(
    demo: bool,
    kdf_time_cost: int,
    kdf_memory_kib: int,
    org_slug: str | None,
    org_name_kk: str | None,
    org_name_ru: str | None,
    org_name_en: str | None,
) -> None:
    """Create the instance folder, the database schema, the first organization and its
    recovery key."""
    path = inst.instance_path()
    if inst.is_initialised(path):
        raise click.ClickException(
            f"{path} is already initialised; nothing was changed. "
            "Use another ADAL_INSTANCE for a new installation."
        )
    defaults = DEMO if demo else MAIN
    slug = org_slug or ("demo" if demo else "main")
    names = organizations.Names(
        kk=org_name_kk or defaults.kk, ru=org_name_ru or defaults.ru, en=org_name_en or defaults.en
    )
    try:  # refused before anything is written
        organizations.validate_slug(slug)
        organizations.clean_names(names)
    except AdalError as exc:
        raise click.ClickException(exc.message) from None
    kdf = KdfParams(time_cost=kdf_time_cost, memory_kib=kdf_memory_kib)
    salt = new_salt()

    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    url = os.environ.get("ADAL_DATABASE_URL") or f"sqlite:///{path / inst.DB_NAME}"
    engine = make_engine(url)
    if _database_in_use(engine):
        raise click.ClickException(
            "the database already belongs to an installation; nothing was changed."
        )
    upgrade(engine)

    credentials: list[str] = []
    factory = session_factory(engine)
    audit.install(factory, path)
    with transaction(factory) as session:
        first = organizations.create(session, slug=slug, names=names, today=local_date(utcnow()))
        org = first.organization
        recovery_text = first.recovery_text
        recovery = ckeys.parse_recovery_key(recovery_text)
        # The instance files inside the transaction: if they cannot be written, the database
        # keeps nothing either, and a second try starts clean.
        instance = inst.create(path, kdf, salt, first.recovery_key.key_id)
        audit.append(
            session,
            "instance.init",
            actor="cli",
            org_id=None,  # the platform's own entry
            details={"demo": demo, "organization": org.slug},
        )
        if demo:
            for role, username, full_name in DEMO_USERS:
                new = create_user(
                    session,
                    username=username,
                    full_name=full_name,
                    role=role,
                    org_id=org.id,
                    instance_secret=instance.secret_key,
                    kdf=kdf,
                    must_change_password=False,
                )
                new.user.totp_enrolled = True
                new.user.email = f"{username}@{DEMO_MAIL_DOMAIN}"
                new.user.email_confirmed = True
                audit.append(
                    session,
                    "user.create",
                    actor="cli",
                    org_id=org.id,
                    target=username,
                    details={"role": role},
                )
                custody.announce(session, new.user, actor="cli", reset=False)
                if role == "head":
                    # The first head of an installation is approved by the recovery key, which
                    # init holds at this moment and never again (p14, cases/custody.py).
                    custody.approve(
                        session, new.user.keys[-1], recovery, actor="cli", now=datetime.now(UTC)
                    )
                credentials.append(
                    f"{role}\n  username: {username}\n  password: {new.password}\n"
                    f"  totp secret: {new.totp_secret}\n"
                    f"  e-mail (confirmed): {new.user.email}\n"
                )
    engine.dispose()

    if demo:
        inst.write_private_file(
            path / CREDENTIALS_NAME,
            "# Adal demo users - for a demonstration only; never use a demo instance for real.\n"
            f"# created {datetime.now(UTC):%Y-%m-%d}\n\n" + "\n".join(credentials),
        )
    click.echo(f"Initialised {path}")
    click.echo(f"Organization: {slug}")
    click.echo("")
    click.echo("RECOVERY KEY - shown once. Write it down and keep it offline, in a safe:")
    click.echo(f"  {recovery_text}")
    click.echo("With it, 'adal recover' restores every report if all staff keys are lost.")
    if demo:
        click.echo(f"Demo users and their TOTP secrets: {path / CREDENTIALS_NAME}")
