"""Upgrades with data in the database: a database built at the first migration, filled the way a school
fills it, then upgraded one migration at a time to the newest. Every row survives every step and the
final schema is exactly what the models describe. Runs on SQLite and PostgreSQL (its own empty
database: `empty_database_url`)."""

from __future__ import annotations

from datetime import datetime, timezone

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import MetaData, select

from lsweb.database import MIGRATIONS_DIR, pending_migrations
from lsweb.extensions import db
from lsweb.models import (
    AuditEntry,
    CasePupil,
    Cycle,
    CycleStatus,
    GroupMember,
    GroupRole,
    ProtocolSignature,
    Role,
    School,
    SignatureKind,
    StudyGroup,
    User,
    text_hash,
)

AT = datetime(2026, 9, 14, 8, 30, tzinfo=timezone.utc)
PROTOCOL = "We meet every second Tuesday. What is said about pupils stays in the room."


def _revisions_in_order(app) -> list[str]:
    config = app.extensions["migrate"].migrate.get_config(directory=MIGRATIONS_DIR)
    return [rev.revision for rev in reversed(list(ScriptDirectory.from_config(config).walk_revisions()))]


def _insert(connection, rows: dict[str, list[dict]]) -> None:
    """Insert through the tables as they are at this revision (reflected), not through today's models."""
    tables = MetaData()
    tables.reflect(bind=connection)
    for name, values in rows.items():
        connection.execute(tables.tables[name].insert(), values)


FIRST_SCHEMA_ROWS = {
    "school": [{"id": 1, "name": "Northfield Primary", "created_at": AT},
               {"id": 2, "name": "Riverside Academy", "created_at": AT}],
    "user_account": [
        {"id": 1, "email": "admin@network.example", "display_name": "Alex Admin", "password_hash": "pbkdf2:x$y$z",
         "role": "network_admin", "school_id": None, "active": True, "must_change_password": False,
         "session_generation": 1, "created_at": AT, "deactivated_at": None},
        {"id": 2, "email": "lena@northfield.example", "display_name": "Lena Lead", "password_hash": None,
         "role": "lead", "school_id": 1, "active": True, "must_change_password": True,
         "session_generation": 3, "created_at": AT, "deactivated_at": None},
        {"id": 3, "email": "tom@northfield.example", "display_name": "Tom Teacher", "password_hash": None,
         "role": "teacher", "school_id": 1, "active": False, "must_change_password": False,
         "session_generation": 1, "created_at": AT, "deactivated_at": AT},
    ],
    "audit_entry": [{"id": 1, "at": AT, "actor_id": 1, "school_id": 1, "action": "staff.added",
                     "target": "lena@northfield.example", "details": "Lead"}],
}
GROUP_ROWS = {
    "study_group": [{"id": 1, "name": "Year 4 fractions", "school_id": 1, "focus_pupils": "pupils new to English",
                     "focus_learning": "equivalent fractions", "focus_approach": "bar models", "subject": "Maths",
                     "year_group": "Year 4", "class_name": "4B", "school_priority": "", "background": "EEF 2022",
                     "created_by_id": 2, "created_at": AT}],
    "group_member": [{"id": 1, "group_id": 1, "user_id": 2, "role": "facilitator", "joined_at": AT, "left_at": None},
                     {"id": 2, "group_id": 1, "user_id": 3, "role": "member", "joined_at": AT, "left_at": AT}],
    "protocol_version": [{"id": 1, "group_id": 1, "number": 1, "text": PROTOCOL, "text_sha256": text_hash(PROTOCOL),
                          "note": "", "created_by_id": 2, "created_at": AT}],
    "protocol_signature": [
        {"id": 1, "group_id": 1, "version_id": 1, "user_id": 2, "sequence": 1, "kind": "signed",
         "typed_name": "Lena Lead", "text_sha256": text_hash(PROTOCOL), "at": AT},
        {"id": 2, "group_id": 1, "version_id": 1, "user_id": 3, "sequence": 1, "kind": "signed",
         "typed_name": "Tom Teacher", "text_sha256": text_hash(PROTOCOL), "at": AT},
    ],
    "cycle": [{"id": 1, "group_id": 1, "number": 1, "status": "planning", "planned_lessons": 3, "created_at": AT}],
    "case_pupil": [{"id": 1, "cycle_id": 1, "label": "Pupil A", "represents": "finds it hard", "attainment": "",
                    "notes": "Counts on fingers", "position": 0}],
}


