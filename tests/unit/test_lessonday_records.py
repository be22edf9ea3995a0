"""The lesson day's retention and privacy plug-ins: `lsweb purge` deletes old observations, interview
answers and photos (their files too), keeps recent ones, findings and plan text; the subject-access ZIP
has the member's observations, interview records, posts with their revisions, cover and time entries and
photos (files included); deleting an account removes their time entries."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, timedelta

import pytest
from flask import current_app
from PIL import Image

from lsweb.discussion import services as board
from lsweb.extensions import db
from lsweb.lessonday import uploads
from lsweb.models import (
    CoverEntry,
    InterviewAnswer,
    NoteKind,
    Observation,
    Photo,
    PlanField,
    Post,
    Role,
    TimeEntry,
    TimeKind,
)
from lsweb.models.base import utcnow
from lsweb.operations import privacy

from ..lessonday_setup import lesson_day


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def _note(day, client_id: str, text: str, age_days: int) -> Observation:
    note = Observation(client_id=client_id, lesson_id=day.lesson.id, observer_id=day.observer.id,
                       kind=NoteKind.PATTERN, text=text)
    note.saved_at = note.noted_at = note.updated_at = utcnow() - timedelta(days=age_days)
    db.session.add(note)
    return note


def _answer(day, position: int, text: str, age_days: int) -> None:
    db.session.add(InterviewAnswer(lesson_id=day.lesson.id, pupil_id=day.pupils[0].id, position=position,
                                   question="What helped you?", answer=text, recorded_by_id=day.observer.id,
                                   updated_at=utcnow() - timedelta(days=age_days)))


def _photo(day, age_days: int) -> Photo:
    photo = uploads.store_photo(day.observer, day.lesson, day.pupils[0], io.BytesIO(_png()),
                                current_app.instance_path, 1_000_000, caption=f"{age_days} days old")
    photo.created_at = utcnow() - timedelta(days=age_days)
    db.session.commit()
    return photo


@pytest.fixture
def day(factories):
    day = lesson_day(factories)
    day.school.retention_days = 30
    day.pupils[0].photo_consent = True
    db.session.commit()
    return day


def test_purge_removes_old_pupil_records_and_their_files_and_keeps_the_rest(app, day):
    _note(day, "note-old-00001", "old note", 40)
    _note(day, "note-new-00001", "recent note", 5)
    _answer(day, 1, "old words", 40)
    _answer(day, 2, "recent words", 5)
    db.session.commit()
    old_photo, new_photo = _photo(day, 40), _photo(day, 5)
    old_file = uploads.photo_path(old_photo, app.instance_path)
    new_file = uploads.photo_path(new_photo, app.instance_path)
    assert old_file.is_file() and new_file.is_file()
    finding, _ = board.add_post(day.lead, day.lesson, board.sections_of(day.lesson)[0].key,
                                "Pupil A needed the bar model", "token-finding-01", mark="finding")
    finding.created_at = utcnow() - timedelta(days=400)
    plan_texts = db.session.scalar(db.select(db.func.count(PlanField.id)).where(PlanField.lesson_id == day.lesson.id))
    db.session.commit()

    db.session.remove()
    result = app.test_cli_runner().invoke(args=["purge", "--yes"])
    db.session.remove()
    assert result.exit_code == 0, result.output
    assert "observations: 1" in result.output and "interview_answers: 1" in result.output \
        and "photos: 1" in result.output

    assert db.session.scalars(db.select(Observation.text)).all() == ["recent note"]
    assert db.session.scalars(db.select(InterviewAnswer.answer)).all() == ["recent words"]
    assert db.session.scalars(db.select(Photo.caption)).all() == ["5 days old"]
    assert not old_file.exists() and new_file.is_file()
    assert db.session.scalars(db.select(Post.body)).all() == ["Pupil A needed the bar model"]
    assert db.session.scalar(db.select(db.func.count(PlanField.id))) == plan_texts


def test_another_schools_records_follow_their_own_retention(app, day, factories):
    other = lesson_day(factories, name="Reading Study")  # default: 365 days
    note = Observation(client_id="note-other-0001", lesson_id=other.lesson.id, observer_id=other.observer.id,
                       kind=NoteKind.PATTERN, text="kept for a year")
    note.saved_at = utcnow() - timedelta(days=40)
    db.session.add(note)
    _note(day, "note-old-00002", "gone", 40)
    db.session.commit()
    db.session.remove()
    assert app.test_cli_runner().invoke(args=["purge", "--yes"]).exit_code == 0
    assert db.session.scalars(db.select(Observation.text)).all() == ["kept for a year"]


def _zip(data: bytes) -> dict:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: (archive.read(name) if name.startswith("files/") or not name.endswith(".json")
                       else json.loads(archive.read(name))) for name in archive.namelist()}


def test_the_export_has_the_lesson_day_and_the_board(app, day):
    _note(day, "note-mine-0001", "Pupil A folded in halves", 1)
    _answer(day, 1, "the strips helped", 1)
    db.session.add(CoverEntry(lesson_id=day.lesson.id, user_id=day.observer.id, class_name="3C",
                              note="Maths set 2", created_by_id=day.observer.id))
    db.session.add(CoverEntry(lesson_id=day.lesson.id, user_id=day.observer2.id, class_name="5A", note="private",
                              covered_by_id=day.observer.id, created_by_id=day.observer2.id))
    db.session.add(TimeEntry(user_id=day.observer.id, kind=TimeKind.PLANNING, minutes=45, on=date(2026, 2, 1),
                             note="Planning RL1"))
    db.session.add(TimeEntry(user_id=day.observer2.id, kind=TimeKind.PLANNING, minutes=30, on=date(2026, 2, 1)))
    db.session.commit()
    photo = _photo(day, 1)
    post, _ = board.add_post(day.observer, day.lesson, board.sections_of(day.lesson)[0].key, "First words",
                             "token-mine-0001")
    board.edit_post(day.observer, post, "Better words")
    board.add_post(day.observer2, day.lesson, board.sections_of(day.lesson)[0].key, "Not mine", "token-not-0001")

    files = _zip(privacy.build_export(day.observer, day.observer))
    assert [(o["text"], o["lesson"], o["group"]) for o in files["observations.json"]] == [
        ("Pupil A folded in halves", "RL1", "Fractions Study")]
    assert [(a["pupil"], a["answer"]) for a in files["interview_records.json"]] == [("Pupil A", "the strips helped")]
    assert [(c["class"], c["your_class"], c["covered_by_you"], c["note"]) for c in files["cover_entries.json"]] == [
        ("3C", True, False, "Maths set 2"), ("5A", False, True, "")]
    assert [(t["kind"], t["minutes"]) for t in files["time_entries.json"]] == [("planning", 45)]
    assert [(p["text"], [r["text"] for r in p["revisions"]]) for p in files["board_posts.json"]] == [
        ("Better words", ["First words"])]
    assert files["photos.json"][0]["file"] == f"files/photos/{photo.stored_name}"
    assert files[f"files/photos/{photo.stored_name}"] == uploads.photo_path(photo, app.instance_path).read_bytes()
    assert "Not mine" not in json.dumps({k: v for k, v in files.items() if k.endswith(".json")})


def test_deleting_an_account_removes_its_time_entries_and_keeps_its_notes(app, day, factories):
    _note(day, "note-kept-0001", "kept for the group", 1)
    db.session.add(TimeEntry(user_id=day.observer.id, kind=TimeKind.OTHER, minutes=30, on=date(2026, 2, 1)))
    db.session.add(TimeEntry(user_id=day.observer2.id, kind=TimeKind.OTHER, minutes=30, on=date(2026, 2, 1)))
    db.session.commit()
    privacy.delete_account(factories.user(day.school, Role.SCHOOL_ADMIN), day.observer)
    assert db.session.scalars(db.select(TimeEntry.user_id)).all() == [day.observer2.id]
    note = db.session.scalar(db.select(Observation))
    assert (note.text, note.observer.display_name) == ("kept for the group", "Former member")
