"""Demo data for the lesson day of "Year 4 fractions": RL1 taught (two observers' notes, the three case
pupils' interviews, cover and logged hours), RL2 scheduled with its cover list.

The lead calls `seed_lesson_day(rl1, rl2)` from lsweb/demo/__init__.py once RL1 (stages, predictions, observer
assignments) and RL2 exist.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from ..extensions import db
from ..lessonday.ledger import log_auto
from ..models import (
    CoverEntry,
    InterviewAnswer,
    LessonStatus,
    NoteKind,
    Observation,
    ObserverAssignment,
    Rating,
    ResearchLesson,
    TimeKind,
    User,
)

NOTES = [  # (rating, text) per stage, cycling
    (Rating.AS_PREDICTED, "Folded the paper strip into halves and quarters without help."),
    (Rating.LESS_WELL, "Said 2/4 is bigger than 1/2 “because 4 is bigger”."),
    (Rating.BETTER, "Drew a bar model unprompted and explained it to a partner."),
    (Rating.NOT_SEEN, "Was working with the teacher at this point: not seen."),
    (Rating.AS_PREDICTED, "Matched 3/6 with 1/2 on the fraction wall."),
    (Rating.BETTER, "Asked whether 5/10 is a half too, and checked with the bar."),
]
ANSWERS = {
    0: ["The paper strips.", "That 2/4 is the same as 1/2.", "Folding it.", "More strips."],
    1: ["Working with my partner.", "I can find fractions that are the same.", "The fraction wall.",
        "Do the wall first."],
    2: ["Explaining to Sam.", "Any fraction with the top half the bottom is a half.", "The bar model.",
        "Harder ones at the end."],
}


def _user(email: str) -> User | None:
    return db.session.scalar(db.select(User).where(User.email == email))


def seed_lesson_day(rl1: ResearchLesson, rl2: ResearchLesson | None = None) -> None:
    today = date.today()
    rl1.date = rl1.date or today - timedelta(days=7)
    rl1.start_time = rl1.start_time or time(10, 40)
    pupils = list(rl1.cycle.pupils)
    assignments = list(db.session.scalars(db.select(ObserverAssignment).where(
        ObserverAssignment.lesson_id == rl1.id)))
    observers = {a.pupil_id: a.observer_id for a in assignments if a.stage_id is None}
    members = [m.user_id for m in rl1.group.current_members if m.user_id != rl1.teacher_id]
    start = datetime.combine(rl1.date, rl1.start_time, tzinfo=UTC)
    for p_index, pupil in enumerate(pupils):
        observer_id = observers.get(pupil.id) or members[p_index % len(members)]
        for s_index, stage in enumerate(rl1.current_stages):
            rating, text = NOTES[(s_index + p_index) % len(NOTES)]
            db.session.add(Observation(client_id=f"demo-{rl1.id}-{stage.id}-{pupil.id}", lesson_id=rl1.id,
                                       observer_id=observer_id, kind=NoteKind.NOTE, pupil_id=pupil.id,
                                       stage_id=stage.id, rating=rating, text=text,
                                       noted_at=start + timedelta(minutes=8 * s_index + p_index)))
        for position, words in enumerate(ANSWERS.get(p_index, [])):
            from ..lessonday.interviews import questions

            db.session.add(InterviewAnswer(lesson_id=rl1.id, pupil_id=pupil.id, position=position,
                                           question=questions(rl1)[position], answer=words,
                                           recorded_by_id=observer_id))
    if members:
        db.session.add(Observation(client_id=f"demo-{rl1.id}-pattern", lesson_id=rl1.id, observer_id=members[0],
                                   kind=NoteKind.PATTERN, text="Most pupils reached for the strips before the wall.",
                                   noted_at=start + timedelta(minutes=50)))
    for lesson in filter(None, (rl1, rl2)):
        for index, user_id in enumerate(members[:2]):
            db.session.add(CoverEntry(lesson_id=lesson.id, user_id=user_id, class_name=("5C maths", "6R science")[index],
                                      note="Plans on the desk", created_by_id=user_id))
    rl1.status = LessonStatus.TAUGHT
    db.session.flush()
    for user_id in set(observers.values()) or set(members):
        log_auto(user_id, rl1, TimeKind.OBSERVING, rl1.duration_minutes, rl1.date, f"observe-{user_id}")
    if rl1.teacher_id:
        log_auto(rl1.teacher_id, rl1, TimeKind.TEACHING, rl1.duration_minutes, rl1.date, f"teach-{rl1.teacher_id}")
    if rl2 is not None:
        rl2.date = rl2.date or today + timedelta(days=14)
        rl2.start_time = rl2.start_time or time(10, 40)
    db.session.commit()
