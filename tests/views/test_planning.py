"""The plan page as its editors see it: the whole-plan form without JavaScript, stage actions that keep
typed text, history (with the texts kept aside before co-editing) and restore, print, live events. The
co-editing itself is tested in tests/coedit/."""

import json
import re

import pytest

from lsweb import live
from lsweb.extensions import db
from lsweb.coedit import store
from lsweb.models import PlanField, PlanRevision, Role
from lsweb.planning import fields

from ..plans import planning_team

HX = {"HX-Request": "true"}


@pytest.fixture
def team(factories):
    store.clear_cache()
    return planning_team(factories)


def save(client, team, key, text):
    """What a browser without JavaScript sends for one box (the whole-plan form)."""
    return client.post(f"/lessons/{team.lesson.id}/plan", data={f"f:{key}": text})


def stored(team, key):
    db.session.rollback()
    field = db.session.scalar(db.select(PlanField).where(PlanField.lesson_id == team.lesson.id, PlanField.key == key))
    return field.text if field else None


def test_the_plan_page_shows_every_part(client, login, team):
    fields.save_field(team.ana, team.lesson, fields.prediction_key(team.stages[0].id, team.pupils[1].id),
                      "Explains with the bar model")
    login(team.ben)
    page = client.get(f"/lessons/{team.lesson.id}")
    assert page.status_code == 200
    assert "RL1: the plan and observation sheet" in page.text
    assert "How we expect Pupil B to respond" in page.text and "Explains with the bar model" in page.text
    assert 'data-coedit-box="aspect"' in page.text and 'data-coedit-stage-template' in page.text
    assert "Nobody watches" in page.text  # the coverage check
    assert f'sse-connect="/live/lesson-{team.lesson.id}"' in page.text
    assert 'name="v:' not in page.text and "conflict" not in page.text  # no per-box versions, no conflict panel


def test_the_old_per_box_endpoints_are_gone(client, login, team):
    login(team.ana)
    lesson = team.lesson.id
    assert client.post(f"/lessons/{lesson}/fields/aspect", data={"text": "x", "version": "0"}).status_code == 404
    assert client.get(f"/lessons/{lesson}/fields").status_code == 404
    assert client.post(f"/lessons/{lesson}/presence", data={"field": "aspect"}).status_code == 404
    assert client.post(f"/lessons/{lesson}/conflicts/1/use-mine", data={}).status_code == 404


def test_a_refused_whole_plan_post_keeps_what_was_typed_and_stores_nothing(client, login, team):
    login(team.ana)
    response = client.post(f"/lessons/{team.lesson.id}/plan", data={
        "f:aspect": "Fine text", "f:intentions": "y" * 6_000})
    assert response.status_code == 422
    assert "Nothing was saved" in response.text and "at most 5,000 characters" in response.text
    assert "y" * 6_000 in response.text and "Fine text" in response.text
    assert stored(team, "aspect") is None and stored(team, "intentions") is None


