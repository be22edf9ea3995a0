"""The co-editing endpoints as a page uses them: sync, update, limits, who may write, the derived text."""

from __future__ import annotations

from lsweb.coedit import store
from lsweb.extensions import db
from lsweb.models import CoeditUpdate, PlanField, PlanStage, ResearchLesson, SummaryField
from lsweb.models.base import utcnow
from pycrdt import Map, Text

from ..plans import planning_team
from .helpers import Replica, fresh_team, signed_in_client




def _updates(name: str) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(CoeditUpdate).where(CoeditUpdate.doc == name))


def test_an_update_is_stored_derived_and_seen_by_another_page(app, client, login, factories):
    team = fresh_team(factories)
    login(team.ana)
    name = f"plan-{team.lesson.id}"
    ana = Replica(client, name)
    body = ana.sync()
    assert body["seq"] == 0
    status, answer = ana.edit(lambda r: r.text("aspect").insert(0, "Place value"))
    assert status == 200 and answer["seq"] >= 1
    db.session.expire_all()
    field = db.session.scalar(db.select(PlanField).where(PlanField.lesson_id == team.lesson.id,
                                                         PlanField.key == "aspect"))
    assert field.text == "Place value"
    other = Replica(client, name)
    other.sync()
    assert str(other.text("aspect")) == "Place value"


def test_each_keystroke_reaches_the_derived_text_the_cached_plan_page_and_its_stamp(app, client, login,
                                                                                   factories):
    """A keystroke into a box that has a row is written in plain SQL (coedit/boxes.py): the row, who wrote
    it and when, the plan page (whose structure is cached under the plan stamp) and the stamp all move."""
    team = fresh_team(factories)
    login(team.ana)
    name, url = f"plan-{team.lesson.id}", f"/lessons/{team.lesson.id}"
    ana = Replica(client, name)
    ana.sync()
    assert ana.edit(lambda r: r.text("criteria").insert(0, "Can name"))[0] == 200
    assert "Can name" in client.get(url).text
    db.session.rollback()
    stamp = db.session.get(ResearchLesson, team.lesson.id).plan_stamp
    for letter in " it":
        assert ana.edit(lambda r, letter=letter: r.text("criteria").insert(len(str(r.text("criteria"))), letter))[0] == 200
        page = client.get(url).text
    assert "Can name it" in page
    db.session.rollback()
    assert db.session.get(ResearchLesson, team.lesson.id).plan_stamp == stamp + 3
    field = db.session.scalar(db.select(PlanField).where(PlanField.lesson_id == team.lesson.id,
                                                         PlanField.key == "criteria"))
    assert (field.text, field.updated_by_id) == ("Can name it", team.ana.id)
    assert field.updated_at is not None and field.updated_at.tzinfo is not None


def test_stage_added_in_the_document_gets_a_row_and_its_text(app, client, login, factories):
    team = fresh_team(factories)
    login(team.ben)
    page = Replica(client, f"plan-{team.lesson.id}")
    page.sync()

    def add(r):
        r.stages()["k1"] = Map({"pos": 9.0, "removed": False, "time": Text("5 min"), "activity": Text("Starter"),
                                "resources": Text(""), "predictions": Map({str(p.id): Text("") for p in team.pupils})})
    assert page.edit(add)[0] == 200
    db.session.expire_all()
    row = db.session.scalar(db.select(PlanStage).where(PlanStage.lesson_id == team.lesson.id, PlanStage.key == "k1"))
    assert row is not None and row.removed_at is None and row.position == len(team.stages) + 1
    text = db.session.scalar(db.select(PlanField.text).where(PlanField.key == f"stage-{row.id}-activity"))
    assert text == "Starter"
    assert page.edit(lambda r: r.stages()["k1"].__setitem__("removed", True))[0] == 200
    db.session.expire_all()
    assert db.session.get(PlanStage, row.id).removed_at is not None


