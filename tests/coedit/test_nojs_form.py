"""The plan without JavaScript: one form; its post goes into the document against the version the form
was rendered from, so what others typed meanwhile is kept."""

from __future__ import annotations

import re

from lsweb.coedit import store
from lsweb.extensions import db
from lsweb.models import PlanField, PlanStage

from ..plans import planning_team
from .helpers import Replica, signed_in_client

SEQ = re.compile(r'name="rendered_seq" value="(\d+)"')



def _text(lesson, key):
    db.session.expire_all()
    return db.session.scalar(db.select(PlanField.text).where(PlanField.lesson_id == lesson.id, PlanField.key == key))


def test_form_post_merges_with_what_others_typed_meanwhile(app, login, factories):
    store.clear_cache()
    team = planning_team(factories)
    ben = Replica(signed_in_client(app, login, team.ben), f"plan-{team.lesson.id}")
    ben.sync()
    assert ben.edit(lambda r: r.text("aspect").insert(0, "Comparing fractions."))[0] == 200
    ana = signed_in_client(app, login, team.ana)
    page = ana.get(f"/lessons/{team.lesson.id}").get_data(as_text=True)
    rendered = SEQ.search(page)[1]
    assert 'data-coedit-doc="plan-%d"' % team.lesson.id in page
    # while Ana's form is open, Ben adds a sentence at the start
    assert ben.edit(lambda r: r.text("aspect").insert(0, "Equivalence first. "))[0] == 200
    answer = ana.post(f"/lessons/{team.lesson.id}/plan", data={
        "f:aspect": "Comparing fractions. With number lines.", "rendered_seq": rendered})
    assert answer.status_code == 303
    assert _text(team.lesson, "aspect") == "Equivalence first. Comparing fractions. With number lines."


def test_form_post_over_the_limit_saves_nothing(app, login, factories):
    store.clear_cache()
    team = planning_team(factories)
    ana = signed_in_client(app, login, team.ana)
    answer = ana.post(f"/lessons/{team.lesson.id}/plan", data={"f:criteria": "fine", "f:aspect": "x" * 5001,
                                                               "rendered_seq": "0"})
    assert answer.status_code == 422
    assert "5,000" in answer.get_data(as_text=True)
    assert _text(team.lesson, "criteria") is None


def test_stage_actions_without_javascript_go_through_the_document(app, login, factories):
    store.clear_cache()
    team = planning_team(factories)
    ana = signed_in_client(app, login, team.ana)
    first = team.stages[0]
    assert ana.post(f"/lessons/{team.lesson.id}/stages", data={}).status_code == 303
    db.session.expire_all()
    stages = db.session.scalars(db.select(PlanStage).where(PlanStage.lesson_id == team.lesson.id,
                                                           PlanStage.removed_at.is_(None))
                                .order_by(PlanStage.position)).all()
    assert len(stages) == len(team.stages) + 1
    assert ana.post(f"/lessons/{team.lesson.id}/stages/{first.id}/move/down", data={}).status_code == 303
    db.session.expire_all()
    assert db.session.get(PlanStage, first.id).position == 2
    assert ana.post(f"/lessons/{team.lesson.id}/stages/{first.id}/remove", data={}).status_code == 303
    db.session.expire_all()
    assert db.session.get(PlanStage, first.id).removed_at is not None
    page = Replica(ana, f"plan-{team.lesson.id}")
    page.sync()
    assert page.stages()[f"s{first.id}"]["removed"] is True


def test_history_groups_a_spell_and_restore_is_a_new_change(app, login, factories):
    from lsweb.models import CoeditSpell

    store.clear_cache()
    team = planning_team(factories)
    ana_client = signed_in_client(app, login, team.ana)
    ana = Replica(ana_client, f"plan-{team.lesson.id}")
    ana.sync()
    for word in ("Place ", "value ", "first"):
        assert ana.edit(lambda r, word=word: r.text("aspect").insert(len(str(r.text("aspect")).encode()), word))[0] == 200
    ben = Replica(signed_in_client(app, login, team.ben), ana.name)
    ben.sync()
    assert ben.edit(lambda r: r.text("aspect").insert(0, "Ben: "))[0] == 200
    spells = db.session.scalars(db.select(CoeditSpell).where(CoeditSpell.doc == ana.name,
                                                             CoeditSpell.part == "aspect")
                                .order_by(CoeditSpell.id)).all()
    assert [(s.user_id, s.before, s.after) for s in spells] == [
        (team.ana.id, "", "Place value first"), (team.ben.id, "Place value first", "Ben: Place value first")]
    page = ana_client.get(f"/lessons/{team.lesson.id}/history?person={team.ben.id}").get_data(as_text=True)
    assert "Ben Brook" in page and "Ana Alves" not in page.split("revisions")[-1]
    assert ana_client.post(f"/lessons/{team.lesson.id}/history/{spells[0].id}/restore").status_code == 303
    assert _text(team.lesson, "aspect") == "Place value first"
    ben.sync()
    assert str(ben.text("aspect")) == "Place value first"
