"""Access-matrix rows for research lessons and their co-edited plans (lsweb/planning).

The world gets RL1 in group A's cycle, with two stages, a field written by the target member and changed
by the facilitator, and a revision of it from before co-editing (so there is one to restore)."""

from __future__ import annotations

from lsweb.extensions import db
from lsweb.models import Cycle, ObserverAssignment, PlanField, PlanRevision, PlanStage, ResearchLesson, User
from lsweb.planning import fields, lessons

from .matrix import SIGN_FIRST, SIGNED_MEMBERS, Redirect, Row, group_a

PLAN_TEXT = "How pupils see that 2/4 is a half"
ASPECT = "Comparing fractions with bar models"
TO_LESSON = Redirect(303, "/lessons/{lesson}")
REFUSED_TO_LESSON = Redirect(303, "/lessons/{lesson}", refused=True)
TO_HISTORY = Redirect(303, "/lessons/{lesson}/history")
REFUSED_TO_CYCLE = Redirect(303, "/groups/{group}/cycles/{cycle}", refused=True)


def extend_world(make, world) -> None:
    cycle = db.session.scalar(db.select(Cycle).where(Cycle.group_id == world.ids["group"],
                                                     Cycle.number == world.ids["cycle"]))
    lead = db.session.get(User, world.ids["facilitator"])
    target = db.session.get(User, world.ids["target"])
    lesson = lessons.create_lesson(lead, cycle)
    lessons.add_stage(lead, lesson)
    stage = lesson.current_stages[-1]
    fields.save_field(target, lesson, "intentions", PLAN_TEXT)
    fields.save_field(target, lesson, "aspect", ASPECT)
    fields.save_field(lead, lesson, "aspect", ASPECT.replace("bar models", "fraction walls"))
    revision = PlanRevision(lesson_id=lesson.id, field_id=fields.fields_of(lesson)["aspect"].id, version=1,
                            kind="edit", user_id=target.id, before="", after=ASPECT)  # a save from before
    db.session.add(revision)
    db.session.commit()
    world.ids.update(lesson=lesson.id, next_lesson=lesson.id + 1, stage=stage.id, revision=revision.id)
    world.texts["group A's plan"] = PLAN_TEXT


def _lesson(world) -> ResearchLesson:
    return db.session.get(ResearchLesson, world.ids["lesson"])


def _field(world, key="aspect") -> PlanField | None:
    return db.session.scalar(db.select(PlanField).where(PlanField.lesson_id == world.ids["lesson"],
                                                        PlanField.key == key))


def _lesson_numbered(world, number: int) -> bool:
    return db.session.scalar(db.select(ResearchLesson.id).where(ResearchLesson.number == number)) is not None


PLAN_PAGES = SIGNED_MEMBERS
PLAN_ACTION = group_a(SIGN_FIRST, TO_LESSON, TO_LESSON)

def _document_exists(world) -> bool:
    """The first sync makes the plan's document (from the stored text)."""
    from lsweb.models import CoeditSnapshot

    return db.session.scalar(db.select(CoeditSnapshot.id).where(
        CoeditSnapshot.doc == f"plan-{world.ids['lesson']}")) is not None


def _room_update() -> dict:
    """A co-editing update that needs nothing of the document: a fresh replica adds a stage."""
    import base64

    from pycrdt import Doc, Map, Text

    doc = Doc()
    doc.get("stages", type=Map)["matrix"] = Map({"pos": 9.0, "removed": False, "time": Text(""),
                                                 "activity": Text("Added live"), "resources": Text(""),
                                                 "predictions": Map()})
    return {"update": base64.b64encode(doc.get_update()).decode(), "client": str(doc.client_id)}


ROWS: list[Row] = [
    Row("POST", "/groups/{group}/cycles/{cycle}/lessons",
        group_a(REFUSED_TO_CYCLE, Redirect(303, "/lessons/{next_lesson}"), Redirect(303, "/lessons/{next_lesson}")),
        data={}, effect=lambda w, actor: _lesson_numbered(w, 2)),
    Row("GET", "/lessons/{lesson}", PLAN_PAGES),
    Row("GET", "/lessons/{lesson}/structure", PLAN_PAGES),
    Row("GET", "/lessons/{lesson}/print", PLAN_PAGES),
    Row("GET", "/lessons/{lesson}/history", PLAN_PAGES),
    Row("GET", "/live/lesson-{lesson}", group_a(404, 200, 200)),
    Row("POST", "/lessons/{lesson}/history/999999/restore", group_a(SIGN_FIRST, 404, 404), data={}),
    Row("POST", "/coedit/plan-{lesson}/sync", group_a(404, 200, 200), data={"sv": "AA=="},
        effect=lambda w, actor: _document_exists(w)),
    Row("POST", "/coedit/plan-{lesson}/update", group_a(404, 200, 200), data=lambda w: _room_update(),
        effect=lambda w, actor: any(s.key == "matrix" for s in _lesson(w).current_stages)),
    Row("GET", "/coedit/plan-{lesson}/who-wrote-what", group_a(404, 200, 200),
        note="the plan's document does not exist yet: the page shows the stored text and stores nothing"),
    Row("POST", "/coedit/plan-{lesson}/awareness", group_a(404, 204, 204),
        data={"update": "AQEBAnt9"}),
    Row("POST", "/lessons/{lesson}/plan", PLAN_ACTION, data={"f:criteria": "I can show 2/4 = 1/2"},
        effect=lambda w, actor: _field(w, "criteria").text == "I can show 2/4 = 1/2"),
    Row("POST", "/lessons/{lesson}/details", PLAN_ACTION,
        data={"based_on": "1", "room": "Room 9", "duration_minutes": "50", "teacher_id": ""},
        effect=lambda w, actor: _lesson(w).room == "Room 9"),
    Row("POST", "/lessons/{lesson}/stages", PLAN_ACTION, data={},
        effect=lambda w, actor: len(_lesson(w).current_stages) == 3),
    Row("POST", "/lessons/{lesson}/stages/{stage}/move/up", PLAN_ACTION, data={},
        effect=lambda w, actor: _lesson(w).current_stages[0].id == w.ids["stage"]),
    Row("POST", "/lessons/{lesson}/stages/{stage}/remove", PLAN_ACTION, data={},
        effect=lambda w, actor: db.session.get(PlanStage, w.ids["stage"]).removed_at is not None),
    Row("POST", "/lessons/{lesson}/stages/{stage}/restore", PLAN_ACTION, data={},
        note="a stage that is not removed: nothing to do"),
    Row("POST", "/lessons/{lesson}/observers", PLAN_ACTION, data=lambda w: {f"watch-{w.ids['pupil']}-all": str(w.ids["target"])},
        effect=lambda w, actor: db.session.scalar(db.select(ObserverAssignment.observer_id)) == w.ids["target"]),
    Row("POST", "/lessons/{lesson}/checklist/post-1", group_a(SIGN_FIRST, REFUSED_TO_LESSON, REFUSED_TO_LESSON),
        data={"done": "1"}, note="no discussion yet, so no such item: refused with the reason"),
    Row("POST", "/lessons/{lesson}/carry-forward",
        group_a(SIGN_FIRST, Redirect(303, "/lessons/{next_lesson}"), Redirect(303, "/lessons/{next_lesson}")),
        data={}, effect=lambda w, actor: _lesson_numbered(w, 2)),
    Row("POST", "/lessons/{lesson}/revisions/{revision}/restore", group_a(SIGN_FIRST, TO_HISTORY, TO_HISTORY),
        data={}, effect=lambda w, actor: _field(w).text == ASPECT),
]