def test_outsider_and_unsigned_member_and_another_lessons_doc_are_refused_and_nothing_stored(
        app, client, login, factories):
    team = fresh_team(factories)
    name = f"plan-{team.lesson.id}"
    login(team.ana)
    Replica(client, name).sync()
    outsider = factories.user(team.school, name="Olga Outsider")
    client = signed_in_client(app, login, outsider)
    page = Replica(client, name)
    assert client.post(f"/coedit/{name}/sync", json={"sv": "AA=="}).status_code == 404
    assert page.edit(lambda r: r.doc.get("texts", type=Map).__setitem__("aspect", Text("x")))[0] == 404
    other_team = planning_team(factories)
    assert Replica(signed_in_client(app, login, other_team.ana), name).send(b"\x00\x00")[0] == 404
    assert _updates(name) == 0


def test_over_limit_update_is_refused_whole(app, client, login, factories):
    team = fresh_team(factories)
    login(team.ana)
    page = Replica(client, f"plan-{team.lesson.id}")
    page.sync()

    def two_boxes(r):
        r.text("criteria").insert(0, "short")
        r.text("aspect").insert(0, "x" * 5001)
    status, body = page.edit(two_boxes)
    assert status == 422 and body["box"] == "aspect" and "5,000" in body["error"]
    assert _updates(page.name) == 0
    db.session.expire_all()
    assert db.session.scalar(db.select(PlanField).where(PlanField.key == "criteria",
                                                        PlanField.lesson_id == team.lesson.id)) is None
    fresh = Replica(client, page.name)
    fresh.sync()
    assert str(fresh.text("criteria")) == ""
    # the next update carries everything the server lacks; shortened, it goes through
    page.text("aspect").__delitem__(slice(0, 10))
    status, _ = page.send(page.doc.get_update(fresh.doc.get_state()))
    assert status == 200
    fresh.sync()
    assert str(fresh.text("criteria")) == "short" and len(str(fresh.text("aspect"))) == 4991


def test_a_client_id_belongs_to_its_first_user(app, client, login, factories):
    team = fresh_team(factories)
    name = f"plan-{team.lesson.id}"
    login(team.ana)
    ana = Replica(client, name, client_id=4242)
    ana.sync()
    assert ana.edit(lambda r: r.text("aspect").insert(0, "A"))[0] == 200
    ben = Replica(signed_in_client(app, login, team.ben), name, client_id=4242)
    ben.sync()
    assert ben.edit(lambda r: r.text("aspect").insert(1, "B"))[0] == 403


def test_a_taught_lesson_is_locked(app, client, login, factories):
    from lsweb.models import LessonStatus

    team = fresh_team(factories)
    lesson = db.session.get(ResearchLesson, team.lesson.id)
    lesson.status = LessonStatus.TAUGHT
    db.session.commit()
    login(team.ana)
    page = Replica(client, f"plan-{team.lesson.id}")
    page.sync()
    assert page.edit(lambda r: r.text("aspect").insert(0, "late"))[0] == 423


def test_details_and_observers_are_validated_and_derived(app, client, login, factories):
    team = fresh_team(factories)
    login(team.ana)
    page = Replica(client, f"plan-{team.lesson.id}")
    page.sync()
    details = page.doc.get("details", type=Map)
    assert page.edit(lambda r: details.__setitem__("room", "B12"))[0] == 200
    assert page.edit(lambda r: details.__setitem__("date", "2026-13-40"))[0] == 422
    page = Replica(client, page.name)
    page.sync()
    details = page.doc.get("details", type=Map)
    assert page.edit(lambda r: details.__setitem__("teacher_id", team.ben.id))[0] == 200
    pupil = str(team.pupils[0].id)
    assert page.edit(lambda r: r.doc.get("observers", type=Map).__setitem__(pupil, team.lead.id))[0] == 200
    db.session.expire_all()
    lesson = db.session.get(ResearchLesson, team.lesson.id)
    assert (lesson.room, lesson.teacher_id) == ("B12", team.ben.id)
    from lsweb.models import ObserverAssignment
    assert db.session.scalar(db.select(ObserverAssignment.observer_id).where(
        ObserverAssignment.lesson_id == lesson.id, ObserverAssignment.pupil_id == int(pupil))) == team.lead.id


