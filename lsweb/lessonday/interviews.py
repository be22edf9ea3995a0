"""Pupil interviews: right after the lesson, about five minutes, the pupils' exact words. The questions
and the recorded answers as the rest of lsweb reads them; the answers are typed into a co-edited document
(lsweb/coedit/interviews.py, saved by interview_saves.py)."""

from __future__ import annotations

from ..extensions import db
from ..models import InterviewAnswer, PlanField, ResearchLesson

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
