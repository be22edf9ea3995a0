"""Fixtures shared by every test: an app on a fresh database (SQLite, or PostgreSQL when
LSWEB_TEST_DATABASE_URL names a server), a client, and helpers to sign in.

SQLite: the schema is built once with the migrations into a template file, copied for every test.
PostgreSQL: the suite creates its own database (lsweb_test_<random>), builds it with the migrations,
empties every table after each test and drops the database at the end.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from flask import g, request_started
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from lsweb import create_app
from lsweb.database import upgrade_database
from lsweb.extensions import db

from .factories import Factories

TEST_PASSWORD = "correct horse battery"
FAST_HASH = "pbkdf2:sha256:1000"  # the real default is scrypt; tests need speed, not strength
PG_ADMIN_URL = os.environ.get("LSWEB_TEST_DATABASE_URL", "")


def _base_config(instance: Path, database_url: str) -> dict:
    return {
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": "test-secret-key",
        "PASSWORD_HASH": FAST_HASH,
        "REDIS_URL": None,
        # Admins' two-step sign-in (on by default) is tested on its own (tests/views/test_two_step.py);
        # elsewhere admins sign in with their password alone.
        "ADMIN_TWO_STEP": False,
        "TESTING": True,
    }


@pytest.fixture(scope="session")
def database(tmp_path_factory):
    """The database the whole session uses: (kind, url or template path)."""
    if PG_ADMIN_URL:
        admin_url = make_url(PG_ADMIN_URL).set(drivername="postgresql+psycopg")
        name = f"lsweb_test_{uuid.uuid4().hex[:10]}"
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = admin_url.set(database=name).render_as_string(hide_password=False)
        app = create_app(_base_config(tmp_path_factory.mktemp("pg-instance"), url))
        upgrade_database(app)
        with app.app_context():
            db.engine.dispose()
        yield {"kind": "postgresql", "url": url}
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        folder = tmp_path_factory.mktemp("template")
        template = folder / "template.db"
        app = create_app(_base_config(folder / "instance", f"sqlite:///{template}"))
        upgrade_database(app)
        with app.app_context():
            db.engine.dispose()
        yield {"kind": "sqlite", "template": template}


@pytest.fixture
def database_url(database, tmp_path):
    """A URL for this test's own empty (migrated) database."""
    if database["kind"] == "postgresql":
        yield database["url"]
        empty_postgres(database["url"])
    else:
        path = tmp_path / "lsweb.db"
        shutil.copyfile(database["template"], path)
        yield f"sqlite:///{path}"


def empty_postgres(url: str) -> None:
    """Empty every table of a PostgreSQL test database and restart its ids, as a fresh copy would be.

    Only the tables that hold rows are emptied, with DELETE and the foreign-key triggers off for the
    transaction (session_replication_role): a TRUNCATE of all 50-odd tables costs 0.3-1 s on this
    machine (a new file for each), which, after each of the suite's ~1,500 tests, was a quarter of the
    PostgreSQL run."""
    engine = create_engine(url)
    with engine.begin() as connection:
        tables = connection.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        )).scalars().all()
        probe = " UNION ALL ".join(
            f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in tables)
        full = connection.execute(text(probe)).scalars().all() if tables else []
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        for table in full:
            connection.execute(text(f'DELETE FROM "{table}"'))
        connection.execute(text(
            "SELECT setval(c.oid, 1, false) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind = 'S' AND n.nspname = 'public'"))
    engine.dispose()


@pytest.fixture
def empty_database_url(database, tmp_path):
    """A URL for a database of this test's own with nothing in it, not even the migrations (a new
    installation, a migration chain, a restore target); dropped afterwards on PostgreSQL."""
    if database["kind"] == "postgresql":
        admin_url = make_url(PG_ADMIN_URL).set(drivername="postgresql+psycopg")
        name = f"lsweb_empty_{uuid.uuid4().hex[:10]}"
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield admin_url.set(database=name).render_as_string(hide_password=False)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        yield f"sqlite:///{tmp_path / f'empty-{uuid.uuid4().hex[:6]}.db'}"


@pytest.fixture
def make_app(database_url, tmp_path):
    """Build an app on this test's database with extra config; engines are disposed afterwards."""
    apps = []

    def _make(**overrides):
        config = _base_config(tmp_path / "instance", database_url)
        config.setdefault("WTF_CSRF_ENABLED", False)
        config.update(overrides)
        application = create_app(config)
        apps.append(application)
        return application

    yield _make
    for application in apps:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    """The app with CSRF checks off, so view tests can post forms directly (tests/views/test_csrf.py
    checks the protection itself with it on)."""
    application = make_app()
    with application.app_context():
        yield application


@pytest.fixture(autouse=True)
def fresh_coedit_cache():
    """Every test starts with no co-edited document cached: each test's database numbers its lessons and
    cycles from 1, so a document cached by an earlier test ("plan-1") would stand for another plan."""
    from lsweb.coedit import store

    store.clear_cache()
    yield


@pytest.fixture(autouse=True)
def fresh_request_globals():
    """A fresh `flask.g` for every test request, as in production.

    The `app` fixture keeps an application context pushed for the whole test (so tests can use
    db.session), and Flask reuses a pushed context for test-client requests: without this, `g` (where
    Flask-Login caches the signed-in user) would carry over between requests and between clients.
    """

    def clear(_sender, **_extra):
        for name in list(vars(g)):
            delattr(g, name)

    request_started.connect(clear, weak=False)
    yield
    request_started.disconnect(clear)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def factories(app):
    return Factories(db)


@pytest.fixture
def login(client):
    def _login(user_or_email, password: str = TEST_PASSWORD, remember: bool = False, the_client=None):
        email = getattr(user_or_email, "email", user_or_email)
        response = (the_client or client).post("/login", data={
            "email": email, "password": password, "remember": "y" if remember else ""})
        assert response.status_code == 303, f"sign-in as {email} failed: {response.status_code}"
        return response

    return _login


@pytest.fixture
def selects(app):
    """A context manager that lists the SELECT statements the database receives inside it:
    `with selects() as sent: client.get(...)`, then `len(sent)`."""
    return _statement_recorder(app, only_selects=True)


@pytest.fixture
def statements(app):
    """Like `selects`, for every statement (writes included)."""
    return _statement_recorder(app, only_selects=False)


def _statement_recorder(app, only_selects: bool):
    from contextlib import contextmanager

    from sqlalchemy import event

    with app.app_context():
        engine = db.engine

    @contextmanager
    def _record():
        sent: list[str] = []

        def note(conn, cursor, statement, *args):
            if not only_selects or statement.lstrip().upper().startswith("SELECT"):
                sent.append(statement)

        event.listen(engine, "before_cursor_execute", note)
        try:
            yield sent
        finally:
            event.remove(engine, "before_cursor_execute", note)

    return _record
