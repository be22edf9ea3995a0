"""Saving plan fields: version bumps, merges, conflicts, removed stages, restore, limits, who may save."""

import pytest
from sqlalchemy import text

from lsweb.errors import DomainError, NotAllowed
from lsweb.extensions import db
from lsweb.groups import services as groups
from lsweb.models import GroupRole, PlanConflict, PlanRevision, Role
from lsweb.planning import fields, lessons

from ..plans import planning_team

BASE = "Pupils fold paper strips into halves."


@pytest.fixture
def team(factories):
    return planning_team(factories)


def key_of(team, part="activity", stage=0):
    return fields.stage_key(team.stages[stage].id, part)


def test_a_save_on_the_current_version_bumps_it_and_records_a_revision(team):
    key = key_of(team)
    first = fields.save_field(team.ana, team.lesson, key, BASE, 0)
    assert (first.status, first.version, first.text) == ("saved", 1, BASE)
    second = fields.save_field(team.ben, team.lesson, key, BASE + " Then quarters.", 1)
    assert (second.status, second.version) == ("saved", 2)
    revisions = fields.history(team.lesson)
    assert [(r.version, r.user.display_name, r.before, r.after) for r in revisions] == [
        (2, "Ben Brook", BASE, BASE + " Then quarters."), (1, "Ana Alves", "", BASE)]


def test_saving_the_same_text_again_changes_nothing(team):
    key = key_of(team)
    fields.save_field(team.ana, team.lesson, key, BASE, 0)
    again = fields.save_field(team.ana, team.lesson, key, BASE, 1)
    assert (again.status, again.version) == ("unchanged", 1)
    assert len(fields.history(team.lesson)) == 1


def test_a_stale_save_in_another_place_is_merged_and_returned_to_its_author(team):
    key = key_of(team)
    fields.save_field(team.ana, team.lesson, key, BASE, 0)
    fields.save_field(team.ana, team.lesson, key, "Most " + BASE[0].lower() + BASE[1:], 1)
    result = fields.save_field(team.ben, team.lesson, key, BASE.replace("halves", "halves and quarters"), 1)
    assert result.status == "merged" and result.version == 3
    assert result.text == "Most pupils fold paper strips into halves and quarters."
    assert fields.history(team.lesson)[0].kind == "merge"


def test_an_unclean_merge_keeps_both_texts_as_a_conflict_for_its_author(team):
    key = key_of(team)
    fields.save_field(team.ana, team.lesson, key, BASE, 0)
    fields.save_field(team.ana, team.lesson, key, BASE.replace("paper strips", "fraction walls"), 1)
    result = fields.save_field(team.ben, team.lesson, key, BASE.replace("paper strips", "number lines"), 1)
    assert result.status == "conflict" and result.version == 2
    assert result.text == BASE.replace("paper strips", "fraction walls")  # the field is not overwritten
    [conflict] = fields.open_conflicts(team.lesson, team.ben)
    assert conflict.text == BASE.replace("paper strips", "number lines") and conflict.reason == "conflict"
    assert fields.open_conflicts(team.lesson, team.ana) == []
    # Ben combines both and saves on the current version: the conflict is resolved.
    combined = BASE.replace("paper strips", "fraction walls and number lines")
    assert fields.save_field(team.ben, team.lesson, key, combined, 2).status == "saved"
    assert fields.open_conflicts(team.lesson, team.ben) == []
    assert db.session.get(PlanConflict, conflict.id).text == conflict.text  # the record stays


def test_a_save_for_a_stage_removed_meanwhile_keeps_the_text_and_offers_it_back(team):
    key = key_of(team, stage=1)
    fields.save_field(team.ana, team.lesson, key, BASE, 0)
    lessons.remove_stage(team.lead, team.stages[1])
    result = fields.save_field(team.ana, team.lesson, key, BASE + " Ana's late words.", 1)
    assert result.status == "removed"
    [kept] = fields.open_conflicts(team.lesson, team.ana)
    assert kept.reason == "removed" and kept.text.endswith("Ana's late words.")
    lessons.restore_stage(team.ana, team.stages[1])
    assert fields.save_field(team.ana, team.lesson, key, kept.text, 1).status == "saved"


