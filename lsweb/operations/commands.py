"""The operations commands: backup, restore (and, registered here too, the privacy and retention ones)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

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
