"""Demo sharing: each demo school has a published summary of an earlier, closed cycle in the library, and
the Year 4 fractions group has opened its latest research lesson to visitors (registration open)."""

from __future__ import annotations

from datetime import timedelta

from ..extensions import db
from ..groups import cycles
from ..groups import services as groups
from ..models import (
    CycleStatus,
    GroupLink,
    GroupRole,
    ResearchLesson,
    School,
    StudyGroup,
    User,
)
from ..models.base import utcnow
from ..planning.lessons import create_lesson
from ..protocol import services as protocol
from ..sharing import openhouse, publishing, redaction, summaries

STUDIES = [
    # school index, facilitator, members, group details, summary texts, pupils' progress
    (0, "lead1@demo.local", ["teacher2@demo.local", "teacher3@demo.local"],
     groups.GroupDetails(name="Year 3 fractions (last year)", focus_pupils="Year 3 pupils who find fractions hard",
                         focus_learning="unit fractions", focus_approach="paper folding and talk partners",
                         subject="Mathematics", year_group="Year 3"),
     {"learning": "Pupils understood unit fractions once they folded strips themselves; drawing first led to "
                  "unequal parts.",
      "teaching": "Folding before drawing, and asking pupils to explain to a partner, made the biggest difference.",
      "changes": "Start every fractions unit with folding; give folding ten minutes."},
     ["Moved from guessing to folding halves and quarters accurately.",
      "Explained why the parts must be equal by the third lesson.",
      "Needed more challenge: made their own fraction walls."]),
    (1, "lead2@demo.local", ["teacher5@demo.local", "teacher6@demo.local"],
     groups.GroupDetails(name="Year 8 reading inference (last year)", focus_pupils="Year 8 pupils who read literally",
                         focus_learning="to infer a character's feelings", focus_approach="reading aloud in pairs",
                         subject="English", year_group="Year 8"),
     {"learning": "Pupils inferred more when they read aloud to a partner and stopped at marked points.",
      "teaching": "Short, planned stopping points with one question each worked better than open discussion.",
      "changes": "Mark two or three stopping points in every shared text."},
     ["Began to quote the text as evidence by the second lesson.",
      "Moved from retelling to explaining why a character acted.",
      "Compared two characters' feelings without prompting."]),
]


def _user(email: str) -> User:
    return db.session.scalar(db.select(User).where(User.email == email))


def _closed_study(school: School, lead: User, members: list[User], details, texts, progress):
    group = groups.create_group(lead, details)
    for member in members:
        groups.add_member(lead, group, member.email, GroupRole.MEMBER)
    version = protocol.current_version(group)
    for user in [lead, *members]:
        protocol.sign(user, group, version.id, True, user.display_name)
    cycle = cycles.start_cycle(lead, group)
    cycle.created_at = utcnow() - timedelta(days=330)
    pupils = [cycles.save_pupil(lead, cycle, None, f"Pupil {letter}", represents, "", "", False)
              for letter, represents in zip("ABC", ("finds it hard", "in the middle", "ahead of most"))]
    for status in (CycleStatus.PLANNING, CycleStatus.TEACHING, CycleStatus.DISCUSSING, CycleStatus.SHARING):
        if status is CycleStatus.TEACHING:
            create_lesson(lead, cycle)
        cycles.move_cycle(lead, cycle, status)
    for key, text in texts.items():
        summaries.save_field(lead, cycle, key, text)
    for pupil, text in zip(pupils, progress):
        summaries.save_field(members[0], cycle, summaries.progress_key(pupil.id), text)
    pending = [item.key for item in redaction.unresolved(cycle)]
    if pending:
        redaction.confirm(lead, cycle, pending)
    publishing.publish(lead, cycle, "network")
    cycles.move_cycle(lead, cycle, CycleStatus.CLOSED)
    return group


def seed_sharing() -> None:
    schools = list(db.session.scalars(db.select(School).order_by(School.id)))
    made = []
    for index, lead, members, details, texts, progress in STUDIES:
        if index < len(schools):
            made.append(_closed_study(schools[index], _user(lead), [_user(m) for m in members], details, texts,
                                      progress))
    fractions = db.session.scalar(db.select(StudyGroup).where(StudyGroup.name == "Year 4 fractions"))
    if fractions is not None and made:
        db.session.add(GroupLink(group_id=fractions.id, builds_on_id=made[0].id))
        db.session.commit()
        lesson = db.session.scalar(db.select(ResearchLesson).join(ResearchLesson.cycle)
                                   .where(ResearchLesson.cycle.has(group_id=fractions.id))
                                   .order_by(ResearchLesson.number.desc()))
        if lesson is not None:
            openhouse.save(_user("teacher1@demo.local"), lesson, 6,
                           "How Pupil A uses the folded strips before drawing, and what pupils say to their "
                           "talk partners at the matching task.", "")
