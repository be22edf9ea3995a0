"""Research lessons of a cycle: creating them, their details, and the stages of their plans."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from .. import access, audit
from ..errors import DomainError, NotAllowed
from ..extensions import db
from ..channels import queue_group_change
from ..models import Cycle, CycleStatus, PlanStage, ResearchLesson, User
from ..models.base import utcnow
from ..channels import queue_lesson_change as queue_change
from ..timezones import wall_clock, zone_of
from . import notices

MAX_STAGES = 40
MAX_LESSONS = 12


def require_plan_editor(user: User, lesson_or_cycle) -> None:
    """Plans are edited by members who have signed the group's current protocol, in a cycle that is not
    closed (the person's standing is the request's one access answer). The protocol gate does not stop
    planning: a member added mid-meeting does not freeze the others (the plan page names who still has
    to sign); teaching waits for everyone (groups.cycles.move_cycle, lessonday.status)."""
    if isinstance(lesson_or_cycle, Cycle):
        cycle, standing = lesson_or_cycle, access.of_cycle(user, lesson_or_cycle)
    else:
        cycle, standing = lesson_or_cycle.cycle, access.of_lesson(user, lesson_or_cycle)
    if not standing.sees_material:
        raise NotAllowed("Sign the group's current protocol first.")
    if cycle.status is CycleStatus.CLOSED:
        raise DomainError(f"Cycle {cycle.number} is closed: its lessons are kept as they are.")


def lessons_of(cycle: Cycle) -> list[ResearchLesson]:
    return list(db.session.scalars(db.select(ResearchLesson).where(ResearchLesson.cycle_id == cycle.id)
                                   .order_by(ResearchLesson.number)))


def create_lesson(user: User, cycle: Cycle, started_from: ResearchLesson | None = None,
                  commit: bool = True) -> ResearchLesson:
    """RL<n+1> of the cycle, with one empty stage to start from (carry_forward copies a plan instead)."""
    require_plan_editor(user, cycle)
    existing = lessons_of(cycle)
    if len(existing) >= MAX_LESSONS:
        raise DomainError(f"A cycle has at most {MAX_LESSONS} research lessons.")
    previous = existing[-1] if existing else None
    lesson = ResearchLesson(cycle_id=cycle.id, number=(previous.number + 1) if previous else 1,
                            class_name=(previous.class_name if previous else cycle.group.class_name),
                            duration_minutes=previous.duration_minutes if previous else 60,
                            created_by_id=user.id, started_from_id=started_from.id if started_from else None)
    db.session.add(lesson)
    db.session.flush()
    if started_from is None:
        db.session.add(PlanStage(lesson_id=lesson.id, position=1))
    audit.record(user, "lesson.created", target=cycle.group.name,
                 details=f"cycle {cycle.number}: RL{lesson.number}", school_id=cycle.group.school_id)
    queue_group_change(cycle.group_id)
    if commit:
        db.session.commit()
    return lesson


@dataclass
class LessonDetails:
    date: date | None
    start_time: time | None
    duration_minutes: int
    class_name: str
    room: str
    teacher_id: int | None


def update_details(user: User, lesson: ResearchLesson, details: LessonDetails, based_on: int) -> None:
    """Date, time, class, room and who teaches. A form based on older details is refused (the page
    then shows what the other person saved), never silently overwritten."""
    require_plan_editor(user, lesson)
    if based_on != lesson.details_version:
        raise DomainError("Someone else changed these details while you were editing them. "
                          "Their version is shown now: make your change again.", "version")
    if details.teacher_id is not None and not _is_current_member(details.teacher_id, lesson):
        raise DomainError("Choose a member of the group to teach.", "teacher_id")
    if not 10 <= details.duration_minutes <= 300:
        raise DomainError("A lesson lasts between 10 and 300 minutes.", "duration_minutes")
    if details.date is not None and details.start_time is not None:
        # The school's wall-clock time: refused when the clocks skip it or show it twice that night.
        wall_clock(details.date, details.start_time, zone_of(lesson.group.school))
    for name, limit in (("class_name", 80), ("room", 80)):
        value = " ".join((getattr(details, name) or "").split())
        if len(value) > limit:
            raise DomainError(f"At most {limit} characters.", name)
        setattr(details, name, value)
    before = notices.slot_of(lesson)
    for name in ("date", "start_time", "duration_minutes", "class_name", "room", "teacher_id"):
        setattr(lesson, name, getattr(details, name))
    lesson.details_version += 1
    audit.record(user, "lesson.details", target=lesson.group.name,
                 details=f"cycle {lesson.cycle.number}: RL{lesson.number}", school_id=lesson.group.school_id)
    notices.tell_change(user, lesson, before)
    queue_change(lesson.id)
    db.session.commit()


def _is_current_member(user_id: int, lesson: ResearchLesson) -> bool:
    return any(m.user_id == user_id for m in lesson.group.current_members)


# --- stages ----------------------------------------------------------------------------------------

def add_stage(user: User, lesson: ResearchLesson, after: PlanStage | None = None) -> PlanStage:
    require_plan_editor(user, lesson)
    stages = lesson.current_stages
    if len(stages) >= MAX_STAGES:
        raise DomainError(f"A plan has at most {MAX_STAGES} stages.")
    index = stages.index(after) + 1 if after in stages else len(stages)
    stage = PlanStage(lesson_id=lesson.id, position=0)
    stages.insert(index, stage)
    db.session.add(stage)
    _renumber(stages)
    queue_change(lesson.id)
    db.session.commit()
    return stage


def move_stage(user: User, stage: PlanStage, direction: str) -> None:
    """Up or down by one. Text typed into the stage meanwhile is not touched: fields belong to the
    stage, not to its position."""
    lesson = stage.lesson
    require_plan_editor(user, lesson)
    stages = lesson.current_stages
    if stage not in stages:
        raise DomainError("That stage was removed.")
    index = stages.index(stage)
    target = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= target < len(stages):
        return
    stages[index], stages[target] = stages[target], stages[index]
    _renumber(stages)
    queue_change(lesson.id)
    db.session.commit()


def remove_stage(user: User, stage: PlanStage) -> None:
    """The stage leaves the plan but is kept, with its text, and can be brought back."""
    lesson = stage.lesson
    require_plan_editor(user, lesson)
    if stage.removed_at is not None:
        return
    if len(lesson.current_stages) <= 1:
        raise DomainError("A plan keeps at least one stage.")
    stage.removed_at, stage.removed_by_id = utcnow(), user.id
    _renumber(lesson.current_stages)
    queue_change(lesson.id)
    db.session.commit()


def restore_stage(user: User, stage: PlanStage) -> None:
    lesson = stage.lesson
    require_plan_editor(user, lesson)
    if stage.removed_at is None:
        return
    if len(lesson.current_stages) >= MAX_STAGES:
        raise DomainError(f"A plan has at most {MAX_STAGES} stages.")
    stage.removed_at, stage.removed_by_id = None, None
    stage.position = len(lesson.current_stages) + 1
    _renumber(lesson.current_stages)
    queue_change(lesson.id)
    db.session.commit()


def _renumber(stages: list[PlanStage]) -> None:
    for position, stage in enumerate(stages, start=1):
        stage.position = position


def removed_stages(lesson: ResearchLesson) -> list[PlanStage]:
    return [stage for stage in lesson.stages if stage.removed_at is not None]
