"""The server's disk is full: a save is answered 507 with a message that says so, instead of a
generic 500, and the server log names the disk once per failed request.

Recognised wherever it surfaces: SQLite's "database or disk is full" (SQLITE_FULL), an OSError with
errno ENOSPC (or EDQUOT, a full quota), PostgreSQL's disk_full (SQLSTATE 53100: "could not extend
file", "No space left on device"). Nothing of the request is kept (its transaction is rolled back);
the page keeps the text: the co-editing client and the notes script send it again later, and a form
page is still there behind the error page (the browser's Back button).
"""

from __future__ import annotations

import errno
import logging
import sqlite3

from flask import Flask, current_app, jsonify, request

from .web import is_fragment_request

log = logging.getLogger("lsweb.diskfull")

STATUS = 507  # Insufficient Storage
MESSAGE = ("The server's disk is full: your text is kept on this page. Tell your school's IT technician.")
FULL_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
DISK_FULL_SQLSTATE = "53100"
WORDS = ("database or disk is full", "no space left on device", "could not extend file", "disk full")


def is_disk_full(error: BaseException | None) -> bool:
    """Whether `error` (or what it wraps: SQLAlchemy's .orig, an exception's cause) says the disk is full."""
    seen = 0
    while error is not None and seen < 5:
        if isinstance(error, OSError) and error.errno in FULL_ERRNOS:
            return True
        if getattr(error, "sqlstate", None) == DISK_FULL_SQLSTATE:
            return True
        if getattr(error, "sqlite_errorname", None) == "SQLITE_FULL":
            return True
        text = str(error).lower()
        if type(error).__name__ in ("OperationalError", "DiskFull") and any(w in text for w in WORDS):
            return True
        error = getattr(error, "orig", None) or error.__cause__
        seen += 1
    return False


def where(app: Flask) -> str:
    """The disk a technician should look at: the database's file (SQLite) or server, and the instance folder."""
    from .extensions import db

    try:
        url = db.engine.url
        database = (f"the SQLite file {url.database}" if url.get_backend_name() == "sqlite"
                    else f"the {url.get_backend_name()} server {url.host or 'localhost'} (its data directory)")
    except Exception:  # noqa: BLE001  (no engine: name the folder only)
        database = "the database"
    return f"{database} or the instance folder {app.instance_path}"


def answer(page):
    """507 for whoever sent the save: JSON to a script, else `page()` (lsweb.security's error page, or
    the message where flashes show for htmx)."""
    wants_json = request.is_json or request.accept_mimetypes.best_match(
        ["text/html", "application/json"]) == "application/json"
    if wants_json and not is_fragment_request():
        response = jsonify(error=MESSAGE, disk_full=True)
        response.status_code = STATUS
        return response
    return page()


def register(app: Flask, page) -> None:
    """Answer a full disk, and a database that does not answer (lsweb.dbdown), app-wide; `page()`
    makes the HTML answer to a full disk."""
    from sqlalchemy.exc import DBAPIError

    from . import dbdown
    from .extensions import db

    def _storage_fault(error: BaseException):
        if dbdown.is_database_down(error):
            try:
                db.session.rollback()
            except Exception:  # noqa: BLE001  (the connection is gone: nothing to roll back)
                db.session.close()
            return dbdown.answer(error)
        if not is_disk_full(error):
            raise error  # not ours: the usual 500 (and its log entry)
        db.session.rollback()
        first = str(getattr(error, "orig", None) or error).splitlines()[0]
        log.error("The disk is full: %s %s could not be saved (%s). Free space on %s; lsweb carries on "
                  "as soon as there is room.", request.method, request.path, first, where(current_app))
        return answer(page)

    # SQLAlchemy wraps the driver's errors; a commit lsweb makes itself (lsweb.database) raises SQLite's own
    for kind in (DBAPIError, OSError, sqlite3.OperationalError, *_psycopg_errors()):
        app.register_error_handler(kind, _storage_fault)


def _psycopg_errors() -> tuple:
    try:
        import psycopg
    except ImportError:
        return ()
    return (psycopg.OperationalError,)
