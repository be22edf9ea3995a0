"""The operations commands: backup, restore (and, registered here too, the privacy and retention ones)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..filemodes import write_private
from . import OperationError


def _progress(message: str) -> None:
    click.echo(message, err=True)


@click.command("backup")
@click.option("--output", "-o", type=click.Path(path_type=Path), default=None,
              help="Archive to write (a folder: a dated name inside it). Default: instance/backups/.")
@with_appcontext
def backup_command(output: Path | None):
    """Copy the database and the uploads into one archive, while the server runs."""
    from .backup import create_backup

    try:
        manifest = create_backup(current_app._get_current_object(), output, _progress)
    except OperationError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Backup written: {manifest['path']} ({manifest['database_kind']}, "
               f"revision {manifest['alembic_revision']})")


@click.command("restore")
@click.argument("archive", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="Replace a database that holds data without asking.")
@with_appcontext
def restore_command(archive: Path, yes: bool):
    """Bring back a backup made by `lsweb backup` (stop the server first)."""
    from ..extensions import db
    from .backup import restore_backup

    def confirm(question: str) -> bool:
        if yes:
            return True
        try:
            return click.confirm(question, default=False, err=True)
        except click.Abort:  # no answer (end of input, Ctrl+C): no
            return False

    db.session.remove()
    try:
        manifest = restore_backup(current_app._get_current_object(), archive, confirm, _progress)
    except OperationError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Restored the backup of {manifest['created_at']} (revision {manifest['alembic_revision']}). "
               "Run `lsweb init` if this lsweb is newer, then start the server.")


COMMANDS = [backup_command, restore_command]


def _user_by_email(email: str):
    from ..extensions import db
    from ..models import User

    user = db.session.scalar(db.select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"No account has the email {email}.")
    return user


@click.command("export-user")
@click.argument("email")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The ZIP file to write.")
@with_appcontext
def export_user_command(email: str, output: Path):
    """Subject-access export: everything lsweb holds about a person, as a ZIP of JSON files."""
    from .privacy import build_export

    user = _user_by_email(email)
    data = build_export(None, user)
    try:
        write_private(output, data)
    except OSError as error:
        from .archive import explain_os_error

        raise click.ClickException(explain_os_error(error, output.parent)) from None
    click.echo(f"The data of {user.display_name} is in {output} ({len(data):,} bytes).")


@click.command("delete-user")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def delete_user_command(email: str, yes: bool):
    """Delete an account: anonymised as "Former member", so the groups' history stays readable."""
    from ..errors import DomainError
    from .privacy import delete_account

    user = _user_by_email(email)
    name = user.display_name
    if not yes:
        try:
            agreed = click.confirm(f"Delete the account of {name} <{user.email}>? This cannot be undone.",
                                   default=False)
        except click.Abort:
            agreed = False
        if not agreed:
            raise click.ClickException("Nothing was deleted.")
    try:
        delete_account(None, user)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"The account of {name} is deleted; it shows as “Former member”.")


COMMANDS += [export_user_command, delete_user_command]


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="Only say what would be deleted.")
@click.option("--yes", is_flag=True, help="Do not ask, even for a school whose retention is 0 days.")
@with_appcontext
def purge_command(dry_run: bool, yes: bool):
    """Delete pupil-level records older than each school's retention period (published findings stay)."""
    from .retention import PURGERS, plan, purge_school

    if not PURGERS:
        click.echo("No kind of pupil-level record is registered for purging yet: nothing to do.")
        return
    for item in plan():
        counts = ", ".join(f"{name}: {count}" for name, count in item.counts.items())
        click.echo(f"{item.school.name}: keeps {item.school.retention_days} days; older than "
                   f"{item.cutoff.date().isoformat()}: {counts}")
        if dry_run or item.total == 0:
            continue
        if item.school.retention_days == 0 and not yes:
            question = (f"{item.school.name} keeps pupil-level records for 0 days: delete ALL {item.total} of "
                        "them now?")
            try:
                agreed = click.confirm(question, default=False)
            except click.Abort:
                agreed = False
            if not agreed:
                click.echo(f"  skipped {item.school.name}: nothing deleted.")
                continue
        deleted = purge_school(item)
        click.echo(f"  deleted {sum(deleted.values())}.")
    if dry_run:
        click.echo("Dry run: nothing was deleted.")


COMMANDS += [purge_command]
