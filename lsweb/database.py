"""Engine set-up: SQLite pragmas and BEGIN IMMEDIATE for writes; migrations applied from code."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path

from flask import Flask, has_request_context, request
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from .shipped import folder

MIGRATIONS_DIR = str(folder("migrations"))
READ_METHODS = {"GET", "HEAD", "OPTIONS"}


def _flags() -> dict:
    """This request's own notes on its transactions. Kept on the request (not on flask.g, which a test
    or a CLI command's app context shares between requests)."""
    return request.environ.setdefault("lsweb.transactions", {})


def _wants_write() -> bool:
    """The first transaction of a request that may write starts with BEGIN IMMEDIATE (it is the
    service's, which reads and writes and commits once). Reads stay deferred: every transaction of a
    GET, and every transaction of a POST after its first one has ended (the reads that render the
    answer), so the write lock is never held while a page is rendered or an event published."""
    if not has_request_context():
        return True
    flags = _flags()
    if flags.get("reading") or (request.endpoint in READ_FIRST and not flags.get("writing")):
        return False
    return request.method not in READ_METHODS and not flags.get("wrote")


def start_again() -> None:
    """The request runs its work again from the start (lsweb/retry.py): its next transaction is its
    first write transaction again."""
    if has_request_context():
        _flags().clear()


def write_next() -> None:
    """The request's next transaction writes too (a second, small write after the service's commit, such
    as a document snapshot; a read-first request's write): on SQLite it starts with BEGIN IMMEDIATE and
    waits its turn, instead of starting as a read and failing with "database is locked" when it comes to
    write."""
    if has_request_context():
        _flags().update(wrote=False, writing=True)


# Endpoints whose requests read before they write (their first transaction is a read, even for a POST,
# until they call write_next): a co-editing update reads its access answer while another request holds
# the write lock, so that it can wait for that writer's batch with its update ready (coedit/service.py).
READ_FIRST: set[str] = set()


@contextmanager
def outside_write_lock(session):
    """Run slow work (hashing a password) with no write transaction open: the transaction the request
    has open is committed first (the caller has nothing pending), reads inside start a deferred one,
    ended on the way out; the request's next transaction begins with BEGIN IMMEDIATE again."""
    session.commit()
    if has_request_context():
        _flags()["reading"] = True
    try:
        yield
    finally:
        session.commit()
        if has_request_context():
            _flags().update(reading=False, immediate=False, wrote=False)


def holds_write_lock() -> bool:
    """Whether this request's session transaction began with BEGIN IMMEDIATE and is still open (SQLite):
    another connection wanting to write now would wait for this one, that is for itself."""
    return has_request_context() and bool(_flags().get("immediate")) and not _flags().get("wrote")


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(_session, transaction) -> None:
    if transaction.parent is None and has_request_context() and _flags().get("immediate"):
        _flags()["wrote"] = True


# Each connection keeps its own page cache (SQLite's default: 2 MB), and the pool holds 20 of them, so a
# server's memory grew by up to 40 MB as its database grew. 512 KiB a connection keeps a request's pages
# (sessions, users, a lesson's rows); the rest come from the operating system's file cache, shared by all.
SQLITE_CACHE_KIB = 512


def configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, a busy timeout, FULL sync (so an acknowledged save survives a crash) and a page
    cache bounded in bytes (SQLITE_CACHE_KIB).

    Python's sqlite3 module is put in autocommit mode and we emit BEGIN ourselves (the recipe in
    SQLAlchemy's SQLite dialect documentation), so that writers take the write lock at the start of
    the transaction and wait for each other instead of failing with "database is locked".
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.close()

    writers = WriterQueue()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        if _wants_write():
            writers.enter(connection.connection.dbapi_connection)
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                writers.leave(connection.connection.dbapi_connection)
                raise
            if has_request_context():
                _flags()["immediate"] = True
        else:
            connection.exec_driver_sql("BEGIN")

    # These events come just before SQLAlchemy asks the driver to commit or roll back: the writer ends
    # its transaction here, so the next one starts only once the lock is really free (the driver's own
    # commit or rollback that follows finds no transaction and does nothing).
    @event.listens_for(engine, "commit")
    def _on_commit(connection):
        writers.leave(connection.connection.dbapi_connection, finish="commit")

    @event.listens_for(engine, "rollback")
    def _on_rollback(connection):
        writers.leave(connection.connection.dbapi_connection, finish="rollback")

    @event.listens_for(engine, "checkin")
    @event.listens_for(engine, "reset")
    def _on_return(dbapi_connection, *_args):
        writers.leave(dbapi_connection)


class WriterQueue:
    """The writers of one process take SQLite's write lock one after another, waiting here on a lock
    handed over the moment the previous writer commits, instead of in SQLite's busy handler (which
    sleeps and polls, so that under load a waiting writer may sleep past its busy timeout and fail with
    "database is locked" while the lock was free most of the time). Other processes on the same
    database still meet at SQLite's lock, with its busy timeout."""

    WAIT_SECONDS = 30.0

    def __init__(self):
        self._lock = threading.Lock()
        self._holder: int | None = None

    def enter(self, dbapi_connection) -> None:
        if self._holder == id(dbapi_connection):
            return
        if self._lock.acquire(timeout=self.WAIT_SECONDS):  # else: on to SQLite's own busy timeout
            self._holder = id(dbapi_connection)

    def leave(self, dbapi_connection, finish: str | None = None) -> None:
        if self._holder is None or self._holder != id(dbapi_connection):
            return
        try:
            if finish is not None and dbapi_connection.in_transaction:
                getattr(dbapi_connection, finish)()
        finally:
            self._holder = None
            self._lock.release()


def init_engine(app: Flask, db) -> None:
    from .inputs import guard_numbers

    with app.app_context():
        engine = db.engine
        guard_numbers(engine)
        if engine.dialect.name == "sqlite":
            database = engine.url.database
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            configure_sqlite(engine)


def upgrade_database(app: Flask) -> None:
    """Apply every pending migration (idempotent)."""
    from flask_migrate import upgrade

    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)


def pending_migrations(app: Flask) -> list[str]:
    """Revisions not yet applied to the database."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from .extensions import db

    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config(directory=MIGRATIONS_DIR)
        script = ScriptDirectory.from_config(config)
        with db.engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
        heads = set(script.get_heads())
        if current >= heads:
            return []
        pending = []
        for rev in script.walk_revisions():
            if rev.revision in current:
                break
            pending.append(rev.revision)
        return pending


def retrying_in_savepoint(db, attempt, tries: int = 3):
    """Run `attempt()` in a savepoint; when it meets a unique constraint (two first inserts at once, on
    PostgreSQL), undo only that attempt and run it again. Whatever the transaction did before is kept.
    Returns what `attempt` returned; the caller commits."""
    from sqlalchemy.exc import IntegrityError

    for number in range(tries):
        savepoint = db.session.begin_nested()
        try:
            result = attempt()
            savepoint.commit()
            return result
        except IntegrityError:
            savepoint.rollback()
            if number == tries - 1:
                raise
        except BaseException:
            if savepoint.is_active:
                savepoint.rollback()
            raise
    raise AssertionError("unreachable")