def test_stage_buttons_without_javascript_save_the_typed_text_first(client, login, team):
    first, second = team.stages
    key = fields.stage_key(second.id, "activity")
    login(team.ana)
    response = client.post(f"/lessons/{team.lesson.id}/stages/{second.id}/move/up",
                           data={f"f:{key}": "Typed before moving"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"#stage-{second.id}")
    assert stored(team, key) == "Typed before moving"
    db.session.refresh(team.lesson)
    assert [s.id for s in team.lesson.current_stages] == [second.id, first.id]
    htmx = client.post(f"/lessons/{team.lesson.id}/stages", headers=HX)
    assert htmx.status_code == 200 and "Stage 3" in htmx.text and "<html" not in htmx.text


def test_removing_a_stage_keeps_it_and_brings_it_back(client, login, team):
    login(team.ana)
    stage = team.stages[1]
    client.post(f"/lessons/{team.lesson.id}/stages/{stage.id}/remove")
    page = client.get(f"/lessons/{team.lesson.id}").text
    assert "data-coedit-removed-count>1</span>" in page and f'id="stage-{stage.id}"' not in page
    client.post(f"/lessons/{team.lesson.id}/stages/{stage.id}/restore")
    assert f'id="stage-{stage.id}"' in client.get(f"/lessons/{team.lesson.id}").text


def _revision(team, user, key, before, after, kind="edit", version=1):
    """A save from before the plan was a co-edited document (or, "kept", a text kept aside then)."""
    field = fields.fields_of(team.lesson)[key]
    db.session.add(PlanRevision(lesson_id=team.lesson.id, field_id=field.id, version=version, kind=kind,
                                user_id=user.id, before=before, after=after))
    db.session.commit()


def test_history_shows_the_saves_from_before_and_filters_by_person_and_field(client, login, team):
    fields.save_field(team.ben, team.lesson, "aspect", "Second words")
    fields.save_field(team.ben, team.lesson, "intentions", "Intentions")
    _revision(team, team.ana, "aspect", "", "First words")
    _revision(team, team.ben, "aspect", "First words", "Second words", version=2)
    _revision(team, team.ben, "intentions", "", "Intentions")
    login(team.lead)
    page = client.get(f"/lessons/{team.lesson.id}/history").text
    assert "Before live co-editing" in page and "version 2" in page
    only_ana = client.get(f"/lessons/{team.lesson.id}/history?person={team.ana.id}").text
    assert only_ana.count('class="panel revision"') == 1 and "First words" in only_ana
    aspect = client.get(f"/lessons/{team.lesson.id}/history?field=aspect").text
    assert "<del>First</del>" in aspect and "<ins>Second</ins>" in aspect
    assert "Intentions" not in aspect.split("Before live co-editing")[1]
    first = db.session.scalar(db.select(PlanRevision).where(PlanRevision.after == "First words"))
    response = client.post(f"/lessons/{team.lesson.id}/revisions/{first.id}/restore")
    assert response.status_code == 303
    assert stored(team, "aspect") == "First words"
    history = client.get(f"/lessons/{team.lesson.id}/history").text  # the restore is a new spell, first
    assert history.index("Lee Lead") < history.index("Before live co-editing")


def test_a_text_kept_aside_as_a_conflict_is_in_the_history_with_its_author_and_can_be_put_in(client, login, team):
    """Migration 0023 carried every text the old design kept aside (a save that met someone else's
    change) into the history as a "kept" revision: its author can read it and put it into the plan."""
    fields.save_field(team.ana, team.lesson, "aspect", "Fractions with bar models.")
    _revision(team, team.ben, "aspect", "Fractions.", "Fractions on number lines.", kind="kept", version=3)
    login(team.ben)
    page = client.get(f"/lessons/{team.lesson.id}/history").text
    kept = page.split("Before live co-editing")[1]
    assert "Ben Brook" in kept and "kept aside" in kept and "never in the plan" in kept
    assert "<ins>Fractions on number lines.</ins>" in kept and "version 3" not in kept
    revision = db.session.scalar(db.select(PlanRevision).where(PlanRevision.kind == "kept"))
    assert client.post(f"/lessons/{team.lesson.id}/revisions/{revision.id}/restore").status_code == 303
    assert stored(team, "aspect") == "Fractions on number lines."


def test_the_print_sheet_has_predicted_and_observed_columns_for_each_pupil(client, login, team):
    fields.save_field(team.ana, team.lesson, fields.prediction_key(team.stages[0].id, team.pupils[0].id),
                      "Folds into halves")
    login(team.ana)
    sheet = client.get(f"/lessons/{team.lesson.id}/print").text
    assert "css/sheet.css" in sheet and "Folds into halves" in sheet
    assert sheet.count(">Predicted<") == 3 and sheet.count(">Observed<") == 3
    assert "Patterns and critical incidents" in sheet


def test_a_save_is_published_to_the_lessons_live_stream(client, login, team, app):
    subscription = live.get_broker(app).subscribe(f"lesson-{team.lesson.id}")
    login(team.ana)
    save(client, team, "aspect", "Live words")
    message = subscription.get(timeout=1)
    if message.event == "resync":  # every stream opens with one
        message = subscription.get(timeout=1)
    assert message.event == "doc-update"  # the change, as an update of the plan's document
    assert json.loads(message.data)["doc"] == f"plan-{team.lesson.id}"


def test_members_start_lessons_from_the_cycle_page(client, login, team):
    login(team.ben)
    page = client.get(f"/groups/{team.group.id}/cycles/{team.cycle.number}").text
    assert "RL1: plan and observation sheet" in page and "Add RL2 with an empty plan" in page
    response = client.post(f"/groups/{team.group.id}/cycles/{team.cycle.number}/lessons")
    assert response.status_code == 303
    assert "RL2: the plan" in client.get(response.headers["Location"]).text


def test_the_cached_plan_shows_every_kind_of_change_at_once(client, login, team):
    """The structure is rendered once per change (the plan stamp): whatever changes what the page shows
    (a field, a case pupil of the cycle, a member's name, a stage) shows on the next view."""
    from lsweb.groups import cycles

    login(team.ana)
    url = f"/lessons/{team.lesson.id}"
    first = client.get(url).text
    assert "Pupil A" in first and "Ben Brook" in first
    before = team.lesson.plan_stamp
    fields.save_field(team.ben, team.lesson, "aspect", "Equivalence")
    assert "Equivalence" in client.get(url).text
    cycles.save_pupil(team.lead, team.cycle, team.pupils[0], "Pupil Z", "", "", "", False)
    assert "Pupil Z" in client.get(url).text
    team.ben.display_name = "Benedict Brook"
    db.session.commit()
    assert "Benedict Brook" in client.get(url).text
    db.session.refresh(team.lesson)
    assert team.lesson.plan_stamp > before


def test_viewing_the_plan_does_not_move_its_stamp(client, login, team):
    """The structure is cached under the stamp: reading (and signing in) must not bump it."""
    login(team.ana)
    url = f"/lessons/{team.lesson.id}"
    client.get(url)
    db.session.rollback()
    stamp = db.session.get(type(team.lesson), team.lesson.id).plan_stamp
    for _ in range(3):
        assert client.get(url).status_code == 200
    db.session.rollback()
    assert db.session.get(type(team.lesson), team.lesson.id).plan_stamp == stamp


def test_a_cached_plan_page_reads_two_rows_and_shows_the_groups_new_name(client, login, team, selects):
    """With the structure cached, the page needs who is signed in and one access query (which also reads
    the lesson's number, the cycle's number and the group's name): no ORM load of the lesson."""
    login(team.ana)
    url = f"/lessons/{team.lesson.id}"
    assert client.get(url).status_code == 200  # renders and caches the structure
    team.group.name = "Fractions, renamed"
    db.session.commit()
    with selects() as sent:
        page = client.get(url)
    assert page.status_code == 200
    assert "Fractions, renamed" in page.text and "Pupil A" in page.text
    assert len(sent) == 2, sent


def test_each_person_gets_their_own_page_and_its_form_token_works(app, client, login, team):
    """Each member sees their own page (their name and role in the layout, their session's form token);
    a new name, a new role's menu, a message after an action and a change of the plan show at once."""
    url = f"/lessons/{team.lesson.id}"
    login(team.ana)
    first = client.get(url).text
    again = client.get(url).text
    assert "Ana Alves" in again and "Ben Brook" in again  # her name in the layout, his among the members
    token = re.search(r'name="csrf_token" value="([^"]+)"', again)[1]

    ben = app.test_client()
    login(team.ben, the_client=ben)
    his = ben.get(url).text
    assert '<span class="who">Ben Brook</span>' in his and '<span class="who">Ana Alves</span>' in first

    team.ana.display_name = "Ana Alves-Reed"
    db.session.commit()
    assert '<span class="who">Ana Alves-Reed</span>' in client.get(url).text
    assert ">Audit log</a>" not in client.get(url).text
    team.ana.role = Role.SCHOOL_ADMIN  # the layout's menu follows her role
    db.session.commit()
    assert ">Audit log</a>" in client.get(url).text

    # The token of a page served again is accepted; the action's message shows on the next view.
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        added = client.post(f"{url}/stages", data={"csrf_token": token})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert added.status_code == 303
    after = client.get(url).text
    assert "A stage is added at the end." in after and 'id="stage-' in after
    assert "A stage is added at the end." not in client.get(url).text  # shown once

    save(client, team, "aspect", "Fractions of shapes")  # a change of the document shows at once
    assert "Fractions of shapes" in client.get(url).text
