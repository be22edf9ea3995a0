"""Migration 0023 retires the old co-editing's tables (conflicts, presence) and the per-box versions. A
text kept aside as a conflict never reached the plan: after the upgrade it is in the plan's history
(a revision of kind "kept", with its author and time), and the plan's own text is unchanged. The
downgrade brings the tables back. Runs on SQLite and PostgreSQL (`empty_database_url`)."""

from __future__ import annotations

from datetime import datetime, timezone

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from lsweb.database import MIGRATIONS_DIR
from lsweb.extensions import db
from lsweb.models import PlanField, PlanRevision, SummaryField, SummaryRevision

from .test_migration_chain import FIRST_SCHEMA_ROWS, GROUP_ROWS, _insert

AT = datetime(2026, 10, 1, 9, 0, tzinfo=timezone.utc)
LATER = datetime(2026, 10, 1, 9, 5, tzinfo=timezone.utc)
V1, V2 = "Pupils compare fractions.", "Pupils compare fractions with bar models."
CLASHED = "Pupils compare fractions on number lines."  # Tom's save from version 1: never in the plan
DISMISSED = "Pupils order fractions."  # resolved by keeping the saved text: not in the plan either
PUT_IN = V2  # resolved by putting it in: already in the history
SUMMARY_CLASH = "Bar models helped most of them."


def _plan_rows() -> dict:
    return {
        "research_lesson": [{"id": 1, "cycle_id": 1, "number": 1, "duration_minutes": 60, "class_name": "4B",
                             "room": "", "status": "planned", "details_version": 1, "created_at": AT}],
        "plan_field": [{"id": 1, "lesson_id": 1, "key": "aspect", "kind": "aspect", "text": V2, "version": 2,
                        "updated_at": AT, "updated_by_id": 2}],
        # (revisions without ids: PostgreSQL numbers them, as it did for a school)
        "plan_revision": [
            {"lesson_id": 1, "field_id": 1, "version": 1, "kind": "edit", "user_id": 2, "at": AT,
             "before": "", "after": V1},
            {"lesson_id": 1, "field_id": 1, "version": 2, "kind": "edit", "user_id": 2, "at": AT,
             "before": V1, "after": V2}],
        "plan_conflict": [
            {"id": 1, "lesson_id": 1, "field_id": 1, "user_id": 3, "reason": "conflict", "text": CLASHED,
             "base_version": 1, "created_at": LATER, "resolved_at": None},
            {"id": 2, "lesson_id": 1, "field_id": 1, "user_id": 2, "reason": "conflict", "text": DISMISSED,
             "base_version": 1, "created_at": LATER, "resolved_at": LATER},
            {"id": 3, "lesson_id": 1, "field_id": 1, "user_id": 2, "reason": "conflict", "text": PUT_IN,
             "base_version": 1, "created_at": AT, "resolved_at": LATER}],
        "plan_presence": [{"lesson_id": 1, "user_id": 2, "field_key": "aspect", "seen_at": LATER}],
        "cycle_summary": [{"id": 1, "cycle_id": 1, "created_at": AT}],
        "summary_field": [{"id": 1, "summary_id": 1, "key": "learning", "text": "Bar models helped.",
                           "version": 1, "updated_at": AT, "updated_by_id": 2}],
        "summary_revision": [{"summary_id": 1, "field_id": 1, "version": 1, "kind": "edit",
                              "user_id": 2, "at": AT, "before": "", "after": "Bar models helped."}],
        "summary_conflict": [{"id": 1, "summary_id": 1, "field_id": 1, "user_id": 3, "text": SUMMARY_CLASH,
                              "base_version": 0, "created_at": LATER, "resolved_at": None}],
        "summary_presence": [{"summary_id": 1, "user_id": 3, "field_key": "learning", "seen_at": LATER}],
    }


def _at(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def test_conflicts_become_kept_revisions_and_the_downgrade_brings_the_tables_back(make_app, empty_database_url):
    app = make_app(DATABASE_URL=empty_database_url)
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR, revision="0022")
        with db.engine.begin() as connection:
            _insert(connection, FIRST_SCHEMA_ROWS)
            _insert(connection, GROUP_ROWS)
            _insert(connection, _plan_rows())
        upgrade(directory=MIGRATIONS_DIR, revision="0023")

        tables = set(inspect(db.engine).get_table_names())
        assert not tables & {"plan_conflict", "plan_presence", "summary_conflict", "summary_presence"}
        assert "version" not in {c["name"] for c in inspect(db.engine).get_columns("plan_field")}
        assert db.session.scalar(select(PlanField.text)) == V2  # the plan's text is unchanged
        history = db.session.scalars(select(PlanRevision).order_by(PlanRevision.id)).all()
        assert [(r.kind, r.after) for r in history] == [("edit", V1), ("edit", V2), ("kept", CLASHED),
                                                         ("kept", DISMISSED)]
        clash, dismissed = history[2:]
        assert (clash.user.display_name, _at(clash.at), clash.before) == ("Tom Teacher", LATER, V1)
        assert dismissed.user.display_name == "Lena Lead"
        assert len({r.version for r in history}) == 4  # each a version of its own
        assert db.session.scalar(select(SummaryField.text)) == "Bar models helped."
        kept = db.session.scalar(select(SummaryRevision).where(SummaryRevision.kind == "kept"))
        assert (kept.after, kept.before, kept.user.display_name) == (SUMMARY_CLASH, "", "Tom Teacher")
        db.session.remove()

        downgrade(directory=MIGRATIONS_DIR, revision="0022")
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT text, version FROM plan_field")).one() == (V2, 4)
            assert connection.execute(text("SELECT user_id, text FROM plan_conflict WHERE resolved_at IS NULL "
                                           "ORDER BY id")).all() == [(3, CLASHED), (2, DISMISSED)]
            assert connection.execute(text("SELECT text FROM summary_conflict")).scalar_one() == SUMMARY_CLASH
            assert connection.execute(text("SELECT COUNT(*) FROM plan_presence")).scalar_one() == 0
        upgrade(directory=MIGRATIONS_DIR)  # and up again: the kept texts are not kept twice
        assert db.session.scalar(select(db.func.count()).select_from(PlanRevision)
                                 .where(PlanRevision.kind == "kept")) == 2
        db.session.remove()