def test_summary_document_writes_the_summary_text(app, client, login, factories):
    team = fresh_team(factories)
    login(team.ana)
    page = Replica(client, f"summary-{team.cycle.id}")
    page.sync()
    assert page.edit(lambda r: r.text("learning").insert(0, "They compare fractions"))[0] == 200
    db.session.expire_all()
    assert db.session.scalar(db.select(SummaryField.text).where(SummaryField.key == "learning")) == \
        "They compare fractions"


def test_a_second_process_sees_updates_it_did_not_store(app, client, login, factories):
    team = fresh_team(factories)
    login(team.ana)
    a = Replica(client, f"plan-{team.lesson.id}")
    a.sync()
    assert a.edit(lambda r: r.text("aspect").insert(0, "one "))[0] == 200
    # another process appends an update behind this process's cache
    other = Replica(client, a.name)
    other.sync()
    before = other.doc.get_state()
    other.text("aspect").insert(4, "two")
    seq = db.session.scalar(db.select(db.func.max(CoeditUpdate.seq)).where(CoeditUpdate.doc == a.name))
    db.session.add(CoeditUpdate(doc=a.name, seq=seq + 1, data=other.doc.get_update(before), user_id=team.ben.id,
                                client_id=other.doc.client_id, created_at=utcnow()))
    db.session.commit()
    fresh = Replica(client, a.name)
    fresh.sync()
    assert str(fresh.text("aspect")) == "one two"


def test_snapshots_compact_the_log_and_loading_stays_exact(app, client, login, factories, monkeypatch):
    monkeypatch.setattr(store, "SNAPSHOT_EVERY", 5)
    team = fresh_team(factories)
    login(team.ana)
    page = Replica(client, f"plan-{team.lesson.id}")
    page.sync()
    for i in range(23):
        assert page.edit(lambda r, i=i: r.text("aspect").insert(len(str(r.text("aspect"))), str(i % 10)))[0] == 200
    store.clear_cache()
    fresh = Replica(client, page.name)
    fresh.sync()
    assert str(fresh.text("aspect")) == "".join(str(i % 10) for i in range(23))
    assert _updates(page.name) < 23


def test_a_member_who_has_not_signed_is_refused(app, client, login, factories):
    from lsweb.groups import services as groups
    from lsweb.models import GroupRole

    team = fresh_team(factories)
    late = factories.user(team.school, name="Lou Late")
    groups.add_member(team.lead, team.group, late.email, GroupRole.MEMBER)
    page = Replica(signed_in_client(app, login, late), f"plan-{team.lesson.id}")
    assert page.client.post(f"/coedit/{page.name}/sync", json={"sv": "AA=="}).status_code == 404
    assert page.edit(lambda r: r.doc.get("texts", type=Map).__setitem__("aspect", Text("x")))[0] == 404
    assert _updates(page.name) == 0


def test_an_update_is_acknowledged_even_when_its_snapshot_cannot_be_written(app, client, login, factories,
                                                                          monkeypatch):
    """The snapshot is written after the update's commit: a database that refuses it then (busy, disk
    full) must not turn an update that is stored into an error the page would send again."""
    from sqlalchemy import event
    from sqlalchemy.exc import OperationalError

    monkeypatch.setattr(store, "SNAPSHOT_EVERY", 3)
    team = fresh_team(factories)
    login(team.ana)
    page = Replica(client, f"plan-{team.lesson.id}")
    page.sync()

    def refuse_snapshots(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("INSERT INTO COEDIT_SNAPSHOT"):
            raise OperationalError(statement, {}, Exception("database or disk is full"))

    engine = db.engine
    event.listen(engine, "before_cursor_execute", refuse_snapshots)
    try:
        for i in range(5):
            status, _answer = page.edit(lambda r, i=i: r.text("aspect").insert(len(str(r.text("aspect"))), str(i)))
            assert status == 200
    finally:
        event.remove(engine, "before_cursor_execute", refuse_snapshots)
    assert _updates(page.name) == 5
    store.clear_cache()
    fresh = Replica(client, page.name)
    fresh.sync()
    assert str(fresh.text("aspect")) == "01234"
