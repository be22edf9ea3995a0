"""The `lsweb` command: serve, init, create-admin, import-staff, demo (and Flask's own commands)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext


def _create_app(*_args, **_kwargs):
    from . import create_app

    return create_app()


def _show_version(ctx: click.Context, _param, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        from ._version import __version__

        click.echo(f"lsweb {__version__}")
        ctx.exit()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_show_version,
              help="Show the version of lsweb and exit.")
def main():
    """lsweb: Lesson Study for schools and networks of schools."""


def register_commands(app) -> None:
    from .mail.commands import worker_command
    from .operations.commands import COMMANDS as OPERATIONS

    app.cli.add_command(worker_command)

    for command in (init_command, serve_command, create_admin_command, import_staff_command, demo_command,
                    verify_signatures_command, *OPERATIONS):
        app.cli.add_command(command)


def _upgrade() -> None:
    from .database import upgrade_database

    upgrade_database(current_app._get_current_object())


@click.command("init")
@with_appcontext
def init_command():
    """Create or upgrade the database (safe to run again)."""
    _upgrade()
    click.echo(f"Database ready: {_safe_url()}")


def _safe_url() -> str:
    from .extensions import db

    return db.engine.url.render_as_string(hide_password=True)


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Only when the database has no users yet.")
@with_appcontext
def demo_command(if_empty: bool):
    """Fill the database with the demo network (two schools, staff of every role)."""
    from .demo import DEMO_PASSWORD, has_data, is_demo, seed_demo

    _upgrade()
    if has_data():
        if if_empty:
            if is_demo():
                click.echo(f"The demo network is there. Sign in as admin@demo.local (or any demo "
                           f"account listed in the README) with the password {DEMO_PASSWORD}")
            else:
                click.echo("The database already has users; the demo network was not added.")
            return
        raise click.ClickException("The database already has users. The demo network goes into an "
                                   "empty database only (use a fresh LSWEB_DATABASE_URL).")
    rows = seed_demo()
    click.echo(f"Demo network created. Every demo password is: {DEMO_PASSWORD}")
    for email, name, role, school in rows:
        click.echo(f"  {email:<26} {role:<14} {name} ({school})")


@click.command("create-admin")
@click.option("--email", prompt="Email (used to sign in)")
@click.option("--name", prompt="Name")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@with_appcontext
def create_admin_command(email: str, name: str, password: str):
    """Create a network admin, who can add schools and staff."""
    from . import audit
    from .admin.services import clean_email, clean_name, email_taken
    from .auth.services import check_new_password, hash_password
    from .errors import DomainError
    from .extensions import db
    from .models import Role, User

    _upgrade()
    try:
        email = clean_email(email)
        name = clean_name(name)
        if email_taken(email):
            raise DomainError("Someone already has an account with this email.")
        user = User(email=email, display_name=name, role=Role.NETWORK_ADMIN, active=True)
        check_new_password(user, password)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    user.password_hash = hash_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record(None, "staff.admin_created", target=email, details="lsweb create-admin")
    db.session.commit()
    click.echo(f"Network admin {email} created.")


@click.command("import-staff")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--school", "school_name", required=True, help="The school's name, as in lsweb.")
@click.option("--skip-bad", is_flag=True, help="Import the good rows even when some rows have errors.")
@with_appcontext
def import_staff_command(file: Path, school_name: str, skip_bad: bool):
    """Import staff from a CSV file (columns name, email, role): all rows, or none."""
    from .admin.staff_import import apply_import, preview_csv
    from .errors import DomainError
    from .extensions import db
    from .models import School

    _upgrade()
    school = db.session.scalar(db.select(School).where(db.func.lower(School.name) == school_name.lower()))
    if school is None:
        names = ", ".join(db.session.scalars(db.select(School.name).order_by(School.name))) or "none yet"
        raise click.ClickException(f"No school called “{school_name}”. Schools: {names}.")
    data = file.read_bytes()
    with click.progressbar(length=1, label="Checking rows", file=sys.stderr) as bar:
        def progress(rows):
            rows = list(rows)
            bar.length = max(len(rows), 1)
            for item in rows:
                yield item
                bar.update(1)
        preview = preview_csv(data, None, current_app.config["LSWEB"].import_max_rows, progress,
                              school_id=school.id)
    if preview.file_error:
        raise click.ClickException(preview.file_error)
    for row in preview.bad:
        click.echo(f"line {row.line}: {'; '.join(row.errors)}", err=True)
    click.echo(f"{len(preview.good)} rows ready, {len(preview.bad)} rows with errors.")
    if preview.bad and not skip_bad:
        raise click.ClickException("Nothing was imported. Fix the rows above, or run again with "
                                   "--skip-bad to import only the rows without errors.")
    try:
        with click.progressbar(length=len(preview.good), label="Importing", file=sys.stderr) as bar:
            added = apply_import(None, school, preview, skip_bad=skip_bad, progress=bar.update)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    click.echo(f"{added} staff imported into {school.name}.")


@click.command("verify-signatures")
@with_appcontext
def verify_signatures_command():
    """Recompute the SHA-256 of every protocol version and signature; report any mismatch."""
    from .protocol.services import verify_all

    checked, problems = verify_all()
    for problem in problems:
        click.echo(f"MISMATCH {problem.group}: {problem.detail}", err=True)
    if problems:
        raise click.ClickException(f"{len(problems)} of {checked} protocol records do not match their text.")
    click.echo(f"All {checked} protocol versions and signatures match their SHA-256.")


@click.command("serve")
@click.option("--host", help="Address to listen on (0.0.0.0 for every network interface). "
              "Default: LSWEB_HOST, else 127.0.0.1.")
@click.option("--port", type=int, help="Default: LSWEB_PORT, else 8000.")
@click.option("--workers", type=int, help="Processes (more than one needs LSWEB_REDIS_URL). "
              "Default: LSWEB_WORKERS, else 1.")
@click.option("--threads", type=int, help="Threads per process; every open live page holds one. "
              "Default: LSWEB_THREADS, else 400.")
@click.option("--migrate/--no-migrate", default=None,
              help="Apply pending database migrations before serving (LSWEB_AUTO_MIGRATE=1). Without it, "
                   "pending migrations stop the server with an explanation.")
@with_appcontext
def serve_command(host: str | None, port: int | None, workers: int | None, threads: int | None,
                  migrate: bool | None):
    """Serve lsweb with the production server (gunicorn on Linux, waitress on Windows)."""
    from .database import pending_migrations
    from .server import serve

    settings = current_app.config["LSWEB"]
    host = settings.host if host is None else host
    port = settings.port if port is None else port
    workers = settings.workers if workers is None else workers
    threads = settings.threads if threads is None else threads
    migrate = settings.auto_migrate if migrate is None else migrate
    if workers > 1 and not settings.redis_url:
        raise click.ClickException("Several worker processes need LSWEB_REDIS_URL: sign-in throttling and "
                                   "live updates must be shared between them. Use --workers 1, or set "
                                   "LSWEB_REDIS_URL=redis://HOST:6379/0.")
    if migrate:
        _upgrade()
    else:
        pending = pending_migrations(current_app._get_current_object())
        if pending:
            raise click.ClickException(
                f"The database {_safe_url()} needs {len(pending)} migration(s) before this version of lsweb "
                f"can serve it ({', '.join(reversed(pending))}). Take a backup (lsweb backup), then run "
                "`lsweb init` to apply them, or start with `lsweb serve --migrate` (LSWEB_AUTO_MIGRATE=1).")
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    click.echo(f"lsweb is serving on http://{shown}:{port}/  (press Ctrl+C to stop)")
    serve(host, port, workers, threads, log_format=settings.log_format)
