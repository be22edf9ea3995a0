"""Planning meetings are logged automatically: whoever saves part of a lesson's plan on a day gets one
planning entry for that lesson and day, however many saves they make."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from lsweb.extensions import db
from lsweb.lessonday import ledger
from lsweb.models import TimeEntry, TimeKind
from lsweb.planning import fields, lessons

from ..plans import planning_team

MONDAY = datetime(2026, 3, 9, 15, 30, tzinfo=UTC)
TUESDAY = datetime(2026, 3, 10, 15, 30, tzinfo=UTC)


@pytest.fixture
def team(factories):
    return planning_team(factories)


def planning_entries(user=None):
    query = db.select(TimeEntry).where(TimeEntry.kind == TimeKind.PLANNING).order_by(TimeEntry.id)
    if user is not None:
        query = query.where(TimeEntry.user_id == user.id)
    return list(db.session.scalars(query))


def test_one_planning_entry_per_member_lesson_and_day(team):
    stage = team.stages[0]
    key = fields.stage_key(stage.id, "activity")
    fields.save_field(team.ana, team.lesson, key, "Fold strips.", 0, now=MONDAY)
    fields.save_field(team.ana, team.lesson, key, "Fold strips into halves.", 1, now=MONDAY)
    fields.save_field(team.ana, team.lesson, fields.stage_key(stage.id, "time"), "10 min", 0, now=MONDAY)
    fields.save_field(team.ben, team.lesson, key, "Fold strips into quarters.", 2, now=MONDAY)
    fields.save_field(team.ana, team.lesson, key, "Fold strips into eighths.", 3, now=TUESDAY)

    ana = planning_entries(team.ana)
    assert [(e.on, e.minutes, e.lesson_id) for e in ana] == [
        (date(2026, 3, 9), ledger.PLANNING_MINUTES, team.lesson.id),
        (date(2026, 3, 10), ledger.PLANNING_MINUTES, team.lesson.id)]
    assert [e.on for e in planning_entries(team.ben)] == [date(2026, 3, 9)]
    assert "RL1" in ana[0].note
    assert ledger.usage(team.ana, date(2026, 3, 10)).used == 2 * ledger.PLANNING_MINUTES


def test_another_lesson_planned_the_same_day_is_another_entry(team):
    rl2 = lessons.create_lesson(team.lead, team.cycle)
    fields.save_field(team.ana, team.lesson, "aspect", "Equivalence", 0, now=MONDAY)
    fields.save_field(team.ana, rl2, "aspect", "Equivalence again", 0, now=MONDAY)
    assert sorted(e.lesson_id for e in planning_entries(team.ana)) == sorted([team.lesson.id, rl2.id])


def test_a_save_that_stores_nothing_logs_no_time(team):
    fields.save_field(team.ana, team.lesson, "aspect", "", 0, now=MONDAY)  # unchanged: empty as before
    assert planning_entries() == []
    fields.save_field(team.ana, team.lesson, "aspect", "Equivalence", 0, now=MONDAY)
    fields.save_field(team.ben, team.lesson, "aspect", "Something else entirely", 0, now=MONDAY)  # conflict
    assert [e.user_id for e in planning_entries()] == [team.ana.id]


def test_saving_the_whole_plan_form_logs_planning_time_once(team, client, login):
    login(team.ben)
    key = fields.stage_key(team.stages[0].id, "activity")
    response = client.post(f"/lessons/{team.lesson.id}/plan", data={f"f:{key}": "Fold strips.", f"v:{key}": "0",
                                                                    "f:aspect": "Equivalence", "v:aspect": "0"})
    assert response.status_code in (200, 303)
    assert len(planning_entries(team.ben)) == 1