def test_restore_writes_a_new_revision_with_the_earlier_text(team):
    key = key_of(team)
    fields.save_field(team.ana, team.lesson, key, BASE, 0)
    fields.save_field(team.ben, team.lesson, key, "Something else entirely.", 1)
    first = [r for r in fields.history(team.lesson) if r.version == 1][0]
    restored = fields.restore_revision(team.lead, team.lesson, first)
    assert (restored.version, restored.kind, restored.after) == (3, "restore", BASE)
    assert fields.fields_of(team.lesson)[key].text == BASE
    assert len(fields.history(team.lesson)) == 3


def test_revisions_are_append_only_in_the_database(team):
    fields.save_field(team.ana, team.lesson, key_of(team), BASE, 0)
    for statement in ("UPDATE plan_revision SET after = 'changed'", "DELETE FROM plan_revision"):
        with pytest.raises(Exception, match="append-only"):
            with db.engine.begin() as connection:
                connection.execute(text(statement))
    assert db.session.scalar(db.select(PlanRevision.after)) == BASE


def test_limits_and_unknown_fields(team):
    with pytest.raises(DomainError, match="at most 5,000 characters") as error:
        fields.save_field(team.ana, team.lesson, "aspect", "x" * 5_001, 0)
    assert error.value.field == "aspect"
    with pytest.raises(DomainError, match="at most 200"):
        fields.save_field(team.ana, team.lesson, key_of(team, "time"), "9" * 201, 0)
    for key in ("nonsense", "stage-999999-activity", f"prediction-{team.stages[0].id}-999999"):
        with pytest.raises(fields.FieldNotFound):
            fields.save_field(team.ana, team.lesson, key, "text", 0)
    with pytest.raises(DomainError, match="out of date"):
        fields.save_field(team.ana, team.lesson, "aspect", "text", 7)
    db.session.rollback()  # as every view does after a refusal: nothing is half-written
    assert fields.state(team.lesson) == {}


def test_only_members_who_signed_may_save_and_a_newcomer_does_not_stop_them(team, factories):
    outsider = factories.user(team.school, Role.TEACHER)
    with pytest.raises(NotAllowed):
        fields.save_field(outsider, team.lesson, "aspect", "text", 0)
    late = factories.user(team.school, Role.TEACHER, name="Lara Late")
    groups.add_member(team.lead, team.group, late.email, GroupRole.MEMBER)
    with pytest.raises(NotAllowed):
        fields.save_field(late, team.lesson, "aspect", "text", 0)
    fields.save_field(team.ana, team.lesson, "aspect", "text", 0)  # the gate stops teaching, not planning
    assert fields.state(team.lesson)["aspect"]["text"] == "text"


def test_stages_move_add_and_keep_their_text(team):
    a, b = team.stages
    fields.save_field(team.ana, team.lesson, fields.stage_key(b.id, "activity"), "Second", 0)
    lessons.move_stage(team.lead, b, "up")
    assert [s.id for s in team.lesson.current_stages] == [b.id, a.id]
    assert [s.position for s in team.lesson.current_stages] == [1, 2]
    assert fields.fields_of(team.lesson)[fields.stage_key(b.id, "activity")].text == "Second"
    with pytest.raises(DomainError, match="at least one stage"):
        lessons.remove_stage(team.lead, a) or lessons.remove_stage(team.lead, b)
    for _ in range(lessons.MAX_STAGES - 1):
        lessons.add_stage(team.lead, team.lesson)
    with pytest.raises(DomainError, match="at most 40 stages"):
        lessons.add_stage(team.lead, team.lesson)
