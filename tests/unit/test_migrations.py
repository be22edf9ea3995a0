"""The migrations, applied from an empty database, give exactly the schema the models describe."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from lsweb.database import pending_migrations, upgrade_database
from lsweb.extensions import db


def test_migrated_schema_equals_models(app):
    # The test database was built by running every migration from empty (tests/conftest.py).
    with db.engine.connect() as connection:
        # The library's full-text index is made by migration 0008 only (lsweb/sharing/search.py).
        from lsweb.sharing.search import include_object

        context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                               "include_object": include_object})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_no_pending_migrations_and_upgrade_is_idempotent(app):
    assert pending_migrations(app) == []
    upgrade_database(app)  # a second run changes nothing
    assert pending_migrations(app) == []


def test_audit_log_is_append_only_in_the_database(app, factories):
    from lsweb import audit

    admin = factories.user()
    audit.record(admin, "test.action", target="x")
    db.session.commit()
    for statement in ("UPDATE audit_entry SET action = 'changed'", "DELETE FROM audit_entry"):
        with pytest.raises(Exception, match="append-only"):
            with db.engine.begin() as connection:
                connection.execute(text(statement))
    assert db.session.scalar(text("SELECT action FROM audit_entry")) == "test.action"
