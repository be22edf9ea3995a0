"""Who watches which case pupil: for the whole lesson, or for one stage; and what nobody covers."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import DomainError
from ..extensions import db
from ..models import CasePupil, ObserverAssignment, PlanStage, ResearchLesson, User
from ..channels import queue_lesson_change as queue_change
from .lessons import require_plan_editor


def assignments(lesson: ResearchLesson) -> dict[tuple[int, int | None], ObserverAssignment]:
    """{(pupil id, stage id or None for the whole lesson): assignment}."""
    return {(a.pupil_id, a.stage_id): a for a in db.session.scalars(
        db.select(ObserverAssignment).where(ObserverAssignment.lesson_id == lesson.id))}


def set_watcher(user: User, lesson: ResearchLesson, pupil: CasePupil, stage: PlanStage | None,
                observer_id: int | None, commit: bool = True) -> None:
    """`observer_id` watches `pupil` (in `stage`, or the whole lesson); None clears the choice."""
    require_plan_editor(user, lesson)
    if pupil.cycle_id != lesson.cycle_id or (stage is not None and stage.lesson_id != lesson.id):
        raise DomainError("That pupil or stage is not part of this lesson.")
    members = {m.user_id for m in lesson.group.current_members}
    if observer_id is not None and observer_id not in members:
        raise DomainError("Choose a member of the group as the observer.", "observer")
    existing = assignments(lesson).get((pupil.id, stage.id if stage else None))
    if observer_id is None:
        if existing is not None:
            db.session.delete(existing)
    elif existing is not None:
        existing.observer_id = observer_id
    else:
        db.session.add(ObserverAssignment(lesson_id=lesson.id, pupil_id=pupil.id,
                                          stage_id=stage.id if stage else None, observer_id=observer_id))
    queue_change(lesson.id)
    if commit:
        db.session.commit()


@dataclass
class Coverage:
    """Who watches each pupil in each stage, and the gaps."""

    watcher: dict[tuple[int, int], User | None]  # (pupil id, stage id) -> observer
    uncovered: list[tuple[CasePupil, PlanStage]]
    pupils_without: list[CasePupil]  # nobody at all
    stages_without: list[PlanStage]  # no pupil watched at all
    teacher_observing: list[CasePupil]

    @property
    def complete(self) -> bool:
        return not self.uncovered

    def observers(self) -> list[User]:
        seen = {}
        for user in self.watcher.values():
            if user is not None:
                seen[user.id] = user
        return sorted(seen.values(), key=lambda u: u.display_name)


def coverage(lesson: ResearchLesson) -> Coverage:
    found = assignments(lesson)
    stages, pupils = lesson.current_stages, lesson.cycle.pupils
    watcher, uncovered = {}, []
    for pupil in pupils:
        whole = found.get((pupil.id, None))
        for stage in stages:
            chosen = found.get((pupil.id, stage.id)) or whole
            watcher[(pupil.id, stage.id)] = chosen.observer if chosen else None
            if chosen is None:
                uncovered.append((pupil, stage))
    pupils_without = [p for p in pupils if all(watcher[(p.id, s.id)] is None for s in stages)]
    stages_without = [s for s in stages if pupils and all(watcher[(p.id, s.id)] is None for p in pupils)]
    teacher_observing = [p for p in pupils if lesson.teacher_id is not None and any(
        (w := watcher[(p.id, s.id)]) is not None and w.id == lesson.teacher_id for s in stages)]
    return Coverage(watcher, uncovered, pupils_without, stages_without, teacher_observing)

