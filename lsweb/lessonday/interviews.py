"""Pupil interviews: right after the lesson, about five minutes, the pupils' exact words."""

from __future__ import annotations

from datetime import datetime

from ..errors import DomainError
from ..extensions import db
from ..models import CasePupil, InterviewAnswer, PlanField, ResearchLesson, User
from ..models.base import utcnow
from .rules import require_recorder

DEFAULT_QUESTIONS = [
    "What did you enjoy?",
    "What did you learn, or what can you do now?",
    "What helped you?",
    "What would you change if this lesson were taught to others?",
]
MAX_QUESTIONS = 12
MAX_ANSWER = 5000


def questions(lesson: ResearchLesson) -> list[str]:
    """The plan's interview questions (one per line), or the four usual ones when the plan has none."""
    field = db.session.scalar(db.select(PlanField).where(PlanField.lesson_id == lesson.id,
                                                        PlanField.key == "interview"))
    lines = [" ".join(line.split())[:300] for line in (field.text if field else "").splitlines()]
    lines = [line for line in lines if line]
    return lines[:MAX_QUESTIONS] or list(DEFAULT_QUESTIONS)


def answers_of(lesson: ResearchLesson) -> dict[int, dict[int, InterviewAnswer]]:
    """pupil id -> position -> answer."""
    result: dict[int, dict[int, InterviewAnswer]] = {}
    for row in db.session.scalars(db.select(InterviewAnswer).where(InterviewAnswer.lesson_id == lesson.id)):
        result.setdefault(row.pupil_id, {})[row.position] = row
    return result


def save_answers(user: User, lesson: ResearchLesson, pupil: CasePupil, answers: list[str],
                 now: datetime | None = None) -> None:
    """Record the pupil's words, one answer per question (in the order of `questions(lesson)`)."""
    now = now or utcnow()
    require_recorder(user, lesson)
    if pupil.cycle_id != lesson.cycle_id:
        raise DomainError("That pupil is not a case pupil of this cycle.")
    asked = questions(lesson)
    if any(len(answer or "") > MAX_ANSWER for answer in answers):
        raise DomainError(f"An answer has at most {MAX_ANSWER} characters.")
    existing = answers_of(lesson).get(pupil.id, {})
    for position, question in enumerate(asked):
        text = (answers[position] if position < len(answers) else "") or ""
        text = text.strip()
        row = existing.get(position)
        if row is None:
            if not text:
                continue
            row = InterviewAnswer(lesson_id=lesson.id, pupil_id=pupil.id, position=position)
            db.session.add(row)
        elif row.answer == text and row.question == question:
            continue
        row.question, row.answer, row.recorded_by_id, row.updated_at = question, text, user.id, now
    db.session.commit()
