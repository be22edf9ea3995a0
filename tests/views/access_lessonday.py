"""Access-matrix rows for the lesson day (lsweb/lessonday): observing, photos, the grid, the lesson's
status, interviews, the cycle's progress, cover, calendars and protected time."""

from __future__ import annotations

import io
from datetime import date, time

from flask import current_app
from PIL import Image

from lsweb.extensions import db
from lsweb.lessonday import cover, observation, uploads
from lsweb.models import (
    CasePupil,
    CoverEntry,
    Cycle,
    InterviewAnswer,
    LessonStatus,
    Observation,
    Photo,
    ResearchLesson,
    TimeEntry,
    TimeKind,
    User,
)
from lsweb.planning.lessons import create_lesson

from .matrix import SIGN_FIRST, SIGNED_MEMBERS, Redirect, Row, everyone, group_a, signed_in

TO_OBSERVE = Redirect(303, "/lessons/{lesson}/observe")
TO_GRID = Redirect(303, "/lessons/{lesson}/grid")
REFUSED_TO_GRID = Redirect(303, "/lessons/{lesson}/grid", refused=True)
TO_INTERVIEWS = Redirect(303, "/lessons/{lesson}/interviews")
TO_COVER = Redirect(303, "/lessons/{lesson}/cover")
REFUSED_TO_COVER = Redirect(303, "/lessons/{lesson}/cover", refused=True)
TO_TIME = Redirect(303, "/me/time")


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (10, 120, 40)).save(out, format="PNG")
    return out.getvalue()


def extend_world(make, world) -> None:
    """A research lesson (in the past, so it may be marked taught) with one stage in group A's cycle, a
    photo of the case pupil's work (consent recorded) and a cover entry of the facilitator's."""
    cycle = db.session.scalar(db.select(Cycle).where(Cycle.group_id == world.ids["group"],
                                                     Cycle.number == world.ids["cycle"]))
    facilitator = db.session.get(User, world.ids["facilitator"])
    # The planning rows' lesson when they extended the world first (one lesson keeps ids predictable).
    lesson = (db.session.get(ResearchLesson, world.ids["lesson"]) if "lesson" in world.ids
              else create_lesson(facilitator, cycle))
    lesson.date, lesson.start_time, lesson.room = date(2026, 1, 5), time(9, 0), "Room 4"
    # A second case pupil (with photo consent) whose work is photographed: the world's own pupil stays
    # removable (a pupil with recorded work is kept).
    pupil = CasePupil(cycle_id=cycle.id, label="Pupil P", position=2, photo_consent=True)
    db.session.add(pupil)
    db.session.commit()
    photo = uploads.store_photo(facilitator, lesson, pupil, io.BytesIO(_png()), current_app.instance_path,
                                1024 * 1024)
    entry = cover.add_cover(facilitator, lesson, facilitator.id, "5C maths")
    time_entry = TimeEntry(user_id=facilitator.id, kind=TimeKind.OTHER, minutes=90, on=date(2026, 1, 6),
                           note="Reading about bar models", created_by_id=facilitator.id)
    db.session.add(time_entry)
    db.session.commit()
    world.ids.setdefault("stage", lesson.current_stages[0].id)
    # The facilitator's own note (about the second pupil): only they correct or delete it.
    note = observation.save_note(facilitator, lesson, observation.NoteInput(
        client_id="facilitatornote1", pupil_id=pupil.id, stage_id=world.ids["stage"], text="Used a number line"))
    world.ids.update(photo_pupil=pupil.id, lesson=lesson.id, photo=photo.id, cover_entry=entry.id, note=note.id,
                     time_entry=time_entry.id)


def _count(model) -> int:
    return db.session.scalar(db.select(db.func.count(model.id)))


def _photo_upload(world) -> dict:
    return {"pupil_id": str(world.ids["photo_pupil"]), "caption": "Bar model", "photo": (io.BytesIO(_png()), "work.png")}


def _lesson(world) -> ResearchLesson:
    return db.session.get(ResearchLesson, world.ids["lesson"])


