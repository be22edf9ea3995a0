"""Observing case pupils: notes per stage against the prediction, critical incidents, class patterns.

Every note is saved on its own and carries an id made by the observer's browser (`client_id`): a save
repeated after a lost answer (weak wifi) updates the same note, so nothing is saved twice.

An observer corrects or deletes their own saved notes: what a note said before is kept as a version
(`ObservationVersion`), and a deleted note keeps its row (`deleted_at`), so the grid, the agenda and the
exports show the corrected notes only while nothing written is lost. Notes are written on the lesson's day:
one for a lesson more than a day away is refused (a wrong lesson or a wrong date).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from ..errors import DomainError
from ..channels import queue_lesson_change
from ..extensions import db
from ..models import (
    CasePupil,
    NoteKind,
    Observation,
    ObservationVersion,
    ObserverAssignment,
    PlanField,
    PlanStage,
    Rating,
    ResearchLesson,
    User,
)
from ..models.base import utcnow
from ..timezones import local, zone_of
from .rules import require_recorder

MAX_NOTE = 5000
CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{8,64}\Z")
# A note kept on a tablet while offline is dated at most this long before it reached the server.
MAX_QUEUED = timedelta(hours=12)
# Notes are taken on the lesson's day: one for a lesson further ahead than this is refused.
MAX_AHEAD = timedelta(days=1)


@dataclass
class NoteInput:
    client_id: str
    kind: NoteKind = NoteKind.NOTE
    pupil_id: int | None = None
    stage_id: int | None = None
    rating: Rating | None = None
    text: str = ""
    noted_at: datetime | None = None  # the tablet's clock when the note was written, if it sent one
    sent_at: datetime | None = None   # the tablet's clock when it sent the note (the same clock)


def when_noted(note: NoteInput, now: datetime) -> datetime:
    """The server's clock is the record. A tablet's clock may be hours off, so its times are used only
    for how long the note waited on the tablet (sent minus written, both by the same clock): the note
    is dated that long before the server received it, never later than that and never more than
    MAX_QUEUED earlier. A note sent as it was written (or without the tablet's times) is dated now."""
    if note.noted_at is None or note.sent_at is None or note.sent_at <= note.noted_at:
        return now
    return now - min(note.sent_at - note.noted_at, MAX_QUEUED)


def assigned_pupils(user: User, lesson: ResearchLesson) -> list[CasePupil]:
    """The case pupils the user is assigned to watch (for the whole lesson or for a stage)."""
    rows = db.session.scalars(db.select(ObserverAssignment).where(
        ObserverAssignment.lesson_id == lesson.id, ObserverAssignment.observer_id == user.id))
    pupils = {row.pupil.id: row.pupil for row in rows}
    return sorted(pupils.values(), key=lambda p: (p.position, p.id))


def predictions(lesson: ResearchLesson) -> dict[tuple[int, int], str]:
    """(stage id, pupil id) -> the prediction text of the plan."""
    rows = db.session.scalars(db.select(PlanField).where(PlanField.lesson_id == lesson.id,
                                                        PlanField.kind == "prediction"))
    return {(row.stage_id, row.pupil_id): row.text for row in rows if row.stage_id and row.pupil_id}


def stage_texts(lesson: ResearchLesson) -> dict[int, str]:
    """stage id -> its activity / key question (for headings)."""
    rows = db.session.scalars(db.select(PlanField).where(PlanField.lesson_id == lesson.id,
                                                        PlanField.key.like("stage-%-activity")))
    return {row.stage_id: row.text for row in rows if row.stage_id}


def notes_of(lesson: ResearchLesson, observer: User | None = None) -> list[Observation]:
    query = db.select(Observation).where(Observation.lesson_id == lesson.id, Observation.deleted_at.is_(None))
    if observer is not None:
        query = query.where(Observation.observer_id == observer.id)
    return list(db.session.scalars(query.order_by(Observation.noted_at, Observation.id)))


def save_note(user: User, lesson: ResearchLesson, note: NoteInput, now: datetime | None = None) -> Observation:
    """Save (or, for a client id seen before, update) one note. Returns it; commits once."""
    now = now or utcnow()
    require_recorder(user, lesson)
    require_lesson_near(lesson, now)
    if not CLIENT_ID.match(note.client_id or ""):
        raise DomainError("This note has no valid id: reload the page and write it again.", "client_id")
    text = (note.text or "").strip()
    if len(text) > MAX_NOTE:
        raise DomainError(f"A note has at most {MAX_NOTE} characters.", "text")
    pupil = _pupil(lesson, note.pupil_id)
    stage = _stage(lesson, note.stage_id)
    if note.kind is NoteKind.NOTE:
        if pupil is None:
            raise DomainError("Choose the case pupil this note is about.", "pupil_id")
        if stage is None:
            raise DomainError("Choose the stage of the lesson this note is about.", "stage_id")
    if note.kind is NoteKind.PATTERN:
        pupil = None
    if not text and note.rating is None:
        raise DomainError("Write what you saw, or choose how it compared with the prediction.", "text")

    existing = db.session.scalar(db.select(Observation).where(Observation.client_id == note.client_id))
    if existing is None:
        noted_at = when_noted(note, now)
        existing = Observation(client_id=note.client_id, lesson_id=lesson.id, observer_id=user.id,
                               noted_at=noted_at, saved_at=now)
        db.session.add(existing)
    elif existing.observer_id != user.id or existing.lesson_id != lesson.id:
        raise DomainError("This note belongs to someone else: reload the page and write it again.", "client_id")
    elif existing.deleted_at is not None:
        raise DomainError("You deleted this note: write it again as a new note if you need it.", "client_id")
    elif (existing.kind, existing.rating, existing.text, existing.pupil_id, existing.stage_id) != (
            note.kind, note.rating, text, pupil.id if pupil else None, stage.id if stage else None):
        _keep_version(existing, now)  # a correction (a repeated save of the same note changes nothing)
    existing.kind, existing.rating, existing.text = note.kind, note.rating, text
    existing.pupil_id = pupil.id if pupil else None
    existing.stage_id = stage.id if stage else None
    existing.updated_at = now
    try:
        db.session.flush()
        # Ids only: each grid re-fetches its fragment, rendered with its viewer's permissions.
        queue_lesson_change(lesson.id, "observation-saved", note=existing.id)
        db.session.commit()
    except IntegrityError:
        # The same note arrived twice at once (a retry overtaking the first save): the first one won.
        db.session.rollback()
        return save_note(user, lesson, note, now)
    return existing


def _pupil(lesson: ResearchLesson, pupil_id: int | None) -> CasePupil | None:
    if pupil_id is None:
        return None
    pupil = db.session.get(CasePupil, pupil_id)
    if pupil is None or pupil.cycle_id != lesson.cycle_id:
        raise DomainError("That pupil is not a case pupil of this cycle.", "pupil_id")
    return pupil


def _stage(lesson: ResearchLesson, stage_id: int | None) -> PlanStage | None:
    """A stage of the lesson. One removed from the plan since is still accepted: nothing seen is lost,
    and the note shows "stage removed"."""
    if stage_id is None:
        return None
    stage = db.session.get(PlanStage, stage_id)
    if stage is None or stage.lesson_id != lesson.id:
        raise DomainError("That stage is not part of this lesson's plan.", "stage_id")
    return stage


# --- the lesson's day -----------------------------------------------------------------------------------

def require_lesson_near(lesson: ResearchLesson, now: datetime) -> None:
    """Refuse notes for a lesson more than a day away (by the school's clock); a lesson without a date
    takes notes."""
    if lesson.date is None:
        return
    starts = datetime.combine(lesson.date, lesson.start_time or datetime.min.time())
    school_now = local(now, zone_of(lesson.cycle.group.school)).replace(tzinfo=None)
    if starts - school_now > MAX_AHEAD:
        raise DomainError(f"{lesson.title} is on {lesson.date:%A} {lesson.date.day} {lesson.date:%B %Y}: notes are "
                          "written on the day of the lesson, not more than a day ahead. Nothing was saved. If "
                          "the lesson's date is wrong, change it on the plan.")


# --- correcting and deleting one's own notes --------------------------------------------------------------

def own_note(user: User, lesson: ResearchLesson, note_id: int) -> Observation | None:
    """The user's own saved (not deleted) note of this lesson, else None."""
    note = db.session.get(Observation, note_id)
    if note is None or note.lesson_id != lesson.id or note.observer_id != user.id or note.deleted_at is not None:
        return None
    return note


def _keep_version(note: Observation, now: datetime) -> None:
    db.session.add(ObservationVersion(observation_id=note.id, kind=note.kind, pupil_id=note.pupil_id,
                                      stage_id=note.stage_id, rating=note.rating, text=note.text,
                                      saved_at=note.updated_at, replaced_at=now))


def edit_note(user: User, lesson: ResearchLesson, note: Observation, text: str, rating: Rating | None,
              now: datetime | None = None) -> bool:
    """The observer corrects the text and the rating of their own note; what it said is kept. Returns
    False when nothing changed (nothing is written). Commits once."""
    now = now or utcnow()
    require_recorder(user, lesson)
    if note.observer_id != user.id or note.lesson_id != lesson.id or note.deleted_at is not None:
        raise DomainError("Only its observer corrects a note.")
    text = (text or "").strip()
    if len(text) > MAX_NOTE:
        raise DomainError(f"A note has at most {MAX_NOTE} characters.", "text")
    if note.kind is not NoteKind.NOTE:
        rating = None
    if not text and rating is None:
        raise DomainError("Write what you saw, or choose how it compared with the prediction.", "text")
    if (text, rating) == (note.text, note.rating):
        return False
    _keep_version(note, now)
    note.text, note.rating, note.updated_at = text, rating, now
    db.session.flush()
    queue_lesson_change(lesson.id, "observation-saved", note=note.id)
    db.session.commit()
    return True


def delete_note(user: User, lesson: ResearchLesson, note: Observation, now: datetime | None = None) -> None:
    """The observer deletes their own note: it leaves the grid and the exports; its row and what it
    said are kept (a version). Commits once."""
    now = now or utcnow()
    require_recorder(user, lesson)
    if note.observer_id != user.id or note.lesson_id != lesson.id:
        raise DomainError("Only its observer deletes a note.")
    if note.deleted_at is not None:
        return
    _keep_version(note, now)
    note.deleted_at, note.updated_at = now, now
    db.session.flush()
    queue_lesson_change(lesson.id, "observation-saved", note=note.id)
    db.session.commit()


def history_of(note: Observation) -> list[ObservationVersion]:
    """What the note said before each correction, oldest first."""
    return list(db.session.scalars(db.select(ObservationVersion).where(
        ObservationVersion.observation_id == note.id).order_by(ObservationVersion.id)))
