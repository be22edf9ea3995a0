"""The pupil interviews of a lesson as one co-edited document: a shared text per case pupil and
question ("answer-<pupil id>-<position>" in the document's "texts" map), so two recorders on the page
type into the same answer without either losing a word (the plan's rule), and every change is in the
document's update log and history.

The derived view is the InterviewAnswer table (print, exports, the progress page, retention and the
subject-access export read it), written for each answer whose text changed.
"""

from __future__ import annotations

from datetime import datetime

from ..extensions import db
from ..inputs import ascii_int, parse_id
from ..lessonday.interviews import MAX_ANSWER, MAX_QUESTIONS, questions
from ..models import InterviewAnswer, ResearchLesson
from . import shape

PREFIX = "answer-"


def name_of(lesson: ResearchLesson) -> str:
    return f"interviews-{lesson.id}"


def box(pupil_id: int, position: int) -> str:
    return f"{PREFIX}{pupil_id}-{position}"


def text_keys(pupil_ids: list[int]) -> list[str]:
    """Every answer a pupil can have (the plan may add questions later, up to MAX_QUESTIONS)."""
    return [box(p, position) for p in pupil_ids for position in range(MAX_QUESTIONS)]


def _parse(key: str) -> tuple[int, int] | None:
    if not key.startswith(PREFIX):
        return None
    pupil, _, position = key[len(PREFIX):].partition("-")
    pupil_id, pos = parse_id(pupil), ascii_int(position, MAX_QUESTIONS - 1, 0)
    return None if pupil_id is None or pos is None else (pupil_id, pos)


def initial(lesson: ResearchLesson, pupil_ids: list[int]) -> dict:
    """The document as the stored answers have it."""
    stored = {box(a.pupil_id, a.position): a.answer for a in db.session.scalars(
        db.select(InterviewAnswer).where(InterviewAnswer.lesson_id == lesson.id))}
    return {"texts": {key: stored.get(key, "") for key in text_keys(pupil_ids)}}


def check(view: shape.DocView, labels) -> None:
    shape.check(view, max_box=MAX_ANSWER, labels=labels)


def label(lesson: ResearchLesson, key: str) -> str:
    parsed = _parse(key)
    asked = questions(lesson)
    if parsed is None or parsed[1] >= len(asked):
        return "This answer"
    return f"The answer to “{asked[parsed[1]]}”"


def derive(lesson: ResearchLesson, old: shape.DocView | None, new: shape.DocView, user_id: int | None,
           now: datetime) -> list[tuple]:
    """Write each changed answer into InterviewAnswer (with the question it answers now)."""
    before = old.texts if old else {}
    changed = {}
    for key, text in new.texts.items():
        parsed = _parse(key)
        if parsed is not None and before.get(key) != text:
            changed[parsed] = text
    if not changed:
        return []
    asked = questions(lesson)
    rows = {(a.pupil_id, a.position): a for a in db.session.scalars(db.select(InterviewAnswer).where(
        InterviewAnswer.lesson_id == lesson.id, InterviewAnswer.pupil_id.in_({p for p, _ in changed})))}
    out = []
    for (pupil_id, position), text in changed.items():
        row = rows.get((pupil_id, position))
        stored = text.strip()
        if row is None:
            if not stored or user_id is None:
                continue
            row = InterviewAnswer(lesson_id=lesson.id, pupil_id=pupil_id, position=position, answer="")
            db.session.add(row)
        if row.answer == stored:
            continue
        out.append((box(pupil_id, position), "text", row.answer or "", stored))
        question = asked[position] if position < len(asked) else (row.question or "")
        row.question, row.answer, row.updated_at = question[:300], stored, now
        if user_id is not None:
            row.recorded_by_id = user_id
    return out
