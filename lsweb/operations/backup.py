"""`lsweb backup` and `lsweb restore`: a consistent copy of the database and the uploads, taken while the
server runs, in one archive (see archive.py); and its return, checked before anything is touched.

- SQLite: the online backup API (sqlite3.Connection.backup) in one step: a single read transaction,
  which in WAL mode never blocks the server's writers and sees one committed state.
- PostgreSQL: `pg_dump --format=custom` (one snapshot of the whole database) and `pg_restore --clean
  --single-transaction` (all or nothing).
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import subprocess
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from flask import Flask
from sqlalchemy import inspect, text

from ..diskfull import is_disk_full
from ..filemodes import make_private, private_folder
from . import OperationError
from .archive import (
    FORMAT,
    FORMAT_VERSION,
    exclusive,
    explain_os_error,
    read_archive,
    replace_folder,
    write_archive,
)

DB_MEMBER = {"sqlite": "database/lsweb.sqlite3", "postgresql": "database/lsweb.pgdump"}
UPLOADS = "uploads"


def _noop(_message: str) -> None:
    pass


def _engine(app: Flask):
    from ..extensions import db

    with app.app_context():
        return db.engine


def database_kind(app: Flask) -> str:
    return _engine(app).dialect.name


def current_revision(app: Flask) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with _engine(app).connect() as connection:
        heads = MigrationContext.configure(connection).get_current_heads()
    return ",".join(sorted(heads)) or None


def known_revisions(app: Flask) -> set[str]:
    from alembic.script import ScriptDirectory

    from ..database import MIGRATIONS_DIR

    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config(directory=MIGRATIONS_DIR)
        return {rev.revision for rev in ScriptDirectory.from_config(config).walk_revisions()}


def default_output(app: Flask) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return Path(app.instance_path) / "backups" / f"lsweb-{stamp}.tar.gz"


def _libpq(app: Flask) -> tuple[str, dict]:
    """A libpq URI without the password (kept out of the process list) and the environment carrying it."""
    url = _engine(app).url
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def _run(command: list[str], env: dict, what: str) -> None:
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise OperationError(f"{command[0]} was not found: install the PostgreSQL client tools "
                             "(Debian/Ubuntu: apt install postgresql-client) on this server.") from None
    if result.returncode != 0:
        if "No space left on device" in result.stderr:  # pg_dump's output file: said in one line
            raise OSError(errno.ENOSPC, result.stderr.strip().splitlines()[-1])
        raise OperationError(f"{what} failed: {result.stderr.strip()[-1500:]}")


def _copy_database(app: Flask, into: Path) -> Path:
    kind = database_kind(app)
    target = into / DB_MEMBER[kind]
    target.parent.mkdir(parents=True, exist_ok=True)
    if kind == "sqlite":
        source = sqlite3.connect(_engine(app).url.database, timeout=30)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)  # one step: one consistent snapshot, writers carry on meanwhile
            if copy.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise OperationError("The copy of the database failed its integrity check. Nothing was written.")
        finally:
            copy.close()
            source.close()
    else:
        uri, env = _libpq(app)
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(target),
              "--dbname", uri], env, "pg_dump")
    return target


def _upload_files(app: Flask) -> list[tuple[str, Path]]:
    folder = Path(app.instance_path) / UPLOADS
    if not folder.is_dir():
        return []
    return [(f"{UPLOADS}/{path.relative_to(folder).as_posix()}", path)
            for path in sorted(folder.rglob("*")) if path.is_file()]


def create_backup(app: Flask, output: Path | None = None, progress: Callable[[str], None] = _noop) -> dict:
    """Write the archive; returns its manifest (with "path"). The live database is only read."""
    from importlib.metadata import PackageNotFoundError, version

    output = Path(output) if output else default_output(app)
    if output.is_dir():
        output = output / default_output(app).name
    if output.exists():
        raise OperationError(f"{output} already exists; choose another name (lsweb never overwrites a backup).")
    with exclusive(app.instance_path, "backup"):
        try:
            private_folder(output.parent)
            work = Path(tempfile.mkdtemp(prefix=".lsweb-backup-", dir=output.parent))
        except OSError as error:
            raise OperationError(f"{explain_os_error(error, output.parent)} No backup was written; the "
                                 "database was not changed.") from None
        try:
            kind = database_kind(app)
            progress(f"Copying the database ({'SQLite online backup' if kind == 'sqlite' else 'pg_dump'})")
            revision = current_revision(app)
            database = _copy_database(app, work)
            uploads = _upload_files(app)
            progress(f"Database copied ({database.stat().st_size:,} bytes); {len(uploads)} uploaded files")
            try:
                lsweb_version = version("lsweb")
            except PackageNotFoundError:
                lsweb_version = "unknown"
            manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "lsweb_version": lsweb_version,
                        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                        "database_kind": kind, "alembic_revision": revision}
            write_archive(output, manifest, [(DB_MEMBER[kind], database), *uploads], progress)
            make_private(output)
        except (OSError, sqlite3.OperationalError) as error:
            if not isinstance(error, OSError):  # SQLite's copy ran out of room: "database or disk is full"
                if not is_disk_full(error):
                    raise
                error = OSError(errno.ENOSPC, str(error))
            raise OperationError(f"{explain_os_error(error, output.parent)} No backup was written; the "
                                 "database was not changed.") from None
        finally:
            shutil.rmtree(work, ignore_errors=True)
    progress(f"Backup written: {output} ({output.stat().st_size:,} bytes)")
    return {**manifest, "path": output}


def has_data(app: Flask) -> bool:
    """Whether the database holds anything worth keeping (any school or account)."""
    engine = _engine(app)
    tables = set(inspect(engine).get_table_names())
    with engine.connect() as connection:
        return any(connection.execute(text(f"SELECT 1 FROM {table} LIMIT 1")).first() is not None
                   for table in ("school", "user_account") if table in tables)


def restore_backup(app: Flask, archive: Path, confirm: Callable[[str], bool],
                   progress: Callable[[str], None] = _noop) -> dict:
    """Check the whole archive, ask `confirm` before overwriting data, then replace the database and the
    uploads. Anything found wrong before the replacement leaves everything as it was."""
    archive = Path(archive)
    if not archive.is_file():
        raise OperationError(f"{archive} is not a file.")
    with exclusive(app.instance_path, "restore"):
        work = Path(tempfile.mkdtemp(prefix=".lsweb-restore-", dir=app.instance_path))
        try:
            manifest = read_archive(archive, work, progress)
            kind = database_kind(app)
            if manifest.get("database_kind") != kind or DB_MEMBER[kind] not in manifest["members"]:
                raise OperationError(f"{archive.name} is a backup of a {manifest.get('database_kind')} database; "
                                     f"this lsweb uses {kind}. Nothing was changed.")
            revision = manifest.get("alembic_revision")
            if revision and not set(revision.split(",")) <= known_revisions(app):
                raise OperationError(f"{archive.name} was made by a newer lsweb (database revision {revision}). "
                                     "Install that version (or newer) first. Nothing was changed.")
            database = work / DB_MEMBER[kind]
            if kind == "sqlite":
                _check_sqlite(database, archive.name)
            if has_data(app) and not confirm(
                    "The database already holds data. Replace ALL of it with the backup of "
                    f"{manifest.get('created_at')}?"):
                raise OperationError("Restore cancelled. Nothing was changed.")
            progress("Replacing the database")
            _engine(app).dispose()
            if kind == "sqlite":
                _restore_sqlite(database, _engine(app).url.database)
            else:
                uri, env = _libpq(app)
                _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
                      "--single-transaction", "--exit-on-error", "--dbname", uri, str(database)], env, "pg_restore")
            progress("Replacing the uploads folder")
            uploads = work / UPLOADS
            replace_folder(uploads if uploads.is_dir() else None, Path(app.instance_path) / UPLOADS)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return manifest


def _check_sqlite(path: Path, name: str) -> None:
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            ok = connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            connection.close()
    except sqlite3.DatabaseError:
        ok = False
    if not ok:
        raise OperationError(f"The database inside {name} fails SQLite's integrity check. Nothing was changed.")


def _restore_sqlite(source_path: Path, target_path: str) -> None:
    """Copy through SQLite's backup API into the target: one transaction on the target, so a reader
    (or a crash) sees the old database or the new one, never a mixture; WAL and -shm stay coherent."""
    Path(target_path).parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(source_path)
    target = sqlite3.connect(target_path, timeout=30)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
