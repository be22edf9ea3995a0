"""The co-edited summary of a cycle: what we learned about these pupils' learning, about teaching it, what
we will change, each case pupil's progress across the lessons, and the key evidence.

The summary is one co-edited document, as a plan is (lsweb/coedit/): every change goes into it, against
the text it was made from, so what others typed meanwhile stays; the document writes each box's plain
text into SummaryField. SummaryRevision keeps the saves from before that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import SimpleNamespace

from .. import access
from ..errors import DomainError, NotAllowed
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
    SummaryEvidence,
    SummaryField,
    SummaryRevision,
    User,
)

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


def cells(cycle: Cycle, summary: CycleSummary) -> list[SimpleNamespace]:
    stored = fields_of(summary)
    return [SimpleNamespace(key=key, box=key, label=label(cycle, key), text=stored[key].text if key in stored else "",
                            error=None, limit=MAX_TEXT)
            for key in keys_of(cycle)]


def texts(cycle: Cycle, summary: CycleSummary) -> dict[str, str]:
    stored = fields_of(summary)
    return {key: stored[key].text if key in stored else "" for key in keys_of(cycle)}


@dataclass
class Saved:
    """A box's text as stored after a save."""

    key: str
    text: str


def save_texts(user: User, cycle: Cycle, texts: dict[str, str], rendered_seq: int | None = None) -> None:
    """Put `texts` ({box key: text}) into the summary's document as the changes from the text at
    `rendered_seq` (None: the current text), all or none; DomainError (its `field` the box) when a text
    breaks a limit or the cycle is closed."""
    from ..coedit import documents, edits, shape

    require_editor(user, cycle)
    target = documents.target(documents.name_of_summary(cycle), user)
    try:
        edits.edit_texts(target, user.id, texts, rendered_seq)
    except shape.Refused as refused:
        db.session.rollback()
        raise DomainError(refused.message, refused.box) from None
    except documents.Locked:
        db.session.rollback()
        raise DomainError("This cycle is closed: its summary is kept as it is.") from None


def save_field(user: User, cycle: Cycle, key: str, text: str) -> Saved:
    """One box's whole text, put into the summary's document as the changes from its current text (the
    demo, the benchmarks' seeding and tests)."""
    label(cycle, key)  # FieldNotFound for a made-up key
    save_texts(user, cycle, {key: text})
    field = fields_of(summary_of(cycle)).get(key)
    return Saved(key, field.text if field else "")


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
