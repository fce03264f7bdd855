"""`adal init [--demo]`: a new installation, or a clear refusal that changes nothing."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import click
from sqlalchemy import Engine, inspect, select

from cases import custody
from cases.staff import create_user
from crypto import keys as ckeys
from crypto import signing
from crypto.kdf import KdfParams, new_salt
from installation import instance as inst
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
def init_command(demo: bool, kdf_time_cost: int, kdf_memory_kib: int) -> None:
    """Create the instance folder, the database schema and the recovery key."""
    path = inst.instance_path()
    if inst.is_initialised(path):
        raise click.ClickException(
            f"{path} is already initialised; nothing was changed. "
            "Use another ADAL_INSTANCE for a new installation."
        )
    kdf = KdfParams(time_cost=kdf_time_cost, memory_kib=kdf_memory_kib)
    salt = new_salt()
    recovery_text, recovery_public = ckeys.generate_recovery_key()
    recovery_id = ckeys.key_id(recovery_public)

    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    url = os.environ.get("ADAL_DATABASE_URL") or f"sqlite:///{path / inst.DB_NAME}"
    engine = make_engine(url)
    if _database_in_use(engine):
        raise click.ClickException(
            "the database already belongs to an installation; nothing was changed."
        )
    upgrade(engine)
    # Files last: if anything above failed, no half-made instance blocks a second try.
    instance = inst.create(path, kdf, salt, recovery_id)

    credentials: list[str] = []
    factory = session_factory(engine)
    audit.install(factory, path)
    with transaction(factory) as session:
        recovery = ckeys.parse_recovery_key(recovery_text)
        session.add(
            RecipientKey(
                key_id=recovery_id,
                public_key=recovery_public,
                purpose="recovery",
                active=True,
                verify_key=signing.verify_key(recovery),
            )
        )
        audit.append(session, "instance.init", actor="cli", details={"demo": demo})
        if demo:
            for role, username, full_name in DEMO_USERS:
                new = create_user(
                    session,
                    username=username,
                    full_name=full_name,
                    role=role,
                    instance_secret=instance.secret_key,
                    kdf=kdf,
                    must_change_password=False,
                )
                new.user.totp_enrolled = True
                new.user.email = f"{username}@{DEMO_MAIL_DOMAIN}"
                new.user.email_confirmed = True
                audit.append(
                    session, "user.create", actor="cli", target=username, details={"role": role}
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
    click.echo("")
    click.echo("RECOVERY KEY - shown once. Write it down and keep it offline, in a safe:")
    click.echo(f"  {recovery_text}")
    click.echo("With it, 'adal recover' restores every report if all staff keys are lost.")
    if demo:
        click.echo(f"Demo users and their TOTP secrets: {path / CREDENTIALS_NAME}")
