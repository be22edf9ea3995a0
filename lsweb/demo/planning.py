"""The demo's research lessons: RL1 of "Year 4 fractions" with a filled plan written by three members,
and RL2 started from it."""

from __future__ import annotations

from datetime import date, time, timedelta

from ..extensions import db
from ..models import Cycle, ResearchLesson, User
from ..planning import carry, fields, lessons, observers

AIMS = {
    "aspect": "How pupils recognise that two fractions are equivalent when the diagrams look different.",
    "intentions": "To recognise and show, using bar models, families of equivalent fractions.",
    "criteria": "I can use a bar model to show that 1/2 = 2/4 = 4/8.\nI can explain to my partner why they are equal.",
    "resources": "Paper strips, fraction walls, mini whiteboards, talk-partner prompt cards.",
    "interview": "What did you enjoy?\nWhat did you learn, or what can you do now?\nWhat helped you?\n"
                 "What would you change if this were taught to others?",
}
STAGES = [
    ("0–5 min", "Warm-up: fold a paper strip into halves, then quarters. Key question: what do you notice?",
     "Paper strips", ["Folds into halves confidently; unsure whether the quarters are equal.",
                      "Folds both and says two quarters make a half.",
                      "Predicts eighths before folding."]),
    ("5–15 min", "Model 1/2 = 2/4 on a bar model; talk partners explain it back.", "Bar model on the board",
     ["Copies the model but explains with 'it looks the same'.", "Explains using the bar model.",
      "Generalises: doubling top and bottom."]),
    ("15–25 min", "Pairs build fraction walls and find three fractions equal to 1/2.", "Fraction walls",
     ["Finds 2/4 with support; needs the wall lined up.", "Finds 2/4 and 4/8.", "Finds 3/6 and explains why."]),
    ("25–35 min", "Odd one out: 2/4, 3/6, 3/4. Key question: how do you know?", "Mini whiteboards",
     ["Chooses by the size of the numbers.", "Chooses 3/4 and uses the wall to check.",
      "Chooses 3/4 and justifies without the wall."]),
    ("35–45 min", "Independent practice: shade bar models to show equal fractions.", "Worksheet",
     ["Shades correctly for halves; not yet for thirds.", "Completes with a few errors in sixths.",
      "Completes and writes own examples."]),
    ("45–50 min", "Plenary: each pair shares one equal pair and why.", "Talk-partner prompt cards",
     ["Shares with a partner's help.", "Shares and uses 'equivalent'.", "Challenges another pair's example."]),
]
CRITERIA = ["Shows 1/2 = 2/4 with a bar model.", "Finds two fractions equal to 1/2 and explains why.",
            "Explains equivalence without a diagram."]


def _user(email: str) -> User:
    return db.session.scalar(db.select(User).where(User.email == email))


def seed_planning(cycle: Cycle) -> tuple[ResearchLesson, ResearchLesson]:
    """RL1 (filled, observers assigned, revisions by three members) and RL2 started from it."""
    hannah, samuel, grace = _user("teacher1@demo.local"), _user("teacher2@demo.local"), _user("teacher3@demo.local")
    maria = _user("support1@demo.local")
    writers = [hannah, samuel, grace]
    rl1 = lessons.create_lesson(hannah, cycle)
    for _ in STAGES[1:]:
        lessons.add_stage(hannah, rl1)
    db.session.refresh(rl1)
    lessons.update_details(hannah, rl1, lessons.LessonDetails(
        date=date.today() - timedelta(days=2), start_time=time(10, 40), duration_minutes=50, class_name="4B",
        room="Room 12", teacher_id=samuel.id), rl1.details_version)
    pupils = cycle.pupils
    # The stages, details and observers first: the texts go into the plan's co-edited document, which is
    # built from them at the first text.
    for pupil, observer in zip(pupils, [hannah, grace, maria]):
        observers.set_watcher(hannah, rl1, pupil, None, observer.id)
    for index, (key, text) in enumerate(AIMS.items()):
        fields.save_field(writers[index % 3], rl1, key, text)
    for pupil, text in zip(pupils, CRITERIA):
        fields.save_field(grace, rl1, fields.pupil_key(pupil.id), text)
    for stage, (when, activity, resources, predictions) in zip(rl1.current_stages, STAGES):
        fields.save_field(hannah, rl1, fields.stage_key(stage.id, "time"), when)
        fields.save_field(samuel, rl1, fields.stage_key(stage.id, "activity"), activity)
        fields.save_field(grace, rl1, fields.stage_key(stage.id, "resources"), resources)
        for index, (pupil, text) in enumerate(zip(pupils, predictions)):
            fields.save_field(writers[index], rl1, fields.prediction_key(stage.id, pupil.id), text)
    # A later refinement by another member: a second revision of the same field.
    first = rl1.current_stages[0]
    key = fields.stage_key(first.id, "activity")
    current = fields.fields_of(rl1)[key]
    fields.save_field(grace, rl1, key, current.text + " Pupils record on whiteboards.")
    rl2 = carry.carry_forward(hannah, rl1)
    lessons.update_details(hannah, rl2, lessons.LessonDetails(
        date=date.today() + timedelta(days=12), start_time=time(10, 40), duration_minutes=50, class_name="4C",
        room="Room 14", teacher_id=grace.id), rl2.details_version)
    key = fields.stage_key(rl2.current_stages[2].id, "activity")
    current = fields.fields_of(rl2)[key]
    fields.save_field(samuel, rl2, key, current.text.replace("three fractions", "four fractions")
                      + " Pairs use number lines as well as walls.")
    return rl1, rl2