def _row_counts(connection) -> dict[str, int]:
    tables = MetaData()
    tables.reflect(bind=connection)
    return {name: connection.execute(select(db.func.count()).select_from(table)).scalar_one()
            for name, table in tables.tables.items() if name != "alembic_version"}


def test_every_migration_keeps_the_data_of_a_school_and_ends_at_the_models_schema(make_app, empty_database_url):
    app = make_app(DATABASE_URL=empty_database_url)
    with app.app_context():
        revisions = _revisions_in_order(app)
        assert revisions[0] == "0001" and len(revisions) >= 4
        upgrade(directory=MIGRATIONS_DIR, revision="0001")
        with db.engine.begin() as connection:
            _insert(connection, FIRST_SCHEMA_ROWS)
        expected_counts = None
        for revision in revisions[1:]:
            upgrade(directory=MIGRATIONS_DIR, revision=revision)
            with db.engine.begin() as connection:
                if revision == "0002":  # groups and the protocol exist from here on: fill them too
                    _insert(connection, GROUP_ROWS)
                counts = _row_counts(connection)
            if expected_counts is not None:
                kept = {name: counts.get(name) for name in expected_counts}
                assert kept == expected_counts, f"rows lost by migration {revision}"
            expected_counts = {name: count for name, count in counts.items() if count}
        assert pending_migrations(app) == []

        # At the newest schema, today's models read everything back as it was written.
        with db.engine.connect() as connection:
            from lsweb.sharing.search import include_object  # the library's search index: migration 0008

            context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                                   "include_object": include_object})
            assert compare_metadata(context, db.metadata) == []
        users = db.session.scalars(select(User).order_by(User.id)).all()
        assert [(u.email, u.role, u.school_id, u.active, u.session_generation) for u in users] == [
            ("admin@network.example", Role.NETWORK_ADMIN, None, True, 1),
            ("lena@northfield.example", Role.LEAD, 1, True, 3),
            ("tom@northfield.example", Role.TEACHER, 1, False, 1)]
        assert users[2].deactivated_at == AT
        assert [(s.name, s.retention_days) for s in db.session.scalars(select(School).order_by(School.id))] == [
            ("Northfield Primary", 365), ("Riverside Academy", 365)]  # the default given to existing schools
        group = db.session.get(StudyGroup, 1)
        assert group.focus_sentence == ("We want to improve how pupils new to English learn equivalent "
                                        "fractions through bar models.")
        assert [(m.user.display_name, m.role, m.left_at) for m in db.session.scalars(
            select(GroupMember).order_by(GroupMember.id))] == [
            ("Lena Lead", GroupRole.FACILITATOR, None), ("Tom Teacher", GroupRole.MEMBER, AT)]
        signatures = db.session.scalars(select(ProtocolSignature).order_by(ProtocolSignature.id)).all()
        assert [(s.typed_name, s.kind, s.text_sha256) for s in signatures] == [
            ("Lena Lead", SignatureKind.SIGNED, text_hash(PROTOCOL)),
            ("Tom Teacher", SignatureKind.SIGNED, text_hash(PROTOCOL))]
        assert signatures[0].version.text == PROTOCOL
        cycle = db.session.get(Cycle, 1)
        assert (cycle.status, [p.label for p in cycle.pupils]) == (CycleStatus.PLANNING, ["Pupil A"])
        assert db.session.get(CasePupil, 1).notes == "Counts on fingers"
        assert db.session.scalar(select(AuditEntry.action)) == "staff.added"
        db.session.remove()


def test_temporary_passwords_issued_before_the_upgrade_expire_72_hours_after_it(make_app, empty_database_url):
    from datetime import timedelta

    from lsweb.models import UserSession
    from lsweb.models.base import utcnow

    app = make_app(DATABASE_URL=empty_database_url)
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR, revision="0013")
        with db.engine.begin() as connection:
            _insert(connection, FIRST_SCHEMA_ROWS)
            connection.execute(db.text("UPDATE user_account SET password_hash = 'pbkdf2:t$e$mp' WHERE id = 2"))
            connection.execute(db.text("INSERT INTO user_session (id, user_id, created_at, last_seen_at, user_agent, "
                                       "address) VALUES ('s1', 1, :at, :at, '', '')"), {"at": AT})
        upgrade(directory=MIGRATIONS_DIR)  # through 0016 to the newest (the models read the newest schema)
        users = {u.id: u for u in db.session.scalars(select(User))}
        assert users[1].temporary_password_expires_at is None  # chose their own
        assert timedelta(hours=71) < users[2].temporary_password_expires_at - utcnow() <= timedelta(hours=72)
        assert users[3].temporary_password_expires_at is None
        assert db.session.get(UserSession, "s1").remember is False


