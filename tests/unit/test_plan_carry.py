"""Carrying a plan forward ("Start RL2 from RL1"), what changed since, observers and their coverage."""

import pytest

from lsweb.errors import DomainError
from lsweb.models import CycleStatus
from lsweb.groups import cycles
from lsweb.planning import carry, fields, lessons, observers

from ..plans import planning_team


@pytest.fixture
def team(factories):
    return planning_team(factories)


def test_carry_forward_copies_stages_texts_and_observers_and_shows_what_changed(team):
    rl1, (s1, s2) = team.lesson, team.stages
    pupil = team.pupils[0]
    fields.save_field(team.ana, rl1, "aspect", "Equivalent fractions")
    fields.save_field(team.ana, rl1, fields.stage_key(s1.id, "activity"), "Fold strips")
    fields.save_field(team.ben, rl1, fields.prediction_key(s2.id, pupil.id), "Needs the wall")
    observers.set_watcher(team.lead, rl1, pupil, None, team.ana.id)
    rl2 = carry.carry_forward(team.ben, rl1)
    assert rl2.number == 2 and rl2.started_from_id == rl1.id
    n1, n2 = rl2.current_stages
    assert (n1.copied_from_id, n2.copied_from_id) == (s1.id, s2.id)
    copied = fields.fields_of(rl2)
    assert copied["aspect"].text == "Equivalent fractions"
    assert copied[fields.stage_key(n1.id, "activity")].text == "Fold strips"
    assert copied[fields.prediction_key(n2.id, pupil.id)].text == "Needs the wall"
    assert [r.kind for r in fields.history(rl2)] == ["carry"] * 3
    assert observers.coverage(rl2).watcher[(pupil.id, n1.id)].id == team.ana.id
    assert carry.changes_from_previous(rl2) == []
    fields.save_field(team.ana, rl2, fields.stage_key(n1.id, "activity"), "Fold strips and number lines")
    [change] = carry.changes_from_previous(rl2)
    assert change.label == "Stage 1 · Teaching activity or key question"
    assert "<ins>and number lines</ins>" in str(change.diff).replace("<ins> ", " <ins>")
    # RL1 is untouched by edits to RL2
    assert fields.fields_of(rl1)[fields.stage_key(s1.id, "activity")].text == "Fold strips"


def test_removed_stages_stay_behind(team):
    lessons.remove_stage(team.lead, team.stages[1])
    rl2 = carry.carry_forward(team.lead, team.lesson)
    assert len(rl2.current_stages) == 1


def test_coverage_warns_about_pupils_and_stages_nobody_watches(team):
    lesson, (s1, s2) = team.lesson, team.stages
    a, b, c = team.pupils
    cover = observers.coverage(lesson)
    assert not cover.complete and cover.pupils_without == [a, b, c] and cover.stages_without == [s1, s2]
    observers.set_watcher(team.lead, lesson, a, None, team.ana.id)
    observers.set_watcher(team.lead, lesson, b, None, team.ben.id)
    observers.set_watcher(team.lead, lesson, c, s1, team.ben.id)
    cover = observers.coverage(lesson)
    assert cover.pupils_without == [] and cover.stages_without == []
    assert cover.uncovered == [(c, s2)]
    observers.set_watcher(team.lead, lesson, c, None, team.lead.id)
    assert observers.coverage(lesson).complete
    cover = observers.coverage(lesson)
    assert [p for p in (a, b, c) if any(cover.watcher[(p.id, s.id)] == team.ben for s in (s1, s2))] == [b, c]
    with pytest.raises(DomainError, match="member of the group"):
        observers.set_watcher(team.lead, lesson, a, None, 999_999)


def test_no_lessons_in_a_closed_cycle(team):
    for status in (CycleStatus.TEACHING, CycleStatus.DISCUSSING, CycleStatus.SHARING, CycleStatus.CLOSED):
        cycles.move_cycle(team.lead, team.cycle, status)
    with pytest.raises(DomainError, match="closed"):
        lessons.create_lesson(team.lead, team.cycle)
    with pytest.raises(DomainError, match="closed"):
        fields.save_field(team.ana, team.lesson, "aspect", "late")


def test_details_are_refused_when_based_on_older_details(team):
    details = lessons.LessonDetails(date=None, start_time=None, duration_minutes=50, class_name="4B", room="12",
                                    teacher_id=team.ana.id)
    lessons.update_details(team.lead, team.lesson, details, 1)
    assert team.lesson.teacher_id == team.ana.id and team.lesson.details_version == 2
    with pytest.raises(DomainError, match="changed these details"):
        lessons.update_details(team.ben, team.lesson, details, 1)
