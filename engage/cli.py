"""The ``engage`` command: a Flask command group with engage's own commands, assembled above
the domains (core imports no domain).

``engage run`` (development server), ``engage serve`` (production, gunicorn),
``engage db upgrade|downgrade`` (Flask-Migrate), ``engage demo``, ``engage create-admin``,
``engage backup PATH``, ``engage restore PATH``, ``engage check`` (is this instance ready for
production?), ``engage outbox send``, ``engage keys new|rotate`` and ``engage translations ...``.
"""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

import click
from flask import Flask, current_app, has_app_context, has_request_context
from flask.cli import (
    FlaskGroup,
    ScriptInfo,
    locate_app,
    pass_script_info,
    prepare_import,
    with_appcontext,
)
from sqlalchemy import inspect, select

from engage.checks import production_problems
from engage.extensions import db


def _create_app(*args, **kwargs) -> Flask:
    from engage import create_app

    info = click.get_current_context().find_object(ScriptInfo)
    if info is not None and info.app_import_path:
        # `engage --app module:factory serve`: the benches serve the real app plus a route of
        # their own through exactly the start-up path production uses.
        path, _, name = info.app_import_path.partition(":")
        return locate_app(prepare_import(path), name or None)
    try:
        return create_app()
    except RuntimeError as error:  # a refused configuration: say why, without a traceback
        raise click.ClickException(str(error)) from error


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=True)
def main() -> None:
    """engage: co-production with people who have lived experience."""


class ProductionRefused(click.ClickException):
    pass


def _refusal(problems: list) -> str:
    """The problems as ``engage check`` and a refused ``engage serve`` print them."""
    lines = [str(problem) for problem in problems]
    return "\n".join(f"- {line}" for line in lines)


@main.command("check", with_appcontext=False)
@click.option("--workers", type=int, default=None, help="Default: ENGAGE_GUNICORN_WORKERS.")
@pass_script_info
def check(info: ScriptInfo, workers: int | None) -> None:
    """Check this instance is set up to serve real people; print each problem and its fix.

    Exits with status 1 when anything needs putting right (run it with the server's
    environment)."""
    app = info.load_app()
    problems = production_problems(app, workers)
    if not problems:
        click.echo("engage check: no problems found. This instance is ready for production.")
        return
    count = len(problems)
    click.echo(f"engage check: {count} problem{'s' if count != 1 else ''} to put right:")
    click.echo(_refusal(problems))
    sys.exit(1)


