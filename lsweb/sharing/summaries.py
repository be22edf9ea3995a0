"""The co-edited summary of a cycle: what we learned about these pupils' learning, about teaching it, what
we will change, each case pupil's progress across the lessons, and the key evidence.

Fields are saved by the same rule as the plan's (lsweb/planning/versioned.py): a save carries the version
it was based on; a stale save is merged three ways or kept as a conflict for its author; every change
appends a revision. Nothing anyone saved is dropped.
"""

from __future__ import annotations

import re
from datetime import datetime
from types import SimpleNamespace


from .. import access
from ..channels import queue_summary_change
from ..errors import DomainError, NotAllowed
from ..database import retrying_in_savepoint
from ..extensions import db
from ..models import (
    CasePupil,
    Cycle,
    CycleSummary,
    InterviewAnswer,
    NoteKind,
    Observation,
    Post,
    ResearchLesson,
    SummaryConflict,
    SummaryEvidence,
    SummaryField,
    SummaryRevision,
    User,
)
from ..models.base import utcnow
from ..planning.versioned import SaveResult, Store, clean_text, save_text

MAX_TEXT = 8_000
SECTIONS = {
    "learning": "What we learned about these pupils' learning",
    "teaching": "What we learned about teaching it",
    "changes": "What we will change",
}
_PROGRESS = re.compile(r"pupil-(\d+)-progress\Z")
EVIDENCE_KINDS = {"observation": "Observation", "interview": "Pupil interview", "finding": "Discussion finding"}


class FieldNotFound(DomainError):
    pass


def progress_key(pupil_id: int) -> str:
    return f"pupil-{pupil_id}-progress"


def require_editor(user: User, cycle: Cycle) -> None:
    if not access.of_cycle(user, cycle).sees_material:
        raise NotAllowed("Members of the group who have signed the protocol write its summary.")


def summary_of(cycle: Cycle, create: bool = True) -> CycleSummary | None:
    summary = db.session.scalar(db.select(CycleSummary).where(CycleSummary.cycle_id == cycle.id))
    if summary is None and create:
        summary = CycleSummary(cycle_id=cycle.id)
        db.session.add(summary)
        db.session.flush()
    return summary


def label(cycle: Cycle, key: str) -> str:
    if key in SECTIONS:
        return SECTIONS[key]
    match = _PROGRESS.match(key)
    if match:
        for pupil in cycle.pupils:
            if pupil.id == int(match[1]):
                return f"{pupil.label}: progress across the lessons"
    raise FieldNotFound("That part of the summary does not exist.")


def keys_of(cycle: Cycle) -> list[str]:
    return list(SECTIONS) + [progress_key(p.id) for p in cycle.pupils]


def fields_of(summary: CycleSummary) -> dict[str, SummaryField]:
    return {f.key: f for f in db.session.scalars(db.select(SummaryField).where(SummaryField.summary_id == summary.id))}


def state(summary: CycleSummary) -> dict[str, dict]:
    return {k: {"text": f.text, "version": f.version} for k, f in fields_of(summary).items()}


def cells(cycle: Cycle, summary: CycleSummary) -> list[SimpleNamespace]:
    stored = fields_of(summary)
    return [SimpleNamespace(key=key, box=key, label=label(cycle, key), text=stored[key].text if key in stored else "",
                            version=stored[key].version if key in stored else 0, error=None, limit=MAX_TEXT)
            for key in keys_of(cycle)]


def texts(cycle: Cycle, summary: CycleSummary) -> dict[str, str]:
    stored = fields_of(summary)
    return {key: stored[key].text if key in stored else "" for key in keys_of(cycle)}


def _write(field: SummaryField, text: str, user: User | None, kind: str, now: datetime) -> None:
    db.session.add(SummaryRevision(summary_id=field.summary_id, field_id=field.id, version=field.version + 1,
                                   kind=kind, user_id=user.id if user else None, at=now, before=field.text,
                                   after=text))
    field.text, field.version, field.updated_at = text, field.version + 1, now
    field.updated_by_id = user.id if user else None


def save_field(user: User, cycle: Cycle, key: str, text: str, base_version: int, base_text: str | None = None,
               now: datetime | None = None, commit: bool = True) -> SaveResult:
    """Save one field of the summary, as lsweb.planning.fields.save_field saves a plan's: each attempt in
    a savepoint, so a retried first save never undoes the other fields of a whole-summary post."""
    result = retrying_in_savepoint(db, lambda: _save(user, cycle, key, clean_text(text), base_version, base_text,
                                                     now or utcnow()))
    if result.stored:
        queue_summary_change(cycle.id, "field-saved", key=result.key, version=result.version, text=result.text,
                             by=user.display_name)
    if commit:
        db.session.commit()
    return result


