"""Carrying a plan forward: "Start RL2 from RL1", what changed since, and the "next time" checklist."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from .. import audit
from ..errors import DomainError
from ..extensions import db
from ..channels import queue_group_change
from ..models import (ObserverAssignment, PlanChecklistTick, PlanField, PlanRevision, PlanStage,
                      ResearchLesson, User)
from ..models.base import utcnow
from ..worddiff import word_diff
from . import fields as plan_fields
from ..channels import queue_lesson_change as queue_change
from .lessons import create_lesson, require_plan_editor


def carry_forward(user: User, source: ResearchLesson) -> ResearchLesson:
    """A new lesson (the next number) whose plan is a copy of `source`'s: stages, every field's text
    (each copy a first revision of kind "carry") and the observers. One transaction."""
    lesson = create_lesson(user, source.cycle, started_from=source, commit=False)
    now = utcnow()
    stage_ids = {}
    for stage in source.current_stages:
        copy = PlanStage(lesson_id=lesson.id, position=stage.position, copied_from_id=stage.id)
        db.session.add(copy)
        db.session.flush()
        stage_ids[stage.id] = copy.id
    for field in plan_fields.fields_of(source).values():
        if field.stage_id is not None and field.stage_id not in stage_ids:
            continue  # a removed stage stays behind
        key = _rekey(field.key, stage_ids)
        copy = PlanField(lesson_id=lesson.id, key=key, kind=field.kind, text=field.text,
                         stage_id=stage_ids.get(field.stage_id), pupil_id=field.pupil_id,
                         copied_from_id=field.id, updated_at=now, updated_by_id=user.id)
        db.session.add(copy)
        db.session.flush()
        db.session.add(PlanRevision(lesson_id=lesson.id, field_id=copy.id, version=1, kind="carry",
                                    user_id=user.id, at=now, before="", after=field.text))
    for assignment in db.session.scalars(db.select(ObserverAssignment).where(
            ObserverAssignment.lesson_id == source.id)):
        if assignment.stage_id is not None and assignment.stage_id not in stage_ids:
            continue
        db.session.add(ObserverAssignment(lesson_id=lesson.id, pupil_id=assignment.pupil_id,
                                          observer_id=assignment.observer_id,
                                          stage_id=stage_ids.get(assignment.stage_id)))
    lesson.class_name, lesson.room, lesson.teacher_id = source.class_name, source.room, source.teacher_id
    lesson.duration_minutes = source.duration_minutes
    audit.record(user, "lesson.carried_forward", target=source.group.name,
                 details=f"cycle {source.cycle.number}: RL{lesson.number} from RL{source.number}",
                 school_id=source.group.school_id)
    queue_group_change(source.group.id)
    db.session.commit()
    return lesson


def _rekey(key: str, stage_ids: dict[int, int]) -> str:
    parts = key.split("-")
    if parts[0] in ("stage", "prediction"):
        parts[1] = str(stage_ids[int(parts[1])])
    return "-".join(parts)


@dataclass
class Change:
    label: str
    diff: Markup


def changes_from_previous(lesson: ResearchLesson) -> list[Change]:
    """Each field whose text differs from the field it was copied from (or that is new), word by word."""
    if lesson.started_from_id is None:
        return []
    source_fields = {f.id: f for f in plan_fields.fields_of(lesson.started_from).values()}
    changes = []
    for field in sorted(plan_fields.fields_of(lesson).values(), key=_reading_order):
        if field.stage is not None and field.stage.removed_at is not None:
            continue
        before = source_fields[field.copied_from_id].text if field.copied_from_id in source_fields else ""
        if before != field.text:
            changes.append(Change(plan_fields.label(plan_fields.spec_of(lesson, field)), word_diff(before, field.text)))
    new_stages = [s for s in lesson.current_stages if s.copied_from_id is None]
    gone = [s for s in lesson.started_from.current_stages
            if s.id not in {c.copied_from_id for c in lesson.current_stages}]
    if new_stages:
        changes.append(Change("Stages", Markup("New stages: ") + ", ".join(str(s.position) for s in new_stages)))
    if gone:
        changes.append(Change("Stages", Markup(f"{len(gone)} stage(s) of RL{lesson.started_from.number} left out")))
    return changes


def _reading_order(field: PlanField):
    order = list(plan_fields.PLAN_FIELDS)
    if field.kind in order:
        return (0, order.index(field.kind), 0, "")
    if field.kind == "pupil_criterion":
        return (1, 0, 0, field.key)
    return (2, field.stage.position if field.stage else 0, 0 if field.kind.startswith("stage_") else 1, field.key)


# --- the "next time" checklist ------------------------------------------------------------------------

@dataclass
class ChecklistItem:
    key: str
    text: str
    author: str
    done_by: str | None


def next_steps(lesson: ResearchLesson) -> list:
    """The "next step" posts of a lesson's discussion board."""
    from ..discussion.services import next_steps_of

    return next_steps_of(lesson)


def checklist(lesson: ResearchLesson) -> list[ChecklistItem]:
    """What the previous lesson's discussion decided to change next time, each ticked when addressed."""
    previous = lesson.started_from or _previous_lesson(lesson)
    if previous is None:
        return []
    ticks = {t.item_key: t for t in db.session.scalars(
        db.select(PlanChecklistTick).where(PlanChecklistTick.lesson_id == lesson.id))}
    return [ChecklistItem(step.key, step.text, step.author,
                          ticks[step.key].done_by.display_name if step.key in ticks and ticks[step.key].done_by
                          else ("someone" if step.key in ticks else None))
            for step in next_steps(previous)]


def _previous_lesson(lesson: ResearchLesson) -> ResearchLesson | None:
    return db.session.scalar(db.select(ResearchLesson).where(
        ResearchLesson.cycle_id == lesson.cycle_id, ResearchLesson.number < lesson.number)
        .order_by(ResearchLesson.number.desc()).limit(1))


def tick(user: User, lesson: ResearchLesson, item_key: str, done: bool) -> None:
    require_plan_editor(user, lesson)
    if item_key not in {item.key for item in checklist(lesson)}:
        raise DomainError("That item is not on this plan's checklist.")
    existing = db.session.scalar(db.select(PlanChecklistTick).where(
        PlanChecklistTick.lesson_id == lesson.id, PlanChecklistTick.item_key == item_key))
    if done and existing is None:
        db.session.add(PlanChecklistTick(lesson_id=lesson.id, item_key=item_key, done_by_id=user.id))
    elif not done and existing is not None:
        db.session.delete(existing)
    queue_change(lesson.id)
    db.session.commit()
