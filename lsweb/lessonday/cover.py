"""Scheduling: who takes part in a lesson, which of their own classes need cover, the cover list for the
school's cover manager (page and CSV), double bookings, and each participant's calendar (.ics)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..errors import DomainError, NotAllowed
from ..extensions import db
from ..models import (
    CoverEntry,
    ObserverAssignment,
    ResearchLesson,
    User,
)
from ..permissions import is_facilitator, is_member
from .rules import require_recorder


def lesson_start(lesson: ResearchLesson) -> datetime | None:
    if lesson.date is None or lesson.start_time is None:
        return None
    return datetime.combine(lesson.date, lesson.start_time)


def lesson_end(lesson: ResearchLesson) -> datetime | None:
    start = lesson_start(lesson)
    return start + timedelta(minutes=lesson.duration_minutes or 60) if start else None


def participants(lesson: ResearchLesson) -> dict[int, str]:
    """user id -> what they do in the lesson (teaches / observes)."""
    roles: dict[int, str] = {}
    for observer_id in db.session.scalars(db.select(ObserverAssignment.observer_id).where(
            ObserverAssignment.lesson_id == lesson.id)):
        roles[observer_id] = "observes"
    if lesson.teacher_id:
        roles[lesson.teacher_id] = "teaches"
    return roles


def cover_entries(lesson: ResearchLesson) -> list[CoverEntry]:
    return list(db.session.scalars(db.select(CoverEntry).where(CoverEntry.lesson_id == lesson.id)
                                   .order_by(CoverEntry.id)))


def add_cover(actor: User, lesson: ResearchLesson, person_id: int, class_name: str, note: str = "",
              covered_by_id: int | None = None) -> CoverEntry:
    """One of `person`'s own classes needs cover. Members add their own; the facilitator anyone's."""
    require_recorder(actor, lesson)
    if person_id != actor.id and not is_facilitator(actor, lesson.group):
        raise NotAllowed("You add cover for your own classes; the facilitator adds anyone's.")
    person = db.session.get(User, person_id)
    if person is None or not is_member(person, lesson.group):
        raise DomainError("Choose a member of the group.", "person_id")
    class_name = " ".join((class_name or "").split())
    note = " ".join((note or "").split())
    if not class_name:
        raise DomainError("Say which class needs cover (e.g. “6R, maths”).", "class_name")
    if len(class_name) > 80:
        raise DomainError("At most 80 characters.", "class_name")
    if len(note) > 300:
        raise DomainError("At most 300 characters.", "note")
    if covered_by_id is not None:
        cover = db.session.get(User, covered_by_id)
        if cover is None or not is_member(cover, lesson.group) or covered_by_id == person_id:
            raise DomainError("Choose another member of the group to cover, or leave it to the cover manager.",
                              "covered_by_id")
    entry = CoverEntry(lesson_id=lesson.id, user_id=person.id, class_name=class_name, note=note,
                       covered_by_id=covered_by_id, created_by_id=actor.id)
    db.session.add(entry)
    db.session.commit()
    return entry


def remove_cover(actor: User, entry: CoverEntry) -> None:
    lesson = db.session.get(ResearchLesson, entry.lesson_id)
    require_recorder(actor, lesson)
    if entry.user_id != actor.id and not is_facilitator(actor, lesson.group):
        raise NotAllowed("You remove cover for your own classes; the facilitator anyone's.")
    db.session.delete(entry)
    db.session.commit()


# --- double bookings -------------------------------------------------------------------------------

@dataclass
class Clash:
    user: User
    lesson: ResearchLesson   # the other lesson
    role: str                # what they do in the other lesson: "teach" / "observe"


def _booked_lessons(user_id: int) -> list[tuple[ResearchLesson, str]]:
    taught = db.session.scalars(db.select(ResearchLesson).where(ResearchLesson.teacher_id == user_id))
    observed = db.session.scalars(db.select(ResearchLesson).join(
        ObserverAssignment, ObserverAssignment.lesson_id == ResearchLesson.id).where(
        ObserverAssignment.observer_id == user_id).distinct())
    booked = {lesson.id: (lesson, "observe") for lesson in observed}
    booked.update({lesson.id: (lesson, "teach") for lesson in taught})
    return list(booked.values())


def double_bookings(lesson: ResearchLesson) -> list[Clash]:
    """Participants of this lesson booked into another lesson (of any group) at an overlapping time."""
    start, end = lesson_start(lesson), lesson_end(lesson)
    if start is None:
        return []
    clashes = []
    for user_id in participants(lesson):
        for other, role in _booked_lessons(user_id):
            other_start, other_end = lesson_start(other), lesson_end(other)
            if other.id != lesson.id and other_start and other_start < end and start < other_end:
                clashes.append(Clash(db.session.get(User, user_id), other, role))
    return clashes


# --- the cover list and calendars ------------------------------------------------------------------

CSV_HEADER = ["Date", "Start", "End", "Room of the research lesson", "Member", "Class to cover", "Note",
              "Covered by"]


def cover_csv(lesson: ResearchLesson) -> str:
    """For the cover manager. Cells that a spreadsheet would run as a formula are made plain text. It
    starts with a UTF-8 byte-order mark, so Excel and LibreOffice read "Siân" as Siân, not as Mojibake."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    start, end = lesson_start(lesson), lesson_end(lesson)
    for entry in cover_entries(lesson):
        writer.writerow([_cell(value) for value in (
            f"{start:%Y-%m-%d}" if start else "", f"{start:%H:%M}" if start else "",
            f"{end:%H:%M}" if end else "", lesson.room, entry.user.display_name, entry.class_name, entry.note,
            entry.covered_by.display_name if entry.covered_by else "")])
    return out.getvalue()


def _cell(value: str) -> str:
    return "'" + value if value and value[0] in "=+-@\t\r" else value