ROWS: list[Row] = [
    Row("GET", "/lessons/{lesson}/observe", SIGNED_MEMBERS),
    Row("POST", "/lessons/{lesson}/observe/notes", group_a(SIGN_FIRST, TO_OBSERVE, TO_OBSERVE),
        data={"client_id": "matrixnote01", "kind": "note", "pupil_id": "{pupil}", "stage_id": "{stage}",
              "rating": "better", "text": "Drew a bar model unprompted"},
        effect=lambda w, actor: db.session.scalar(db.select(Observation.observer_id).where(
            Observation.client_id == "matrixnote01")) == actor.id),
    Row("GET", "/lessons/{lesson}/observe/notes/{note}/edit", group_a(SIGN_FIRST, 404, 200),
        note="one's own note only: another's answers 404"),
    Row("POST", "/lessons/{lesson}/observe/notes/{note}/edit", group_a(SIGN_FIRST, 404, TO_OBSERVE),
        data={"text": "Used a number line to 20", "rating": ""},
        effect=lambda w, actor: db.session.get(Observation, w.ids["note"]).text == "Used a number line to 20"),
    Row("POST", "/lessons/{lesson}/observe/notes/{note}/delete", group_a(SIGN_FIRST, 404, TO_OBSERVE), data={},
        effect=lambda w, actor: db.session.get(Observation, w.ids["note"]).deleted_at is not None),
    Row("POST", "/lessons/{lesson}/photos", group_a(SIGN_FIRST, TO_OBSERVE, TO_OBSERVE), data=_photo_upload,
        effect=lambda w, actor: _count(Photo) == 2),
    Row("GET", "/lessons/{lesson}/photos/{photo}", group_a(404, 200, 200),
        note="a member who has not signed sees no pupil's work"),
    Row("GET", "/lessons/{lesson}/grid", SIGNED_MEMBERS),
    Row("POST", "/lessons/{lesson}/status/taught", group_a(SIGN_FIRST, REFUSED_TO_GRID, TO_GRID), data={},
        effect=lambda w, actor: _lesson(w).status is LessonStatus.TAUGHT,
        note="the facilitator or the lesson's teacher marks it taught"),
    Row("GET", "/lessons/{lesson}/interviews", SIGNED_MEMBERS),
    Row("POST", "/lessons/{lesson}/interviews/{pupil}", group_a(SIGN_FIRST, TO_INTERVIEWS, TO_INTERVIEWS),
        data={"answer": "I liked the bars"},
        effect=lambda w, actor: db.session.scalar(db.select(InterviewAnswer.answer)) == "I liked the bars"),
    Row("GET", "/groups/{group}/cycles/{cycle}/progress", SIGNED_MEMBERS),
    Row("GET", "/groups/{group}/cycles/{cycle}/progress/pupils/{pupil}.svg", SIGNED_MEMBERS),
    Row("GET", "/lessons/{lesson}/grid.svg", SIGNED_MEMBERS),
    Row("GET", "/lessons/{lesson}/cover", SIGNED_MEMBERS),
    Row("POST", "/lessons/{lesson}/cover", group_a(SIGN_FIRST, 422, TO_COVER),
        data={"person_id": "{facilitator}", "class_name": "6R science", "covered_by_id": "0"},
        effect=lambda w, actor: db.session.scalar(db.select(CoverEntry.id).where(
            CoverEntry.class_name == "6R science")) is not None,
        note="a member adds cover for their own classes only; the facilitator for anyone's"),
    Row("POST", "/lessons/{lesson}/cover/{cover_entry}/remove",
        group_a(SIGN_FIRST, REFUSED_TO_COVER, TO_COVER), data={},
        effect=lambda w, actor: db.session.get(CoverEntry, w.ids["cover_entry"]) is None),
    Row("GET", "/lessons/{lesson}/cover.csv", SIGNED_MEMBERS),
    Row("GET", "/me/calendar.ics", signed_in(200)),
    Row("GET", "/calendar/not-anyones-token.ics", everyone(404), note="the feed's secret is its only key"),
    Row("POST", "/me/calendar/reset", signed_in(TO_TIME), data={},
        effect=lambda w, actor: db.session.get(User, actor.id).calendar_token is not None),
    Row("GET", "/me/time", signed_in(200)),
    Row("POST", "/me/time", signed_in(TO_TIME),
        data={"kind": "planning", "minutes": "30", "on": "2026-01-10", "note": "Planning RL1"},
        effect=lambda w, actor: db.session.scalar(db.select(TimeEntry.user_id).where(
            TimeEntry.note == "Planning RL1")) == actor.id),
    Row("GET", "/me/time/{time_entry}", {**signed_in(404), "facilitator": 200},
        note="one's own entries only (the facilitator owns this one)"),
    Row("POST", "/me/time/{time_entry}", {**signed_in(404), "facilitator": TO_TIME},
        data={"minutes": "30", "on": "2026-01-06", "note": "corrected"},
        effect=lambda w, actor: db.session.get(TimeEntry, w.ids["time_entry"]).minutes == 30),
    Row("POST", "/me/time/{time_entry}/remove", {**signed_in(404), "facilitator": TO_TIME}, data={},
        effect=lambda w, actor: db.session.get(TimeEntry, w.ids["time_entry"]) is None),
    Row("POST", "/lessons/{lesson}/planning-meetings", group_a(SIGN_FIRST, REFUSED_TO_COVER, TO_COVER),
        data={"on": "2026-01-05", "minutes": "45", "attendees": "{facilitator}"},
        effect=lambda w, actor: db.session.scalar(db.select(TimeEntry.minutes).where(
            TimeEntry.user_id == w.ids["facilitator"], TimeEntry.kind == TimeKind.PLANNING)) == 45,
        note="the facilitator records who was at a planning meeting"),
]