def _save(user, cycle, key, text, base_version, base_text, now) -> SaveResult:
    require_editor(user, cycle)
    name = label(cycle, key)
    if len(text) > MAX_TEXT:
        raise DomainError(f"{name}: at most {MAX_TEXT:,} characters ({len(text):,} now).", key)
    summary = summary_of(cycle)
    field = db.session.scalar(db.select(SummaryField).where(SummaryField.summary_id == summary.id,
                                                            SummaryField.key == key).with_for_update())
    if field is None:
        field = SummaryField(summary_id=summary.id, key=key, text="", version=0)
        db.session.add(field)
        db.session.flush()
    return save_text(_STORE, field, user, key, text, base_version, base_text, now)


def _keep_as_conflict(field: SummaryField, user: User, text: str, base_version: int,
                      now: datetime) -> SummaryConflict:
    conflict = SummaryConflict(summary_id=field.summary_id, field_id=field.id, user_id=user.id, text=text,
                               base_version=base_version, created_at=now)
    db.session.add(conflict)
    return conflict


_STORE = Store(revisions=SummaryRevision, conflicts=SummaryConflict, write=_write, keep_conflict=_keep_as_conflict)


def open_conflicts(summary: CycleSummary, user: User) -> list[SummaryConflict]:
    return list(db.session.scalars(db.select(SummaryConflict).where(
        SummaryConflict.summary_id == summary.id, SummaryConflict.user_id == user.id,
        SummaryConflict.resolved_at.is_(None)).order_by(SummaryConflict.id)))


def dismiss_conflict(user: User, conflict: SummaryConflict) -> None:
    if conflict.user_id != user.id:
        raise FieldNotFound("That conflict is not yours.")
    conflict.resolved_at = conflict.resolved_at or utcnow()
    db.session.commit()


def history(summary: CycleSummary, limit: int = 200) -> list[SummaryRevision]:
    return list(db.session.scalars(db.select(SummaryRevision).where(SummaryRevision.summary_id == summary.id)
                                   .order_by(SummaryRevision.id.desc()).limit(limit)))


# --- key evidence ----------------------------------------------------------------------------------------

def lessons_of(cycle: Cycle) -> list[ResearchLesson]:
    return list(db.session.scalars(db.select(ResearchLesson).where(ResearchLesson.cycle_id == cycle.id)
                                   .order_by(ResearchLesson.number)))


def candidates(cycle: Cycle) -> list[SimpleNamespace]:
    """What may be linked as key evidence: observations, interview answers, posts marked "finding"."""
    found = []
    for lesson in lessons_of(cycle):
        for note in db.session.scalars(db.select(Observation).where(Observation.lesson_id == lesson.id,
                                                                    Observation.text != "",
                                                                    Observation.deleted_at.is_(None))
                                       .order_by(Observation.noted_at)):
            who = note.pupil.label if note.pupil else NoteKind(note.kind).label
            found.append(SimpleNamespace(kind="observation", id=note.id, lesson=lesson.number,
                                         text=f"{who}: {note.text}"))
        for answer in db.session.scalars(db.select(InterviewAnswer).where(InterviewAnswer.lesson_id == lesson.id,
                                                                          InterviewAnswer.answer != "")):
            found.append(SimpleNamespace(kind="interview", id=answer.id, lesson=lesson.number,
                                         text=f"{answer.pupil.label}, asked “{answer.question}”: “{answer.answer}”"))
        for post in db.session.scalars(db.select(Post).where(Post.lesson_id == lesson.id, Post.mark == "finding",
                                                             Post.deleted_at.is_(None), Post.hidden_at.is_(None))):
            found.append(SimpleNamespace(kind="finding", id=post.id, lesson=lesson.number, text=post.body))
    return found


def evidence_of(summary: CycleSummary) -> list[SummaryEvidence]:
    return list(db.session.scalars(db.select(SummaryEvidence).where(SummaryEvidence.summary_id == summary.id)
                                   .order_by(SummaryEvidence.lesson_number, SummaryEvidence.id)))


def link_evidence(user: User, cycle: Cycle, kind: str, source_id: int) -> SummaryEvidence:
    require_editor(user, cycle)
    source = next((c for c in candidates(cycle) if c.kind == kind and c.id == source_id), None)
    if source is None:
        raise DomainError("That observation, answer or finding is not part of this cycle.")
    summary = summary_of(cycle)
    existing = db.session.scalar(db.select(SummaryEvidence).where(
        SummaryEvidence.summary_id == summary.id, SummaryEvidence.kind == kind,
        SummaryEvidence.source_id == source_id))
    if existing is not None:
        return existing
    item = SummaryEvidence(summary_id=summary.id, kind=kind, source_id=source_id, lesson_number=source.lesson,
                           text=source.text[:MAX_TEXT], added_by_id=user.id)
    db.session.add(item)
    db.session.commit()
    return item


def unlink_evidence(user: User, cycle: Cycle, evidence_id: int) -> None:
    require_editor(user, cycle)
    summary = summary_of(cycle)
    item = db.session.get(SummaryEvidence, evidence_id)
    if item is None or item.summary_id != summary.id:
        raise FieldNotFound("That evidence is not part of this summary.")
    db.session.delete(item)
    db.session.commit()


def pupils_of(cycle: Cycle) -> list[CasePupil]:
    return list(cycle.pupils)
