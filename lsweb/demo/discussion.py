"""Demo data for the discussion board: `seed_discussion(lesson)` fills RL1 of "Year 4 fractions" with
a post-lesson discussion in every section, replies, agreements, a finding, two next steps, and James
O'Connor (Riverside Academy) as an invited guest. Called from lsweb/demo/__init__.py once RL1 exists."""

from __future__ import annotations

from ..discussion import services
from ..extensions import db
from ..models import ResearchLesson, User


def _user(email: str) -> User:
    return db.session.scalar(db.select(User).where(User.email == email))


def seed_discussion(lesson: ResearchLesson) -> None:
    hannah, samuel = _user("teacher1@demo.local"), _user("teacher2@demo.local")
    grace, maria = _user("teacher3@demo.local"), _user("support1@demo.local")
    james = _user("teacher5@demo.local")
    counter = iter(range(1, 1000))

    def say(user, section, text, parent=None, mark=None):
        return services.add_post(user, lesson, section, text, f"demo-{lesson.id}-{next(counter):04d}",
                                 parent=parent, mark=mark)[0]

    pupils = {p.label: f"pupil-{p.id}" for p in lesson.cycle.pupils}
    a = say(samuel, pupils.get("Pupil A", "patterns"),
            "Pupil A folded the paper strip into quarters and said **“two of these is a half”** at 10:12, "
            "which we had predicted only *with* the bar model on the board.")
    say(hannah, a.section, "Better than predicted, then. Was it enough for the success criterion?", parent=a)
    say(samuel, a.section, "Not yet: she could not write 2/4 = 1/2 without the strip.", parent=a)
    if "Pupil B" in pupils:
        b = say(maria, pupils["Pupil B"], "Pupil B matched 3/6 and 1/2 on the diagram, as predicted, and "
                                          "explained it to her talk partner.")
        services.toggle_agree(grace, b)
    if "Pupil C" in pupils:
        say(grace, pupils["Pupil C"], "Pupil C finished early and started making her own equivalent pairs: "
                                      "less challenge than we planned.", mark="question")
    finding = say(hannah, "patterns", "Across the class, pupils who *folded* before they *drew* made fewer "
                                      "mistakes in the drawing task.", mark="finding")
    for user in (samuel, maria, grace):
        services.toggle_agree(user, finding)
    say(maria, "patterns", "Talk partners worked for most pairs; three pairs went quiet during the drawing.")
    say(samuel, "differences", "The folding took 12 minutes, not 5: the strips were too narrow to fold "
                               "into eighths.")
    say(hannah, "next-time", "Start with folding wider strips, then draw: give folding 10 minutes.",
        mark="next_step")
    step = say(grace, "next-time", "Give pupils like Pupil C an open challenge card: "
                                   "*find three fractions equal to 3/4*.", mark="next_step")
    say(samuel, "next-time", "Agreed, and keep the card for RL2.", parent=step)
    say(grace, "final", "As the knowledgeable other in the room: the folding-first sequence matches the "
                        "research on concrete–pictorial–abstract; keep the language of “equal parts” explicit.")
    services.invite_guest(hannah, lesson, james.email)
    say(james, "guests", "Visiting from Riverside: we saw the same with folding in Year 3. Happy to share "
                         "our strips template.")
