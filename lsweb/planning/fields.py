"""The text boxes of a plan: their keys and labels, the plain text stored for each (derived from the
plan's co-edited document, lsweb/coedit/), and putting text into them from the server's side.

Every change goes into the plan's document (lsweb/coedit/edits.py) as the changes from the text it
was made against, so what others typed meanwhile stays; the document then writes the boxes' plain text
into PlanField. PlanRevision keeps the saves from before the plan was a document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import DomainError
from ..extensions import db
from ..models import CasePupil, PlanField, PlanRevision, PlanStage, ResearchLesson, User
from .lessons import require_plan_editor

MAX_TEXT = 5_000
PLAN_FIELDS = {
    "aspect": "Aspect of learning studied",
    "intentions": "Learning intentions",
    "criteria": "Success criteria",
    "resources": "Resources",
    "interview": "Questions for the pupil interviews",
}
STAGE_PARTS = {"time": "Time", "activity": "Teaching activity or key question", "resources": "Resources"}
_PUPIL_KEY = re.compile(r"pupil-(\d+)-criterion\Z")
_STAGE_KEY = re.compile(r"stage-(\d+)-(time|activity|resources)\Z")
_PREDICTION_KEY = re.compile(r"prediction-(\d+)-(\d+)\Z")


class FieldNotFound(DomainError):
    """No such field in this plan (a made-up key, or a pupil or stage of another lesson)."""


class TextRefused(DomainError):
    """A text breaks a limit of the document (its `field`: the key of the box); nothing was saved."""


@dataclass
class FieldSpec:
    key: str
    kind: str
    stage: PlanStage | None = None
    pupil: CasePupil | None = None


def stage_key(stage_id: int, part: str) -> str:
    return f"stage-{stage_id}-{part}"


def prediction_key(stage_id: int, pupil_id: int) -> str:
    return f"prediction-{stage_id}-{pupil_id}"


def pupil_key(pupil_id: int) -> str:
    return f"pupil-{pupil_id}-criterion"


def parse_key(lesson: ResearchLesson, key: str) -> FieldSpec:
    if key in PLAN_FIELDS:
        return FieldSpec(key, key)
    pupils = {pupil.id: pupil for pupil in lesson.cycle.pupils}
    stages = {stage.id: stage for stage in lesson.stages}
    if match := _PUPIL_KEY.match(key):
        pupil = pupils.get(int(match[1]))
        if pupil is not None:
            return FieldSpec(key, "pupil_criterion", pupil=pupil)
    elif match := _STAGE_KEY.match(key):
        stage = stages.get(int(match[1]))
        if stage is not None:
            return FieldSpec(key, f"stage_{match[2]}", stage=stage)
    elif match := _PREDICTION_KEY.match(key):
        stage, pupil = stages.get(int(match[1])), pupils.get(int(match[2]))
        if stage is not None and pupil is not None:
            return FieldSpec(key, "prediction", stage=stage, pupil=pupil)
    raise FieldNotFound("That part of the plan does not exist.")


def label(spec: FieldSpec) -> str:
    """What people call the field ("Stage 2 · Resources", "Pupil A · prediction, stage 3")."""
    if spec.kind in PLAN_FIELDS:
        return PLAN_FIELDS[spec.kind]
    if spec.kind == "pupil_criterion":
        return f"{spec.pupil.label} · success criterion"
    where = f"stage {spec.stage.position}" + (" (removed)" if spec.stage.removed_at else "")
    if spec.kind == "prediction":
        return f"{spec.pupil.label} · prediction, {where}"
    return f"{where.capitalize()} · {STAGE_PARTS[spec.kind.removeprefix('stage_')]}"


def fields_of(lesson: ResearchLesson) -> dict[str, PlanField]:
    """Every stored field of the plan by key (a field nobody has written yet is simply absent)."""
    return {field.key: field for field in db.session.scalars(
        db.select(PlanField).where(PlanField.lesson_id == lesson.id))}


def clean_text(text: str | None) -> str:
    return (text or "").replace("\r\n", "\n").replace("\r", "\n")


def box_key(key: str, spec: FieldSpec) -> str:
    """The box's key in the plan's co-edited document (stages by their document key, not their row id)."""
    if spec.stage is None:
        return key
    stage = spec.stage.key or f"s{spec.stage.id}"
    if spec.kind == "prediction":
        return f"prediction-{stage}-{spec.pupil.id}"
    return f"stage-{stage}-{spec.kind.removeprefix('stage_')}"


@dataclass
class Saved:
    """A box's text as stored after a save."""

    key: str
    text: str


def save_texts(user: User, lesson: ResearchLesson, texts: dict[str, str], rendered_seq: int | None = None) -> None:
    """Put `texts` ({field key: text}) into the plan's document as the changes from the text at
    `rendered_seq` (None: the current text), all or none. Keys of parts that no longer exist are
    skipped. TextRefused when a text breaks a limit; DomainError when the plan is locked."""
    from ..coedit import documents, edits, shape

    require_plan_editor(user, lesson)
    boxes = {}
    for key, text in texts.items():
        try:
            spec = parse_key(lesson, key)
        except FieldNotFound:
            continue  # a pupil or stage that no longer exists at all: nothing to save it into
        boxes[box_key(key, spec)] = (key, clean_text(text))
    if not boxes:
        return
    target = documents.target(documents.name_of_plan(lesson), user)
    try:
        edits.edit_texts(target, user.id, {box: text for box, (_, text) in boxes.items()}, rendered_seq)
    except shape.Refused as refused:
        db.session.rollback()
        raise TextRefused(refused.message, boxes.get(refused.box, (refused.box,))[0] or None) from None
    except documents.Locked:
        db.session.rollback()
        raise DomainError("This plan is locked: the lesson has been taught or the cycle is closed.") from None


def save_field(user: User, lesson: ResearchLesson, key: str, text: str) -> Saved:
    """One box's whole text, put into the plan's document as the changes from its current text (the
    demo, the benchmarks' seeding and tests)."""
    parse_key(lesson, key)  # FieldNotFound for a made-up key
    save_texts(user, lesson, {key: text})
    field = fields_of(lesson).get(key)
    return Saved(key, field.text if field else "")


def history(lesson: ResearchLesson, user_id: int | None = None, key: str | None = None,
            limit: int = 200) -> list[PlanRevision]:
    query = (db.select(PlanRevision).join(PlanField).where(PlanRevision.lesson_id == lesson.id)
             .order_by(PlanRevision.id.desc()).limit(limit))
    if user_id is not None:
        query = query.where(PlanRevision.user_id == user_id)
    if key:
        query = query.where(PlanField.key == key)
    return list(db.session.scalars(query))


def spec_of(lesson: ResearchLesson, field: PlanField) -> FieldSpec:
    return FieldSpec(field.key, field.kind, stage=field.stage, pupil=field.pupil)
