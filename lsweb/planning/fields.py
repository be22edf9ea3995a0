"""The co-edited fields of a plan: saving with version checks, three-way merges, conflicts, restores.

Every save carries the version of the field it was based on (the rule itself is versioned.py's, shared
with the cycle summary):
- the same version as stored: the text is saved (version + 1);
- an older version: three-way merge (merge.py) of the text at that version, the stored text and the
  saved text; a clean merge is saved and returned to its author, an unclean one is kept as a conflict
  (PlanConflict) shown to its author beside the field;
- a field whose stage was removed meanwhile: the text is kept as a conflict ("removed") and offered back.
Every change appends a revision (who, when, before, after). Nothing a person saved is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime


from ..errors import DomainError
from ..database import retrying_in_savepoint
from ..extensions import db
from ..models import CasePupil, PlanConflict, PlanField, PlanRevision, PlanStage, ResearchLesson, User
from ..models.base import utcnow
from ..channels import queue_lesson_change as queue_change
from .lessons import require_plan_editor
from .versioned import SaveResult, Store, clean_text, save_text

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


def state(lesson: ResearchLesson) -> dict[str, dict]:
    """{key: {"text", "version"}} of every stored field: what a page catches up with after a reconnect."""
    return {key: {"text": field.text, "version": field.version} for key, field in fields_of(lesson).items()}


def _locked_field(lesson: ResearchLesson, spec: FieldSpec) -> PlanField:
    field = db.session.scalar(db.select(PlanField).where(PlanField.lesson_id == lesson.id,
                                                         PlanField.key == spec.key).with_for_update())
    if field is None:
        field = PlanField(lesson_id=lesson.id, key=spec.key, kind=spec.kind, text="", version=0,
                          stage_id=spec.stage.id if spec.stage else None,
                          pupil_id=spec.pupil.id if spec.pupil else None)
        db.session.add(field)
        db.session.flush()
    return field


def write(field: PlanField, text: str, user: User | None, kind: str, now: datetime) -> PlanRevision:
    revision = PlanRevision(lesson_id=field.lesson_id, field_id=field.id, version=field.version + 1,
                            kind=kind, user_id=user.id if user else None, at=now, before=field.text, after=text)
    field.text, field.version = text, field.version + 1
    field.updated_at, field.updated_by_id = now, user.id if user else None
    db.session.add(revision)
    return revision


def _keep_as_conflict(field: PlanField, user: User, text: str, base_version: int, now: datetime,
                      reason: str = "conflict") -> PlanConflict:
    conflict = PlanConflict(lesson_id=field.lesson_id, field_id=field.id, user_id=user.id, reason=reason,
                            text=text, base_version=base_version, created_at=now)
    db.session.add(conflict)
    return conflict


def open_conflicts(lesson: ResearchLesson, user: User) -> list[PlanConflict]:
    return list(db.session.scalars(db.select(PlanConflict).where(
        PlanConflict.lesson_id == lesson.id, PlanConflict.user_id == user.id,
        PlanConflict.resolved_at.is_(None)).order_by(PlanConflict.id)))


_STORE = Store(revisions=PlanRevision, conflicts=PlanConflict, write=write, keep_conflict=_keep_as_conflict)


def check_length(spec: FieldSpec, text: str) -> None:
    limit = 200 if spec.kind == "stage_time" else MAX_TEXT
    if len(text) > limit:
        raise DomainError(f"{label(spec)}: at most {limit:,} characters ({len(text):,} now). "
                          "Your text is still here: shorten it and it saves.", spec.key)


def save_field(user: User, lesson: ResearchLesson, key: str, text: str, base_version: int,
               base_text: str | None = None, now: datetime | None = None, commit: bool = True) -> SaveResult:
    """Save one field. `base_text`, when given, is the text the author's edit started from (the page
    sends it after a merge came back while its author went on typing); else the text at base_version.

    Each attempt runs in a savepoint: when two first saves of one field
    meet on PostgreSQL, only this field's attempt is undone and read again, never the other fields a
    whole-plan post saved before it in the same transaction."""
    when = now or utcnow()

    def attempt() -> SaveResult:
        return _save(user, lesson, key, clean_text(text), base_version, base_text, when)

    result = retrying_in_savepoint(db, attempt)
    if result.stored:
        queue_change(lesson.id, "field-saved", key=result.key, version=result.version, text=result.text,
                     by=user.display_name if user is not None else "")
    if commit:
        db.session.commit()
    return result


def _save(user: User, lesson: ResearchLesson, key: str, text: str, base_version: int,
          base_text: str | None, now: datetime) -> SaveResult:
    require_plan_editor(user, lesson)
    spec = parse_key(lesson, key)
    check_length(spec, text)
    field = _locked_field(lesson, spec)
    if spec.stage is not None and spec.stage.removed_at is not None:
        if text == field.text:
            return SaveResult("unchanged", key, field.text, field.version)
        conflict = _keep_as_conflict(field, user, text, base_version, now, reason="removed")
        db.session.flush()
        return SaveResult("removed", key, field.text, field.version, conflict)
    return save_text(_STORE, field, user, key, text, base_version, base_text, now)


def dismiss_conflict(user: User, conflict: PlanConflict) -> None:
    """The author keeps the field as it is; their text stays in the conflict's record."""
    if conflict.user_id != user.id:
        raise FieldNotFound("That conflict is not yours.")
    conflict.resolved_at = conflict.resolved_at or utcnow()
    queue_change(conflict.lesson_id)
    db.session.commit()


def restore_revision(user: User, lesson: ResearchLesson, revision: PlanRevision,
                     now: datetime | None = None) -> PlanRevision:
    """The field takes the text it had after `revision`; that is a new revision, history is kept."""
    require_plan_editor(user, lesson)
    field = db.session.scalar(db.select(PlanField).where(PlanField.id == revision.field_id).with_for_update())
    if field is None or field.lesson_id != lesson.id:
        raise FieldNotFound("That revision is not part of this plan.")
    new = write(field, revision.after, user, "restore", now or utcnow())
    queue_change(lesson.id, "field-saved", key=field.key, version=new.version, text=new.after,
                 by=user.display_name)
    db.session.commit()
    return new


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
