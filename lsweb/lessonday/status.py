"""The cycle moves on: a research lesson is planned, then taught (after its time), then discussed."""

from __future__ import annotations

from datetime import datetime

from .. import audit
from ..errors import DomainError, NotAllowed
from ..extensions import db
from ..models import (
    CoverEntry,
    LessonStatus,
    ObserverAssignment,
    ResearchLesson,
    TimeKind,
    User,
)
from .cover import lesson_start
from .ledger import log_auto
from .rules import is_lesson_lead, require_recorder

DISCUSSION_MINUTES = 60


def mark_taught(user: User, lesson: ResearchLesson, now: datetime) -> None:
    """`now` is the school's local time (naive), like the lesson's date and time. Logs the observers',
    the teacher's and the covering colleagues' time."""
    require_recorder(user, lesson)
    if not is_lesson_lead(user, lesson):
        raise NotAllowed("The facilitator or the teacher of the lesson marks it taught.")
    if lesson.status is not LessonStatus.PLANNED:
        raise DomainError(f"{lesson.title} is already {lesson.status.label.lower()}.")
    from ..protocol.services import require_gate

    require_gate(lesson.cycle.group)  # no lesson is taught until every member has signed the current text
    start = lesson_start(lesson)
    if start is None:
        raise DomainError(f"{lesson.title} has no date and time yet: give them on the plan first.")
    if now < start:
        raise DomainError(f"{lesson.title} starts on {start:%d %B %Y at %H:%M}: it can be marked taught "
                          "once it has started.")
    lesson.status = LessonStatus.TAUGHT
    minutes = lesson.duration_minutes
    observers = set(db.session.scalars(db.select(ObserverAssignment.observer_id).where(
        ObserverAssignment.lesson_id == lesson.id)))
    for observer_id in observers - {lesson.teacher_id}:
        log_auto(observer_id, lesson, TimeKind.OBSERVING, minutes, lesson.date, f"observe-{observer_id}")
    if lesson.teacher_id:
        log_auto(lesson.teacher_id, lesson, TimeKind.TEACHING, minutes, lesson.date, f"teach-{lesson.teacher_id}")
    for entry in db.session.scalars(db.select(CoverEntry).where(CoverEntry.lesson_id == lesson.id,
                                                                CoverEntry.covered_by_id.is_not(None))):
        log_auto(entry.covered_by_id, lesson, TimeKind.COVERING, minutes, lesson.date, f"cover-{entry.id}")
    audit.record(user, "lesson.taught", target=lesson.group.name,
                 details=f"cycle {lesson.cycle.number}: {lesson.title}", school_id=lesson.group.school_id)
    db.session.commit()


def mark_discussed(user: User, lesson: ResearchLesson, now: datetime,
                   minutes: int = DISCUSSION_MINUTES) -> None:
    """After the post-lesson discussion: every current member's time in it is logged."""
    require_recorder(user, lesson)
    if not is_lesson_lead(user, lesson):
        raise NotAllowed("The facilitator or the teacher of the lesson marks it discussed.")
    if lesson.status is not LessonStatus.TAUGHT:
        raise DomainError(f"{lesson.title} must be taught before it is discussed."
                          if lesson.status is LessonStatus.PLANNED else f"{lesson.title} is already discussed.")
    lesson.status = LessonStatus.DISCUSSED
    for member in lesson.group.current_members:
        log_auto(member.user_id, lesson, TimeKind.DISCUSSION, minutes, now.date(), f"discuss-{member.user_id}")
    audit.record(user, "lesson.discussed", target=lesson.group.name,
                 details=f"cycle {lesson.cycle.number}: {lesson.title}", school_id=lesson.group.school_id)
    db.session.commit()


def move(user: User, lesson: ResearchLesson, target: LessonStatus, now: datetime) -> None:
    if target is LessonStatus.TAUGHT:
        mark_taught(user, lesson, now)
    elif target is LessonStatus.DISCUSSED:
        mark_discussed(user, lesson, now)
    else:
        raise DomainError("A lesson moves on from planned to taught to discussed, never back.")
