"""A full disk, for the tests: while `full.on`, every INSERT and UPDATE fails the way the database says
so when its disk has no room left (SQLite: SQLITE_FULL "database or disk is full"; PostgreSQL:
disk_full, SQLSTATE 53100, "could not extend file"). Reads go on working, as they do on a full disk."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from lsweb.diskfull import MESSAGE
from lsweb.extensions import db

__all__ = ["MESSAGE", "FullDisk", "disk"]


class FullDisk:
    def __init__(self, engine):
        self.engine, self.on, self.refused = engine, False, 0
        event.listen(engine, "before_cursor_execute", self._write)

    def _write(self, conn, cursor, statement, parameters, context, executemany):
        if self.on and statement.lstrip().upper().startswith(("INSERT", "UPDATE")):
            self.refused += 1
            if conn.dialect.name == "sqlite":
                raise sqlite3.OperationalError("database or disk is full")
            import psycopg.errors

            raise psycopg.errors.DiskFull('could not extend file "base/16384/16402": No space left on device')
        return statement, parameters

    @contextmanager
    def full(self):
        self.on = True
        try:
            yield self
        finally:
            self.on = False

    def remove(self):
        event.remove(self.engine, "before_cursor_execute", self._write)


@pytest.fixture
def disk(app):
    """Writes to the test's database fail as on a full disk inside `with disk.full():`."""
    disk = FullDisk(db.engine)
    yield disk
    disk.remove()


@contextmanager
def small_disk(folder, size: str = "64k"):
    """A real full disk: a tmpfs of `size` mounted on `folder` (root only; the test is skipped otherwise)."""
    import subprocess

    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(folder)],
                             capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder, leave: int = 0):
    """Fill the disk holding `folder` up to `leave` bytes; returns the filler file (delete it to free space)."""
    import os

    filler = folder / "filler"
    with open(filler, "wb") as handle:
        try:
            while True:
                free = os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize
                if free <= leave:
                    break
                handle.write(b"\0" * min(4096, free - leave))
                handle.flush()
        except OSError:
            pass
    return filler