@main.command("serve", with_appcontext=False)
@click.option("--bind", default="127.0.0.1:8000", show_default=True)
@click.option("--workers", type=int, default=None, help="Default: ENGAGE_GUNICORN_WORKERS.")
@click.option(
    "--threads",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Threads per worker; more than 1 uses gunicorn's gthread workers.",
)
@click.option("--timeout", type=click.IntRange(1, 3600), default=60, show_default=True)
@pass_script_info
def serve(info: ScriptInfo, bind: str, workers: int | None, threads: int, timeout: int) -> None:
    """Serve engage with gunicorn (production)."""
    from gunicorn.app.base import BaseApplication

    # No application context may be active when gunicorn forks: a context pushed here would be
    # inherited by every worker and reused by every request it serves, and with it ``g`` and
    # whoever Flask-Login cached there (every visitor became the last person who signed in).
    from engage import serving

    with serving():  # no migrations: Alembic stays out of the workers' memory
        app = info.load_app()
    workers = workers or int(app.config["GUNICORN_WORKERS"])
    if app.config["ENV"] == "production":
        # The same checks as `engage check`.
        problems = production_problems(app, workers)
        if problems:
            raise ProductionRefused(
                "Refusing to start in production. Put these right (engage check lists them):\n"
                + _refusal(problems)
            )
    elif workers > 1 and app.config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        click.echo(
            "Warning: sign-in limits would be counted per worker. Set "
            "ENGAGE_RATELIMIT_STORAGE_URI to redis://... so all workers share them, or run one "
            "worker.",
            err=True,
        )
    with app.app_context():
        # Close the checks' connections: a connection must never be shared across a fork.
        db.session.remove()
        db.engine.dispose()
    _refuse_inherited_context()

    class Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", bind)
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread" if threads > 1 else "sync")
            self.cfg.set("timeout", timeout)
            max_requests = int(app.config["GUNICORN_MAX_REQUESTS"])
            self.cfg.set("max_requests", max_requests)
            self.cfg.set("max_requests_jitter", max_requests // 10)
            self.cfg.set("accesslog", "-")
            self.cfg.set("post_fork", lambda server, worker: _refuse_inherited_context())

        def load(self) -> Flask:
            return app

    # Freeze what start-up allocated before gunicorn forks: the workers share those pages and
    # the garbage collector stops re-scanning them (it halved p95 on the busiest pages).
    gc.collect()
    gc.freeze()
    Server().run()


def _refuse_inherited_context() -> None:
    """Stop, loudly, if an application or request context is active: requests would share it."""
    if has_app_context() or has_request_context():
        raise RuntimeError("engage serve must not run inside an application context")


@main.command("demo")
@click.option("--peers", default=30, show_default=True, help="How many extra peers to make.")
@with_appcontext
def demo(peers: int) -> None:
    """Create and fill a fresh database with a believable partnership, and print the demo
    accounts. An existing demo database is replaced; a database with real data is left alone."""
    from flask_migrate import downgrade, upgrade

    from engage import demo as demo_data
    from engage.core import generation, settings

    app = current_app._get_current_object()
    if app.config["ENV"] == "production":
        raise click.ClickException("engage demo is refused in production mode.")
    # A server still running keeps figures against the data generation, which starts again.
    counted = 0
    if inspect(db.engine).has_table("data_generation"):
        counted = generation.current()
        db.session.remove()  # a command's transaction holds SQLite's write lock
    if inspect(db.engine).has_table("user"):
        if not settings.get(settings.DEMO_MARKER):
            from engage.people.models import User

            if db.session.scalar(select(User.id).limit(1)) is not None:
                raise click.ClickException(
                    "This database already holds real accounts. engage demo only fills a fresh "
                    "database (or one it made before)."
                )
        db.session.remove()
        downgrade(revision="base")
    upgrade()
    accounts = demo_data.seed(extra_peers=peers)
    generation.move_past(counted)
    db.session.commit()
    click.echo(
        f"Demo partnership ready. Sign in with any of these (password: {demo_data.DEMO_PASSWORD}):"
    )
    for username, role in accounts:
        click.echo(f"  {username:<10} {role}")


@main.command("create-admin")
@click.option("--username", prompt=True)
@click.option("--email", default="", prompt="Email (optional)", show_default=False)
@click.password_option()
@with_appcontext
def create_admin(username: str, email: str, password: str) -> None:
    """Create an administrator account."""
    from engage.core.security import is_common_password
    from engage.people import services
    from engage.people.models import Role

    if len(password) < 8 or is_common_password(password, username):
        raise click.ClickException("Choose a longer, less common password (at least 8 characters).")
    try:
        user = services.create_account(
            actor=None,
            username=username,
            roles={Role.ADMIN},
            preferred_name=username,
            email=email or None,
            password=password,
        )
    except services.AccountError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Administrator {user.username} created.")


@main.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup(path: Path) -> None:
    """Write one archive (.tar.gz) to PATH holding the database and the instance folder's files
    (receipts, papers, the erasure log), with a manifest of their hashes, while the site keeps
    running."""
    from engage.core import backup as backups

    try:
        manifest = backups.backup(path)
    except backups.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(
        f"Backed up the {manifest.database} database and {len(manifest.files)} file(s) to {path}"
    )


@main.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (needed in production).")
@with_appcontext
def restore(path: Path, yes: bool) -> None:
    """Put the database and the instance folder's files back as the backup at PATH holds them,
    migrate the database to this version of engage, then erase again anyone erased since."""
    from engage.core import backup as backups

    try:
        manifest = backups.read_manifest(path)
    except backups.BackupError as error:
        raise click.ClickException(str(error)) from error
    if not yes:
        if current_app.config["ENV"] == "production":
            raise click.ClickException("In production, restore only with --yes.")
        click.confirm(
            f"Replace this site's database and files with the backup taken at "
            f"{manifest.taken_at:%Y-%m-%d %H:%M} UTC? Everything changed since is lost",
            abort=True,
        )
    try:
        manifest, lines = backups.restore(path)
    except backups.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(
        f"Restored the {manifest.database} database and {len(manifest.files)} file(s) "
        f"from the backup taken at {manifest.taken_at:%Y-%m-%d %H:%M} UTC."
    )
    for line in lines:
        click.echo(line)


@main.command("tick")
@with_appcontext
def tick() -> None:
    """Run the scheduled jobs once; safe to run as often as you like (e.g. every hour).

    Each domain registers its own jobs (``engage.core.domains.tick_job``): today they escalate
    overdue register items a level, remind people of meetings coming up, carry unfinished
    actions forward and remove receipts uploaded two days ago or more that were never sent
    with a claim. Then what is waiting in the outbox is sent.
    """
    from engage.core import domains, outbox
    from engage.core.db import utcnow

    now = utcnow()
    jobs = domains.tick_jobs()
    lines = [job.run(now) for job in jobs]
    db.session.commit()
    for job in jobs:
        if job.after_commit is not None:
            job.after_commit()
    outbox.flush_committed()
    sent = outbox.retry_failed()
    for line in lines:
        click.echo(line)
    click.echo(f"Sent {sent} waiting message(s).")


@main.group("outbox")
def outbox_group() -> None:
    """The message outbox."""


@outbox_group.command("send")
@with_appcontext
def outbox_send() -> None:
    """Send every pending message and retry failed ones."""
    from engage.core import outbox

    click.echo(f"Sent {outbox.retry_failed()} message(s).")


@main.group("keys")
def keys_group() -> None:
    """Encryption keys for the sensitive columns (ENGAGE_ENCRYPTION_KEYS)."""


@keys_group.command("new", with_appcontext=False)
def keys_new() -> None:
    """Print a fresh encryption key (it is not stored anywhere: put it in the setting)."""
    from engage.core import encryption

    click.echo(encryption.new_key())


@keys_group.command("rotate")
@click.option("--batch-size", type=click.IntRange(1, 10_000), default=500, show_default=True)
@with_appcontext
def keys_rotate(batch_size: int) -> None:
    """Re-encrypt every encrypted value under the first key in ENGAGE_ENCRYPTION_KEYS.

    Put the new key first and keep the old one after it, restart the site, then run this:
    it works in short transactions while the site keeps running. Afterwards the old key can
    be removed from the setting.
    """
    from engage.core import encryption

    if len(current_app.extensions.get("engage.encryption") or []) < 2:
        click.echo(
            "Only one key is configured: values are re-encrypted under it, but nothing is "
            "rotated. Put the new key first in ENGAGE_ENCRYPTION_KEYS and keep the old one.",
            err=True,
        )
    db.session.remove()
    try:
        counts = encryption.rotate(db.engine, db.metadata, batch_size=batch_size)
    except encryption.EncryptionError as error:
        raise click.ClickException(str(error)) from error
    for name, count in counts.items():
        click.echo(f"{name}: {count} re-encrypted")
    click.echo(
        f"Done: {sum(counts.values())} value(s) now under the first key. The other keys can "
        "be removed from ENGAGE_ENCRYPTION_KEYS."
    )


@main.group("translations")
def translations() -> None:
    """Extract, update and compile translation catalogues."""


def _root() -> Path:
    return Path(__file__).resolve().parent.parent


@translations.command("extract")
def translations_extract() -> None:
    """Collect messages into translations/messages.pot and update every locale."""
    root = _root()
    pot = root / "translations" / "messages.pot"
    subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            str(root / "babel.cfg"),
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-k",
            "lazy_pgettext:1c,2",
            "--no-location",
            "--sort-output",
            "-o",
            str(pot),
            str(root),
        ],
        check=True,
    )
    subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "update",
            "-i",
            str(pot),
            "-d",
            str(root / "translations"),
            "--no-fuzzy-matching",
        ],
        check=True,
    )


@translations.command("compile")
def translations_compile() -> None:
    """Compile every catalogue (the app also does this when it starts)."""
    from engage.core.i18n import compile_catalogues

    built = compile_catalogues(_root() / "translations", force=True)
    click.echo(f"Compiled {len(built)} catalogue(s).")
