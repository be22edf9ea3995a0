"""Who may record what on the lesson day."""

from __future__ import annotations

from ..errors import DomainError, NotAllowed
from ..models import CycleStatus, ResearchLesson, User
from ..permissions import can_see_lesson, is_facilitator


def require_recorder(user: User, lesson: ResearchLesson) -> None:
    """Observations, interviews and cover are recorded by members who have signed the protocol, in a
    cycle that is not closed."""
    if not can_see_lesson(user, lesson):
        raise NotAllowed("Sign the group's current protocol first.")
    if lesson.cycle.status is CycleStatus.CLOSED:
        raise DomainError(f"Cycle {lesson.cycle.number} is closed: its lessons are kept as they are.")


def is_lesson_lead(user: User, lesson: ResearchLesson) -> bool:
    """The facilitator, or the member who teaches the lesson."""
    return is_facilitator(user, lesson.group) or (lesson.teacher_id is not None and lesson.teacher_id == user.id)