def test_photos_of_a_pupil_without_consent_before_the_upgrade_count_as_withdrawn_at_it(make_app, empty_database_url):
    from datetime import timedelta

    from lsweb.models.base import utcnow

    app = make_app(DATABASE_URL=empty_database_url)
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR, revision="0016")
        with db.engine.begin() as connection:
            _insert(connection, FIRST_SCHEMA_ROWS)
            _insert(connection, GROUP_ROWS)
            _insert(connection, {
                "case_pupil": [{"id": 2, "cycle_id": 1, "label": "Pupil B", "represents": "", "attainment": "",
                                "notes": "", "position": 1, "photo_consent": True},
                               {"id": 3, "cycle_id": 1, "label": "Pupil C", "represents": "", "attainment": "",
                                "notes": "", "position": 2, "photo_consent": False}],
                "research_lesson": [{"id": 1, "cycle_id": 1, "number": 1, "duration_minutes": 60, "class_name": "4B",
                                     "room": "", "status": "taught", "details_version": 1, "created_at": AT}]})
            _insert(connection, {"observation_photo": [
                {"id": n, "lesson_id": 1, "pupil_id": pupil, "uploaded_by_id": 2, "stored_name": f"p{n}.jpg",
                 "content_type": "image/jpeg", "size": 10, "caption": "", "created_at": AT}
                for n, pupil in ((1, 1), (2, 2))]})
        upgrade(directory=MIGRATIONS_DIR)  # through 0017 to the newest (the models read the newest schema)
        pupils = {p.id: p for p in db.session.scalars(select(CasePupil))}
        # Pupil A has photos and no consent: withdrawn at the upgrade; B has consent; C has no photos.
        assert timedelta(0) <= utcnow() - pupils[1].photo_consent_withdrawn_at < timedelta(minutes=5)
        assert pupils[2].photo_consent_withdrawn_at is None and pupils[3].photo_consent_withdrawn_at is None
        assert [s.photo_grace_days for s in db.session.scalars(select(School))] == [30, 30]
        db.session.remove()


def test_who_wrote_what_comes_empty_and_goes_without_touching_the_documents(make_app, empty_database_url):
    """Migration 0024: the attribution table starts empty (each box's runs are made when it next changes,
    its earlier text nobody's); a downgrade drops it and keeps the documents."""
    from flask_migrate import downgrade
    from sqlalchemy import inspect

    app = make_app(DATABASE_URL=empty_database_url)
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config(directory=MIGRATIONS_DIR)
        before = ScriptDirectory.from_config(config).get_revision("0024").down_revision
        upgrade(directory=MIGRATIONS_DIR, revision=before)
        with db.engine.begin() as connection:
            _insert(connection, {"coedit_update": [{"id": 1, "doc": "plan-1", "seq": 1, "user_id": None,
                                                    "client_id": 7, "data": b"\x00\x00", "created_at": AT}]})
        upgrade(directory=MIGRATIONS_DIR, revision="0024")
        with db.engine.begin() as connection:
            assert connection.execute(db.text("SELECT count(*) FROM coedit_attribution")).scalar() == 0
            connection.execute(db.text("INSERT INTO coedit_attribution (doc, box, runs, seq) "
                                       "VALUES ('plan-1', 'aspect', '[[5,null]]', 1)"))
        downgrade(directory=MIGRATIONS_DIR, revision=before)
        db.engine.dispose()
        assert "coedit_attribution" not in inspect(db.engine).get_table_names()
        with db.engine.connect() as connection:
            assert connection.execute(db.text("SELECT doc, seq FROM coedit_update")).all() == [("plan-1", 1)]
        upgrade(directory=MIGRATIONS_DIR)
        assert pending_migrations(app) == []
        db.session.remove()
