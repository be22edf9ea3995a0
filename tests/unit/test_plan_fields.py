"""A plan's text boxes: put into the plan's co-edited document from the server's side (what the demo and
the whole-plan form do), the old revisions append-only, limits, who may save, stages."""

import pytest
from sqlalchemy import text

from lsweb.coedit import store
from lsweb.errors import DomainError, NotAllowed
from lsweb.extensions import db
from lsweb.groups import services as groups
from lsweb.models import GroupRole, PlanRevision, Role
from lsweb.planning import carry, fields, lessons

from ..plans import planning_team

BASE = "Pupils fold paper strips into halves."


@pytest.fixture
def team(factories):
    store.clear_cache()
    return planning_team(factories)


def key_of(team, part="activity", stage=0):
    return fields.stage_key(team.stages[stage].id, part)


def stored(team) -> dict[str, str]:
    db.session.expire_all()
    return {key: field.text for key, field in fields.fields_of(team.lesson).items()}


def test_a_stale_save_goes_into_the_document_and_loses_nothing_typed_meanwhile(team):
    key = key_of(team)
    assert fields.save_field(team.ana, team.lesson, key, BASE).text == BASE
    seen = store.last_seq(f"plan-{team.lesson.id}")  # what Ben's page showed
    fields.save_field(team.ana, team.lesson, key, "Most " + BASE[0].lower() + BASE[1:])
    fields.save_texts(team.ben, team.lesson, {key: BASE.replace("halves", "halves and quarters")}, seen)
    assert stored(team)[key] == "Most pupils fold paper strips into halves and quarters."
    assert db.session.scalar(db.select(db.func.count()).select_from(PlanRevision)) == 0  # spells, not revisions


def test_a_box_of_a_removed_stage_keeps_its_text(team):
    key = key_of(team, stage=1)
    fields.save_field(team.ana, team.lesson, key, BASE)
    lessons.remove_stage(team.lead, team.stages[1])
    assert stored(team)[key] == BASE


def test_revisions_are_append_only_in_the_database(team):
    fields.save_field(team.ana, team.lesson, key_of(team), BASE)
    carry.carry_forward(team.ana, team.lesson)  # the copy's boxes start with a revision each
    for statement in ("UPDATE plan_revision SET after = 'changed'", "DELETE FROM plan_revision"):
        with pytest.raises(Exception, match="append-only"):
            with db.engine.begin() as connection:
                connection.execute(text(statement))
    assert db.session.scalar(db.select(PlanRevision.after).where(PlanRevision.kind == "carry")) == BASE


def test_limits_and_unknown_fields(team):
    with pytest.raises(DomainError, match="at most 5,000 characters") as error:
        fields.save_field(team.ana, team.lesson, "aspect", "x" * 5_001)
    assert error.value.field == "aspect"
    with pytest.raises(DomainError, match="at most 200"):
        fields.save_field(team.ana, team.lesson, key_of(team, "time"), "9" * 201)
    for key in ("nonsense", "stage-999999-activity", f"prediction-{team.stages[0].id}-999999"):
        with pytest.raises(fields.FieldNotFound):
            fields.save_field(team.ana, team.lesson, key, "text")
    with pytest.raises(fields.TextRefused):  # all or none
        fields.save_texts(team.ana, team.lesson, {"criteria": "fine", "aspect": "x" * 5_001})
    assert stored(team) == {}


def test_only_members_who_signed_may_save_and_a_newcomer_does_not_stop_them(team, factories):
    outsider = factories.user(team.school, Role.TEACHER)
    with pytest.raises(NotAllowed):
        fields.save_field(outsider, team.lesson, "aspect", "text")
    late = factories.user(team.school, Role.TEACHER, name="Lara Late")
    groups.add_member(team.lead, team.group, late.email, GroupRole.MEMBER)
    with pytest.raises(NotAllowed):
        fields.save_field(late, team.lesson, "aspect", "text")
    fields.save_field(team.ana, team.lesson, "aspect", "text")  # the gate stops teaching, not planning
    assert stored(team)["aspect"] == "text"


def test_stages_move_add_and_keep_their_text(team):
    a, b = team.stages
    fields.save_field(team.ana, team.lesson, fields.stage_key(b.id, "activity"), "Second")
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
